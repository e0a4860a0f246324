package wechat

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

func payReq(m channel.Method) *channel.PayRequest {
	return &channel.PayRequest{
		OrderNo: "1415757673", Amount: money.Fen(101), Method: m, Subject: "腾讯充值中心-QQ会员充值",
		ClientIP: "14.23.150.211", Attach: "深圳分店", PayerID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
	}
}

func TestPay_NativeReturnsQRCodeAndSendsSignedOrder(t *testing.T) {
	e := newEnv(t, nil)
	e.respond(t, "/pay/unifiedorder", demoKey, sign.WeChatMD5, golden(t, "unifiedorder_native.xml"))
	req := payReq(channel.MethodQR)
	req.ExpiresAt = testNow.Add(30 * time.Minute)
	res, err := e.c.Pay(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != channel.StatusPending || res.Action == nil || res.Action.Kind != channel.ActionQRCode ||
		res.Action.QRCode != "weixin://wxpay/bizpayurl?pr=Ab3xYz1" || res.Amount != money.Fen(101) {
		t.Fatalf("result = %+v action %+v", res, res.Action)
	}
	if !res.Action.ExpiresAt.Equal(req.ExpiresAt) {
		t.Errorf("action expires %v, want the order's deadline %v", res.Action.ExpiresAt, req.ExpiresAt)
	}
	got := e.rec.last("/pay/unifiedorder")
	want := map[string]string{
		"appid": demoAppID, "mch_id": demoMchID, "trade_type": "NATIVE", "product_id": "1415757673",
		"out_trade_no": "1415757673", "total_fee": "101", "spbill_create_ip": "14.23.150.211",
		"notify_url": "https://merchant.test/notify/wechat", "body": "腾讯充值中心-QQ会员充值", "attach": "深圳分店",
		"time_expire": "20261122103000", "sign_type": "", "openid": "",
	}
	for k, v := range want {
		if lookup(got, k) != v {
			t.Errorf("request %s = %q, want %q", k, lookup(got, k), v)
		}
	}
	if n := lookup(got, "nonce_str"); len(n) != 32 {
		t.Errorf("nonce_str %q, want 32 characters", n)
	}
}

func TestPay_JSAPIParamsAreSignedForTheBridge(t *testing.T) {
	for _, st := range []sign.WeChatSignType{sign.WeChatMD5, sign.WeChatHMACSHA256} {
		t.Run(string(st), func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.SignType = st })
			file := "unifiedorder_jsapi.xml"
			if st == sign.WeChatHMACSHA256 {
				file = "unifiedorder_jsapi_hmac.xml"
			}
			e.respond(t, "/pay/unifiedorder", demoKey, st, golden(t, file))
			res, err := e.c.Pay(context.Background(), payReq(channel.MethodJSAPI))
			if err != nil {
				t.Fatal(err)
			}
			req := e.rec.last("/pay/unifiedorder")
			if lookup(req, "openid") != "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" || lookup(req, "trade_type") != "JSAPI" {
				t.Fatalf("request openid/trade_type wrong: %v", req)
			}
			if st == sign.WeChatHMACSHA256 && lookup(req, "sign_type") != "HMAC-SHA256" {
				t.Errorf("request sign_type = %q", lookup(req, "sign_type"))
			}
			a := res.Action
			if a.Kind != channel.ActionJSAPIParams {
				t.Fatalf("action kind %v", a.Kind)
			}
			p := a.Params
			if p["appId"] != demoAppID || p["package"] != "prepay_id=wx201410272009395522657a690389285100" ||
				p["signType"] != string(st) || p["timeStamp"] != strconv.FormatInt(testNow.Unix(), 10) || len(p["nonceStr"]) != 32 {
				t.Fatalf("params = %v", p)
			}
			ps := sign.ParamsFromMap(p)
			ps.Del("paySign") // the bridge signs the five fields, not paySign itself
			if err := sign.WeChatVerify(ps, demoKey, st, p["paySign"]); err != nil {
				t.Fatalf("paySign does not verify: %v", err)
			}
			if len(p) != 6 {
				t.Errorf("params has %d keys, want 6: %v", len(p), p)
			}
			if want := testNow.Add(2 * time.Hour); !a.ExpiresAt.Equal(want) {
				t.Errorf("expires %v, want %v (prepay_id lives 2 h)", a.ExpiresAt, want)
			}
		})
	}
}

func TestPay_AppParamsAreSignedForTheSDK(t *testing.T) {
	e := newEnv(t, nil)
	e.respond(t, "/pay/unifiedorder", demoKey, sign.WeChatMD5, golden(t, "unifiedorder_app.xml"))
	res, err := e.c.Pay(context.Background(), payReq(channel.MethodApp))
	if err != nil {
		t.Fatal(err)
	}
	p := res.Action.Params
	if res.Action.Kind != channel.ActionAppParams || p["appid"] != demoAppID || p["partnerid"] != demoMchID ||
		p["prepayid"] != "wx201410272009395522657a690389285100" || p["package"] != "Sign=WXPay" ||
		p["timestamp"] != strconv.FormatInt(testNow.Unix(), 10) || len(p) != 7 {
		t.Fatalf("params = %v", p)
	}
	if err := sign.WeChatVerify(sign.ParamsFromMap(p), demoKey, sign.WeChatMD5, p["sign"]); err != nil {
		t.Fatalf("sign does not verify: %v", err)
	}
	if lookup(e.rec.last("/pay/unifiedorder"), "openid") != "" {
		t.Error("APP orders must not send openid")
	}
}

func TestPay_H5RedirectsToMwebURLWithReturnURL(t *testing.T) {
	e := newEnv(t, nil)
	e.respond(t, "/pay/unifiedorder", demoKey, sign.WeChatMD5, golden(t, "unifiedorder_mweb.xml"))
	req := payReq(channel.MethodH5)
	req.ReturnURL = "https://shop.test/done?o=1"
	res, err := e.c.Pay(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx2016121516420242444321ca0631331346&package=1405458241&redirect_url=https%3A%2F%2Fshop.test%2Fdone%3Fo%3D1"
	if res.Action.Kind != channel.ActionRedirect || res.Action.URL != want {
		t.Fatalf("action = %+v", res.Action)
	}
	if !res.Action.ExpiresAt.Equal(testNow.Add(5 * time.Minute)) {
		t.Errorf("mweb_url lives 5 min, got %v", res.Action.ExpiresAt)
	}
	sent := e.rec.last("/pay/unifiedorder")
	if lookup(sent, "trade_type") != "MWEB" || !contains(lookup(sent, "scene_info"), `"h5_info"`) {
		t.Errorf("request trade_type %q scene_info %q", lookup(sent, "trade_type"), lookup(sent, "scene_info"))
	}
}

func TestPay_RefusesBadRequestsWithoutCallingWeChat(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(r *channel.PayRequest)
		field string
	}{
		{"web is unsupported", func(r *channel.PayRequest) { r.Method = channel.MethodWeb }, "UNSUPPORTED"},
		{"token is unsupported", func(r *channel.PayRequest) { r.Method = channel.MethodToken }, "UNSUPPORTED"},
		{"jsapi needs openid", func(r *channel.PayRequest) { r.Method = channel.MethodJSAPI; r.PayerID = "" }, "PayerID"},
		{"currency must be CNY", func(r *channel.PayRequest) { r.Amount = money.New(100, money.USD) }, "Amount"},
		{"order number too long", func(r *channel.PayRequest) { r.OrderNo = "123456789012345678901234567890123" }, "OrderNo"},
		{"order number alphabet", func(r *channel.PayRequest) { r.OrderNo = "A B" }, "OrderNo"},
		{"subject required", func(r *channel.PayRequest) { r.Subject = "" }, "Subject"},
		{"client ip required", func(r *channel.PayRequest) { r.ClientIP = "" }, "ClientIP"},
		{"unknown extra refused", func(r *channel.PayRequest) { r.Extra = map[string]string{"foo": "1"} }, "Extra[foo]"},
		{"limit_pay value", func(r *channel.PayRequest) { r.Extra = map[string]string{"limit_pay": "x"} }, "Extra[limit_pay]"},
		{"emoji is not accepted", func(r *channel.PayRequest) { r.Subject = "咖啡☕🍩" }, "body"},
		{"barcode needs auth code", func(r *channel.PayRequest) { r.Method = channel.MethodBarcode }, "AuthCode"},
		{"barcode auth code digits", func(r *channel.PayRequest) { r.Method = channel.MethodBarcode; r.AuthCode = "13x" }, "AuthCode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			req := payReq(channel.MethodQR)
			tc.mod(req)
			_, err := e.c.Pay(context.Background(), req)
			ce := wantErr(t, err, channel.KindInvalidRequest, "", false)
			if !contains(ce.Error(), tc.field) {
				t.Errorf("error %q does not name %q", ce.Error(), tc.field)
			}
			if n := e.mt.GetTotalCallCount(); n != 0 {
				t.Errorf("%d calls made", n)
			}
		})
	}
}

func TestPay_NeedsANotifyURL(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.NotifyURL = "" })
	_, err := e.c.Pay(context.Background(), payReq(channel.MethodQR))
	wantErr(t, err, channel.KindInvalidRequest, "INVALID_FIELD", false)
}

func TestPay_BusinessErrorsOfUnifiedOrder(t *testing.T) {
	tests := []struct {
		file string
		kind channel.Kind
		code string
	}{
		{"unifiedorder_orderpaid.xml", channel.KindAlreadyDone, "ORDERPAID"},
		{"unifiedorder_duplicate.xml", channel.KindInvalidRequest, "INVALID_REQUEST"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			e := newEnv(t, nil)
			e.respond(t, "/pay/unifiedorder", demoKey, sign.WeChatMD5, golden(t, tc.file))
			_, err := e.c.Pay(context.Background(), payReq(channel.MethodQR))
			wantErr(t, err, tc.kind, tc.code, false)
		})
	}
}

func TestPay_MicropayOutcomes(t *testing.T) {
	e := newEnv(t, nil)
	req := payReq(channel.MethodBarcode)
	req.AuthCode = "134567890123456789"
	req.OrderNo = "MP20140903131540"
	req.Amount = money.Fen(888)

	e.respond(t, "/pay/micropay", demoKey, sign.WeChatMD5, golden(t, "micropay_success.xml"))
	res, err := e.c.Pay(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	paid := time.Date(2014, 9, 3, 13, 15, 40, 0, time.FixedZone("UTC+8", 8*3600))
	if res.Status != channel.StatusSucceeded || res.ChannelTxnID != "4200000925202101284997714292" ||
		res.Amount != money.Fen(888) || res.PaidAmount != money.Fen(880) || !res.PaidAt.Equal(paid) ||
		res.PayerID != "oUpF8uN95-Ptaags6E_roPHg7AG0" || res.BankType != "CFT" || res.Attach != "订单额外描述" {
		t.Fatalf("result = %+v", res)
	}
	sent := e.rec.last("/pay/micropay")
	if lookup(sent, "auth_code") != "134567890123456789" || lookup(sent, "notify_url") != "" || lookup(sent, "trade_type") != "" {
		t.Errorf("micropay request: %v", sent)
	}

	e.respond(t, "/pay/micropay", demoKey, sign.WeChatMD5, golden(t, "micropay_userpaying.xml"))
	res, err = e.c.Pay(context.Background(), req)
	if err != nil || res.Status != channel.StatusProcessing || res.ChannelStatus != "USERPAYING" || res.OrderNo != req.OrderNo {
		t.Fatalf("USERPAYING: %+v, %v; want Processing and no error", res, err)
	}

	e.respond(t, "/pay/micropay", demoKey, sign.WeChatMD5, golden(t, "micropay_systemerror.xml"))
	_, err = e.c.Pay(context.Background(), req)
	wantErr(t, err, channel.KindUnknown, "SYSTEMERROR", false)

	e.respond(t, "/pay/micropay", demoKey, sign.WeChatMD5, golden(t, "micropay_authcode_invalid.xml"))
	_, err = e.c.Pay(context.Background(), req)
	ce := wantErr(t, err, channel.KindDeclined, "AUTH_CODE_INVALID", false)
	if ce.Message != "101 付款码已过期,请退出重试" {
		t.Errorf("message %q", ce.Message)
	}
}
