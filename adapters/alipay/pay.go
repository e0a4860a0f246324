package alipay

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"unicode/utf8"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

// Alipay pay methods and their product codes (alipay.md §9.3–§9.5).
const (
	methodPrecreate = "alipay.trade.precreate"
	methodPagePay   = "alipay.trade.page.pay"
	methodWapPay    = "alipay.trade.wap.pay"
	methodAppPay    = "alipay.trade.app.pay"
	methodPay       = "alipay.trade.pay"
)

var productCodes = map[channel.Method]string{
	channel.MethodQR:      "FACE_TO_FACE_PAYMENT",
	channel.MethodBarcode: "FACE_TO_FACE_PAYMENT",
	channel.MethodWeb:     "FAST_INSTANT_TRADE_PAY",
	channel.MethodH5:      "QUICK_WAP_WAY",
	channel.MethodApp:     "QUICK_MSECURITY_PAY",
}

// payBiz is the biz_content of the pay methods. Fields that PayRequest.Extra may set
// by wire name are listed in extraKeys.
type payBiz struct {
	OutTradeNo     string `json:"out_trade_no"`
	TotalAmount    string `json:"total_amount"`
	Subject        string `json:"subject"`
	Body           string `json:"body,omitempty"`
	ProductCode    string `json:"product_code,omitempty"`
	Scene          string `json:"scene,omitempty"`
	AuthCode       string `json:"auth_code,omitempty"`
	TimeExpire     string `json:"time_expire,omitempty"`
	PassbackParams string `json:"passback_params,omitempty"`
}

// extraKeys are the PayRequest.Extra keys accepted per method, by their biz_content
// wire names (alipay.md §9.3–§9.5). Any other key is refused, not dropped.
var extraKeys = map[channel.Method][]string{
	channel.MethodQR:      {"store_id", "operator_id", "terminal_id", "seller_id", "timeout_express", "qr_code_timeout_express", "disable_pay_channels", "enable_pay_channels", "product_code"},
	channel.MethodBarcode: {"store_id", "operator_id", "terminal_id", "seller_id", "timeout_express", "disable_pay_channels", "enable_pay_channels", "product_code", "scene"},
	channel.MethodWeb:     {"store_id", "seller_id", "timeout_express", "qr_pay_mode", "qrcode_width", "integration_type", "request_from_url", "goods_type", "disable_pay_channels", "enable_pay_channels", "product_code"},
	channel.MethodH5:      {"store_id", "seller_id", "timeout_express", "quit_url", "goods_type", "disable_pay_channels", "enable_pay_channels", "product_code"},
	channel.MethodApp:     {"store_id", "seller_id", "timeout_express", "goods_type", "disable_pay_channels", "enable_pay_channels", "product_code"},
}

// Pay creates or executes a payment:
//
//   - MethodQR → alipay.trade.precreate: Pending with Action{Kind: ActionQRCode}. The
//     trade becomes visible to Query only after the payer scans (alipay.md §9.2).
//   - MethodWeb → alipay.trade.page.pay, MethodH5 → alipay.trade.wap.pay: no server
//     call; Pending with Action{Kind: ActionRedirect, URL: gateway?signed-params,
//     HTML: an auto-submitting POST form}.
//   - MethodApp → alipay.trade.app.pay: no server call; Pending with
//     Action{Kind: ActionAppParams, OrderString, Params}.
//   - MethodBarcode → alipay.trade.pay: 10000 Succeeded, 10003 Processing (payer
//     confirming: Query, then Cancel if it stays unpaid), 20000 / ACQ.SYSTEM_ERROR /
//     timeout → KindUnknown, not Retryable (Query, then Cancel; see retryAfterSend).
//   - MethodJSAPI, MethodToken → channel.Unsupported.
//
// Idempotent by OrderNo: repeating an unpaid order's request returns it again; a Pay with
// the number of an already paid order (ACQ.TRADE_HAS_SUCCESS) is a KindAlreadyDone error,
// as on every channel — Query for the paid trade.
// PayRequest.Subject is required (Alipay's subject, ≤ 256 characters); Detail becomes
// body, Attach passback_params (URL-encoded, as Alipay requires), ExpiresAt time_expire
// in Beijing time. Extra accepts the keys listed in extraKeys.
func (c *Client) Pay(ctx context.Context, req *channel.PayRequest) (*channel.PaymentResult, error) {
	if err := req.Validate(Name); err != nil {
		return nil, err
	}
	product, ok := productCodes[req.Method]
	if !ok {
		return nil, channel.Unsupported(Name, "pay", req.Method)
	}
	biz, err := c.payBiz(req, product)
	if err != nil {
		return nil, err
	}
	notify := firstNonEmpty(req.NotifyURL, c.notifyURL)
	echo := channel.EchoOrderTime(channel.TimeOr(req.OrderTime, c.clk))
	switch req.Method {
	case channel.MethodWeb:
		return echo(c.pageAction(methodPagePay, req, biz, notify))
	case channel.MethodH5:
		return echo(c.pageAction(methodWapPay, req, biz, notify))
	case channel.MethodApp:
		return echo(c.appAction(req, biz, notify))
	case channel.MethodQR:
		return echo(c.precreate(ctx, req, biz, notify))
	default: // channel.MethodBarcode
		return echo(c.barcode(ctx, req, biz, notify))
	}
}

func (c *Client) payBiz(req *channel.PayRequest, product string) ([]byte, error) {
	if err := validOutNo("pay", "OrderNo", req.OrderNo); err != nil {
		return nil, err
	}
	amount, err := yuan("pay", "Amount", req.Amount)
	if err != nil {
		return nil, err
	}
	if req.Subject == "" {
		return nil, channel.InvalidField(Name, "pay", "Subject", "is required by Alipay (subject)")
	}
	if utf8.RuneCountInString(req.Subject) > 256 {
		return nil, channel.InvalidField(Name, "pay", "Subject", "is longer than 256 characters")
	}
	b := payBiz{
		OutTradeNo:  req.OrderNo,
		TotalAmount: amount,
		Subject:     req.Subject,
		Body:        req.Detail,
		ProductCode: product,
	}
	if req.Attach != "" {
		b.PassbackParams = url.QueryEscape(req.Attach)
	}
	if !req.ExpiresAt.IsZero() {
		b.TimeExpire = req.ExpiresAt.In(clock.Beijing()).Format(timestampLayout)
	}
	if req.Method == channel.MethodBarcode {
		if req.AuthCode == "" {
			return nil, channel.InvalidField(Name, "pay", "AuthCode", "is required for barcode payments")
		}
		b.Scene, b.AuthCode = "bar_code", req.AuthCode
	}
	allowed := extraKeys[req.Method]
	keys := make([]string, 0, len(req.Extra))
	for k := range req.Extra {
		if !slices.Contains(allowed, k) {
			return nil, channel.InvalidField(Name, "pay", "Extra["+k+"]", "is not accepted for method %s (accepted: %v)", req.Method, allowed)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var extra []string
	for _, k := range keys {
		switch v := req.Extra[k]; k {
		case "product_code":
			b.ProductCode = v
		case "scene":
			b.Scene = v
		default:
			extra = append(extra, k, v)
		}
	}
	out, err := marshalBiz(b)
	if err != nil {
		return nil, c.internalErr("pay", err)
	}
	// Append the extra members in key order, after the fixed ones.
	for i := 0; i < len(extra); i += 2 {
		k, _ := json.Marshal(extra[i])
		v, err := marshalBiz(extra[i+1])
		if err != nil {
			return nil, c.internalErr("pay", err)
		}
		out = append(out[:len(out)-1], ',')
		out = append(out, k...)
		out = append(out, ':')
		out = append(out, v...)
		out = append(out, '}')
	}
	return out, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// precreate calls alipay.trade.precreate (alipay.md §9.3).
func (c *Client) precreate(ctx context.Context, req *channel.PayRequest, biz []byte, notify string) (*channel.PaymentResult, error) {
	var t tradeResponse
	err := c.do(ctx, call{op: "pay", method: methodPrecreate, biz: biz, extra: map[string]string{"notify_url": notify}, moneyMoving: true}, &t)
	if err != nil {
		return c.alreadyPaid(ctx, req, err)
	}
	if err := sameOrder("pay", req.OrderNo, t.OutTradeNo, "", ""); err != nil {
		return nil, err
	}
	if t.QRCode == "" {
		return nil, decodeErr("pay", errString("precreate answer has no qr_code"))
	}
	return &channel.PaymentResult{
		Status:  channel.StatusPending,
		OrderNo: firstNonEmpty(t.OutTradeNo, req.OrderNo),
		Amount:  req.Amount,
		Attach:  req.Attach,
		Action:  &channel.PayAction{Kind: channel.ActionQRCode, QRCode: t.QRCode, ExpiresAt: req.ExpiresAt},
	}, nil
}

// barcode calls alipay.trade.pay (alipay.md §9.5).
func (c *Client) barcode(ctx context.Context, req *channel.PayRequest, biz []byte, notify string) (*channel.PaymentResult, error) {
	var t tradeResponse
	err := c.do(ctx, call{op: "pay", method: methodPay, biz: biz, extra: map[string]string{"notify_url": notify}, moneyMoving: true, allowWaiting: true}, &t)
	if err != nil {
		return c.alreadyPaid(ctx, req, err)
	}
	if err := sameOrder("pay", req.OrderNo, t.OutTradeNo, "", ""); err != nil {
		return nil, err
	}
	status := channel.StatusSucceeded
	if t.Code == codeWaiting {
		status = channel.StatusProcessing
	}
	r, err := t.result("pay", status)
	if err != nil {
		return nil, err
	}
	r.OrderNo = firstNonEmpty(r.OrderNo, req.OrderNo)
	if r.Amount.IsZero() {
		r.Amount = req.Amount
	}
	if status == channel.StatusSucceeded && r.Amount != req.Amount {
		return nil, decodeErr("pay", errString("total_amount "+r.Amount.Decimal()+" differs from the requested "+req.Amount.Decimal()))
	}
	r.Attach = req.Attach
	return r, nil
}

// alreadyPaid keeps ACQ.TRADE_HAS_SUCCESS as the contract's KindAlreadyDone error: a Pay
// with the number of a paid order is refused the same way on every channel, and the caller
// Queries for the details (core/channel Channel.Pay). It exists so the two call sites read
// as one rule.
func (c *Client) alreadyPaid(_ context.Context, _ *channel.PayRequest, err error) (*channel.PaymentResult, error) {
	return nil, err
}

type errString string

func (e errString) Error() string { return string(e) }
