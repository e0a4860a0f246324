package simulator_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
)

// attemptOffsets returns each callback attempt's time relative to t0.
func attemptOffsets(s *simulator.Server, no string, t0 time.Time) []time.Duration {
	var out []time.Duration
	for _, r := range s.Records(simulator.RecordFilter{Kind: simulator.RecordCallback, OutTradeNo: no}) {
		if r.Request != "" {
			out = append(out, r.Time.Sub(t0))
		}
	}
	return out
}

func createAndPay(t *testing.T, s *simulator.Server, no string) time.Time {
	t.Helper()
	if st, body, err := post(t, s.Transport(), "/fake/pay", payBody(no)); err != nil || st != 200 {
		t.Fatalf("pay %s: %d %s %v", no, st, body, err)
	}
	t0 := s.Clock().Now()
	if _, err := s.Pay(t.Context(), simulator.PayerAction{Channel: "fake", OutTradeNo: no, Card: "6216261000000000026"}); err != nil {
		t.Fatal(err)
	}
	return t0
}

func TestCallbacks_RetryOnTheChannelScheduleUntilGivingUp(t *testing.T) {
	sink := &merchantSink{ack: func(int) string { return "FAIL" }}
	s, _ := newSim(t, sink)
	t0 := createAndPay(t, s, "C1")
	if got := len(sink.got()); got != 1 {
		t.Fatalf("after pay: %d attempts, want the first one delivered before Pay returns", got)
	}
	if err := s.Advance(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{0, 15 * time.Second, 30 * time.Second, 60 * time.Second}
	got := attemptOffsets(s, "C1", t0)
	if len(got) != len(want) {
		t.Fatalf("attempts at %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("attempt %d at +%v, want +%v", i+1, got[i], want[i])
		}
	}
	recs := s.Records(simulator.RecordFilter{Kind: simulator.RecordCallback, OutTradeNo: "C1"})
	if last := recs[len(recs)-1]; !strings.Contains(last.Note, "giving up") {
		t.Errorf("last record %+v, want a give-up note", last)
	}
	if s.PendingCallbacks() != 0 {
		t.Errorf("pending = %d", s.PendingCallbacks())
	}
}

func TestCallbacks_StopWhenAcknowledged(t *testing.T) {
	sink := &merchantSink{ack: func(n int) string {
		if n == 2 {
			return "OK"
		}
		return "not yet"
	}}
	s, _ := newSim(t, sink)
	t0 := createAndPay(t, s, "C2")
	if err := s.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	got := attemptOffsets(s, "C2", t0)
	if len(got) != 2 || got[1] != 15*time.Second {
		t.Fatalf("attempts %v, want [0 15s]", got)
	}
	recs := s.Records(simulator.RecordFilter{Kind: simulator.RecordCallback, OutTradeNo: "C2"})
	if !recs[1].Acked || recs[0].Acked || recs[1].Response != "OK" || recs[1].Attempt != 2 {
		t.Errorf("records %+v", recs)
	}
}

func TestCallbackFaults(t *testing.T) {
	t.Run("duplicates with spacing", func(t *testing.T) {
		sink := &merchantSink{}
		s, _ := newSim(t, sink)
		addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultDuplicateCallbacks, Count: 2, Spacing: simulator.Duration(10 * time.Second)})
		t0 := createAndPay(t, s, "D1")
		if err := s.Advance(time.Minute); err != nil {
			t.Fatal(err)
		}
		got := attemptOffsets(s, "D1", t0)
		if len(got) != 3 || got[0] != 0 || got[1] != 10*time.Second || got[2] != 20*time.Second {
			t.Fatalf("deliveries at %v, want [0 10s 20s]", got)
		}
	})
	t.Run("missing", func(t *testing.T) {
		sink := &merchantSink{}
		s, _ := newSim(t, sink)
		addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultMissingCallbacks, OutTradeNo: "M1"})
		createAndPay(t, s, "M1")
		_ = s.Advance(24 * time.Hour)
		if n := len(sink.got()); n != 0 {
			t.Fatalf("%d callbacks delivered, want none", n)
		}
		if f := s.Records(simulator.RecordFilter{Kind: simulator.RecordFault, OutTradeNo: "M1"}); len(f) != 1 {
			t.Fatalf("fault records %+v", f)
		}
	})
	t.Run("forged before the genuine one", func(t *testing.T) {
		sink := &merchantSink{}
		s, _ := newSim(t, sink)
		addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultForgedCallback})
		createAndPay(t, s, "F1")
		got := sink.got()
		if len(got) != 2 || !strings.Contains(got[0], `"sign":"forged"`) || !strings.Contains(got[1], `"sign":"good"`) {
			t.Fatalf("deliveries %q", got)
		}
		_ = s.Advance(time.Hour)
		if len(sink.got()) != 2 {
			t.Errorf("the forged attempt's ack stopped nothing, but retries followed: %d", len(sink.got()))
		}
	})
	t.Run("tampered before the genuine one; its ack does not count", func(t *testing.T) {
		sink := &merchantSink{}
		s, _ := newSim(t, sink)
		addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultTamperedCallback, Tamper: simulator.TamperOrder})
		createAndPay(t, s, "TA1")
		got := sink.got()
		if len(got) != 2 || !strings.Contains(got[0], `"TAX"`) || !strings.Contains(got[0], `"sign":"good"`) || !strings.Contains(got[1], `"TA1"`) {
			t.Fatalf("deliveries %q", got)
		}
		recs := s.Records(simulator.RecordFilter{Kind: simulator.RecordCallback, OutTradeNo: "TA1"})
		if len(recs) != 2 || recs[0].Attempt != 0 || !recs[0].Acked || !strings.HasPrefix(recs[0].Faults[0], "tampered_callback:") || !strings.Contains(recs[0].Note, "tampered order") {
			t.Fatalf("records %+v", recs)
		}
		_ = s.Advance(time.Hour)
		if len(sink.got()) != 2 || s.PendingCallbacks() != 0 {
			t.Errorf("%d deliveries, %d pending; want the genuine ack to end it", len(sink.got()), s.PendingCallbacks())
		}
	})
	t.Run("reordered behind the next callback", func(t *testing.T) {
		sink := &merchantSink{}
		s, _ := newSim(t, sink)
		addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultReorderCallbacks, OutTradeNo: "R1"})
		createAndPay(t, s, "R1")
		if n := len(sink.got()); n != 0 {
			t.Fatalf("held callback delivered early: %d", n)
		}
		createAndPay(t, s, "R2")
		got := sink.got()
		if len(got) != 2 || !strings.Contains(got[0], `"R2"`) || !strings.Contains(got[1], `"R1"`) {
			t.Fatalf("deliveries %q, want R2 then R1", got)
		}
	})
	t.Run("reordered released after the hold", func(t *testing.T) {
		sink := &merchantSink{}
		s, _ := newSim(t, sink)
		addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultReorderCallbacks, Delay: simulator.Duration(2 * time.Minute)})
		t0 := createAndPay(t, s, "R3")
		_ = s.Advance(time.Hour)
		if got := attemptOffsets(s, "R3", t0); len(got) != 1 || got[0] != 2*time.Minute {
			t.Fatalf("deliveries at %v, want [2m]", got)
		}
	})
}

func TestPayer_CompleteAfterMidnightLandsOnTheNextDay(t *testing.T) {
	sink := &merchantSink{}
	s, _ := newSim(t, sink)
	day := clock.DateOf(s.Clock().Now(), clock.Beijing())
	if err := s.SetTime(day.Start(clock.Beijing()).Add(23*time.Hour + 59*time.Minute + 50*time.Second)); err != nil {
		t.Fatal(err)
	}
	addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultCompleteAfterMidnight, Delay: simulator.Duration(2 * time.Second)})
	if st, _, err := post(t, s.Transport(), "/fake/pay", payBody("N1")); err != nil || st != 200 {
		t.Fatal(st, err)
	}
	out, err := s.Pay(t.Context(), simulator.PayerAction{Channel: "fake", OutTradeNo: "N1"})
	if err != nil {
		t.Fatal(err)
	}
	want := day.AddDays(1).Start(clock.Beijing()).Add(2 * time.Second)
	if out.ScheduledAt == nil || !out.ScheduledAt.Equal(want) {
		t.Fatalf("scheduled at %v, want %v", out.ScheduledAt, want)
	}
	if st := orderState(t, s, "N1"); st != "NOTPAY" {
		t.Fatalf("state before midnight = %s", st)
	}
	_ = s.Advance(15 * time.Second)
	if st := orderState(t, s, "N1"); st != "SUCCESS" {
		t.Fatalf("state after midnight = %s", st)
	}
	got := sink.got()
	if len(got) != 1 || !strings.Contains(got[0], want.Format(time.RFC3339)) {
		t.Fatalf("callback %q, want completion time %s", got, want.Format(time.RFC3339))
	}
}

func TestPayer_Errors(t *testing.T) {
	s, _ := newSim(t, nil)
	ctx := t.Context()
	tests := []struct {
		name   string
		a      simulator.PayerAction
		status int
	}{
		{"unknown order", simulator.PayerAction{Channel: "fake", OutTradeNo: "nope"}, 404},
		{"unknown channel", simulator.PayerAction{Channel: "mars", OutTradeNo: "x"}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Pay(ctx, tt.a); err == nil {
				t.Fatal("no error")
			}
		})
	}
	if st, _, _ := post(t, s.Transport(), "/fake/pay", payBody("P1")); st != 200 {
		t.Fatal(st)
	}
	if _, err := s.Cancel(ctx, simulator.PayerAction{Channel: "fake", OutTradeNo: "P1"}); err != nil {
		t.Fatal(err)
	}
	st, body, _ := post(t, s.Transport(), "/_sim/payer/pay", `{"channel":"fake","out_trade_no":"P1"}`)
	if st != 409 {
		t.Fatalf("paying a cancelled order: %d %s", st, body)
	}
}

func TestCallbacks_WallClockModeDeliversAtOnce(t *testing.T) {
	got := make(chan string, 4)
	sink := &merchantSink{ack: func(int) string { return "OK" }}
	fp := newFake()
	s, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{fp}, Clock: clock.Real(),
		CallbackTransport: simulator.HandlerTransport(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sink.ServeHTTP(w, r)
			got <- r.URL.Path
		}))})
	if err != nil {
		t.Fatal(err)
	}
	if s.Virtual() != nil {
		t.Fatal("wall mode has a virtual clock")
	}
	if err := s.Advance(time.Second); !errors.Is(err, simulator.ErrNotVirtual) {
		t.Fatalf("Advance in wall mode: %v", err)
	}
	createAndPay(t, s, "W1")
	select {
	case p := <-got:
		if p != "/notify" {
			t.Errorf("delivered to %s", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no callback within 10s of wall time")
	}
}

func TestCallbacks_SameInstantRetriesKeepCreationOrder(t *testing.T) {
	sink := &merchantSink{ack: func(int) string { return "FAIL" }}
	s, _ := newSim(t, sink)
	for _, no := range []string{"K1", "K2", "K3"} {
		if st, _, err := post(t, s.Transport(), "/fake/pay", payBody(no)); err != nil || st != 200 {
			t.Fatal(st, err)
		}
	}
	for _, no := range []string{"K1", "K2", "K3"} {
		if _, err := s.Pay(t.Context(), simulator.PayerAction{Channel: "fake", OutTradeNo: no}); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Advance(24 * time.Hour)
	var got []string
	for _, r := range s.Records(simulator.RecordFilter{Kind: simulator.RecordCallback}) {
		if r.Request != "" {
			got = append(got, r.OutTradeNo)
		}
	}
	want := strings.Repeat("K1 K2 K3 ", 4)
	if strings.Join(got, " ")+" " != want {
		t.Fatalf("attempt order %v, want %s", got, want)
	}
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestCallbacks_DeliveryErrorsAndGivingUpAreLogged(t *testing.T) {
	var logs syncBuffer
	fp := newFake()
	s, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{fp}, Seed: 1,
		Logger:            slog.New(slog.NewTextHandler(&logs, nil)),
		CallbackTransport: rtFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("connection refused") })})
	if err != nil {
		t.Fatal(err)
	}
	createAndPay(t, s, "L1")
	if err := s.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{`msg="callback delivery failed"`, "out_trade_no=L1", "connection refused", `msg="callback never acknowledged: giving up"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "callback delivery failed"); n != len(fakeSchedule)+1 {
		t.Errorf("%d delivery failures logged, want %d", n, len(fakeSchedule)+1)
	}
}
