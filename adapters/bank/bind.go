package bank

import (
	"context"
	"strconv"
	"time"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
)

// cardType maps §6 cardType to the contract's words.
func cardType(t string) string {
	switch t {
	case "DC":
		return "debit"
	case "CC":
		return "credit"
	}
	return ""
}

// checkCard validates the elements of a binding (§13) with core/card. Errors name the
// field and the rule, never the value. It returns the trimmed holder name.
func (c *Client) checkCard(op string, k channel.Card, full bool) (string, error) {
	check := card.CheckPAN
	if c.skipLuhn {
		check = card.CheckPANFormat
	}
	if err := check(k.Number); err != nil {
		return "", invalid(op, "Card.Number", "%v", err)
	}
	name, err := card.CleanHolderName(k.HolderName)
	if err != nil {
		return "", invalid(op, "Card.HolderName", "%v", err)
	}
	if !full {
		return name, nil
	}
	switch k.IDType {
	case "", "01":
		if err := card.CheckIDNo(k.IDNumber, c.clk.Now()); err != nil {
			return "", invalid(op, "Card.IDNumber", "%v", err)
		}
	default:
		return "", invalid(op, "Card.IDType", "must be 01 (resident ID card); the bank accepts no other document")
	}
	if err := card.CheckMobile(k.Mobile); err != nil {
		return "", invalid(op, "Card.Mobile", "%v", err)
	}
	if k.CVN2 != "" || k.Expiry != "" {
		if err := card.CheckCVN2(k.CVN2); err != nil {
			return "", invalid(op, "Card.CVN2", "%v", err)
		}
		if err := card.CheckExpiry(k.Expiry, c.clk.Now()); err != nil {
			return "", invalid(op, "Card.Expiry", "%v", err)
		}
	}
	return name, nil
}

// SendBindSMS starts an agreement binding (BIND_APPLY, §6): the bank checks the card's
// four elements (six for a credit card: set Card.CVN2 and Card.Expiry) and sends a
// 6-digit SMS code valid 5 minutes; the application lives 10 minutes. The reqSerial is
// derived from BindNo, so calling again with the same request replays the first answer
// and sends no new code (ResendBindSMS does). A card already bound for the user (code
// 3006) is the challenge's AlreadyBound, with the existing agreement, and no SMS.
func (c *Client) SendBindSMS(ctx context.Context, req *channel.BindRequest) (*channel.BindChallenge, error) {
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if err := numberRule.Validate(Name, opBind, "BindNo", req.BindNo); err != nil {
		return nil, err
	}
	if err := userRule.Validate(Name, opBind, "UserID", req.UserID); err != nil {
		return nil, err
	}
	name, err := c.checkCard(opBind, req.Card, true)
	if err != nil {
		return nil, err
	}
	data := map[string]string{"bindNo": req.BindNo, "userId": req.UserID, "cardNo": req.Card.Number,
		"holderName": name, "idType": "01", "idNo": req.Card.IDNumber, "mobile": req.Card.Mobile}
	if req.Card.CVN2 != "" {
		data["cvn2"], data["expiry"] = req.Card.CVN2, req.Card.Expiry
	}
	serial, err := c.serials.derive("BIND_APPLY", req.BindNo)
	if err != nil {
		return nil, invalid(opBind, "BindNo", "%v", err)
	}
	x, err := c.call(ctx, opBind, "BIND_APPLY", serial, data)
	if err != nil {
		return nil, err
	}
	if x.resp.Code == "3006" { // §6: already bound, the existing protocolNo in data
		b := c.binding(x.resp, req.UserID)
		b.BindNo = req.BindNo
		if b.Token == "" {
			return nil, mismatch(opBind, "protocolNo", x)
		}
		if b.CardMasked == "" {
			b.CardMasked = card.Mask(req.Card.Number)
		}
		return &channel.BindChallenge{BindNo: req.BindNo, SMSNo: req.BindNo, AlreadyBound: b}, nil
	}
	if err := answerErr(opBind, x); err != nil {
		return nil, err
	}
	return &channel.BindChallenge{BindNo: req.BindNo, SMSNo: req.BindNo, ExpiresAt: c.smsExpiry(x),
		MobileMasked: card.MaskPhone(req.Card.Mobile)}, nil
}

func (c *Client) smsExpiry(x *exchange) time.Time {
	n, err := strconv.Atoi(x.resp.str("smsExpireSeconds"))
	if err != nil || n <= 0 {
		return time.Time{}
	}
	at := x.resp.Time
	if at.IsZero() {
		at = x.req.ReqTime
	}
	return at.Add(time.Duration(n) * time.Second)
}

// ResendBindSMS sends a new SMS code for an application (BIND_SMS_RESEND, §6); the
// previous code stops working. The bank allows one send per 60 s and five per BindNo
// (KindRateLimited, Retryable: resend later). req.SMSNo is this resend's idempotency key:
// the same SMSNo replays the answer and sends nothing new; a new SMSNo sends again.
// Without SMSNo every call is a new resend.
func (c *Client) ResendBindSMS(ctx context.Context, req *channel.ResendSMSRequest) (*channel.BindChallenge, error) {
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if err := numberRule.Validate(Name, opResend, "BindNo", req.BindNo); err != nil {
		return nil, err
	}
	serial := c.serials.fresh()
	if req.SMSNo != "" {
		if err := numberRule.Validate(Name, opResend, "SMSNo", req.SMSNo); err != nil {
			return nil, err
		}
		var err error
		if serial, err = c.serials.derive("BIND_SMS_RESEND", req.BindNo, req.SMSNo); err != nil {
			return nil, invalid(opResend, "BindNo", "%v", err)
		}
	}
	x, err := c.call(ctx, opResend, "BIND_SMS_RESEND", serial, map[string]string{"bindNo": req.BindNo})
	if err != nil {
		return nil, err
	}
	if err := answerErr(opResend, x); err != nil {
		return nil, err
	}
	smsNo := req.SMSNo
	if smsNo == "" {
		smsNo = req.BindNo
	}
	ch := &channel.BindChallenge{BindNo: req.BindNo, SMSNo: smsNo, ExpiresAt: c.smsExpiry(x)}
	if req.Card.Mobile != "" {
		ch.MobileMasked = card.MaskPhone(req.Card.Mobile)
	}
	return ch, nil
}

// ConfirmBind completes a binding with the SMS code (BIND_CONFIRM, §6); the Binding's
// Token is the protocolNo for MethodToken payments. Confirming a confirmed BindNo returns
// the same Binding. A wrong code is KindDeclined (code 3002, attempts left in the
// message); the fifth wrong code voids the application (3004), an expired code is 3003 —
// ResendBindSMS and confirm again — and an unknown or void application 3005.
func (c *Client) ConfirmBind(ctx context.Context, req *channel.BindConfirmRequest) (*channel.Binding, error) {
	if req == nil {
		return nil, invalid(opConfirm, "request", "is nil")
	}
	if err := numberRule.Validate(Name, opConfirm, "BindNo", req.BindNo); err != nil {
		return nil, err
	}
	if len(req.SMSCode) != 6 || !digits(req.SMSCode) {
		return nil, invalid(opConfirm, "SMSCode", "must be 6 digits")
	}
	serial, err := c.serials.derive("BIND_CONFIRM", req.BindNo, req.SMSCode)
	if err != nil {
		return nil, invalid(opConfirm, "BindNo", "%v", err)
	}
	x, err := c.call(ctx, opConfirm, "BIND_CONFIRM", serial, map[string]string{"bindNo": req.BindNo, "smsCode": req.SMSCode})
	if err != nil {
		return nil, err
	}
	if x.resp.Code != "3006" { // confirmed meanwhile by another application: the existing agreement
		if err := answerErr(opConfirm, x); err != nil {
			return nil, err
		}
	}
	b := c.binding(x.resp, req.UserID)
	b.BindNo = req.BindNo
	if b.Token == "" {
		return nil, mismatch(opConfirm, "protocolNo", x)
	}
	return b, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// binding decodes an agreement from answer data (BIND_CONFIRM, 3006) as bound.
func (c *Client) binding(r *response, userID string) *channel.Binding {
	return &channel.Binding{Status: channel.StatusSucceeded, ChannelStatus: "BOUND", BindNo: r.str("bindNo"), UserID: userID,
		Token: r.str("protocolNo"), CardMasked: masked(r.str("cardNoMasked")), CardType: cardType(r.str("cardType")),
		BankCode: r.str("bankCode"), BoundAt: dataTime(r, "bindTime")}
}

// masked keeps a card mask only if it is one (§5.1); a full number from a broken bank
// would be masked here rather than passed on.
func masked(s string) string {
	if maskedCard(s) {
		return s
	}
	return card.Mask(s)
}

// Unbind cancels an agreement (UNBIND, §6): req.UserID and req.Token (the protocolNo)
// are required. Idempotent: unbinding an unbound agreement answers it unbound (Status
// Closed). An agreement that is unknown or another user's is KindDeclined (3007).
func (c *Client) Unbind(ctx context.Context, req *channel.UnbindRequest) (*channel.Binding, error) {
	if req == nil {
		return nil, invalid(opUnbind, "request", "is nil")
	}
	if err := userRule.Validate(Name, opUnbind, "UserID", req.UserID); err != nil {
		return nil, err
	}
	if err := numberRule.Validate(Name, opUnbind, "Token", req.Token); err != nil {
		return nil, err
	}
	serial, err := c.serials.derive("UNBIND", req.Token)
	if err != nil {
		return nil, invalid(opUnbind, "Token", "%v", err)
	}
	x, err := c.call(ctx, opUnbind, "UNBIND", serial, map[string]string{"userId": req.UserID, "protocolNo": req.Token})
	if err != nil {
		return nil, err
	}
	if err := answerErr(opUnbind, x); err != nil {
		return nil, err
	}
	if got := x.resp.str("protocolNo"); got != "" && got != req.Token {
		return nil, mismatch(opUnbind, "protocolNo", x)
	}
	return &channel.Binding{Status: bindStatus(x.resp.str("status")), ChannelStatus: x.resp.str("status"), UserID: req.UserID, Token: req.Token}, nil
}

func bindStatus(s string) channel.Status {
	switch s {
	case "BOUND":
		return channel.StatusSucceeded
	case "UNBOUND":
		return channel.StatusClosed
	}
	return channel.StatusUnknown
}

// QueryBinding lists a user's agreements (BIND_QUERY, §6), or the one named by req.Token
// or req.BindNo (KindNotFound when there is none). req.UserID is required: agreements
// belong to a user.
func (c *Client) QueryBinding(ctx context.Context, req *channel.BindingQuery) ([]channel.Binding, error) {
	if req == nil {
		return nil, invalid(opQueryBind, "request", "is nil")
	}
	if err := userRule.Validate(Name, opQueryBind, "UserID", req.UserID); err != nil {
		return nil, err
	}
	data := map[string]string{"userId": req.UserID}
	if req.Token != "" {
		if err := numberRule.Validate(Name, opQueryBind, "Token", req.Token); err != nil {
			return nil, err
		}
		data["protocolNo"] = req.Token
	}
	if req.BindNo != "" {
		if err := numberRule.Validate(Name, opQueryBind, "BindNo", req.BindNo); err != nil {
			return nil, err
		}
		data["bindNo"] = req.BindNo
	}
	x, err := c.call(ctx, opQueryBind, "BIND_QUERY", c.serials.fresh(), data)
	if err != nil {
		return nil, err
	}
	if err := answerErr(opQueryBind, x); err != nil {
		return nil, err
	}
	list, ok := x.resp.Data["bindings"].([]any)
	if !ok {
		return nil, mismatch(opQueryBind, "bindings", x)
	}
	out := make([]channel.Binding, 0, len(list))
	for _, v := range list {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, mismatch(opQueryBind, "bindings", x)
		}
		s := func(k string) string { v, _ := m[k].(string); return v }
		b := channel.Binding{Status: bindStatus(s("status")), ChannelStatus: s("status"), UserID: req.UserID, Token: s("protocolNo"),
			CardMasked: masked(s("cardNoMasked")), CardType: cardType(s("cardType")), BankCode: s("bankCode")}
		if t, err := parseTime(s("bindTime")); err == nil {
			b.BoundAt = t
		}
		if req.BindNo != "" {
			b.BindNo = req.BindNo
		}
		out = append(out, b)
	}
	return out, nil
}
