package wechat

import (
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

func TestNotify_RetriedOnTheRealScheduleUntilAcked(t *testing.T) {
	tests := []struct {
		name string
		ack  string
	}{
		{"FAIL answer", "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[busy]]></return_msg></xml>"},
		{"plain success is not an ack", "success"},
		{"JSON is not an ack", `{"return_code":"SUCCESS"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{})
			e.sink.ack = []byte(tt.ack)
			e.call("/pay/unifiedorder", nativeOrder("N-1", "1"))
			start := e.ts.Clock().Now()
			e.pay("N-1")
			for i := 0; i < 30; i++ {
				e.advance(time.Hour)
			}
			got := e.sink.all()
			if len(got) != len(DefaultNotifySchedule)+1 {
				t.Fatalf("%d attempts, want %d", len(got), len(DefaultNotifySchedule)+1)
			}
			if !got[0].at.Equal(start) {
				t.Errorf("first attempt at %v, want %v", got[0].at, start)
			}
			for i, gap := range DefaultNotifySchedule {
				if d := got[i+1].at.Sub(got[i].at); d != gap {
					t.Errorf("gap %d = %v, want %v", i+1, d, gap)
				}
			}
			if total := got[len(got)-1].at.Sub(start); total != 24*time.Hour+4*time.Minute {
				t.Errorf("last attempt %v after the first, want 24h4m", total)
			}
		})
	}
}

func TestNotify_AckedOnceStopsRetries_ConfigurableSchedule(t *testing.T) {
	e := newEnv(t, Config{NotifySchedule: LegacyNotifySchedule})
	e.sink.ack = []byte("<xml><return_code>FAIL</return_code></xml>")
	e.call("/pay/unifiedorder", nativeOrder("N-2", "1"))
	e.pay("N-2")
	e.advance(15 * time.Second)
	e.sink.mu.Lock()
	e.sink.ack = []byte("<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>")
	e.sink.mu.Unlock()
	e.advance(15 * time.Second)
	e.advance(48 * time.Hour)
	if n := len(e.sink.all()); n != 3 {
		t.Fatalf("%d attempts, want 3 (fail, fail, ack)", n)
	}
}

func TestNotify_HMACOrderNotificationSignedWithHMACWithoutSignType(t *testing.T) {
	e := newEnv(t, Config{})
	e.callWith("/pay/unifiedorder", nativeOrder("N-H", "1"), DemoKey, sign.WeChatHMACSHA256)
	e.pay("N-H")
	got := e.sink.all()
	if len(got) != 1 {
		t.Fatalf("%d notifications", len(got))
	}
	p, m := parseResp(t, got[0].body)
	if _, has := m["sign_type"]; has || len(m["sign"]) != 64 {
		t.Fatalf("notification: %s", got[0].body)
	}
	if err := sign.WeChatVerify(p, DemoKey, sign.WeChatHMACSHA256, m["sign"]); err != nil {
		t.Fatal(err)
	}
}

func TestNotify_ForgedAttemptDoesNotVerify(t *testing.T) {
	e := newEnv(t, Config{})
	if _, err := e.ts.AddFault(simulator.FaultPlan{Kind: simulator.FaultForgedCallback, Channel: Name}); err != nil {
		t.Fatal(err)
	}
	e.call("/pay/unifiedorder", nativeOrder("N-F", "1"))
	e.pay("N-F")
	got := e.sink.all()
	if len(got) != 2 {
		t.Fatalf("%d attempts, want forged + genuine", len(got))
	}
	for i, want := range []bool{false, true} {
		p, m := parseResp(t, got[i].body)
		ok := sign.WeChatVerify(p, DemoKey, sign.WeChatMD5, m["sign"]) == nil
		if ok != want {
			t.Errorf("attempt %d verifies = %v, want %v", i, ok, want)
		}
	}
}

func TestAcked(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   bool
	}{
		{200, "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>", true},
		{200, "<xml><return_code>SUCCESS</return_code></xml>", true},
		{500, "<xml><return_code>SUCCESS</return_code></xml>", false},
		{200, "<xml><return_code>FAIL</return_code></xml>", false},
		{200, "SUCCESS", false},
		{200, "", false},
		{200, "<html><body>ok</body></html>", false},
	}
	for _, tt := range tests {
		if got := Acked(tt.status, []byte(tt.body)); got != tt.want {
			t.Errorf("Acked(%d, %q) = %v, want %v", tt.status, tt.body, got, tt.want)
		}
	}
}

func TestNotify_DuplicateCallbacksFaultDeliversCopies(t *testing.T) {
	e := newEnv(t, Config{})
	if _, err := e.ts.AddFault(simulator.FaultPlan{Kind: simulator.FaultDuplicateCallbacks, Channel: Name, Op: KindPayment, Count: 2}); err != nil {
		t.Fatal(err)
	}
	e.call("/pay/unifiedorder", nativeOrder("N-D", "1"))
	e.pay("N-D")
	e.advance(time.Second)
	got := e.sink.all()
	if len(got) != 3 {
		t.Fatalf("%d deliveries, want the notification and 2 copies", len(got))
	}
	for _, n := range got[1:] {
		if string(n.body) != string(got[0].body) {
			t.Errorf("a duplicate differs from the original")
		}
	}
}

func TestNotify_TamperedAttemptVerifiesButCarriesOtherContent(t *testing.T) {
	tests := []struct {
		name                 string
		plan                 simulator.FaultPlan
		wantFee, wantOrderNo string
	}{
		{"amount by default: one fen more", simulator.FaultPlan{}, "101", "N-T1"},
		{"amount given", simulator.FaultPlan{Tamper: simulator.TamperAmount, Amount: ptrFen(1)}, "1", "N-T1"},
		{"order number", simulator.FaultPlan{Tamper: simulator.TamperOrder}, "100", "N-TX"},
		{"order number given", simulator.FaultPlan{Tamper: simulator.TamperOrder, Code: "OTHER-1"}, "100", "OTHER-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{})
			plan := tt.plan
			plan.Kind, plan.Channel = simulator.FaultTamperedCallback, Name
			if _, err := e.ts.AddFault(plan); err != nil {
				t.Fatal(err)
			}
			e.call("/pay/unifiedorder", nativeOrder("N-T1", "100"))
			e.pay("N-T1")
			got := e.sink.all()
			if len(got) != 2 {
				t.Fatalf("%d attempts, want tampered + genuine", len(got))
			}
			for i, want := range []map[string]string{
				{"total_fee": tt.wantFee, "cash_fee": tt.wantFee, "out_trade_no": tt.wantOrderNo},
				{"total_fee": "100", "cash_fee": "100", "out_trade_no": "N-T1"},
			} {
				p, m := parseResp(t, got[i].body)
				if err := sign.WeChatVerify(p, DemoKey, sign.WeChatMD5, m["sign"]); err != nil {
					t.Errorf("attempt %d does not verify: %v", i, err)
				}
				for k, v := range want {
					if m[k] != v {
						t.Errorf("attempt %d: %s = %q, want %q", i, k, m[k], v)
					}
				}
			}
			// The tampered attempt's acknowledgement does not end the delivery: the genuine
			// one still went out, and nothing is pending.
			if n := e.ts.PendingCallbacks(); n != 0 {
				t.Errorf("%d callbacks pending", n)
			}
			recs := e.ts.Records(simulator.RecordFilter{Kind: simulator.RecordCallback})
			if len(recs) != 2 || recs[0].Attempt != 0 || len(recs[0].Faults) != 1 || recs[1].Attempt != 1 {
				t.Errorf("records %+v", recs)
			}
		})
	}
}

func ptrFen(n int64) *money.Amount { a := money.Fen(n); return &a }
