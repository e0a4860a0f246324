package unionpay_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/unionpay"
)

func (e *env) fault(p simulator.FaultPlan) {
	e.t.Helper()
	p.Channel = unionpay.Name
	if _, err := e.sim.AddFault(p); err != nil {
		e.t.Fatal(err)
	}
}

func TestNotify_RetryScheduleUntilAcked(t *testing.T) {
	for _, tc := range []struct {
		name     string
		schedule []time.Duration
		gaps     []time.Duration
	}{
		{"default 1,2,4,5 min", nil, []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute}},
		{"legacy 0,1,2,4 min", unionpay.LegacyNotifySchedule, []time.Duration{0, time.Minute, 2 * time.Minute, 4 * time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, unionpay.Config{NotifySchedule: tc.schedule}, "01")
			e.sink.fail = 10 // never acknowledge
			token := e.openToken(t, trID)
			e.consume(t, trID, token, "100")
			for i := 0; i < 20; i++ {
				e.deliver(time.Minute)
			}
			e.sink.mu.Lock()
			times := append([]time.Time(nil), e.sink.times...)
			e.sink.mu.Unlock()
			if len(times) != 5 {
				t.Fatalf("%d sends, want 5", len(times))
			}
			for i, g := range tc.gaps {
				if d := times[i+1].Sub(times[i]); d != g {
					t.Errorf("gap %d = %v, want %v", i+1, d, g)
				}
			}
		})
	}
	t.Run("acked at the second send", func(t *testing.T) {
		e := newEnv(t, unionpay.Config{}, "01")
		e.sink.fail = 1
		token := e.openToken(t, trID)
		e.consume(t, trID, token, "100")
		for i := 0; i < 20; i++ {
			e.deliver(time.Minute)
		}
		if n := len(e.sink.all()); n != 2 {
			t.Errorf("%d sends, want 2", n)
		}
	})
}

func TestFaults_BusinessCodes(t *testing.T) {
	for _, tc := range []struct {
		name, code string
		process    bool
		want       string
		consumed   bool
	}{
		{"system error before", simulator.CodeSystemError, false, "03", false},
		{"system error after processing", simulator.CodeSystemError, true, "03", true},
		{"accepted, query later", "05", true, "05", true},
		{"insufficient funds", simulator.CodeInsufficientFunds, false, "64", false},
		{"raw 06", "06", false, "06", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, unionpay.Config{}, "01")
			token := e.openToken(t, trID)
			e.fault(simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Op: "consume", Code: tc.code, Process: tc.process, First: 1})
			m, orderID, txnTime := e.consume(t, trID, token, "100")
			want(t, m, "respCode", tc.want)
			q := e.query(orderID, txnTime)
			if tc.consumed {
				want(t, q, "respCode", "00", "origRespCode", "00")
			} else {
				want(t, q, "respCode", "34")
			}
		})
	}
}

func TestFaults_TimeoutAfterProcessing_QueryFindsIt(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	token := e.openToken(t, trID)
	e.fault(simulator.FaultPlan{Kind: simulator.FaultTimeoutAfter, Op: "consume", First: 1})
	tpd := "{trId=" + trID + "&token=" + token + "}"
	f := e.fields("01", "01", "000902", map[string]string{"tokenPayData": tpd, "txnAmt": "100", "currencyCode": "156", "backUrl": backURL})
	f["customerInfo"] = base64.StdEncoding.EncodeToString([]byte("{smsCode=111111}"))
	if _, err := (&http.Client{Transport: e.sim.Transport()}).Post("http://sim"+unionpay.PathBack, "application/x-www-form-urlencoded", strings.NewReader(e.signReq(f).Encode())); err == nil {
		t.Fatal("timeout_after answered")
	}
	want(t, e.query(f["orderId"], f["txnTime"]), "origRespCode", "00")
}

func TestFaults_BadSignatureOnAnswer(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	e.fault(simulator.FaultPlan{Kind: simulator.FaultBadSignature, Op: "query", First: 1})
	_, b := e.postRaw(unionpay.PathQuery, e.signReq(e.fields("00", "00", "000000", nil)).Encode())
	m, err := parseLine(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if m["signature"] == "" || e.verify(m) == nil {
		t.Errorf("bad_signature answer verifies or is unsigned: %s", b)
	}
}

func TestFaults_DuplicateForgedMissingCallbacks(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "21")
	token := e.openToken(t, trID)
	e.fault(simulator.FaultPlan{Kind: simulator.FaultDuplicateCallbacks, Op: unionpay.KindPayment, Count: 1, Spacing: simulator.Duration(time.Minute), First: 1})
	e.fault(simulator.FaultPlan{Kind: simulator.FaultForgedCallback, Op: unionpay.KindPayment, First: 1})
	_, orderID, _ := e.consume(t, trID, token, "100")
	e.deliver(2 * time.Minute)
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
		if n.Get("orderId") != orderID || n.Get("queryId") != ns[1].Get("queryId") {
			t.Errorf("duplicate differs: %v", n)
		}
	}
	e.fault(simulator.FaultPlan{Kind: simulator.FaultMissingCallbacks, Op: unionpay.KindRefund})
	before := len(e.sink.all())
	r := e.call(unionpay.PathBack, e.fields("04", "00", "000201", map[string]string{"origQryId": ns[1].Get("queryId"), "txnAmt": "50", "currencyCode": "156", "backUrl": backURL}))
	want(t, r, "respCode", "00")
	e.deliver(time.Hour)
	if got := len(e.sink.all()); got != before {
		t.Errorf("missing_callbacks: %d new deliveries", got-before)
	}
}

// TestCardDataNeverLeaves: no answer, notification, record or statement carries a full
// card number, phone, CVN2 or expiry.
func TestCardDataNeverLeaves(t *testing.T) {
	e := newEnv(t, unionpay.Config{}, "01")
	token := e.openToken(t, trID)
	e.consume(t, trID, token, "100")
	e.deliver(0)
	var texts []string
	for _, r := range e.sim.Records(simulator.RecordFilter{Channel: unionpay.Name}) {
		texts = append(texts, r.Response, r.Note, r.Error)
		if r.Kind != simulator.RecordCall {
			texts = append(texts, r.Request)
		}
	}
	for _, n := range e.sink.all() {
		texts = append(texts, n.Encode())
	}
	res, err := e.sim.Client().Get(e.sim.URL + "/_sim/statements/unionpay/2024-06-03?merchant=" + unionpay.DemoMerID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	texts = append(texts, string(b))
	for _, s := range texts {
		for _, secret := range []string{unionpay.DemoCreditCard, unionpay.DemoPhone, "cvn2=123", "expired=2311"} {
			if strings.Contains(s, secret) {
				t.Errorf("%q found in %.200s", secret, s)
			}
		}
	}
}

// TestFaults_CallFaultsOnAConsume: every call-fault kind applies to UnionPay operations;
// before-processing kinds change nothing, after-processing kinds leave the consume done.
func TestFaults_CallFaultsOnAConsume(t *testing.T) {
	for _, tc := range []struct {
		name     string
		plan     simulator.FaultPlan
		answered bool // the client gets an HTTP answer
		status   int
		done     bool // the consume happened on the channel
	}{
		{"timeout before", simulator.FaultPlan{Kind: simulator.FaultTimeoutBefore}, false, 0, false},
		{"reset before", simulator.FaultPlan{Kind: simulator.FaultReset}, false, 0, false},
		{"reset after", simulator.FaultPlan{Kind: simulator.FaultReset, Stage: simulator.StageAfter}, false, 0, true},
		{"5xx before", simulator.FaultPlan{Kind: simulator.FaultHTTP5xx, Status: 502}, true, 502, false},
		{"5xx after", simulator.FaultPlan{Kind: simulator.FaultHTTP5xx, Status: 503, Stage: simulator.StageAfter}, true, 503, true},
		{"malformed body", simulator.FaultPlan{Kind: simulator.FaultMalformedBody}, true, 200, true},
		{"truncated body", simulator.FaultPlan{Kind: simulator.FaultTruncatedBody}, true, 200, true},
		{"delay", simulator.FaultPlan{Kind: simulator.FaultDelay, Delay: simulator.Duration(time.Second), DelayMode: simulator.DelayAdvance}, true, 200, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, unionpay.Config{}, "01")
			token := e.openToken(t, trID)
			p := tc.plan
			p.Op, p.First = "consume", 1
			e.fault(p)
			tpd := "{trId=" + trID + "&token=" + token + "}"
			f := e.fields("01", "01", "000902", map[string]string{"tokenPayData": tpd, "txnAmt": "100", "currencyCode": "156", "backUrl": backURL})
			f["customerInfo"] = base64.StdEncoding.EncodeToString([]byte("{smsCode=111111}"))
			res, err := (&http.Client{Transport: e.sim.Transport()}).Post("http://sim"+unionpay.PathBack, "application/x-www-form-urlencoded", strings.NewReader(e.signReq(f).Encode()))
			if tc.answered != (err == nil) {
				t.Fatalf("answered=%v, err %v", err == nil, err)
			}
			if err == nil {
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != tc.status {
					t.Errorf("status %d, want %d", res.StatusCode, tc.status)
				}
				if m, perr := parseLine(string(b)); tc.name == "malformed body" && perr == nil {
					t.Errorf("malformed body parsed: %v", m)
				} else if tc.name == "truncated body" && perr == nil && e.verify(m) == nil {
					t.Error("truncated body still verifies")
				}
			}
			q := e.query(f["orderId"], f["txnTime"])
			if tc.done {
				want(t, q, "origRespCode", "00")
			} else {
				want(t, q, "respCode", "34")
			}
		})
	}
}

// TestFaults_TamperedCallbackVerifiesWithChangedAmount: a tampered_callback attempt is
// signed correctly over txnAmt one fen higher (or another orderId), before the genuine one.
func TestFaults_TamperedCallbackVerifiesWithChangedAmount(t *testing.T) {
	for _, tamper := range []string{simulator.TamperAmount, simulator.TamperOrder} {
		t.Run(tamper, func(t *testing.T) {
			e := newEnv(t, unionpay.Config{}, "01")
			token := e.openToken(t, trID)
			e.fault(simulator.FaultPlan{Kind: simulator.FaultTamperedCallback, Op: unionpay.KindPayment, First: 1, Tamper: tamper})
			_, orderID, _ := e.consume(t, trID, token, "100")
			e.deliver(time.Minute)
			ns := e.sink.all()
			if len(ns) != 2 {
				t.Fatalf("%d deliveries, want tampered + genuine", len(ns))
			}
			for _, n := range ns {
				if err := e.verifyNotify(n); err != nil {
					t.Errorf("attempt does not verify: %v", err)
				}
			}
			tam, gen := ns[0], ns[1]
			if gen.Get("txnAmt") != "100" || gen.Get("orderId") != orderID {
				t.Errorf("genuine attempt changed: %v", gen)
			}
			switch tamper {
			case simulator.TamperAmount:
				if tam.Get("txnAmt") != "101" || tam.Get("orderId") != orderID {
					t.Errorf("tampered amount attempt: txnAmt %q orderId %q", tam.Get("txnAmt"), tam.Get("orderId"))
				}
			case simulator.TamperOrder:
				if tam.Get("orderId") == orderID || len(tam.Get("orderId")) != len(orderID) || tam.Get("txnAmt") != "100" {
					t.Errorf("tampered order attempt: orderId %q (genuine %q)", tam.Get("orderId"), orderID)
				}
			}
		})
	}
}
