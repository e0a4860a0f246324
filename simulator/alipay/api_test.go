package alipay_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/simulator/alipay"
)

func TestPrecreate_TradeInvisibleUntilScanThenPaid(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	biz := `{"out_trade_no":"Q1","total_amount":"88.88","subject":"iPhone & <case>"}`
	r := e.call("alipay.trade.precreate", biz, map[string]string{"notify_url": "http://merchant.test/notify"})
	want(t, r, "code", "10000", "msg", "Success", "out_trade_no", "Q1")
	if !strings.HasPrefix(r.s("qr_code"), "https://qr.alipay.com/bax") {
		t.Errorf("qr_code = %q", r.s("qr_code"))
	}
	// §9.2: not visible to query or close before the scan.
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"Q1"}`, nil), "code", "40004", "sub_code", "ACQ.TRADE_NOT_EXIST", "receipt_amount", "0.00")
	want(t, e.call("alipay.trade.close", `{"out_trade_no":"Q1"}`, nil), "sub_code", "ACQ.TRADE_NOT_EXIST")
	// Same number, other amount: CONTEXT_INCONSISTENT; same params: the same QR code.
	want(t, e.call("alipay.trade.precreate", `{"out_trade_no":"Q1","total_amount":"1.00","subject":"x"}`, nil), "sub_code", "ACQ.CONTEXT_INCONSISTENT")
	want(t, e.call("alipay.trade.precreate", biz, nil), "code", "10000", "qr_code", r.s("qr_code"))

	e.payer("pay", "Q1", map[string]string{"scan_only": "true"})
	q := e.call("alipay.trade.query", `{"out_trade_no":"Q1"}`, nil)
	want(t, q, "code", "10000", "trade_status", "WAIT_BUYER_PAY", "total_amount", "88.88", "receipt_amount", "0.00")
	if len(q.s("trade_no")) != 28 {
		t.Errorf("trade_no %q: want 28 digits", q.s("trade_no"))
	}
	e.payer("pay", "Q1", nil)
	q = e.call("alipay.trade.query", `{"trade_no":"`+q.s("trade_no")+`"}`, nil)
	want(t, q, "trade_status", "TRADE_SUCCESS", "receipt_amount", "88.88", "buyer_pay_amount", "88.88", "send_pay_date", "2024-06-03 10:00:00")
	want(t, e.call("alipay.trade.close", `{"out_trade_no":"Q1"}`, nil), "sub_code", "ACQ.TRADE_STATUS_ERROR")
	want(t, e.call("alipay.trade.precreate", biz, nil), "sub_code", "ACQ.TRADE_HAS_SUCCESS")

	ns := e.sink.all()
	if len(ns) != 1 {
		t.Fatalf("%d notifications, want 1", len(ns))
	}
	n := ns[0]
	if err := e.verifyNotify(n); err != nil {
		t.Errorf("notification signature: %v", err)
	}
	for k, v := range map[string]string{"trade_status": "TRADE_SUCCESS", "total_amount": "88.88", "out_trade_no": "Q1",
		"seller_id": alipay.DemoPID, "app_id": alipay.DemoAppID, "notify_type": "trade_status_sync", "sign_type": "RSA2",
		"fund_bill_list": `[{"amount":"88.88","fundChannel":"ALIPAYACCOUNT"}]`, "subject": "iPhone & <case>"} {
		if n.Get(k) != v {
			t.Errorf("notification %s = %q, want %q", k, n.Get(k), v)
		}
	}
	for k, v := range n {
		if len(v) != 1 || v[0] == "" {
			t.Errorf("notification member %s = %q: want one non-empty value", k, v)
		}
	}
	if _, ok := n["alipay_cert_sn"]; ok {
		t.Error("key-mode notification carries alipay_cert_sn")
	}
}

func TestGateway_Errors(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	tests := []struct {
		name        string
		method, biz string
		extra       map[string]string
		code, sub   string
		signed      bool
	}{
		{"missing method", "", `{}`, map[string]string{"method": ""}, "40001", "isv.missing-method", false},
		{"unknown method", "alipay.trade.nothing", `{}`, nil, "40002", "isv.invalid-method", false},
		{"unknown app is unsigned", "alipay.trade.query", `{"out_trade_no":"X"}`, map[string]string{"app_id": "2021999999999999"}, "40002", "isv.invalid-app-id", false},
		{"missing app", "alipay.trade.query", `{"out_trade_no":"X"}`, map[string]string{"app_id": ""}, "40001", "isv.missing-app-id", false},
		{"missing sign", "alipay.trade.query", `{"out_trade_no":"X"}`, map[string]string{"sign": ""}, "40001", "isv.missing-signature", true},
		{"bad sign", "alipay.trade.query", `{"out_trade_no":"X"}`, map[string]string{"sign": "AAAA"}, "40002", "isv.invalid-signature", true},
		{"missing sign_type", "alipay.trade.query", `{"out_trade_no":"X"}`, map[string]string{"sign_type": ""}, "40001", "isv.missing-signature-type", true},
		{"RSA1 sign_type", "alipay.trade.query", `{"out_trade_no":"X"}`, map[string]string{"sign_type": "RSA"}, "40002", "isv.invalid-signature-type", true},
		{"xml format", "alipay.trade.query", `{"out_trade_no":"X"}`, map[string]string{"format": "XML"}, "40002", "isv.invalid-format", true},
		{"missing timestamp", "alipay.trade.query", `{"out_trade_no":"X"}`, map[string]string{"timestamp": ""}, "40001", "isv.missing-timestamp", true},
		{"biz not json", "alipay.trade.query", `{nope`, nil, "40002", "isv.invalid-parameter", true},
		{"not found", "alipay.trade.query", `{"out_trade_no":"X"}`, nil, "40004", "ACQ.TRADE_NOT_EXIST", true},
		{"bad amount", "alipay.trade.precreate", `{"out_trade_no":"X","total_amount":"1.001","subject":"s"}`, nil, "40004", "ACQ.INVALID_PARAMETER", true},
		{"bad auth code", "alipay.trade.pay", `{"out_trade_no":"X","total_amount":"1.00","subject":"s","scene":"bar_code","auth_code":"123"}`, nil, "40004", "ACQ.PAYMENT_AUTH_CODE_INVALID", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.method
			if m == "" {
				m = "alipay.trade.query"
			}
			r := e.call(m, tc.biz, tc.extra)
			want(t, r, "code", tc.code, "sub_code", tc.sub)
			if (r.sign != "") != tc.signed {
				t.Errorf("signed = %v, want %v: %s", r.sign != "", tc.signed, r.raw)
			}
		})
	}
	// §4: the invalid-signature sub_msg quotes the verify string.
	r := e.call("alipay.trade.query", `{"out_trade_no":"X"}`, map[string]string{"sign": "AAAA"})
	if !strings.Contains(r.s("sub_msg"), `app_id=2021000000000001&biz_content={"out_trade_no":"X"}&charset=utf-8&format=JSON&method=alipay.trade.query&sign_type=RSA2&timestamp=2024-06-03 10:00:00&version=1.0`) {
		t.Errorf("sub_msg does not quote the verify string: %s", r.s("sub_msg"))
	}
}

func TestBarcodePay_PaidOrWaitingThenCancel(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	r := e.call("alipay.trade.pay", `{"out_trade_no":"B1","total_amount":"10.00","subject":"s","scene":"bar_code","auth_code":"287654321098765432"}`, nil)
	want(t, r, "code", "10000", "total_amount", "10.00", "receipt_amount", "10.00", "gmt_payment", "2024-06-03 10:00:00")
	if r.f["fund_bill_list"] == nil {
		t.Error("no fund_bill_list")
	}
	// At the password threshold: 10003, then the payer confirms.
	r = e.call("alipay.trade.pay", `{"out_trade_no":"B2","total_amount":"1000.00","subject":"s","scene":"bar_code","auth_code":"287654321098765432"}`, nil)
	want(t, r, "code", "10003", "receipt_amount", "0.00")
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"B2"}`, nil), "trade_status", "WAIT_BUYER_PAY")
	e.payer("pay", "B2", nil)
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"B2"}`, nil), "trade_status", "TRADE_SUCCESS")
	// Cancel: refund of a paid trade, close of a waiting one, idempotent.
	want(t, e.call("alipay.trade.cancel", `{"out_trade_no":"B2"}`, nil), "code", "10000", "action", "refund", "retry_flag", "N")
	want(t, e.call("alipay.trade.cancel", `{"out_trade_no":"B2"}`, nil), "action", "refund")
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"B2"}`, nil), "trade_status", "TRADE_CLOSED")
	e.call("alipay.trade.pay", `{"out_trade_no":"B3","total_amount":"2000.00","subject":"s","scene":"bar_code","auth_code":"287654321098765432"}`, nil)
	want(t, e.call("alipay.trade.cancel", `{"out_trade_no":"B3"}`, nil), "action", "close")
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"B3"}`, nil), "trade_status", "TRADE_CLOSED")
}

func TestRefund_Rules(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	e.call("alipay.trade.pay", `{"out_trade_no":"R1","total_amount":"100.00","subject":"s","scene":"bar_code","auth_code":"287654321098765432"}`,
		map[string]string{"notify_url": "http://merchant.test/n"})
	refund := func(biz string) resp { return e.call("alipay.trade.refund", biz, nil) }
	want(t, refund(`{"out_trade_no":"R1","refund_amount":"30.00"}`), "sub_code", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "refund_fee", "0.00", "send_back_fee", "0.00")
	want(t, refund(`{"out_trade_no":"R1","refund_amount":"30.00","out_request_no":"a"}`), "code", "10000", "fund_change", "Y", "refund_fee", "30.00")
	want(t, refund(`{"out_trade_no":"R1","refund_amount":"30.00","out_request_no":"a"}`), "code", "10000", "fund_change", "N", "refund_fee", "30.00")
	want(t, refund(`{"out_trade_no":"R1","refund_amount":"31.00","out_request_no":"a"}`), "sub_code", "ACQ.DISCORDANT_REPEAT_REQUEST")
	want(t, refund(`{"out_trade_no":"R1","refund_amount":"70.01","out_request_no":"b"}`), "sub_code", "ACQ.REASON_TRADE_REFUND_FEE_ERR")
	e.sim.Advance(90 * time.Second)
	want(t, refund(`{"out_trade_no":"R1","refund_amount":"70.00","out_request_no":"b"}`), "fund_change", "Y", "refund_fee", "100.00", "gmt_refund_pay", "2024-06-03 10:01:30")
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"R1"}`, nil), "trade_status", "TRADE_CLOSED")
	want(t, refund(`{"out_trade_no":"R1","refund_amount":"1.00","out_request_no":"c"}`), "sub_code", "ACQ.TRADE_HAS_CLOSE")
	want(t, e.call("alipay.trade.fastpay.refund.query", `{"out_trade_no":"R1","out_request_no":"a"}`, nil),
		"code", "10000", "refund_status", "REFUND_SUCCESS", "refund_amount", "30.00", "total_amount", "100.00")
	rq := e.call("alipay.trade.fastpay.refund.query", `{"out_trade_no":"R1","out_request_no":"zz"}`, nil)
	want(t, rq, "code", "10000", "refund_status", "")

	e.sim.Advance(0)
	ns := e.sink.all()
	if len(ns) != 3 {
		t.Fatalf("%d notifications, want payment + 2 refunds", len(ns))
	}
	part, full := ns[1], ns[2]
	for _, c := range []struct{ n, k, v string }{
		{part.Get("trade_status"), "partial trade_status", "TRADE_SUCCESS"},
		{part.Get("refund_fee"), "partial refund_fee", "30.00"},
		{part.Get("out_biz_no"), "partial out_biz_no", "a"},
		{part.Get("gmt_refund"), "partial gmt_refund", "2024-06-03 10:00:00.000"},
		{full.Get("trade_status"), "full trade_status", "TRADE_CLOSED"},
		{full.Get("refund_fee"), "full refund_fee", "100.00"},
		{full.Get("gmt_close"), "full gmt_close", "2024-06-03 10:01:30"},
	} {
		if c.n != c.v {
			t.Errorf("%s = %q, want %q", c.k, c.n, c.v)
		}
	}
	for _, n := range ns {
		if err := e.verifyNotify(n); err != nil {
			t.Errorf("notification %s: %v", n.Get("notify_id"), err)
		}
	}
}

func TestNotifyURL_NotHTTPIsRefusedWithTheChannelsCode(t *testing.T) {
	for _, u := range []string{"file:///etc/passwd", "gopher://m.test/x", "ftp://m.test/n", "http:///nohost", "http://user:pw@m.test/n", "/relative"} {
		t.Run(u, func(t *testing.T) {
			e := newEnv(t, alipay.Config{})
			r := e.call("alipay.trade.pay", bc("NU1"), map[string]string{"notify_url": u})
			want(t, r, "code", "40002", "sub_code", "isv.invalid-parameter", "sub_msg", "参数无效: notify_url")
			// Nothing happened: no trade.
			want(t, e.call("alipay.trade.query", `{"out_trade_no":"NU1"}`, nil), "sub_code", "ACQ.TRADE_NOT_EXIST")
		})
	}
	e := newEnv(t, alipay.Config{})
	if _, err := e.a.AddMerchant([]byte(`{"channel":"alipay","app_id":"2021000000000009","pid":"2088102000000009","app_public_key":"x","notify_url":"file:///etc/passwd"}`)); err == nil || !strings.Contains(err.Error(), "notify_url") {
		t.Errorf("merchant with a file: notify_url: %v", err)
	}
}

func TestBodyOverTheEngineLimit_AnsweredInAlipaysFormat(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	big := "biz_content=" + strings.Repeat("x", 2<<20)
	res, err := e.sim.Client().Post(e.sim.URL+"/gateway.do?method=alipay.trade.query", "application/x-www-form-urlencoded", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(b), `"alipay_trade_query_response":{"code":"40002"`) || !strings.Contains(string(b), "isv.invalid-parameter") {
		t.Fatalf("got %d %s; want Alipay's 40002 answer", res.StatusCode, b)
	}
}
