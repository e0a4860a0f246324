package unionpay

import (
	"context"
	"errors"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

// The token product (bizType 000902, unionpay.md §4.2): open SMS 77/00, back open 79/00
// (the token comes back synchronously), open query 78/02, delete 74/01 and consume SMS
// 77/02. Card data is encrypted with Config.EncryptCert (accNo; phone, CVN2 and expiry in
// customerInfo.encryptedInfo) and never logged or put in errors.

// cardFields returns accNo, encryptCertId and customerInfo for a card (smsCode optional).
func (c *Client) cardFields(op string, card channel.Card, smsCode string, full bool) (sign.Params, error) {
	if card.Number == "" || len(card.Number) < 12 || len(card.Number) > 19 || !allDigits(card.Number) {
		return nil, invalid(op, "Card.Number", "must be 12 to 19 digits")
	}
	if card.Mobile == "" || !allDigits(card.Mobile) {
		return nil, invalid(op, "Card.Mobile", "must be the bank-reserved mobile, digits")
	}
	enc := c.encryption()
	var p sign.Params
	if enc != nil {
		acc, id, err := enc.encryptAccNo(card.Number)
		if err != nil {
			return nil, invalid(op, "Card.Number", "cannot be encrypted")
		}
		p = append(p, sign.Param{Key: "accNo", Value: acc}, sign.Param{Key: "encryptCertId", Value: id})
	} else {
		p = append(p, sign.Param{Key: "accNo", Value: card.Number})
	}
	var plain, secret []string
	secret = append(secret, "phoneNo", card.Mobile)
	if full {
		if card.IDNumber != "" {
			tp := card.IDType
			if tp == "" {
				tp = "01"
			}
			plain = append(plain, "certifTp", tp, "certifId", card.IDNumber)
		}
		if card.HolderName != "" {
			plain = append(plain, "customerNm", card.HolderName)
		}
		secret = append(secret, "cvn2", card.CVN2, "expired", card.Expiry)
	}
	if smsCode != "" {
		if !allDigits(smsCode) {
			return nil, invalid(op, "SMSCode", "must be digits")
		}
		plain = append(plain, "smsCode", smsCode)
	}
	for i := 1; i < len(plain); i += 2 {
		if !safeBraced(plain[i]) {
			return nil, invalid(op, "Card", "%s must not hold & = { } or [ ]", plain[i-1])
		}
	}
	ci, err := customerInfo(enc, plain, secret)
	if err != nil {
		return nil, invalid(op, "Card", "cannot be encrypted")
	}
	if enc != nil {
		p.Set("encryptCertId", enc.certID)
	}
	return append(p, sign.Param{Key: "customerInfo", Value: ci}, sign.Param{Key: "accType", Value: "01"}), nil
}

func safeBraced(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '&', '=', '{', '}', '[', ']':
			return false
		}
	}
	return true
}

func (c *Client) openData() string { return braced("trId", c.trID, "tokenType", "01") }

// SendBindSMS sends the open SMS (77/00) under BindNo and BindTime (required) with the
// card's number and reserved mobile. A repeat with the same BindNo to the same Client
// replays the first answer without a new code. UnionPay's open SMS does not say whether
// the card already has a token: AlreadyBound stays nil, and ConfirmBind of a card that has
// one returns the existing token.
func (c *Client) SendBindSMS(ctx context.Context, req *channel.BindRequest) (*channel.BindChallenge, error) {
	const op = "bind sms"
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if err := c.number(op, "BindNo", req.BindNo); err != nil {
		return nil, err
	}
	if err := c.needTime(op, "BindTime", req.BindTime); err != nil {
		return nil, err
	}
	key := "bind|" + req.BindNo
	c.mu.Lock()
	prev, seen := c.actions[key]
	c.mu.Unlock()
	if seen {
		return &channel.BindChallenge{BindNo: req.BindNo, SMSNo: req.BindNo, MobileMasked: prev.tn}, nil
	}
	ch, err := c.openSMS(ctx, op, req.BindNo, req.BindTime, req.Card)
	if err != nil {
		return nil, err
	}
	c.remember(key, appAction{tn: ch.MobileMasked})
	ch.BindNo = req.BindNo
	return ch, nil
}

func (c *Client) openSMS(ctx context.Context, op, no string, at time.Time, card channel.Card) (*channel.BindChallenge, error) {
	cf, err := c.cardFields(op, card, "", false)
	if err != nil {
		return nil, err
	}
	if err := c.before(ctx, op); err != nil {
		return nil, err
	}
	p := append(c.base("77", "00", bizToken, no, at), cf...)
	p = append(p, sign.Param{Key: "tokenPayData", Value: c.openData()})
	if _, err := c.w.call(ctx, pathBack, op, opSync, p); err != nil {
		return nil, c.fail(op, resendUnsafe, err)
	}
	return &channel.BindChallenge{SMSNo: no, MobileMasked: maskMobile(card.Mobile)}, nil
}

func maskMobile(m string) string {
	if len(m) < 7 {
		return "****"
	}
	return m[:3] + "****" + m[len(m)-4:]
}

// ResendBindSMS sends a new open SMS under its own orderId (SMSNo) and txnTime (SMSTime),
// both required: UnionPay refuses a reused orderId. Card must be given again.
func (c *Client) ResendBindSMS(ctx context.Context, req *channel.ResendSMSRequest) (*channel.BindChallenge, error) {
	const op = "resend bind sms"
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if err := c.number(op, "SMSNo", req.SMSNo); err != nil {
		return nil, err
	}
	if err := c.needTime(op, "SMSTime", req.SMSTime); err != nil {
		return nil, err
	}
	ch, err := c.openSMS(ctx, op, req.SMSNo, req.SMSTime, req.Card)
	if err != nil {
		return nil, err
	}
	ch.BindNo = req.BindNo
	return ch, nil
}

// ConfirmBind opens the token: back open 79/00 under BindNo and BindTime with the card's
// elements (credit cards: CVN2 and expiry too) and the SMS code; the token comes back in
// the answer. Confirming a confirmed BindNo returns the same binding (by the open query).
func (c *Client) ConfirmBind(ctx context.Context, req *channel.BindConfirmRequest) (*channel.Binding, error) {
	const op = "confirm bind"
	if req == nil {
		return nil, invalid(op, "request", "is nil")
	}
	if err := c.number(op, "BindNo", req.BindNo); err != nil {
		return nil, err
	}
	if err := c.needTime(op, "BindTime", req.BindTime); err != nil {
		return nil, err
	}
	cf, err := c.cardFields(op, req.Card, req.SMSCode, true)
	if err != nil {
		return nil, err
	}
	if err := c.before(ctx, op); err != nil {
		return nil, err
	}
	p := append(c.base("79", "00", bizToken, req.BindNo, req.BindTime), cf...)
	p = append(p, sign.Param{Key: "tokenPayData", Value: c.openData()})
	v, err := c.w.call(ctx, pathBack, op, opSync, p)
	if err != nil {
		var we *wireError
		if errors.As(err, &we) && we.code == "12" {
			bs, qerr := c.QueryBindingAt(ctx, req.BindNo, req.BindTime)
			if qerr == nil && len(bs) == 1 {
				bs[0].UserID = req.UserID
				return &bs[0], nil
			}
		}
		return nil, c.fail(op, resendUnsafe, err)
	}
	b, err := c.binding(v)
	if err != nil {
		return nil, c.fail(op, resendUnsafe, &wireError{op: op, code: v.get("respCode"), msg: err.Error(), rule: transportRule(), err: err})
	}
	b.UserID = req.UserID
	c.remember("bindtime|"+req.BindNo, appAction{expires: req.BindTime})
	c.remember("bindtoken|"+b.Token, appAction{tn: req.BindNo, expires: req.BindTime})
	return b, nil
}

// binding reads tokenPayData (token, tokenBegin, tokenEnd), accNo (masked) and payCardType.
func (c *Client) binding(v *verified) (*channel.Binding, error) {
	tpd, err := parseBraced("tokenPayData", v.get("tokenPayData"))
	if err != nil {
		return nil, err
	}
	if tpd["token"] == "" {
		return nil, errors.New("unionpay: tokenPayData without a token")
	}
	b := &channel.Binding{Status: channel.StatusSucceeded, ChannelStatus: v.get("respCode"), BindNo: v.get("orderId"),
		Token: tpd["token"], CardMasked: c.maskedAccNo(v.get("accNo"))}
	switch v.get("payCardType") {
	case "01":
		b.CardType = "debit"
	case "02", "03":
		b.CardType = "credit"
	}
	if t, err := time.ParseInLocation("20060102150405", tpd["tokenBegin"], clock.Beijing()); err == nil {
		b.BoundAt = t
	}
	if t, err := time.ParseInLocation("20060102150405", tpd["tokenEnd"], clock.Beijing()); err == nil {
		b.ExpiresAt = t
	}
	return b, nil
}

// maskedAccNo shows a returned accNo as 6+4: UnionPay sends it masked, or encrypted under
// the merchant's key for merchants with the encryption permission (unionpay.md §6), or in
// clear; nothing else of it is kept.
func (c *Client) maskedAccNo(acc string) string {
	switch {
	case acc == "" || containsStar(acc):
		return acc
	case allDigits(acc):
		return channel.MaskPAN(acc)
	}
	pt, err := c.w.cfg.creds.decrypt(acc)
	if err != nil || !allDigits(string(pt)) {
		return ""
	}
	return channel.MaskPAN(string(pt))
}

func containsStar(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '*' {
			return true
		}
	}
	return false
}

// QueryBinding looks a binding up by BindNo (or by Token): UnionPay's open query (78/02)
// needs the open's orderId and txnTime, so only a binding this Client confirmed (whose
// BindNo and BindTime it remembers) can be queried this way; use QueryBindingAt otherwise. UnionPay has no query
// by token or by user: such a query is KindInvalidRequest.
func (c *Client) QueryBinding(ctx context.Context, req *channel.BindingQuery) ([]channel.Binding, error) {
	const op = "query binding"
	if req == nil || req.BindNo == "" && req.Token == "" {
		return nil, invalid(op, "BindNo", "is empty: UnionPay finds a token only by the open's orderId and txnTime (QueryBindingAt)")
	}
	bindNo := req.BindNo
	c.mu.Lock()
	if bindNo == "" { // a token this client opened: its open's number
		bindNo = c.actions["bindtoken|"+req.Token].tn
	}
	a, ok := c.actions["bindtime|"+bindNo]
	c.mu.Unlock()
	if !ok {
		return nil, invalid(op, "BindNo", "%q (token %q) was not opened through this Client, and UnionPay needs the open's BindNo and BindTime: use QueryBindingAt(ctx, BindNo, BindTime)", req.BindNo, req.Token)
	}
	bs, err := c.QueryBindingAt(ctx, bindNo, a.expires)
	for i := range bs {
		bs[i].UserID = req.UserID
	}
	return bs, err
}

// QueryBindingAt is the open query 78/02 of the open sent under bindNo at bindTime.
// respCode 34 is KindNotFound; 89 (token deleted) gives the binding Closed.
func (c *Client) QueryBindingAt(ctx context.Context, bindNo string, bindTime time.Time) ([]channel.Binding, error) {
	const op = "query binding"
	if err := c.number(op, "BindNo", bindNo); err != nil {
		return nil, err
	}
	if err := c.needTime(op, "BindTime", bindTime); err != nil {
		return nil, err
	}
	if err := c.before(ctx, op); err != nil {
		return nil, err
	}
	p := c.base("78", "02", bizToken, bindNo, bindTime)
	p = append(p, sign.Param{Key: "tokenPayData", Value: c.openData()})
	v, err := c.w.call(ctx, pathBack, op, opSync, p)
	if err != nil {
		var we *wireError
		if errors.As(err, &we) && we.code == "89" {
			return []channel.Binding{{Status: channel.StatusClosed, ChannelStatus: "89", BindNo: bindNo}}, nil
		}
		return nil, c.fail(op, resendSafe, err)
	}
	b, err := c.binding(v)
	if err != nil {
		return nil, c.fail(op, resendSafe, &wireError{op: op, code: v.get("respCode"), msg: err.Error(), rule: transportRule(), err: err})
	}
	b.BindNo = bindNo
	return []channel.Binding{*b}, nil
}

// Unbind deletes the token (74/01) under UnbindNo and UnbindTime (required). Unbinding a
// deleted or unknown token (respCode 89) returns it Closed: idempotent.
func (c *Client) Unbind(ctx context.Context, req *channel.UnbindRequest) (*channel.Binding, error) {
	const op = "unbind"
	if req == nil || req.Token == "" {
		return nil, invalid(op, "Token", "is empty")
	}
	if !alnum(req.Token) {
		return nil, invalid(op, "Token", "must be letters and digits")
	}
	if err := c.number(op, "UnbindNo", req.UnbindNo); err != nil {
		return nil, err
	}
	if err := c.needTime(op, "UnbindTime", req.UnbindTime); err != nil {
		return nil, err
	}
	if err := c.before(ctx, op); err != nil {
		return nil, err
	}
	p := c.base("74", "01", bizToken, req.UnbindNo, req.UnbindTime)
	p = append(p, sign.Param{Key: "tokenPayData", Value: c.tokenData(req.Token)})
	v, err := c.w.call(ctx, pathBack, op, opSync, p)
	code := ""
	if v != nil {
		code = v.get("respCode")
	}
	if err != nil && code != "89" {
		return nil, c.fail(op, resendUnsafe, err)
	}
	return &channel.Binding{Status: channel.StatusClosed, ChannelStatus: code, UserID: req.UserID, Token: req.Token}, nil
}

// SendPaySMS sends the consume SMS (77/02) for a token payment. UnionPay binds the code to
// the payment's orderId, txnTime and amount (unionpay.md §12), so it is sent under the
// payment's OrderNo and OrderTime (required); SMSNo is echoed. Each call sends a new code.
func (c *Client) SendPaySMS(ctx context.Context, req *channel.PaySMSRequest) (*channel.SMSChallenge, error) {
	const op = "pay sms"
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if err := c.number(op, "OrderNo", req.OrderNo); err != nil {
		return nil, err
	}
	if err := c.needTime(op, "OrderTime", req.OrderTime); err != nil {
		return nil, err
	}
	if !alnum(req.Token) {
		return nil, invalid(op, "Token", "must be letters and digits")
	}
	amt, err := fen(op, "Amount", req.Amount)
	if err != nil {
		return nil, err
	}
	if err := c.before(ctx, op); err != nil {
		return nil, err
	}
	p := c.base("77", "02", bizToken, req.OrderNo, req.OrderTime)
	p = append(p, sign.Param{Key: "tokenPayData", Value: c.tokenData(req.Token)}, sign.Param{Key: "txnAmt", Value: amt},
		sign.Param{Key: "currencyCode", Value: "156"})
	if _, err := c.w.call(ctx, pathBack, op, opSync, p); err != nil {
		return nil, c.fail(op, resendUnsafe, err)
	}
	no := req.SMSNo
	if no == "" {
		no = req.OrderNo
	}
	return &channel.SMSChallenge{SMSNo: no, OrderNo: req.OrderNo}, nil
}

// UpdateEncryptCert asks UnionPay for its current encryption certificate (txnType 95,
// unionpay.md §6) and switches to it when its serial differs from the one in use; card
// data sent afterwards is encrypted for it. It reports whether the certificate changed.
// Call it daily, or after an answer says the encryption certificate is outdated.
func (c *Client) UpdateEncryptCert(ctx context.Context) (bool, error) {
	const op = "update encrypt cert"
	if err := c.before(ctx, op); err != nil {
		return false, err
	}
	now := c.clk.Now()
	p := c.base("95", "00", bizOther, "CERT"+timeTxn(now), now)
	p = append(p, sign.Param{Key: "certType", Value: "01"})
	v, err := c.w.call(ctx, pathBack, op, opSync, p)
	if err != nil {
		return false, c.fail(op, resendSafe, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next, changed, err := updateEncCert(c.enc, v)
	if err != nil {
		return false, c.fail(op, resendSafe, &wireError{op: op, code: v.get("respCode"), msg: err.Error(), rule: transportRule(), err: err})
	}
	if (next.sm2 != nil) != (c.w.cfg.creds.method == methodSM2) {
		return false, &channel.Error{Channel: Name, Op: op, Kind: channel.KindInvalidRequest, Message: "UnionPay answered with an encryption certificate of another algorithm"}
	}
	c.enc = next
	return changed, nil
}

// BindForm is the front-end token open (79/00 on frontTransReq, unionpay.md §4.2): an
// auto-submitting form that takes the cardholder to UnionPay's pages, which collect and
// check the card's elements there. The token comes in the binding notification
// (ParseNotification gives a Binding) or by QueryBindingAt(BindNo, BindTime). Card is
// optional: a card number given is encrypted into the form. returnURL is the frontUrl
// (default Config.FrontURL); req.NotifyURL the backUrl (default Config.NotifyURL).
func (c *Client) BindForm(req *channel.BindRequest, returnURL string) (*channel.PayAction, error) {
	const op = "bind form"
	if req == nil {
		return nil, invalid(op, "request", "is nil")
	}
	if err := c.number(op, "BindNo", req.BindNo); err != nil {
		return nil, err
	}
	if err := c.needTime(op, "BindTime", req.BindTime); err != nil {
		return nil, err
	}
	backURL, front := req.NotifyURL, returnURL
	if backURL == "" {
		backURL = c.notifyURL
	}
	if front == "" {
		front = c.frontURL
	}
	if backURL == "" || front == "" {
		return nil, invalid(op, "NotifyURL", "and the return URL are required (or Config.NotifyURL and Config.FrontURL)")
	}
	p := c.base("79", "00", bizToken, req.BindNo, req.BindTime)
	expires := req.BindTime.Add(c.payTimeout).Truncate(time.Second)
	p = append(p, sign.Param{Key: "tokenPayData", Value: c.openData()}, sign.Param{Key: "frontUrl", Value: front},
		sign.Param{Key: "backUrl", Value: backURL}, sign.Param{Key: "payTimeout", Value: timeTxn(expires)})
	if req.Card.Number != "" {
		if len(req.Card.Number) < 12 || len(req.Card.Number) > 19 || !allDigits(req.Card.Number) {
			return nil, invalid(op, "Card.Number", "must be 12 to 19 digits")
		}
		if enc := c.encryption(); enc != nil {
			acc, id, err := enc.encryptAccNo(req.Card.Number)
			if err != nil {
				return nil, invalid(op, "Card.Number", "cannot be encrypted")
			}
			p = append(p, sign.Param{Key: "accNo", Value: acc}, sign.Param{Key: "encryptCertId", Value: id})
		} else {
			p = append(p, sign.Param{Key: "accNo", Value: req.Card.Number})
		}
		p = append(p, sign.Param{Key: "accType", Value: "01"})
	}
	action, err := c.form(p, expires)
	if err != nil {
		return nil, c.fail(op, resendUnsafe, err)
	}
	c.remember("bindtime|"+req.BindNo, appAction{expires: req.BindTime})
	return action, nil
}
