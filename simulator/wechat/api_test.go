package wechat

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
)

func TestUnifiedOrder_NativeResponseMatchesGolden(t *testing.T) {
	e := newEnv(t, Config{})
	status, ct, body := e.raw(http.MethodPost, "/pay/unifiedorder",
		buildXML(signed(nativeOrder("T20240603001", "1"), DemoKey, sign.WeChatMD5), false))
	if status != 200 || !strings.HasPrefix(ct, "text/xml") {
		t.Fatalf("status %d, content type %q", status, ct)
	}
	m := mustVerify(t, body, DemoKey, sign.WeChatMD5)
	wantFields(t, m, map[string]string{"return_code": "SUCCESS", "result_code": "SUCCESS", "trade_type": "NATIVE",
		"appid": DemoAppID, "mch_id": DemoMchID})
	if !strings.HasPrefix(m["prepay_id"], "wx20240603100000") || len(m["prepay_id"]) != 36 {
		t.Errorf("prepay_id %q", m["prepay_id"])
	}
	if !strings.HasPrefix(m["code_url"], "weixin://wxpay/bizpayurl?pr=") {
		t.Errorf("code_url %q", m["code_url"])
	}
	golden(t, "unifiedorder_native.xml", body)
}

func TestUnifiedOrder_HMACRequestGetsHMACSignedResponse(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.callWith("/pay/unifiedorder", nativeOrder("T-HMAC-1", "100"), DemoKey, sign.WeChatHMACSHA256)
	if m["result_code"] != "SUCCESS" || len(m["sign"]) != 64 {
		t.Fatalf("got %v", m)
	}
}

func TestUnifiedOrder_PlainTextValuesAccepted(t *testing.T) {
	e := newEnv(t, Config{})
	p := nativeOrder("T-PLAIN-1", "100")
	p.Set("attach", `a&b<c>"d'`)
	status, _, body := e.raw(http.MethodPost, "/pay/unifiedorder", buildXML(signed(p, DemoKey, sign.WeChatMD5), true))
	m := mustVerify(t, body, DemoKey, sign.WeChatMD5)
	if status != 200 || m["result_code"] != "SUCCESS" {
		t.Fatalf("got %d %v", status, m)
	}
	q := e.call("/pay/orderquery", params("out_trade_no", "T-PLAIN-1"))
	if q["attach"] != `a&b<c>"d'` {
		t.Errorf("attach echoed as %q", q["attach"])
	}
}

func TestRequestValidation_CommunicationErrors(t *testing.T) {
	e := newEnv(t, Config{})
	good := signed(nativeOrder("T-V-1", "1"), DemoKey, sign.WeChatMD5)
	badSign := good.Clone()
	badSign.Set("sign", strings.Repeat("0", 32))
	tampered := good.Clone()
	tampered.Set("total_fee", "2")
	wrongMch := nativeOrder("T-V-2", "1")
	wrongMch = append(params("appid", DemoAppID, "mch_id", "19999999", "nonce_str", "n1"), wrongMch...)
	s, _ := sign.WeChatSign(wrongMch, DemoKey, sign.WeChatMD5)
	wrongMch.Set("sign", s)
	wrongApp := good.Clone()
	wrongApp.Set("appid", "wx0000000000000000")
	noNonce := good.Clone()
	noNonce.Del("nonce_str")
	badType := good.Clone()
	badType.Set("sign_type", "SHA1")

	tests := []struct {
		name   string
		method string
		body   []byte
		msg    string
	}{
		{"bad sign", "POST", buildXML(badSign, false), "签名错误"},
		{"tampered field", "POST", buildXML(tampered, false), "签名错误"},
		{"unknown mch_id", "POST", buildXML(wrongMch, false), "mch_id不存在"},
		{"appid not bound", "POST", buildXML(wrongApp, false), "appid不存在"},
		{"missing nonce_str", "POST", buildXML(noNonce, false), "nonce_str参数格式错误"},
		{"unknown sign_type", "POST", buildXML(badType, false), "sign_type参数格式错误"},
		{"GET", "GET", nil, "请使用post方法"},
		{"empty body", "POST", nil, "post数据为空"},
		{"not xml", "POST", []byte("appid=1&mch_id=2"), "XML格式错误"},
		{"doctype", "POST", []byte(`<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><appid>&x;</appid></xml>`), "XML格式错误"},
		{"wrong root", "POST", []byte("<root><a>1</a></root>"), "XML格式错误"},
		{"nested", "POST", []byte("<xml><a><b>1</b></a></xml>"), "XML格式错误"},
		{"gbk declared", "POST", []byte(`<?xml version="1.0" encoding="GBK"?><xml><a>1</a></xml>`), "编码格式错误"},
		{"emoji", "POST", buildXML(params("appid", DemoAppID, "body", "pay \U0001F600"), false), "编码格式错误"},
		{"invalid utf8", "POST", []byte("<xml><body>\xff\xfe</body></xml>"), "编码格式错误"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := e.raw(tt.method, "/pay/unifiedorder", tt.body)
			_, m := parseResp(t, body)
			if status != 200 || m["return_code"] != "FAIL" || m["return_msg"] != tt.msg || m["sign"] != "" {
				t.Fatalf("got %d %s, want FAIL %q unsigned", status, body, tt.msg)
			}
		})
	}
}

func TestUnifiedOrder_BusinessValidation(t *testing.T) {
	e := newEnv(t, Config{})
	jsapiNoOpenID := nativeOrder("T-B-1", "1")
	jsapiNoOpenID.Set("trade_type", "JSAPI")
	zero := nativeOrder("T-B-2", "0")
	decimal := nativeOrder("T-B-3", "1.00")
	noBody := nativeOrder("T-B-4", "1")
	noBody.Del("body")
	badIP := nativeOrder("T-B-5", "1")
	badIP.Set("spbill_create_ip", "localhost")
	badType := nativeOrder("T-B-6", "1")
	badType.Set("trade_type", "MICROPAY")
	shortExpiry := nativeOrder("T-B-7", "1")
	shortExpiry.Set("time_expire", "20240603100200")
	tests := []struct {
		name       string
		p          sign.Params
		returnCode string
		want       string // return_msg for FAIL, err_code for result FAIL
	}{
		{"JSAPI without openid", jsapiNoOpenID, "FAIL", "JSAPI支付必须传openid"},
		{"zero total_fee", zero, "FAIL", "invalid total_fee"},
		{"decimal total_fee", decimal, "FAIL", "invalid total_fee"},
		{"missing body", noBody, "SUCCESS", "LACK_PARAMS"},
		{"bad ip", badIP, "FAIL", "invalid spbill_create_ip"},
		{"MICROPAY is not a unified order type", badType, "FAIL", "invalid trade_type"},
		{"time_expire under 5 minutes", shortExpiry, "SUCCESS", "INVALID_REQUEST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := e.call("/pay/unifiedorder", tt.p)
			if m["return_code"] != tt.returnCode {
				t.Fatalf("got %v", m)
			}
			if tt.returnCode == "FAIL" && m["return_msg"] != tt.want || tt.returnCode == "SUCCESS" && (m["result_code"] != "FAIL" || m["err_code"] != tt.want) {
				t.Fatalf("got %v, want %s", m, tt.want)
			}
		})
	}
}

func TestUnifiedOrder_SameNumberSameContentReusesPrepay_ChangedContentIs201(t *testing.T) {
	e := newEnv(t, Config{})
	first := e.call("/pay/unifiedorder", nativeOrder("T-DUP-1", "100"))
	again := e.call("/pay/unifiedorder", nativeOrder("T-DUP-1", "100"))
	if first["prepay_id"] == "" || again["prepay_id"] != first["prepay_id"] || again["code_url"] != first["code_url"] {
		t.Fatalf("retry gave a different prepay: %v vs %v", first, again)
	}
	changed := e.call("/pay/unifiedorder", nativeOrder("T-DUP-1", "101"))
	wantFields(t, changed, map[string]string{"result_code": "FAIL", "err_code": "INVALID_REQUEST", "err_code_des": "201 商户订单号重复"})
}

func TestOrderLifecycle_PayQueryNotifyAndClose(t *testing.T) {
	e := newEnv(t, Config{})
	e.call("/pay/unifiedorder", nativeOrder("T-LIFE-1", "888"))
	q := e.call("/pay/orderquery", params("out_trade_no", "T-LIFE-1"))
	wantFields(t, q, map[string]string{"trade_state": "NOTPAY", "trade_state_desc": "订单未支付", "total_fee": "888"})
	if _, has := q["transaction_id"]; has {
		t.Errorf("unpaid order has a transaction_id: %v", q)
	}
	e.advance(61e9)
	out := e.pay("T-LIFE-1")
	if out.State != "SUCCESS" || len(out.ChannelTxnID) != 28 || !strings.HasPrefix(out.ChannelTxnID, "42000") {
		t.Fatalf("pay outcome %+v", out)
	}
	q = e.call("/pay/orderquery", params("transaction_id", out.ChannelTxnID))
	wantFields(t, q, map[string]string{"trade_state": "SUCCESS", "out_trade_no": "T-LIFE-1", "total_fee": "888",
		"cash_fee": "888", "time_end": "20240603100101", "trade_type": "NATIVE", "bank_type": "OTHERS"})
	got := e.sink.all()
	if len(got) != 1 {
		t.Fatalf("%d notifications, want 1", len(got))
	}
	np, nm := parseResp(t, got[0].body)
	if _, has := nm["sign_type"]; has {
		t.Errorf("payment notification carries sign_type")
	}
	if err := sign.WeChatVerify(np, DemoKey, sign.WeChatMD5, nm["sign"]); err != nil {
		t.Errorf("notification signature: %v", err)
	}
	wantFields(t, nm, map[string]string{"transaction_id": out.ChannelTxnID, "total_fee": "888", "result_code": "SUCCESS"})

	wantFields(t, e.call("/pay/unifiedorder", nativeOrder("T-LIFE-1", "888")), map[string]string{"err_code": "ORDERPAID"})
	wantFields(t, e.call("/pay/closeorder", params("out_trade_no", "T-LIFE-1")), map[string]string{"err_code": "ORDERPAID"})
	if _, err := e.ts.Pay(t.Context(), simulator.PayerAction{Channel: Name, OutTradeNo: "T-LIFE-1"}); err == nil {
		t.Errorf("paying a paid order twice succeeded")
	}
}

func TestCloseOrder_States(t *testing.T) {
	e := newEnv(t, Config{})
	e.call("/pay/unifiedorder", nativeOrder("T-CLOSE-1", "1"))
	c := e.call("/pay/closeorder", params("out_trade_no", "T-CLOSE-1"))
	wantFields(t, c, map[string]string{"return_code": "SUCCESS", "result_code": "SUCCESS"})
	if _, has := c["result_msg"]; has {
		t.Errorf("closeorder response has result_msg (breaks gopay struct verification)")
	}
	wantFields(t, e.call("/pay/orderquery", params("out_trade_no", "T-CLOSE-1")), map[string]string{"trade_state": "CLOSED"})
	wantFields(t, e.call("/pay/closeorder", params("out_trade_no", "T-CLOSE-1")), map[string]string{"err_code": "ORDERCLOSED"})
	wantFields(t, e.call("/pay/closeorder", params("out_trade_no", "NOPE")), map[string]string{"err_code": "ORDERNOTEXIST"})
	wantFields(t, e.call("/pay/orderquery", params("out_trade_no", "NOPE")), map[string]string{"err_code": "ORDERNOTEXIST"})
	wantFields(t, e.call("/pay/unifiedorder", nativeOrder("T-CLOSE-1", "1")), map[string]string{"err_code": "ORDERCLOSED"})
	if _, err := e.ts.Pay(t.Context(), simulator.PayerAction{Channel: Name, OutTradeNo: "T-CLOSE-1"}); err == nil {
		t.Errorf("a closed order was paid")
	}
}

func TestOrder_ExpiresToClosed(t *testing.T) {
	e := newEnv(t, Config{})
	p := nativeOrder("T-EXP-1", "1")
	p.Set("time_expire", "20240603101000")
	wantFields(t, e.call("/pay/unifiedorder", p), map[string]string{"result_code": "SUCCESS"})
	e.advance(10 * 60e9)
	wantFields(t, e.call("/pay/orderquery", params("out_trade_no", "T-EXP-1")), map[string]string{"trade_state": "CLOSED"})
}

func micropayReq(outTradeNo, fee string) sign.Params {
	return params("body", "store-pos", "out_trade_no", outTradeNo, "total_fee", fee,
		"spbill_create_ip", "203.0.113.9", "auth_code", "134567890123456789", "device_info", "POS-1")
}

func TestMicropay_PaidAtOnce_UserPayingAboveThreshold_Reverse(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.call("/pay/micropay", micropayReq("M-1", "100"))
	wantFields(t, m, map[string]string{"result_code": "SUCCESS", "trade_type": "MICROPAY", "total_fee": "100",
		"device_info": "POS-1", "time_end": "20240603100000"})
	wantFields(t, e.call("/pay/micropay", micropayReq("M-1", "100")), map[string]string{"err_code": "ORDERPAID"})
	wantFields(t, e.call("/pay/micropay", micropayReq("M-1", "200")), map[string]string{"err_code": "INVALID_REQUEST"})

	bad := micropayReq("M-2", "100")
	bad.Set("auth_code", "999")
	wantFields(t, e.call("/pay/micropay", bad), map[string]string{"err_code": "AUTH_CODE_INVALID"})

	wantFields(t, e.call("/pay/micropay", micropayReq("M-3", "100001")), map[string]string{"err_code": "USERPAYING"})
	wantFields(t, e.call("/pay/orderquery", params("out_trade_no", "M-3")), map[string]string{"trade_state": "USERPAYING"})
	e.advance(20e9)
	e.pay("M-3")
	wantFields(t, e.call("/pay/orderquery", params("out_trade_no", "M-3")), map[string]string{"trade_state": "SUCCESS", "time_end": "20240603100020"})

	wantFields(t, e.call("/secapi/pay/reverse", params("out_trade_no", "M-3")), map[string]string{"result_code": "SUCCESS", "recall": "N"})
	wantFields(t, e.call("/pay/orderquery", params("out_trade_no", "M-3")), map[string]string{"trade_state": "REVOKED"})
	wantFields(t, e.call("/secapi/pay/reverse", params("out_trade_no", "M-3")), map[string]string{"result_code": "SUCCESS", "recall": "N"})

	e.call("/pay/unifiedorder", nativeOrder("T-NOTBAR", "1"))
	wantFields(t, e.call("/secapi/pay/reverse", params("out_trade_no", "T-NOTBAR")), map[string]string{"err_code": "TRADE_ERROR"})
	if n := len(e.sink.all()); n != 0 {
		t.Errorf("barcode payments sent %d notifications, want none (§6.4)", n)
	}
}

func TestMicropay_PayerCancelLeavesPayError(t *testing.T) {
	e := newEnv(t, Config{PasswordThreshold: 10})
	wantFields(t, e.call("/pay/micropay", micropayReq("M-C-1", "11")), map[string]string{"err_code": "USERPAYING"})
	if _, err := e.ts.Cancel(t.Context(), simulator.PayerAction{Channel: Name, OutTradeNo: "M-C-1"}); err != nil {
		t.Fatal(err)
	}
	wantFields(t, e.call("/pay/orderquery", params("out_trade_no", "M-C-1")), map[string]string{"trade_state": "PAYERROR"})
}

func TestSandbox_GetSignKeyThenSandboxCalls(t *testing.T) {
	e := newEnv(t, Config{})
	// Before the key exists, sandbox calls fail.
	m := e.call("/sandboxnew/pay/unifiedorder", nativeOrder("S-1", "101"))
	if m["return_code"] != "FAIL" {
		t.Fatalf("sandbox call without sign key: %v", m)
	}
	p := params("mch_id", DemoMchID, "nonce_str", "abc")
	s, _ := sign.WeChatSign(p, DemoKey, sign.WeChatMD5)
	p.Set("sign", s)
	_, _, body := e.raw("POST", "/sandboxnew/pay/getsignkey", buildXML(p, false))
	_, k := parseResp(t, body)
	if k["return_code"] != "SUCCESS" || len(k["sandbox_signkey"]) != 32 {
		t.Fatalf("getsignkey: %s", body)
	}
	key := k["sandbox_signkey"]
	wantFields(t, e.callWith("/sandboxnew/pay/unifiedorder", nativeOrder("S-1", "101"), key, sign.WeChatMD5), map[string]string{"result_code": "SUCCESS"})
	// Sandbox orders are separate from production ones.
	wantFields(t, e.call("/pay/orderquery", params("out_trade_no", "S-1")), map[string]string{"err_code": "ORDERNOTEXIST"})
	wantFields(t, e.callWith("/sandboxnew/pay/micropay", micropayReq("S-2", "1"), key, sign.WeChatMD5), map[string]string{"result_code": "SUCCESS"})
	for _, path := range []string{"/sandboxnew/pay/refund", "/sandboxnew/secapi/pay/refund"} {
		r := e.callWith(path, params("out_trade_no", "S-2", "out_refund_no", "SR-1", "total_fee", "1", "refund_fee", "1"), key, sign.WeChatMD5)
		wantFields(t, r, map[string]string{"result_code": "SUCCESS", "out_refund_no": "SR-1"})
	}
}

func TestBusinessFaults_MappedToWeChatCodes(t *testing.T) {
	e := newEnv(t, Config{})
	if _, err := e.ts.AddFault(simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Channel: Name, Op: OpUnifiedOrder,
		Code: simulator.CodeSystemError, First: 1}); err != nil {
		t.Fatal(err)
	}
	wantFields(t, e.call("/pay/unifiedorder", nativeOrder("F-1", "1")), map[string]string{"result_code": "FAIL", "err_code": "SYSTEMERROR"})
	wantFields(t, e.call("/pay/orderquery", params("out_trade_no", "F-1")), map[string]string{"err_code": "ORDERNOTEXIST"})

	if _, err := e.ts.AddFault(simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Channel: Name, Op: OpUnifiedOrder,
		Code: simulator.CodeSystemError, Process: true, First: 1}); err != nil {
		t.Fatal(err)
	}
	wantFields(t, e.call("/pay/unifiedorder", nativeOrder("F-2", "1")), map[string]string{"err_code": "SYSTEMERROR"})
	wantFields(t, e.call("/pay/orderquery", params("out_trade_no", "F-2")), map[string]string{"trade_state": "NOTPAY"})

	if _, err := e.ts.AddFault(simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Channel: Name, Op: OpMicropay,
		Code: simulator.CodeUserPaying, First: 1}); err != nil {
		t.Fatal(err)
	}
	wantFields(t, e.call("/pay/micropay", micropayReq("F-3", "1")), map[string]string{"err_code": "USERPAYING"})
	wantFields(t, e.call("/pay/orderquery", params("out_trade_no", "F-3")), map[string]string{"trade_state": "USERPAYING"})
}

func TestBadSignatureFault_ResponseDoesNotVerify(t *testing.T) {
	e := newEnv(t, Config{})
	if _, err := e.ts.AddFault(simulator.FaultPlan{Kind: simulator.FaultBadSignature, Channel: Name, Op: OpOrderQuery}); err != nil {
		t.Fatal(err)
	}
	e.call("/pay/unifiedorder", nativeOrder("BS-1", "1"))
	_, _, body := e.raw("POST", "/pay/orderquery", buildXML(signed(params("out_trade_no", "BS-1"), DemoKey, sign.WeChatMD5), false))
	p, m := parseResp(t, body)
	if m["return_code"] != "SUCCESS" || len(m["sign"]) != 32 {
		t.Fatalf("got %s", body)
	}
	if sign.WeChatVerify(p, DemoKey, sign.WeChatMD5, m["sign"]) == nil {
		t.Fatalf("corrupted response still verifies")
	}
}

func TestResponses_NeverContainHTML(t *testing.T) {
	e := newEnv(t, Config{})
	p := nativeOrder("H-1", "1")
	p.Set("attach", "<html><HTML>]]>")
	_, _, ub := e.raw("POST", "/pay/unifiedorder", buildXML(signed(p, DemoKey, sign.WeChatMD5), true))
	wantFields(t, mustVerify(t, ub, DemoKey, sign.WeChatMD5), map[string]string{"result_code": "SUCCESS"})
	_, _, body := e.raw("POST", "/pay/orderquery", buildXML(signed(params("out_trade_no", "H-1"), DemoKey, sign.WeChatMD5), false))
	if strings.Contains(string(body), "<html") || strings.Contains(string(body), "<HTML") {
		t.Fatalf("response contains <html: %s", body)
	}
	if m := mustVerify(t, body, DemoKey, sign.WeChatMD5); m["attach"] != "<html><HTML>]]>" {
		t.Fatalf("attach = %q", m["attach"])
	}
}

func TestMerchants_AddFromJSONAndAppIDMismatch(t *testing.T) {
	e := newEnv(t, Config{})
	id, err := e.w.AddMerchant([]byte(`{"channel":"wechat","mch_id":"1900000109","appids":["wx2421b1c4370ec43b"],"key":"` +
		strings.Repeat("k", 32) + `","fee_rate":"0.38%","legacy_bill":true}`))
	if err != nil || id != "1900000109" {
		t.Fatalf("AddMerchant: %q %v", id, err)
	}
	for _, bad := range []string{`{"mch_id":"1","appids":["wx1"],"key":"short"}`, `{"mch_id":"1","appids":[],"key":"` + strings.Repeat("k", 32) + `"}`,
		`{"mch_id":"1","appids":["wx1"],"key":"` + strings.Repeat("k", 32) + `","fee_rate":"0.6"}`, `{"mch_id":"1","unknown":1}`, `[`,
		`{"mch_id":"1","appids":["wx1"],"key":"` + strings.Repeat("k", 32) + `","refund_notify_url":"file:///etc/passwd"}`} {
		if _, err := e.w.AddMerchant([]byte(bad)); err == nil {
			t.Errorf("AddMerchant(%s) accepted", bad)
		}
	}
	ms := e.w.Merchants()
	if len(ms) != 2 || ms[1].(Merchant).FeeRate != "0.38%" {
		t.Fatalf("Merchants() = %+v", ms)
	}
	// The new merchant's appid with the demo mch_id: appid and mch_id do not match.
	p := nativeOrder("AM-1", "1")
	q := append(params("appid", "wx2421b1c4370ec43b", "mch_id", DemoMchID, "nonce_str", "n"), p...)
	s, _ := sign.WeChatSign(q, DemoKey, sign.WeChatMD5)
	q.Set("sign", s)
	_, _, body := e.raw("POST", "/pay/unifiedorder", buildXML(q, false))
	_, m := parseResp(t, body)
	wantFields(t, m, map[string]string{"return_code": "FAIL", "return_msg": "appid和mch_id不匹配"})

	e.w.Reset()
	if n := len(e.w.Merchants()); n != 1 {
		t.Errorf("after Reset %d merchants, want the demo merchant only", n)
	}
}

func TestUnifiedOrder_PrepayRenewedAfterTwoHours(t *testing.T) {
	e := newEnv(t, Config{})
	first := e.call("/pay/unifiedorder", nativeOrder("PP-1", "1"))
	e.advance(2*time.Hour + time.Second)
	again := e.call("/pay/unifiedorder", nativeOrder("PP-1", "1"))
	if again["result_code"] != "SUCCESS" || again["prepay_id"] == first["prepay_id"] {
		t.Fatalf("prepay not renewed after 2h: %v -> %v", first["prepay_id"], again["prepay_id"])
	}
}

func TestAuthCodeToOpenID_SamePayerAsMicropay(t *testing.T) {
	e := newEnv(t, Config{})
	a := e.call("/tools/authcodetoopenid", params("auth_code", "134567890123456789"))
	if a["result_code"] != "SUCCESS" || len(a["openid"]) != 28 || a["openid"][0] != 'o' {
		t.Fatalf("authcodetoopenid: %v", a)
	}
	m := e.call("/pay/micropay", micropayReq("AC-1", "1"))
	if m["openid"] != a["openid"] {
		t.Errorf("micropay openid %q, authcodetoopenid %q", m["openid"], a["openid"])
	}
	wantFields(t, e.call("/tools/authcodetoopenid", params("auth_code", "12")), map[string]string{"err_code": "AUTH_CODE_INVALID"})
}

func TestReport_AcceptedUnsigned(t *testing.T) {
	e := newEnv(t, Config{})
	rep := params("interface_url", "https://api.mch.weixin.qq.com/pay/unifiedorder",
		"execute_time", "1000", "return_code", "SUCCESS", "return_msg", "OK", "result_code", "SUCCESS", "user_ip", "203.0.113.7")
	_, _, body := e.raw("POST", "/payitil/report", buildXML(signed(rep, DemoKey, sign.WeChatMD5), false))
	_, m := parseResp(t, body)
	wantFields(t, m, map[string]string{"return_code": "SUCCESS", "result_code": "SUCCESS"})
	if m["sign"] != "" {
		t.Errorf("report answer is signed: %v", m)
	}
	if m := e.call("/payitil/report", params("interface_url", "x")); m["return_code"] != "FAIL" {
		t.Errorf("incomplete report accepted: %v", m)
	}
}

func TestNewSandbox_KeyPathPrefixAndNegativeTestHeader(t *testing.T) {
	e := newEnv(t, Config{})
	p := params("mch_id", DemoMchID, "nonce_str", "abc")
	s, _ := sign.WeChatSign(p, DemoKey, sign.WeChatMD5)
	p.Set("sign", s)
	_, _, body := e.raw("POST", "/xdc/apiv2getsignkey/sign/getsignkey", buildXML(p, false))
	_, k := parseResp(t, body)
	key := k["sandbox_signkey"]
	if len(key) != 32 {
		t.Fatalf("getsignkey: %s", body)
	}
	wantFields(t, e.callWith("/xdc/apiv2sandbox/pay/micropay", micropayReq("XS-1", "1"), key, sign.WeChatMD5),
		map[string]string{"result_code": "SUCCESS"})
	// Unified order is not served by the new sandbox (§12).
	if status, _, _ := e.raw("POST", "/xdc/apiv2sandbox/pay/unifiedorder", nil); status != http.StatusNotFound {
		t.Errorf("new-sandbox unified order answered %d", status)
	}
	req, _ := http.NewRequest("POST", "http://api.mch.weixin.qq.com/xdc/apiv2sandbox/pay/micropay",
		strings.NewReader(string(buildXML(signed(micropayReq("XS-2", "1"), key, sign.WeChatMD5), false))))
	req.Header.Set("Wechatpay-Negative-Test", "SYSTEMERROR")
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	wantFields(t, mustVerify(t, b, key, sign.WeChatMD5), map[string]string{"result_code": "FAIL", "err_code": "SYSTEMERROR"})
}

func TestUnifiedOrder_NotifyURLMustBeHTTP(t *testing.T) {
	for _, u := range []string{"file:///etc/passwd", "gopher://m.test/x", "http://user:pw@m.test/n", "/notify"} {
		t.Run(u, func(t *testing.T) {
			e := newEnv(t, Config{})
			p := nativeOrder("NU-1", "1")
			p.Set("notify_url", u)
			wantFields(t, e.call("/pay/unifiedorder", p), map[string]string{"return_code": "FAIL", "return_msg": "notify_url参数格式错误"})
			wantFields(t, e.call("/pay/orderquery", params("out_trade_no", "NU-1")), map[string]string{"err_code": "ORDERNOTEXIST"})
		})
	}
}

func TestBodyOverTheEngineLimit_AnsweredInWeChatsFormat(t *testing.T) {
	e := newEnv(t, Config{})
	st, ct, body := e.raw(http.MethodPost, "/pay/unifiedorder", bytes.Repeat([]byte("<xml>"), 1<<19)) // 2.5 MiB
	_, m := parseResp(t, body)
	if st != 200 || !strings.Contains(ct, "xml") || m["return_code"] != "FAIL" || m["return_msg"] == "" {
		t.Fatalf("got %d %s %q; want WeChat's FAIL answer", st, ct, body)
	}
}
