package unionpay_test

import (
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/unionpay"
)

func TestBadSignature_Gets11SignedAnswer(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	f := e.fields("00", "00", "000000", nil)
	v := e.signReq(f)
	v.Set("orderId", "TAMPERED0001") // after signing
	status, b := e.postRaw(unionpay.PathQuery, v.Encode())
	m, err := parseLine(string(b))
	if status != 200 || err != nil {
		t.Fatalf("status %d err %v: %s", status, err, b)
	}
	want(t, m, "respCode", "11")
	if err := e.verify(m); err != nil {
		t.Errorf("the 11 answer is not signed verifiably: %v", err)
	}
}

func TestCommonChecks(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	for _, tc := range []struct {
		name  string
		extra map[string]string
		code  string
		msg   string
	}{
		{"version 5.0.0", map[string]string{"version": "5.0.0"}, "10", "version"},
		{"missing txnTime", map[string]string{"txnTime": ""}, "13", "txnTime"},
		{"bad txnTime", map[string]string{"txnTime": "2024-06-03"}, "10", "txnTime"},
		{"orderId with dash", map[string]string{"orderId": "ORDER-0001"}, "10", "orderId"},
		{"unknown signMethod", map[string]string{"signMethod": "02"}, "10", "signMethod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := e.fields("00", "00", "000000", tc.extra)
			v := e.signReq(f)
			_, b := e.postRaw(unionpay.PathQuery, v.Encode())
			m, err := parseLine(string(b))
			if err != nil {
				t.Fatal(err)
			}
			want(t, m, "respCode", tc.code)
			if !strings.Contains(m["respMsg"], tc.msg) {
				t.Errorf("respMsg %q does not name %s", m["respMsg"], tc.msg)
			}
		})
	}
	t.Run("unknown merchant", func(t *testing.T) {
		_, b := e.postRaw(unionpay.PathQuery, e.signReq(e.fields("00", "00", "000000", map[string]string{"merId": "777000000000000"})).Encode())
		m, _ := parseLine(string(b))
		want(t, m, "respCode", "31")
	})
	t.Run("not a form", func(t *testing.T) {
		_, b := e.postRaw(unionpay.PathBack, "%zz")
		m, _ := parseLine(string(b))
		want(t, m, "respCode", "10")
	})
	t.Run("wrong certId", func(t *testing.T) {
		f := e.fields("00", "00", "000000", nil)
		v := e.signReq(f)
		v.Set("certId", "12345")
		_, b := e.postRaw(unionpay.PathQuery, v.Encode())
		m, _ := parseLine(string(b))
		want(t, m, "respCode", "11")
	})
}

func TestPlaintextAccNo_RefusedWhenEncryptionRequired(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	f := e.fields("79", "00", "000902", map[string]string{"tokenPayData": "{trId=" + trID + "&tokenType=01}", "accNo": unionpay.DemoCreditCard})
	m := e.call(unionpay.PathBack, f)
	want(t, m, "respCode", "10")
	if strings.Contains(string(m["respMsg"]), unionpay.DemoCreditCard) {
		t.Error("the card number is echoed in respMsg")
	}
}

func TestTokenRules(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	token := e.openToken(t, trID)
	if again := e.openToken(t, trID); again != token {
		t.Errorf("re-opening the same card gave token %s, want the active %s", again, token)
	}
	tpd := "{trId=" + trID + "&token=" + token + "}"

	t.Run("wrong SMS code", func(t *testing.T) {
		f := e.fields("01", "01", "000902", map[string]string{"tokenPayData": tpd, "txnAmt": "100", "currencyCode": "156", "backUrl": backURL})
		f["customerInfo"] = base64.StdEncoding.EncodeToString([]byte("{smsCode=123456}"))
		want(t, e.call(unionpay.PathBack, f), "respCode", "71")
	})
	t.Run("duplicate orderId", func(t *testing.T) {
		_, orderID, txnTime := e.consume(t, trID, token, "100")
		f := e.fields("01", "01", "000902", map[string]string{"tokenPayData": tpd, "txnAmt": "100", "currencyCode": "156",
			"backUrl": backURL, "orderId": orderID, "txnTime": txnTime})
		f["customerInfo"] = base64.StdEncoding.EncodeToString([]byte("{smsCode=111111}"))
		want(t, e.call(unionpay.PathBack, f), "respCode", "12")
	})
	t.Run("open query", func(t *testing.T) {
		// the open's own orderId+txnTime: open again, then query it
		f := e.fields("79", "00", "000902", map[string]string{"tokenPayData": "{trId=" + trID + "&tokenType=01}"})
		f["accNo"] = e.encrypt(f, unionpay.DemoDebitCard)
		f["customerInfo"] = e.customerInfo(f, nil, "phoneNo="+unionpay.DemoPhone)
		want(t, e.call(unionpay.PathBack, f), "respCode", "00")
		q := e.call(unionpay.PathBack, e.fields("78", "02", "000902", map[string]string{"orderId": f["orderId"], "txnTime": f["txnTime"]}))
		want(t, q, "respCode", "00", "accNo", "621626*********0018")
		if !strings.Contains(q["tokenPayData"], "token=") {
			t.Errorf("tokenPayData %q", q["tokenPayData"])
		}
	})
	t.Run("update", func(t *testing.T) {
		f := e.fields("79", "03", "000902", map[string]string{"tokenPayData": "{trId=" + trID + "&token=" + token + "&tokenType=01}"})
		f["customerInfo"] = e.customerInfo(f, nil, "phoneNo=13800000000")
		want(t, e.call(unionpay.PathBack, f), "respCode", "00")
	})
	t.Run("delete then consume is 89", func(t *testing.T) {
		want(t, e.call(unionpay.PathBack, e.fields("74", "01", "000902", map[string]string{"tokenPayData": tpd})), "respCode", "00")
		want(t, e.call(unionpay.PathBack, e.fields("74", "01", "000902", map[string]string{"tokenPayData": tpd})), "respCode", "89")
		f := e.fields("77", "02", "000902", map[string]string{"tokenPayData": tpd, "txnAmt": "100", "currencyCode": "156"})
		want(t, e.call(unionpay.PathBack, f), "respCode", "89")
		if again := e.openToken(t, trID); again == token {
			t.Error("a deleted token came back on re-open")
		}
	})
	t.Run("credit card with wrong CVN2 is 65", func(t *testing.T) {
		f := e.fields("79", "00", "000902", map[string]string{"tokenPayData": "{trId=" + trID + "&tokenType=01}"})
		f["accNo"] = e.encrypt(f, unionpay.DemoCreditCard)
		f["customerInfo"] = e.customerInfo(f, nil, "phoneNo="+unionpay.DemoPhone+"&cvn2=999&expired=2311")
		want(t, e.call(unionpay.PathBack, f), "respCode", "65")
	})
}

func TestRandomSMS_CodeReadableFromTranscript(t *testing.T) {
	e := newEnv(t, unionpay.Config{RandomSMS: true}, "01")
	token := e.openToken(t, trID)
	tpd := "{trId=" + trID + "&token=" + token + "}"
	f := e.fields("77", "02", "000902", map[string]string{"tokenPayData": tpd, "txnAmt": "500", "currencyCode": "156"})
	want(t, e.call(unionpay.PathBack, f), "respCode", "00")
	var code string
	for _, r := range e.sim.Records(simulator.RecordFilter{Channel: "unionpay", OutTradeNo: f["orderId"]}) {
		if r.Op == "sms.code" {
			code = strings.Fields(r.Note)[2]
		}
	}
	if len(code) != 6 {
		t.Fatalf("no SMS code in the transcript")
	}
	g := e.fields("01", "01", "000902", map[string]string{"tokenPayData": tpd, "txnAmt": "500", "currencyCode": "156",
		"backUrl": backURL, "orderId": f["orderId"], "txnTime": f["txnTime"]})
	g["customerInfo"] = base64.StdEncoding.EncodeToString([]byte("{smsCode=" + code + "}"))
	want(t, e.call(unionpay.PathBack, g), "respCode", "00")
}

// TestUndoAndRefund_ByClearingDay: a consume at 22:59:59 can be undone until 23:00, then
// only refunded (unionpay.md §10, §11).
func TestUndoAndRefund_ByClearingDay(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	token := e.openToken(t, trID)
	e.setTime(2024, 6, 3, 22, 59, 0)
	c1, _, _ := e.consume(t, trID, token, "1000")
	undo := func(orig, amt string) map[string]string {
		return e.call(unionpay.PathBack, e.fields("31", "00", "000201", map[string]string{"origQryId": orig, "txnAmt": amt, "currencyCode": "156", "backUrl": backURL}))
	}
	refund := func(orig, amt string) map[string]string {
		return e.call(unionpay.PathBack, e.fields("04", "00", "000201", map[string]string{"origQryId": orig, "txnAmt": amt, "currencyCode": "156", "backUrl": backURL}))
	}
	want(t, undo(c1["queryId"], "999"), "respCode", "36")
	want(t, undo(c1["queryId"], "1000"), "respCode", "00")
	want(t, undo(c1["queryId"], "1000"), "respCode", "45")
	want(t, refund(c1["queryId"], "1"), "respCode", "45")

	c2, _, _ := e.consume(t, trID, token, "1000")
	e.setTime(2024, 6, 3, 23, 0, 1)
	m := undo(c2["queryId"], "1000")
	want(t, m, "respCode", "35")
	if !strings.Contains(m["respMsg"], "refund") {
		t.Errorf("respMsg %q does not point to refund", m["respMsg"])
	}
	want(t, refund(c2["queryId"], "600"), "respCode", "00")
	want(t, refund(c2["queryId"], "401"), "respCode", "36")
	r := refund(c2["queryId"], "400")
	want(t, r, "respCode", "00", "origQryId", c2["queryId"], "settleDate", "0604")
	want(t, refund(c2["queryId"], "1"), "respCode", "45")
	want(t, refund("999999999999999999999", "1"), "respCode", "35")
}

func TestPreAuthFamily_FrozenBalance(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	f := e.fields("02", "01", "000201", map[string]string{"txnAmt": "10000", "currencyCode": "156", "frontUrl": "http://merchant.test/return", "backUrl": backURL})
	status, page := e.postRaw(unionpay.PathFront, e.signReq(f).Encode())
	if status != 200 || !strings.Contains(string(page), `id="pay"`) {
		t.Fatalf("cashier page: %d %s", status, page)
	}
	if _, err := e.sim.Pay(t.Context(), simulator.PayerAction{Channel: "unionpay", OutTradeNo: f["orderId"], Card: unionpay.DemoDebitCard}); err != nil {
		t.Fatal(err)
	}
	q := e.query(f["orderId"], f["txnTime"])
	want(t, q, "origRespCode", "00")
	pre := q["queryId"]
	op := func(tt, orig, amt string) map[string]string {
		return e.call(unionpay.PathBack, e.fields(tt, "00", "000201", map[string]string{"origQryId": orig, "txnAmt": amt, "currencyCode": "156", "backUrl": backURL}))
	}
	want(t, op("03", pre, "11501"), "respCode", "36") // > 115 %
	c := op("03", pre, "11500")
	want(t, c, "respCode", "00")
	want(t, op("03", pre, "100"), "respCode", "35")   // a second completion
	want(t, op("32", pre, "10000"), "respCode", "35") // completed: undo the completion first
	want(t, op("33", c["queryId"], "11500"), "respCode", "00")
	want(t, op("03", pre, "100"), "respCode", "35") // still refused after the completion undo
	want(t, op("32", pre, "9999"), "respCode", "36")
	want(t, op("32", pre, "10000"), "respCode", "00")
	want(t, op("32", pre, "10000"), "respCode", "45")

	e.deliver(0)
	kinds := map[string]int{}
	for _, n := range e.sink.all() {
		kinds[n.Get("txnType")]++
	}
	if kinds["02"] != 1 || kinds["03"] != 1 || kinds["33"] != 1 || kinds["32"] != 1 {
		t.Errorf("notifications by txnType: %v", kinds)
	}
}

func TestPreAuth_LapsesAfter30Days(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	f := e.fields("02", "01", "000201", map[string]string{"txnAmt": "500", "currencyCode": "156", "backUrl": backURL})
	m := e.call(unionpay.PathApp, f)
	want(t, m, "respCode", "00")
	if len(m["tn"]) != 21 {
		t.Fatalf("tn %q", m["tn"])
	}
	if _, err := e.sim.Pay(t.Context(), simulator.PayerAction{Channel: "unionpay", OutTradeNo: m["tn"]}); err != nil {
		t.Fatal(err)
	}
	pre := e.query(f["orderId"], f["txnTime"])["queryId"]
	e.deliver(31 * 24 * time.Hour)
	want(t, e.call(unionpay.PathBack, e.fields("03", "00", "000201", map[string]string{"origQryId": pre, "txnAmt": "500", "currencyCode": "156", "backUrl": backURL})), "respCode", "35")
}

func TestEncryptionCertQuery(t *testing.T) {
	for _, method := range []string{"01", "21"} {
		e := newEnv(t, unionpay.Config{}, method)
		m := e.call(unionpay.PathBack, e.fields("95", "00", "000000", map[string]string{"certType": "01"}))
		want(t, m, "respCode", "00", "certType", "01")
		if !strings.HasPrefix(m["encryptPubKeyCert"], "-----BEGIN CERTIFICATE-----") {
			t.Errorf("%s: encryptPubKeyCert %q", method, m["encryptPubKeyCert"])
		}
	}
}

func TestRotation_NewSignPubKeyCertStillVerifies(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	first := e.query("NOSUCHORDER1", e.now())["signPubKeyCert"]
	e.up.RotateCert(true)
	m := e.query("NOSUCHORDER1", e.now())
	want(t, m, "respCode", "34")
	if m["signPubKeyCert"] == first {
		t.Error("rotation did not change signPubKeyCert")
	}
	_, rotated := e.up.SignCertIDs()
	if rotated != "68759663126" {
		t.Errorf("rotated certId %s", rotated)
	}
}

func TestControlAPI_MerchantsAndAddMerchant(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	res, err := e.sim.Client().Get(e.sim.URL + "/_sim/merchants")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	b := strings.ReplaceAll(string(raw), `": `, `":`)
	for _, s := range []string{`"mer_id":"777290058110048"`, `"cert_id":"69629715588"`, `"sm2_cert_id":"73002000003"`, `"encrypt_cert_id":"68759622183"`, `"unionpay_sign_cert_id":"68759663125"`} {
		if !strings.Contains(b, s) {
			t.Errorf("merchants lack %s: %s", s, b)
		}
	}
	for _, tc := range []struct {
		body   string
		status int
		field  string
	}{
		{`{"channel":"unionpay","mer_id":"777290058110099","secure_key":"k1","plain_acc_no":true}`, 201, ""},
		{`{"channel":"unionpay","mer_id":"short","secure_key":"k1"}`, 400, "mer_id"},
		{`{"channel":"unionpay","mer_id":"777290058110099"}`, 400, "sign_cert"},
		{`{"channel":"unionpay","mer_id":"777290058110099","sign_cert":"not a pem"}`, 400, "sign_cert"},
		{`{"channel":"unionpay","mer_id":"777290058110099","secure_key":"k","bogus":1}`, 400, "bogus"},
	} {
		res, err := e.sim.Client().Post(e.sim.URL+"/_sim/merchants", "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status || !strings.Contains(string(b), tc.field) {
			t.Errorf("%s: %d %s", tc.body, res.StatusCode, b)
		}
	}
}

func TestInsufficientBalance_64AndQueryShowsIt(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	token := e.openToken(t, trID)
	m, orderID, txnTime := e.consume(t, trID, token, "100000001") // the card holds 1,000,000.00
	want(t, m, "respCode", "64")
	want(t, e.query(orderID, txnTime), "respCode", "00", "origRespCode", "64")
	e.deliver(0)
	if n := len(e.sink.all()); n != 0 {
		t.Errorf("%d notifications for a failed consume", n)
	}
	m, _, _ = e.consume(t, trID, token, "100000000")
	want(t, m, "respCode", "00")
}
