package wechat

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
)

// Validity of the payer actions (wechat-v2.md §5): prepay_id and code_url 2 h, mweb_url 5 min.
const (
	prepayValidity = 2 * time.Hour
	mwebValidity   = 5 * time.Minute
)

// tradeTypes maps the channel methods to unified-order trade types (§5); barcode goes to
// micropay instead.
func tradeType(m channel.Method) string {
	switch m {
	case channel.MethodQR:
		return "NATIVE"
	case channel.MethodApp:
		return "APP"
	case channel.MethodJSAPI:
		return "JSAPI"
	case channel.MethodH5:
		return "MWEB"
	}
	return ""
}

// Pay places a unified order (QR → NATIVE, App → APP, JSAPI → JSAPI, H5 → MWEB; §6.1) or
// charges a payment code (Barcode → micropay, §6.4).
//
// A unified order answers StatusPending with the payer action: ActionQRCode (code_url),
// ActionJSAPIParams (appId, timeStamp, nonceStr, package=prepay_id=…, signType, paySign),
// ActionAppParams (appid, partnerid, prepayid, package=Sign=WXPay, noncestr, timestamp,
// sign) or ActionRedirect (mweb_url, with redirect_url=ReturnURL when set). Placing the
// same OrderNo again with the same content returns a usable action (§6.1).
//
// Micropay answers StatusSucceeded, or StatusProcessing for USERPAYING (the payer is
// entering a password): Query until final (§6.4). SYSTEMERROR, BANKERROR and every
// failure after the request may have been sent are KindUnknown and not retryable: Query,
// then Cancel if it stays unclear (a failure before sending — dial, TLS handshake, done
// context — is KindUnavailable and retryable, as for every call). A signed answer about
// another out_trade_no or total_fee is KindUnknown too (RESPONSE_MISMATCH). Extra accepts device_info, goods_tag, limit_pay (no_credit), receipt (Y),
// profit_sharing (Y/N), scene_info and, for QR, product_id (default OrderNo).
func (c *Client) Pay(ctx context.Context, req *channel.PayRequest) (*channel.PaymentResult, error) {
	if err := req.Validate(channelName); err != nil {
		return nil, err
	}
	params, err := c.payParams(req)
	if err != nil {
		return nil, err
	}
	at := channel.TimeOr(req.OrderTime, c.clk)
	if req.Method == channel.MethodBarcode {
		return channel.EchoOrderTime(at)(c.micropay(ctx, req, params))
	}
	return channel.EchoOrderTime(at)(c.unifiedOrder(ctx, req, params))
}

// payParams checks the request and builds the fields shared by both calls.
func (c *Client) payParams(req *channel.PayRequest) (sign.Params, error) {
	inv := func(field, format string, args ...any) error {
		return channel.InvalidField(channelName, "pay", field, format, args...)
	}
	if req.Method == channel.MethodWeb || req.Method == channel.MethodToken {
		return nil, channel.Unsupported(channelName, "pay", req.Method)
	}
	if err := validOrderNo(req.OrderNo, 32); err != nil {
		return nil, inv("OrderNo", "%v", err)
	}
	total, err := formatFen(req.Amount)
	if err != nil {
		return nil, inv("Amount", "%v", err)
	}
	if req.Subject == "" {
		return nil, inv("Subject", "is empty (WeChat body is required)")
	}
	if n := utf8.RuneCountInString(req.Subject); n > 127 {
		return nil, inv("Subject", "is %d characters, WeChat body allows 127", n)
	}
	if n := utf8.RuneCountInString(req.Attach); n > 127 {
		return nil, inv("Attach", "is %d characters, WeChat allows 127", n)
	}
	if req.ClientIP == "" {
		return nil, inv("ClientIP", "is empty (WeChat spbill_create_ip is required)")
	}
	p := make(sign.Params, 0, 24)
	p.Set("body", req.Subject)
	p.Set("out_trade_no", req.OrderNo)
	p.Set("total_fee", total)
	p.Set("spbill_create_ip", req.ClientIP)
	p.Set("detail", req.Detail)
	p.Set("attach", req.Attach)
	if !req.OrderTime.IsZero() {
		p.Set("time_start", compactTime(req.OrderTime))
	}
	if !req.ExpiresAt.IsZero() {
		p.Set("time_expire", compactTime(req.ExpiresAt))
	}
	for k, v := range req.Extra {
		switch k {
		case "device_info", "goods_tag", "scene_info":
		case "product_id":
			if req.Method != channel.MethodQR {
				return nil, inv("Extra[product_id]", "is for MethodQR only")
			}
		case "limit_pay":
			if v != "no_credit" {
				return nil, inv("Extra[limit_pay]", "must be no_credit")
			}
		case "receipt":
			if v != "Y" {
				return nil, inv("Extra[receipt]", "must be Y")
			}
		case "profit_sharing":
			if v != "Y" && v != "N" {
				return nil, inv("Extra[profit_sharing]", "must be Y or N")
			}
		default:
			return nil, inv("Extra["+k+"]", "is not a WeChat pay field this adapter sends")
		}
		p.Set(k, v)
	}
	return p, nil
}

func (c *Client) unifiedOrder(ctx context.Context, req *channel.PayRequest, p sign.Params) (*channel.PaymentResult, error) {
	cl := call{op: "pay", path: "/pay/unifiedorder"}
	tt := tradeType(req.Method)
	notify := req.NotifyURL
	if notify == "" {
		notify = c.notifyURL
	}
	if notify == "" {
		return nil, channel.InvalidField(channelName, cl.op, "NotifyURL", "is empty and Config.NotifyURL is not set")
	}
	p.Set("notify_url", notify)
	p.Set("trade_type", tt)
	switch req.Method {
	case channel.MethodJSAPI:
		if req.PayerID == "" {
			return nil, channel.InvalidField(channelName, cl.op, "PayerID", "is empty: JSAPI needs the payer's openid")
		}
		p.Set("openid", req.PayerID)
	case channel.MethodQR:
		if p.Value("product_id") == "" {
			p.Set("product_id", req.OrderNo) // required for NATIVE (§6.1)
		}
	case channel.MethodH5:
		if p.Value("scene_info") == "" {
			p.Set("scene_info", h5SceneInfo(req))
		}
	}
	resp, err := c.do(ctx, cl, p)
	if err != nil {
		return nil, err
	}
	if e := c.bizError(cl, resp); e != nil {
		return nil, e
	}
	now := c.clk.Now()
	expires := now.Add(prepayValidity)
	act := &channel.PayAction{}
	switch req.Method {
	case channel.MethodQR:
		act.Kind, act.QRCode = channel.ActionQRCode, lookup(resp, "code_url")
		if act.QRCode == "" {
			return nil, badField(cl, "code_url", nil)
		}
	case channel.MethodH5:
		act.Kind, act.URL = channel.ActionRedirect, lookup(resp, "mweb_url")
		if act.URL == "" {
			return nil, badField(cl, "mweb_url", nil)
		}
		if req.ReturnURL != "" {
			act.URL += "&redirect_url=" + url.QueryEscape(req.ReturnURL)
		}
		expires = now.Add(mwebValidity)
	case channel.MethodJSAPI, channel.MethodApp:
		prepay := lookup(resp, "prepay_id")
		if prepay == "" {
			return nil, badField(cl, "prepay_id", nil)
		}
		key, err := c.signKey(ctx)
		if err != nil {
			return nil, err
		}
		if act.Params, err = c.clientParams(req.Method, prepay, now, key); err != nil {
			return nil, badField(cl, "prepay_id", err)
		}
		act.Kind = channel.ActionJSAPIParams
		if req.Method == channel.MethodApp {
			act.Kind = channel.ActionAppParams
		}
	}
	if !req.ExpiresAt.IsZero() && req.ExpiresAt.Before(expires) {
		expires = req.ExpiresAt
	}
	act.ExpiresAt = expires
	return &channel.PaymentResult{
		Status: channel.StatusPending, ChannelStatus: "NOTPAY", OrderNo: req.OrderNo,
		Amount: req.Amount, Attach: req.Attach, Action: act,
	}, nil
}

// clientParams builds the signed parameters the JS bridge (JSAPI) or the app SDK (APP)
// takes, signed with the configured sign type and timestamped by the Clock.
func (c *Client) clientParams(m channel.Method, prepayID string, now time.Time, key string) (map[string]string, error) {
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce := newNonce()
	var p sign.Params
	signField := "sign"
	if m == channel.MethodJSAPI {
		p = sign.Params{{Key: "appId", Value: c.appID}, {Key: "timeStamp", Value: ts}, {Key: "nonceStr", Value: nonce},
			{Key: "package", Value: "prepay_id=" + prepayID}, {Key: "signType", Value: string(c.signType)}}
		signField = "paySign"
	} else {
		p = sign.Params{{Key: "appid", Value: c.appID}, {Key: "partnerid", Value: c.mchID}, {Key: "prepayid", Value: prepayID},
			{Key: "package", Value: "Sign=WXPay"}, {Key: "noncestr", Value: nonce}, {Key: "timestamp", Value: ts}}
	}
	s, err := sign.WeChatSign(p, key, c.signType)
	if err != nil {
		return nil, err
	}
	out := p.Map()
	out[signField] = s
	return out, nil
}

// h5SceneInfo is the default MWEB scene_info (JSON, §6.1).
func h5SceneInfo(req *channel.PayRequest) string {
	type h5 struct {
		Type    string `json:"type"`
		WapURL  string `json:"wap_url,omitempty"`
		WapName string `json:"wap_name,omitempty"`
	}
	b, _ := json.Marshal(struct {
		H5 h5 `json:"h5_info"`
	}{h5{Type: "Wap", WapURL: req.ReturnURL, WapName: req.Subject}})
	return string(b)
}

func (c *Client) micropay(ctx context.Context, req *channel.PayRequest, p sign.Params) (*channel.PaymentResult, error) {
	cl := call{op: "pay", path: "/pay/micropay"}
	if req.AuthCode == "" {
		return nil, channel.InvalidField(channelName, cl.op, "AuthCode", "is empty: barcode payments need the payer's code")
	}
	for i := 0; i < len(req.AuthCode); i++ {
		if req.AuthCode[i] < '0' || req.AuthCode[i] > '9' {
			return nil, channel.InvalidField(channelName, cl.op, "AuthCode", "must be digits")
		}
	}
	p.Set("auth_code", req.AuthCode)
	resp, err := c.do(ctx, cl, p)
	if err != nil {
		return nil, err
	}
	if e := c.bizError(cl, resp); e != nil {
		// USERPAYING: waiting for the payer's password; query until final (§6.4).
		if e.Code == "USERPAYING" {
			return &channel.PaymentResult{Status: channel.StatusProcessing, ChannelStatus: "USERPAYING",
				OrderNo: req.OrderNo, Amount: req.Amount, Attach: req.Attach}, nil
		}
		return nil, e
	}
	res, err := paymentFields(cl, resp)
	if err != nil {
		return nil, err
	}
	if err := sameOrder(cl, resp, "", req.OrderNo); err != nil {
		return nil, err
	}
	// A success for another amount is not the payment we asked for either (§6.4).
	if lookup(resp, "total_fee") != "" && res.Amount != req.Amount {
		return nil, mismatch(cl, fmt.Sprintf("answer is for total_fee %s, asked for %s", res.Amount, req.Amount))
	}
	res.Status, res.ChannelStatus = channel.StatusSucceeded, "SUCCESS"
	if res.OrderNo == "" {
		res.OrderNo = req.OrderNo
	}
	return res, nil
}

// paymentFields reads the fields payment results share (micropay, orderquery,
// notifications; §6.2, §6.4, §8).
func paymentFields(cl call, resp sign.Params) (*channel.PaymentResult, error) {
	res := &channel.PaymentResult{
		OrderNo:      lookup(resp, "out_trade_no"),
		ChannelTxnID: lookup(resp, "transaction_id"),
		PayerID:      lookup(resp, "openid"),
		BankType:     lookup(resp, "bank_type"),
		Attach:       lookup(resp, "attach"),
	}
	var err error
	if res.Amount, err = fen(resp, "total_fee", "fee_type"); err != nil {
		return nil, badField(cl, "total_fee", err)
	}
	if res.PaidAmount, err = fen(resp, "cash_fee", "cash_fee_type"); err != nil {
		return nil, badField(cl, "cash_fee", err)
	}
	if res.PaidAt, err = beijingTime(lookup(resp, "time_end"), layoutCompact); err != nil {
		return nil, badField(cl, "time_end", err)
	}
	return res, nil
}
