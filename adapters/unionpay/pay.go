package unionpay

import (
	"context"
	"errors"
	"html"
	"sort"
	"strings"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
)

// Business types (unionpay.md §4.1).
const (
	bizToken   = "000902" // token pay
	bizGateway = "000201" // B2C gateway, app, pre-authorisation
	bizOther   = "000000" // query, file transfer, certificate update
)

// maxActions bounds the App orders whose tn a Client remembers for a repeated Pay.
const maxActions = 4096

// appAction is an App order this client created: its content and tn.
type appAction struct {
	content string
	tn      string
	expires time.Time
}

// Pay creates a payment:
//
//   - MethodToken: consume 01/01 with bizType 000902 and the token (PayRequest.Token) on
//     backTransReq, with the SMS code of SendPaySMS in customerInfo when given. A sync 00
//     only means accepted: the result is Processing; the notification or Query gives the
//     final state.
//   - MethodWeb and MethodH5: the gateway consume (bizType 000201) as an auto-submitting
//     form to frontTransReq (PayAction.HTML, URL and Params), built locally after a query
//     that checks the order is not paid already. Repeating the request gives the same form.
//   - MethodApp: appTransReq; PayAction.TN is the tn for UnionPay's app SDK. A repeat of
//     the same request to the same Client hands out the same tn (UnionPay refuses the
//     reused orderId); another process gets KindAlreadyDone: Query the order.
//
// OrderTime is required (txnTime). NotifyURL (or Config.NotifyURL) is the backUrl.
func (c *Client) Pay(ctx context.Context, req *channel.PayRequest) (*channel.PaymentResult, error) {
	const op = "pay"
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if !channel.Supports(c, req.Method) {
		return nil, channel.Unsupported(Name, op, req.Method)
	}
	if err := c.number(op, "OrderNo", req.OrderNo); err != nil {
		return nil, err
	}
	if err := c.needTime(op, "OrderTime", req.OrderTime); err != nil {
		return nil, err
	}
	amt, err := fen(op, "Amount", req.Amount)
	if err != nil {
		return nil, err
	}
	if len(req.Extra) > 0 {
		keys := make([]string, 0, len(req.Extra))
		for k := range req.Extra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, invalid(op, "Extra", "keys %v: the UnionPay adapter accepts none", keys)
	}
	if strings.ContainsAny(req.Attach, "&={}[]\"'") {
		return nil, invalid(op, "Attach", "must not hold & = { } [ ] or quotes (UnionPay reqReserved); base64 it")
	}
	backURL := req.NotifyURL
	if backURL == "" {
		backURL = c.notifyURL
	}
	if backURL == "" {
		return nil, invalid(op, "NotifyURL", "is empty and Config.NotifyURL is not set: UnionPay needs a backUrl")
	}
	if err := c.before(ctx, op); err != nil {
		return nil, err
	}
	echo := channel.EchoOrderTime(req.OrderTime)
	switch req.Method {
	case channel.MethodToken:
		return echo(c.payToken(ctx, req, amt, backURL))
	case channel.MethodApp:
		return echo(c.payApp(ctx, req, amt, backURL))
	}
	return echo(c.payFront(ctx, req, amt, backURL))
}

func (c *Client) payToken(ctx context.Context, req *channel.PayRequest, amt, backURL string) (*channel.PaymentResult, error) {
	const op = "pay"
	if req.Token == "" {
		return nil, invalid(op, "Token", "is empty: MethodToken pays with a token from ConfirmBind")
	}
	if !alnum(req.Token) {
		return nil, invalid(op, "Token", "must be letters and digits")
	}
	p := c.base("01", "01", bizToken, req.OrderNo, req.OrderTime)
	p = append(p, sign.Param{Key: "txnAmt", Value: amt}, sign.Param{Key: "currencyCode", Value: "156"},
		sign.Param{Key: "backUrl", Value: backURL}, sign.Param{Key: "tokenPayData", Value: c.tokenData(req.Token)},
		sign.Param{Key: "accType", Value: "01"}, sign.Param{Key: "reqReserved", Value: req.Attach})
	if req.SMSCode != "" {
		if !allDigits(req.SMSCode) {
			return nil, invalid(op, "SMSCode", "must be digits")
		}
		ci, err := customerInfo(nil, []string{"smsCode", req.SMSCode}, nil)
		if err != nil {
			return nil, invalid(op, "SMSCode", "cannot be encoded")
		}
		p = append(p, sign.Param{Key: "customerInfo", Value: ci})
	}
	v, err := c.w.call(ctx, pathBack, op, opMoney, p)
	if err != nil {
		var we *wireError
		if errors.As(err, &we) && we.code == "12" {
			return c.duplicatePay(ctx, req)
		}
		return nil, c.fail(op, resendUnsafe, err)
	}
	r := c.payment(v)
	r.Status, r.ChannelStatus = channel.StatusProcessing, v.get("respCode")
	r.OrderNo, r.Amount, r.PaidAt = req.OrderNo, req.Amount, time.Time{}
	return r, nil
}

// duplicatePay answers a Pay whose orderId UnionPay has seen (12): the order's state, or
// AlreadyDone when it is final or cannot be found.
func (c *Client) duplicatePay(ctx context.Context, req *channel.PayRequest) (*channel.PaymentResult, error) {
	q, err := c.Query(ctx, &channel.QueryRequest{OrderNo: req.OrderNo, OrderTime: req.OrderTime})
	switch {
	case err == nil && q.Amount.IsPositive() && q.Amount != req.Amount:
		return nil, invalid("pay", "Amount", "%s differs from the amount %s of order %s already sent: a reused OrderNo", req.Amount, q.Amount, req.OrderNo)
	case err == nil && !q.Status.Final():
		return q, nil
	}
	return nil, &channel.Error{Channel: Name, Op: "pay", Kind: channel.KindAlreadyDone, Code: "12",
		Message: "orderId " + req.OrderNo + " was used before: Query it for the details"}
}

func (c *Client) frontFields(req *channel.PayRequest, txnType, sub, amt, backURL, channelType string) sign.Params {
	p := c.base(txnType, sub, bizGateway, req.OrderNo, req.OrderTime)
	p.Set("channelType", channelType)
	p = append(p, sign.Param{Key: "txnAmt", Value: amt}, sign.Param{Key: "currencyCode", Value: "156"},
		sign.Param{Key: "backUrl", Value: backURL}, sign.Param{Key: "payTimeout", Value: timeTxn(c.expiry(req))},
		sign.Param{Key: "reqReserved", Value: req.Attach})
	return p
}

func (c *Client) expiry(req *channel.PayRequest) time.Time {
	if !req.ExpiresAt.IsZero() {
		return req.ExpiresAt.Truncate(time.Second)
	}
	return req.OrderTime.Add(c.payTimeout).Truncate(time.Second)
}

func (c *Client) payFront(ctx context.Context, req *channel.PayRequest, amt, backURL string) (*channel.PaymentResult, error) {
	const op = "pay"
	front := req.ReturnURL
	if front == "" {
		front = c.frontURL
	}
	if front == "" {
		return nil, invalid(op, "ReturnURL", "is empty and Config.FrontURL is not set: UnionPay needs a frontUrl for Web and H5")
	}
	if q, err := c.Query(ctx, &channel.QueryRequest{OrderNo: req.OrderNo, OrderTime: req.OrderTime}); err == nil {
		if q.Status.Final() || q.Status == channel.StatusProcessing {
			return nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindAlreadyDone, Code: q.ChannelStatus,
				Message: "order " + req.OrderNo + " is " + q.Status.String() + " on UnionPay: Query it for the details"}
		}
	} else if channel.KindOf(err) != channel.KindNotFound {
		return nil, err
	}
	ct := "07"
	if req.Method == channel.MethodH5 {
		ct = "08"
	}
	p := c.frontFields(req, "01", "01", amt, backURL, ct)
	p = append(p, sign.Param{Key: "frontUrl", Value: front})
	action, err := c.form(p, c.expiry(req))
	if err != nil {
		return nil, c.fail(op, resendUnsafe, err)
	}
	return &channel.PaymentResult{Status: channel.StatusPending, OrderNo: req.OrderNo, Amount: req.Amount, MerchantID: c.merID,
		Attach: req.Attach, Action: action}, nil
}

// form signs a front transaction and writes it as an auto-submitting form to
// frontTransReq (unionpay.md §1, §2): the payer's browser posts it.
func (c *Client) form(p sign.Params, expires time.Time) (*channel.PayAction, error) {
	signed, err := c.w.cfg.creds.signRequest(c.common(p))
	if err != nil {
		return nil, err
	}
	action := c.w.cfg.baseURL + pathFront
	params := make(map[string]string, len(signed))
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><head><meta charset="UTF-8"></head><body onload="document.forms[0].submit()">`)
	b.WriteString(`<form action="` + html.EscapeString(action) + `" method="post">`)
	for _, kv := range signed {
		params[kv.Key] = kv.Value
		b.WriteString(`<input type="hidden" name="` + html.EscapeString(kv.Key) + `" value="` + html.EscapeString(kv.Value) + `">`)
	}
	b.WriteString(`</form></body></html>`)
	return &channel.PayAction{Kind: channel.ActionForm, URL: action, HTML: b.String(), Params: params, ExpiresAt: expires}, nil
}

// common adds the fields call adds, for requests signed without being sent (front forms).
func (c *Client) common(fields sign.Params) sign.Params {
	p := sign.Params{{Key: "version", Value: "5.1.0"}, {Key: "encoding", Value: "UTF-8"}, {Key: "accessType", Value: "0"}, {Key: "merId", Value: c.merID}}
	for _, kv := range fields {
		p.Set(kv.Key, kv.Value)
	}
	return p
}

func appContent(req *channel.PayRequest, kind string) string {
	return kind + "|" + req.Amount.String() + "|" + timeTxn(req.OrderTime) + "|" + req.Attach
}

func (c *Client) payApp(ctx context.Context, req *channel.PayRequest, amt, backURL string) (*channel.PaymentResult, error) {
	const op = "pay"
	content := appContent(req, "consume")
	c.mu.Lock()
	a, seen := c.actions[req.OrderNo]
	c.mu.Unlock()
	if seen {
		if a.content != content {
			return nil, invalid(op, "OrderNo", "%s was sent before with other content (amount, time or Attach)", req.OrderNo)
		}
		q, err := c.Query(ctx, &channel.QueryRequest{OrderNo: req.OrderNo, OrderTime: req.OrderTime})
		if err == nil && (q.Status.Final() || q.Status == channel.StatusProcessing) {
			return nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindAlreadyDone, Code: q.ChannelStatus,
				Message: "order " + req.OrderNo + " is " + q.Status.String() + " on UnionPay: Query it for the details"}
		}
		return c.appResult(req, a), nil
	}
	v, err := c.w.call(ctx, pathApp, op, opSync, c.frontFields(req, "01", "01", amt, backURL, "08"))
	if err != nil {
		var we *wireError
		if errors.As(err, &we) && we.code == "12" {
			return c.duplicatePay(ctx, req)
		}
		return nil, c.fail(op, resendUnsafe, err)
	}
	tn := v.get("tn")
	if tn == "" {
		return nil, c.fail(op, resendUnsafe, &wireError{op: op, code: v.get("respCode"), msg: "answer without tn", rule: transportRule()})
	}
	a = appAction{content: content, tn: tn, expires: c.expiry(req)}
	c.remember(req.OrderNo, a)
	return c.appResult(req, a), nil
}

func (c *Client) remember(orderNo string, a appAction) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.actions[orderNo]; !ok {
		if len(c.order) >= maxActions {
			delete(c.actions, c.order[0])
			c.order = c.order[1:]
		}
		c.order = append(c.order, orderNo)
	}
	c.actions[orderNo] = a
}

func (c *Client) appResult(req *channel.PayRequest, a appAction) *channel.PaymentResult {
	return &channel.PaymentResult{Status: channel.StatusPending, OrderNo: req.OrderNo, Amount: req.Amount, MerchantID: c.merID,
		Attach: req.Attach, Action: &channel.PayAction{Kind: channel.ActionAppParams, TN: a.tn, Params: map[string]string{"tn": a.tn}, ExpiresAt: a.expires}}
}

// Query asks for a payment's state: query 00/00 by orderId and txnTime (UnionPay finds an
// order only by both, so OrderNo and OrderTime are required; ChannelTxnID alone is not
// enough). respCode 34 is KindNotFound (not visible yet right after Pay, or the payer has
// not paid a Web/H5/App order); origRespCode 03/04/05 is Processing; every other failed
// origRespCode is Failed; a query that itself failed to answer is KindUnknown and
// retryable.
func (c *Client) Query(ctx context.Context, req *channel.QueryRequest) (*channel.PaymentResult, error) {
	const op = "query"
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	if req.OrderNo == "" {
		return nil, invalid(op, "OrderNo", "is empty: UnionPay finds an order by OrderNo and OrderTime, not by ChannelTxnID")
	}
	if err := c.needTime(op, "OrderTime", req.OrderTime); err != nil {
		return nil, err
	}
	v, rule, err := c.query(ctx, op, req.OrderNo, req.OrderTime)
	if err != nil {
		return nil, err
	}
	r := c.payment(v)
	r.OrderNo, r.OrderTime = req.OrderNo, req.OrderTime
	r.Status = statusOf(rule)
	if r.Status != channel.StatusSucceeded {
		r.PaidAt = time.Time{}
	}
	return r, nil
}

// query sends query 00/00 for (orderId, txnTime) and reads the queried transaction's
// state. respCode 34 is a KindNotFound error; a query failure is KindUnknown, retryable.
func (c *Client) query(ctx context.Context, op, orderID string, at time.Time) (*verified, codeRule, error) {
	if err := c.before(ctx, op); err != nil {
		return nil, codeRule{}, err
	}
	p := c.base("00", "00", bizOther, orderID, at)
	v, err := c.w.call(ctx, pathQuery, op, opSync, p)
	if v == nil {
		return nil, codeRule{}, c.fail(op, resendSafe, err)
	}
	rule := queryOutcome(v)
	if v.get("respCode") != "00" && v.get("respCode") != "A6" {
		if err == nil {
			err = &wireError{op: op, code: v.get("respCode"), msg: v.get("respMsg"), rule: rule}
		}
		var we *wireError
		if errors.As(err, &we) {
			we.rule = rule
		}
		return nil, rule, c.fail(op, resendSafe, err)
	}
	return v, rule, nil
}

// statusOf maps the queried transaction's rule to a Status: never Failed for an unknown
// outcome.
func statusOf(r codeRule) channel.Status {
	switch r.outcome {
	case outSucceeded:
		return channel.StatusSucceeded
	case outProcessing:
		return channel.StatusProcessing
	case outFailed:
		return channel.StatusFailed
	}
	return channel.StatusUnknown
}

// payment reads the fields of a verified answer, query or notification into a result.
func (c *Client) payment(v *verified) *channel.PaymentResult {
	r := &channel.PaymentResult{
		ChannelStatus: v.get("origRespCode"), OrderNo: v.get("orderId"), ChannelTxnID: v.get("queryId"),
		Amount: amountOf(v, "txnAmt"), MerchantID: v.get("merId"), Attach: v.get("reqReserved"),
		PaidAt: c.completedAt(v), SettlementDate: c.settlement(v),
	}
	if r.ChannelStatus == "" {
		r.ChannelStatus = v.get("respCode")
	}
	if r.MerchantID == "" {
		r.MerchantID = c.merID
	}
	switch v.get("payCardType") {
	case "01":
		r.BankType = "debit"
	case "02", "03":
		r.BankType = "credit"
	case "05", "06":
		r.BankType = "prepaid"
	}
	return r
}
