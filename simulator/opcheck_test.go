package simulator_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/alipay"
	"github.com/tongdao/tongdao/simulator/wechat"
)

// A misspelt op was accepted with 201 and the plan never fired (issue 17).
func TestFaultPlan_UnknownOpIsRefusedNamingOp(t *testing.T) {
	wx, _ := wechat.New(wechat.Config{})
	ali, _ := alipay.New(alipay.Config{})
	s, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{wx, ali}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		body   string
		status int
	}{
		{`{"kind":"timeout_after","channel":"wechat","op":"unifiedordr"}`, 400},
		{`{"kind":"timeout_after","channel":"wechat","op":"unifiedorder"}`, 201},
		{`{"kind":"timeout_after","channel":"wechat","op":"alipay.trade.pay"}`, 400},
		{`{"kind":"timeout_after","op":"alipay.trade.pay"}`, 201},
		{`{"kind":"http_5xx","channel":"alipay","op":"alipay.trade.querry"}`, 400},
		{`{"kind":"http_5xx","channel":"alipay","op":"cashier.pay"}`, 201},
		{`{"kind":"duplicate_callbacks","channel":"wechat","op":"paymnt"}`, 400},
		{`{"kind":"duplicate_callbacks","channel":"alipay","op":"close"}`, 201},
		{`{"kind":"missing_callbacks","channel":"wechat","op":"close"}`, 400},
		{`{"kind":"statement_missing_record","channel":"wechat","op":"ALL"}`, 201},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, "http://sim.test/_sim/faults", strings.NewReader(tt.body))
			resp, err := s.Transport().RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var v struct{ Error, Field string }
			_ = json.NewDecoder(resp.Body).Decode(&v)
			if resp.StatusCode != tt.status || (tt.status == 400 && (v.Field != "op" || !strings.Contains(v.Error, "known: "))) {
				t.Errorf("got %d %+v, want %d", resp.StatusCode, v, tt.status)
			}
		})
	}
	if n := len(s.Faults()); n != 5 {
		t.Errorf("%d plans active, want the 5 accepted", n)
	}
}

// "1d" worked in scenario files but not in the control API (issue 17).
func TestControlAPI_DurationsInWholeDays(t *testing.T) {
	s, _ := newSim(t, nil)
	t0 := s.Clock().Now()
	if st, body, err := post(t, s.Transport(), "/_sim/clock/advance", `{"duration":"1d"}`); err != nil || st != 200 {
		t.Fatalf("advance 1d: %d %s %v", st, body, err)
	}
	if got := s.Clock().Now().Sub(t0); got != 24*time.Hour {
		t.Errorf("advanced %v, want 24h", got)
	}
	p, err := simulator.DecodeFaultPlan([]byte(`{"kind":"reorder_callbacks","delay":"2d"}`))
	if err != nil || time.Duration(p.Delay) != 48*time.Hour {
		t.Errorf("delay 2d: %v %v", time.Duration(p.Delay), err)
	}
}

// /_sim/reset takes an optional seed and start time (issue 17): afterwards the simulator
// behaves as a fresh one with that seed started at that time.
func TestControlAPI_ResetWithSeedAndTime(t *testing.T) {
	run := func(s *simulator.Server) string {
		rt := s.Transport()
		post(t, rt, "/_sim/faults", `{"kind":"http_5xx","op":"pay","probability":0.5}`)
		for _, no := range []string{"RS1", "RS2", "RS3", "RS4", "RS5", "RS6"} {
			post(t, rt, "/fake/pay", payBody(no))
		}
		var b strings.Builder
		if err := s.WriteTranscript(&b, simulator.RecordFilter{}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	start := time.Date(2024, 7, 1, 17, 0, 0, 0, clock.Beijing()) // the default start is in Beijing time too
	fresh, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{newFake()}, Seed: 99, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	want := run(fresh)

	s, _ := newSim(t, nil) // seed 42, default start
	run(s)
	st, body, err := post(t, s.Transport(), "/_sim/reset", `{"seed":99,"time":"2024-07-01T17:00:00+08:00"}`)
	if err != nil || st != 200 || !strings.Contains(body, `"seed": 99`) {
		t.Fatalf("reset: %d %s %v", st, body, err)
	}
	if got := run(s); got != want {
		t.Errorf("after reset with seed 99 at %v:\n%s\nwant (fresh simulator):\n%s", start, got, want)
	}
	// A plain reset keeps the new seed; bad options change nothing.
	before := s.Clock().Now()
	for _, bad := range []struct{ body, field string }{
		{`{"time":"2001-01-01T00:00:00Z"}`, "time"},
		{`{"time":"9999-01-01T00:00:00Z"}`, "time"},
		{`{"seed":-1}`, "seed"},
		{`{"sead":1}`, "sead"},
	} {
		st, body, _ := post(t, s.Transport(), "/_sim/reset", bad.body)
		if st != 400 || !strings.Contains(body, `"field": "`+bad.field+`"`) {
			t.Errorf("reset %s: %d %s", bad.body, st, body)
		}
	}
	if !s.Clock().Now().Equal(before) || len(s.Faults()) != 1 {
		t.Errorf("a refused reset changed the clock or dropped the plans")
	}
}
