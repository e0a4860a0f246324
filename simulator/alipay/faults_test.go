package alipay_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/alipay"
)

func (e *env) fault(p simulator.FaultPlan) {
	e.t.Helper()
	p.Channel = alipay.Name
	if _, err := e.sim.AddFault(p); err != nil {
		e.t.Fatal(err)
	}
}

const barcode = `{"out_trade_no":"%s","total_amount":"1.00","subject":"s","scene":"bar_code","auth_code":"287654321098765432"}`

func bc(otn string) string { return strings.Replace(barcode, "%s", otn, 1) }

func TestFaults_BusinessCodesMapToAlipayAnswers(t *testing.T) {
	tests := []struct {
		name, op, code   string
		process          bool
		method, biz      string
		wantCode, wantSC string
	}{
		{"system error on pay", "alipay.trade.pay", simulator.CodeSystemError, false, "alipay.trade.pay", bc("F1"), "40004", "ACQ.SYSTEM_ERROR"},
		{"order paid", "alipay.trade.precreate", simulator.CodeOrderPaid, false, "alipay.trade.precreate", `{"out_trade_no":"F2","total_amount":"1.00","subject":"s"}`, "40004", "ACQ.TRADE_HAS_SUCCESS"},
		{"closed", "alipay.trade.refund", simulator.CodeOrderClosed, false, "alipay.trade.refund", `{"out_trade_no":"F3","refund_amount":"1.00"}`, "40004", "ACQ.TRADE_HAS_CLOSE"},
		{"insufficient funds on pay", "alipay.trade.pay", simulator.CodeInsufficientFunds, false, "alipay.trade.pay", bc("F4"), "40004", "ACQ.BUYER_BALANCE_NOT_ENOUGH"},
		{"insufficient funds on refund", "alipay.trade.refund", simulator.CodeInsufficientFunds, false, "alipay.trade.refund", `{"out_trade_no":"F5","refund_amount":"1.00"}`, "40004", "ACQ.SELLER_BALANCE_NOT_ENOUGH"},
		{"rate limited", "alipay.trade.query", simulator.CodeRateLimited, false, "alipay.trade.query", `{"out_trade_no":"F6"}`, "40005", "aop.api-call-limited"},
		{"system error on bill", "alipay.data.dataservice.bill.downloadurl.query", simulator.CodeSystemError, false, "alipay.data.dataservice.bill.downloadurl.query", `{"bill_type":"trade","bill_date":"2024-06-01"}`, "20000", "isp.unknow-error"},
		{"not found on bill", "alipay.data.dataservice.bill.downloadurl.query", simulator.CodeNotFound, false, "alipay.data.dataservice.bill.downloadurl.query", `{"bill_type":"trade","bill_date":"2024-06-01"}`, "40004", "isp.bill_not_exist"},
		{"raw ACQ code", "alipay.trade.refund", "ACQ.TRADE_HAS_FINISHED", false, "alipay.trade.refund", `{"out_trade_no":"F7","refund_amount":"1.00"}`, "40004", "ACQ.TRADE_HAS_FINISHED"},
		{"raw isp code", "alipay.trade.query", "isp.unknow-error", false, "alipay.trade.query", `{"out_trade_no":"F8"}`, "20000", "isp.unknow-error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, alipay.Config{})
			e.fault(simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Op: tc.op, Code: tc.code, Process: tc.process, First: 1})
			r := e.call(tc.method, tc.biz, nil)
			want(t, r, "code", tc.wantCode, "sub_code", tc.wantSC)
			if r.sign == "" {
				t.Errorf("fault answer unsigned: %s", r.raw)
			}
		})
	}
}

func TestFaults_SystemErrorAfterProcessingLeavesTradePaid(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	e.fault(simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Op: "alipay.trade.pay", Code: simulator.CodeSystemError, Process: true, First: 1})
	want(t, e.call("alipay.trade.pay", bc("S1"), nil), "sub_code", "ACQ.SYSTEM_ERROR", "out_trade_no", "S1", "receipt_amount", "0.00")
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"S1"}`, nil), "trade_status", "TRADE_SUCCESS")
}

func TestFaults_UserPayingOnPayAnswers10003(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	e.fault(simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Op: "alipay.trade.pay", Code: simulator.CodeUserPaying, First: 1})
	want(t, e.call("alipay.trade.pay", bc("U1"), nil), "code", "10003", "msg", "order success pay inprocess")
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"U1"}`, nil), "trade_status", "WAIT_BUYER_PAY")
	e.payer("cancel", "U1", nil)
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"U1"}`, nil), "trade_status", "TRADE_CLOSED")
}

func TestFaults_BadSignatureAndTimeoutAfter(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	e.fault(simulator.FaultPlan{Kind: simulator.FaultBadSignature, Op: "alipay.trade.precreate", First: 1})
	b := e.post(e.params("alipay.trade.precreate", `{"out_trade_no":"X1","total_amount":"1.00","subject":"s"}`, nil))
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(b, &outer); err != nil {
		t.Fatal(err)
	}
	var sig string
	_ = json.Unmarshal(outer["sign"], &sig)
	if sig == "" || sign.VerifyRSA2Base64(e.pub, outer["alipay_trade_precreate_response"], sig) == nil {
		t.Errorf("bad_signature answer verifies (or has no sign): %s", b)
	}
	// timeout_after: the refund is done on the channel, the client sees no answer.
	e.call("alipay.trade.pay", bc("X2"), nil)
	e.fault(simulator.FaultPlan{Kind: simulator.FaultTimeoutAfter, Op: "alipay.trade.refund", First: 1})
	v := e.params("alipay.trade.refund", `{"out_trade_no":"X2","refund_amount":"0.40","out_request_no":"r1"}`, nil)
	if _, err := (&http.Client{Transport: e.sim.Transport()}).PostForm("http://sim/gateway.do", v); err == nil {
		t.Error("timeout_after answered")
	}
	want(t, e.call("alipay.trade.fastpay.refund.query", `{"out_trade_no":"X2","out_request_no":"r1"}`, nil), "refund_status", "REFUND_SUCCESS")
	want(t, e.call("alipay.trade.refund", `{"out_trade_no":"X2","refund_amount":"0.40","out_request_no":"r1"}`, nil), "fund_change", "N")
}

func TestFaults_CallbackDuplicateAndForged(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	e.fault(simulator.FaultPlan{Kind: simulator.FaultDuplicateCallbacks, Op: alipay.KindPayment, Count: 1, Spacing: simulator.Duration(time.Minute)})
	e.fault(simulator.FaultPlan{Kind: simulator.FaultForgedCallback, Op: alipay.KindPayment})
	e.call("alipay.trade.pay", bc("D1"), map[string]string{"notify_url": "http://m.test/n"})
	e.sim.Advance(2 * time.Minute)
	ns := e.sink.all()
	if len(ns) != 3 {
		t.Fatalf("%d deliveries, want forged + genuine + duplicate", len(ns))
	}
	if e.verifyNotify(ns[0]) == nil {
		t.Error("forged notification verifies")
	}
	for _, n := range ns[1:] {
		if err := e.verifyNotify(n); err != nil {
			t.Error(err)
		}
		if n.Get("notify_id") != ns[1].Get("notify_id") {
			t.Error("duplicate has another notify_id")
		}
	}
}

func TestClose_NotifiesTradeClosedToCloseNotifyURL(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	e.call("alipay.trade.pay", strings.Replace(bc("K1"), `"1.00"`, `"5000.00"`, 1), map[string]string{"notify_url": "http://m.test/pay"})
	want(t, e.call("alipay.trade.close", `{"out_trade_no":"K1"}`, map[string]string{"notify_url": "http://m.test/close"}), "code", "10000", "out_trade_no", "K1")
	e.sim.Advance(0)
	ns := e.sink.all()
	if len(ns) != 1 || ns[0].Get("trade_status") != "TRADE_CLOSED" || ns[0].Get("gmt_close") != "2024-06-03 10:00:00" || ns[0].Get("gmt_payment") != "" {
		t.Fatalf("close notification: %v", ns)
	}
	if err := e.verifyNotify(ns[0]); err != nil {
		t.Error(err)
	}
}

func TestTimestampTolerance(t *testing.T) {
	e := newEnv(t, alipay.Config{TimestampTolerance: 10 * time.Minute})
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"T"}`, nil), "sub_code", "ACQ.TRADE_NOT_EXIST")
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"T"}`, map[string]string{"timestamp": "2024-06-03 02:00:00"}), "code", "40002", "sub_code", "isv.invalid-timestamp")
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"T"}`, map[string]string{"timestamp": "yesterday"}), "sub_code", "isv.invalid-timestamp")
}

func TestWapAndAppPay_CashierCancelAndPay(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	client := e.sim.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	open := func(method, biz string) string {
		v := e.params(method, biz, map[string]string{"notify_url": "http://m.test/n"})
		// The form POST a browser auto-submits (Java SDK style: protocol params in the query).
		res, err := client.PostForm(e.sim.URL+"/gateway.do?charset=utf-8", v)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		i := strings.Index(string(b), alipay.CashierPrefix)
		if i < 0 {
			t.Fatalf("no cashier: %s", b)
		}
		p := string(b[i:])
		return p[:strings.Index(p, "/pay")]
	}
	wap := open("alipay.trade.wap.pay", `{"out_trade_no":"W1","total_amount":"3.00","subject":"s","product_code":"QUICK_WAP_WAY","quit_url":"http://m.test/quit"}`)
	res, err := client.Post(e.sim.URL+wap+"/cancel", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), "TRADE_CLOSED") || !strings.Contains(string(b), "http://m.test/quit") {
		t.Errorf("cancel page: %s", b)
	}
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"W1"}`, nil), "trade_status", "TRADE_CLOSED")

	app := open("alipay.trade.app.pay", `{"out_trade_no":"A1","total_amount":"4.00","subject":"s","product_code":"QUICK_MSECURITY_PAY"}`)
	res, err = client.Post(e.sim.URL+app+"/pay", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 { // no return_url: a result page
		t.Errorf("app pay status %d", res.StatusCode)
	}
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"A1"}`, nil), "trade_status", "TRADE_SUCCESS")
	e.sim.Advance(0)
	if ns := e.sink.all(); len(ns) != 2 || ns[0].Get("trade_status") != "TRADE_CLOSED" || ns[1].Get("trade_status") != "TRADE_SUCCESS" {
		t.Errorf("notifications: %v", ns)
	}
}

func TestControlAPI_MerchantAndRawStatement(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	pub := string(e.pub2.N.Bytes()) // any malformed key must be refused
	body := `{"channel":"alipay","app_id":"2021000000000009","pid":"2088102000000009","app_public_key":` + jsonString(pub) + `}`
	res, err := e.sim.Client().Post(e.sim.URL+"/_sim/merchants", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Errorf("bad key accepted: %d", res.StatusCode)
	}
	e.call("alipay.trade.pay", bc("CS1"), nil)
	e.fault(simulator.FaultPlan{Kind: simulator.FaultStatementMissingRecord, OutTradeNo: "CS1"})
	if err := e.sim.Advance(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	res, err = e.sim.Client().Get(e.sim.URL + "/_sim/statements/alipay/2024-06-03?format=raw&merchant=" + alipay.DemoAppID)
	if err != nil {
		t.Fatal(err)
	}
	z, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/zip" || len(z) < 100 {
		t.Errorf("raw statement: %d %s %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(z))
	}
	res, _ = e.sim.Client().Get(e.sim.URL + "/_sim/statements/alipay/2024-06-03?type=signcustomer")
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Errorf("unsupported bill type: %d, want 400", res.StatusCode)
	}
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestPayer_CompleteAfterMidnightAndQRExpiry(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	if err := e.sim.SetTime(time.Date(2024, 6, 3, 23, 59, 50, 0, time.FixedZone("CST", 8*3600))); err != nil {
		t.Fatal(err)
	}
	e.call("alipay.trade.precreate", `{"out_trade_no":"AM1","total_amount":"2.00","subject":"s"}`, map[string]string{"notify_url": "http://m.test/n"})
	e.fault(simulator.FaultPlan{Kind: simulator.FaultCompleteAfterMidnight, Op: "pay", OutTradeNo: "AM1"})
	if out := e.payer("pay", "AM1", nil); out.ScheduledAt == nil {
		t.Fatal("completion not deferred")
	}
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"AM1"}`, nil), "sub_code", "ACQ.TRADE_NOT_EXIST")
	e.sim.Advance(11 * time.Second)
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"AM1"}`, nil), "trade_status", "TRADE_SUCCESS", "send_pay_date", "2024-06-04 00:00:01")
	if ns := e.sink.all(); len(ns) != 1 || ns[0].Get("gmt_payment") != "2024-06-04 00:00:01" {
		t.Errorf("notification: %v", ns)
	}
	// A QR code nobody scans expires after 2 h (qr_code_timeout_express default).
	e.call("alipay.trade.precreate", `{"out_trade_no":"EX1","total_amount":"2.00","subject":"s"}`, nil)
	e.sim.Advance(2*time.Hour + time.Second)
	if _, err := e.sim.Pay(t.Context(), simulator.PayerAction{Channel: alipay.Name, OutTradeNo: "EX1"}); err == nil {
		t.Error("an expired QR code was paid")
	}
	// A scanned, unpaid trade closes at its timeout_express with a TRADE_CLOSED notification.
	e.call("alipay.trade.precreate", `{"out_trade_no":"EX2","total_amount":"2.00","subject":"s","timeout_express":"30m"}`, map[string]string{"notify_url": "http://m.test/n"})
	e.payer("pay", "EX2", map[string]string{"scan_only": "true"})
	e.sim.Advance(31 * time.Minute)
	ns := e.sink.all()
	if last := ns[len(ns)-1]; last.Get("out_trade_no") != "EX2" || last.Get("trade_status") != "TRADE_CLOSED" || last.Get("gmt_close") == "" {
		t.Errorf("expiry notification: %v", last)
	}
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"EX2"}`, nil), "trade_status", "TRADE_CLOSED")
}

func TestFaults_TamperedCallbackIsCorrectlySignedWithOtherContent(t *testing.T) {
	tests := []struct {
		name, tamper           string
		wantTotal, wantOrderNo string
	}{
		{"amount (default)", "", "1.01", "T1"},
		{"order number", simulator.TamperOrder, "1.00", "TX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, alipay.Config{})
			e.fault(simulator.FaultPlan{Kind: simulator.FaultTamperedCallback, Op: alipay.KindPayment, Tamper: tt.tamper})
			e.call("alipay.trade.pay", bc("T1"), map[string]string{"notify_url": "http://m.test/n"})
			e.sim.Advance(0)
			ns := e.sink.all()
			if len(ns) != 2 {
				t.Fatalf("%d deliveries, want tampered + genuine", len(ns))
			}
			for i, n := range ns {
				if err := e.verifyNotify(n); err != nil {
					t.Errorf("delivery %d does not verify: %v", i, err)
				}
			}
			tm, g := ns[0], ns[1]
			if tm.Get("total_amount") != tt.wantTotal || tm.Get("buyer_pay_amount") != tt.wantTotal || tm.Get("out_trade_no") != tt.wantOrderNo {
				t.Errorf("tampered: total %q, buyer_pay %q, out_trade_no %q", tm.Get("total_amount"), tm.Get("buyer_pay_amount"), tm.Get("out_trade_no"))
			}
			if tt.tamper == "" && tm.Get("fund_bill_list") == g.Get("fund_bill_list") {
				t.Errorf("fund_bill_list unchanged: %s", tm.Get("fund_bill_list"))
			}
			if g.Get("total_amount") != "1.00" || g.Get("out_trade_no") != "T1" {
				t.Errorf("genuine: total %q, out_trade_no %q", g.Get("total_amount"), g.Get("out_trade_no"))
			}
			if tm.Get("notify_id") != g.Get("notify_id") {
				t.Error("the tampered copy has another notify_id")
			}
		})
	}
}
