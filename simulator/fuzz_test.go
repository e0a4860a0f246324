package simulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/simulator"
)

func FuzzDecodeFaultPlan(f *testing.F) {
	for _, s := range []string{
		`{"kind":"delay","delay":"5s","stage":"before"}`,
		`{"kind":"http_5xx","status":502,"first":2,"every":3,"probability":0.25}`,
		`{"kind":"duplicate_callbacks","count":3,"spacing":"10s","channel":"wechat","op":"payment"}`,
		`{"kind":"statement_extra_record","amount":{"minor":100,"currency":"CNY"}}`,
		`{"kind":"statement_not_ready_until","until":"2024-06-04T12:00:00+08:00"}`,
		`{"kind":"business_code","code":"USER_PAYING","process":true}`,
		`{"kind":"reset","delay":1e400}`, `[]`, `null`, `{"kind":"delay","delay":-1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := simulator.DecodeFaultPlan(data)
		if err != nil {
			var fe *simulator.FieldError
			if !asFieldError(err, &fe) || fe.Field == "" {
				t.Fatalf("error %v does not name a field", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("decoded plan fails Validate: %v", err)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := simulator.DecodeFaultPlan(b); err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
	})
}

func asFieldError(err error, fe **simulator.FieldError) bool {
	for err != nil {
		if x, ok := err.(*simulator.FieldError); ok {
			*fe = x
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// FuzzControlAPI posts arbitrary bodies to every control endpoint: the answer is JSON with a
// 2xx or 4xx status, never a 5xx or a panic.
func FuzzControlAPI(f *testing.F) {
	paths := []string{"/_sim/faults", "/_sim/payer/pay", "/_sim/payer/cancel", "/_sim/clock/advance",
		"/_sim/clock/set", "/_sim/merchants", "/_sim/reset"}
	f.Add(uint8(0), []byte(`{"kind":"reset"}`))
	f.Add(uint8(1), []byte(`{"channel":"fake","out_trade_no":"x"}`))
	f.Add(uint8(3), []byte(`{"duration":"1h"}`))
	f.Add(uint8(4), []byte(`{"time":"2031-01-01T00:00:00Z"}`))
	f.Add(uint8(5), []byte(`{"channel":"fake","id":"M3"}`))
	f.Add(uint8(2), []byte(`{"channel":"fake","out_trade_no":"x","options":{"a":"b"}}`))
	s, _ := newSim(f, http.NotFoundHandler())
	rt := s.Transport()
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		req, _ := http.NewRequest(http.MethodPost, "http://sim.test"+path, strings.NewReader(string(body)))
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %q: %d %s", path, body, resp.StatusCode, b)
		}
		if !json.Valid(b) {
			t.Fatalf("%s: answer not JSON: %q", path, b)
		}
	})
}

func FuzzProtocolRequest(f *testing.F) {
	f.Add("/fake/pay", []byte(payBody("Z")))
	f.Add("/fake/query", []byte(`{"out_trade_no":1}`))
	f.Add("/_sim/records", []byte{0xff})
	s, _ := newSim(f, http.NotFoundHandler())
	rt := s.Transport()
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#%\x00\r\n\t") {
			return
		}
		req, err := http.NewRequest(http.MethodPost, "http://sim.test"+path, strings.NewReader(string(body)))
		if err != nil {
			return
		}
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 && resp.StatusCode != 503 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	})
}
