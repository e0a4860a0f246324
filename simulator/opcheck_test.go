package simulator_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

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
