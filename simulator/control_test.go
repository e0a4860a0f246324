package simulator_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/simulator"
)

func TestControlAPI_BadInputIs400NamingTheField(t *testing.T) {
	tests := []struct {
		name, method, path, body, field string
	}{
		{"fault: unknown kind", "POST", "/_sim/faults", `{"kind":"meteor"}`, "kind"},
		{"fault: missing kind", "POST", "/_sim/faults", `{}`, "kind"},
		{"fault: bad duration", "POST", "/_sim/faults", `{"kind":"delay","delay":"soon"}`, "delay"},
		{"fault: status outside 5xx", "POST", "/_sim/faults", `{"kind":"http_5xx","status":404}`, "status"},
		{"fault: probability above 1", "POST", "/_sim/faults", `{"kind":"reset","probability":1.5}`, "probability"},
		{"fault: unknown field", "POST", "/_sim/faults", `{"kind":"reset","fisrt":2}`, "fisrt"},
		{"fault: wrong type", "POST", "/_sim/faults", `{"kind":"reset","first":"two"}`, "first"},
		{"fault: business code without code", "POST", "/_sim/faults", `{"kind":"business_code"}`, "code"},
		{"fault: bad amount", "POST", "/_sim/faults", `{"kind":"statement_extra_record","amount":{"minor":"x"}}`, "amount"},
		{"fault: tamper on another kind", "POST", "/_sim/faults", `{"kind":"forged_callback","tamper":"amount"}`, "tamper"},
		{"fault: unknown tamper", "POST", "/_sim/faults", `{"kind":"tampered_callback","tamper":"merchant"}`, "tamper"},
		{"fault: tampered order with an amount", "POST", "/_sim/faults", `{"kind":"tampered_callback","tamper":"order","amount":{"minor":5,"currency":"CNY"}}`, "amount"},
		{"fault: tampered amount with a code", "POST", "/_sim/faults", `{"kind":"tampered_callback","code":"X1"}`, "code"},
		{"fault: unknown op", "POST", "/_sim/faults", `{"kind":"reset","op":"pya"}`, "op"},
		{"fault: unknown channel", "POST", "/_sim/faults", `{"kind":"reset","channel":"mars"}`, "channel"},
		{"fault: not JSON", "POST", "/_sim/faults", `{kind`, "body"},
		{"fault: trailing data", "POST", "/_sim/faults", `{"kind":"reset"} {}`, "body"},
		{"payer: missing out_trade_no", "POST", "/_sim/payer/pay", `{"channel":"fake"}`, "out_trade_no"},
		{"payer: missing channel", "POST", "/_sim/payer/cancel", `{"out_trade_no":"x"}`, "channel"},
		{"payer: unknown channel", "POST", "/_sim/payer/pay", `{"channel":"mars","out_trade_no":"x"}`, "channel"},
		{"payer: card not a string", "POST", "/_sim/payer/pay", `{"channel":"fake","out_trade_no":"x","card":5}`, "card"},
		{"advance: missing duration", "POST", "/_sim/clock/advance", `{}`, "duration"},
		{"advance: bad duration", "POST", "/_sim/clock/advance", `{"duration":"ninety"}`, "duration"},
		{"advance: negative", "POST", "/_sim/clock/advance", `{"duration":"-5s"}`, "duration"},
		{"advance: negative days", "POST", "/_sim/clock/advance", `{"duration":"-1d"}`, "duration"},
		{"advance: fractional days", "POST", "/_sim/clock/advance", `{"duration":"1.5d"}`, "duration"},
		{"advance: too many days", "POST", "/_sim/clock/advance", `{"duration":"3661d"}`, "duration"},
		{"set: missing time", "POST", "/_sim/clock/set", `{}`, "time"},
		{"set: not RFC 3339", "POST", "/_sim/clock/set", `{"time":"tomorrow"}`, "time"},
		{"set: backwards", "POST", "/_sim/clock/set", `{"time":"2001-01-01T00:00:00Z"}`, "time"},
		{"merchant: no channel", "POST", "/_sim/merchants", `{"id":"M9"}`, "channel"},
		{"merchant: unknown channel", "POST", "/_sim/merchants", `{"channel":"mars"}`, "channel"},
		{"merchant: protocol refuses", "POST", "/_sim/merchants", `{"channel":"fake"}`, "id"},
		{"merchant: not an object", "POST", "/_sim/merchants", `[1]`, "body"},
		{"records: bad after", "GET", "/_sim/records?after=x", ``, "after"},
		{"records: bad format", "GET", "/_sim/records?format=xml", ``, "format"},
		{"statements: bad date", "GET", "/_sim/statements/fake/2024-13-01", ``, "date"},
		{"statements: bad format", "GET", "/_sim/statements/fake/2024-06-01?format=pdf", ``, "format"},
	}
	s, _ := newSim(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, "http://sim.test"+tt.path, strings.NewReader(tt.body))
			resp, err := s.Transport().RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e struct{ Error, Field string }
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatalf("answer is not JSON: %v", err)
			}
			if resp.StatusCode != 400 || e.Field != tt.field || e.Error == "" {
				t.Errorf("got %d field=%q error=%q, want 400 naming %q", resp.StatusCode, e.Field, e.Error, tt.field)
			}
		})
	}
}

func TestControlAPI_HappyPaths(t *testing.T) {
	sink := &merchantSink{}
	s, _ := newSim(t, sink)
	rt := s.Transport()
	call := func(method, path, body string, want int) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, "http://sim.test"+path, strings.NewReader(body))
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %v, want %d", method, path, resp.StatusCode, v, want)
		}
		return v
	}
	call("GET", "/_sim/", "", 200)
	if v := call("POST", "/_sim/merchants", `{"channel":"fake","id":"M2","key":"k2"}`, 201); v["id"] != "M2" {
		t.Errorf("add merchant: %v", v)
	}
	if v := call("GET", "/_sim/merchants", "", 200); len(v["merchants"].(map[string]any)["fake"].([]any)) != 2 {
		t.Errorf("merchants: %v", v)
	}
	v := call("POST", "/_sim/faults", `{"kind":"http_5xx","channel":"fake","op":"query","first":1}`, 201)
	id, _ := v["id"].(string)
	if id != "f1" {
		t.Errorf("fault id %v", v)
	}
	if v := call("GET", "/_sim/faults", "", 200); len(v["faults"].([]any)) != 1 {
		t.Errorf("faults: %v", v)
	}
	call("DELETE", "/_sim/faults/"+id, "", 200)
	call("DELETE", "/_sim/faults/"+id, "", 404)
	if st, _, _ := post(t, rt, "/fake/pay", payBody("H1")); st != 200 {
		t.Fatal(st)
	}
	if v := call("POST", "/_sim/payer/pay", `{"channel":"fake","out_trade_no":"H1","card":"CMB_DEBIT"}`, 200); v["state"] != "SUCCESS" {
		t.Errorf("pay: %v", v)
	}
	if len(sink.got()) != 1 {
		t.Errorf("callback not delivered before the payer call returned")
	}
	call("POST", "/_sim/payer/pay", `{"channel":"fake","out_trade_no":"H1"}`, 409)
	call("POST", "/_sim/payer/cancel", `{"channel":"fake","out_trade_no":"none"}`, 404)
	before := call("GET", "/_sim/clock", "", 200)["now"].(string)
	after := call("POST", "/_sim/clock/advance", `{"duration":"90s"}`, 200)["now"].(string)
	tb, _ := time.Parse(time.RFC3339Nano, before)
	ta, _ := time.Parse(time.RFC3339Nano, after)
	if ta.Sub(tb) != 90*time.Second {
		t.Errorf("advance moved %v", ta.Sub(tb))
	}
	call("POST", "/_sim/clock/set", `{"time":"2030-01-01T00:00:00+08:00"}`, 200)
	if v := call("GET", "/_sim/records?channel=fake&out_trade_no=H1", "", 200); len(v["records"].([]any)) < 3 {
		t.Errorf("records: %v", v)
	}
	call("GET", "/_sim/statements/fake/2024-06-03", "", 200)
	if v := call("GET", "/_sim/stats", "", 200); v["records"].(float64) < 3 || v["faults"].(float64) != 0 {
		t.Errorf("stats: %v", v)
	}
	call("GET", "/_sim/statements/mars/2024-06-03", "", 404)
	call("GET", "/_sim/nothing", "", 404)
	call("POST", "/_sim/reset", "", 200)
	if v := call("GET", "/_sim/records", "", 200); len(v["records"].([]any)) != 0 {
		t.Errorf("records after reset: %v", v)
	}
	if v := call("GET", "/_sim/merchants", "", 200); len(v["merchants"].(map[string]any)["fake"].([]any)) != 1 {
		t.Errorf("merchants after reset: %v", v)
	}
}

// script runs one fixed scenario mixing calls, faults, payer actions, callbacks with retries
// and clock moves, and returns the transcript.
func script(t *testing.T, seed uint64) []byte {
	sink := &merchantSink{ack: func(n int) string {
		if n%3 == 0 {
			return "OK"
		}
		return "FAIL"
	}}
	fp := newFake()
	s, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{fp}, Seed: seed, CallbackTransport: simulator.HandlerTransport(sink)})
	if err != nil {
		t.Fatal(err)
	}
	rt := s.Transport()
	post(t, rt, "/_sim/faults", `{"kind":"http_5xx","op":"pay","probability":0.3}`)
	post(t, rt, "/_sim/faults", `{"kind":"duplicate_callbacks","count":1,"spacing":"7s","every":2}`)
	post(t, rt, "/_sim/faults", `{"kind":"bad_signature","op":"query","probability":0.5}`)
	for i := 0; i < 12; i++ {
		no := "DET" + string(rune('A'+i))
		post(t, rt, "/fake/pay", payBody(no))
		post(t, rt, "/_sim/payer/pay", `{"channel":"fake","out_trade_no":"`+no+`"}`)
		post(t, rt, "/fake/query", `{"merchant":"M1","out_trade_no":"`+no+`"}`)
		post(t, rt, "/_sim/clock/advance", `{"duration":"11s"}`)
	}
	post(t, rt, "/_sim/clock/advance", `{"duration":"25h"}`)
	get(t, rt, "/_sim/statements/fake/2024-06-03")
	var buf bytes.Buffer
	if err := s.WriteTranscript(&buf, simulator.RecordFilter{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDeterminism_SameSeedSameTranscriptBytes(t *testing.T) {
	a, b := script(t, 7), script(t, 7)
	if !bytes.Equal(a, b) {
		t.Fatalf("transcripts differ for one seed (%d vs %d bytes)", len(a), len(b))
	}
	if n := bytes.Count(a, []byte("\n")); n < 60 {
		t.Fatalf("transcript has only %d records", n)
	}
	for _, want := range []string{`"kind":"callback"`, `"faults":["duplicate_callbacks:f2"]`, `"kind":"payer"`, `"status":503`} {
		if !bytes.Contains(a, []byte(want)) {
			t.Errorf("transcript lacks %s", want)
		}
	}
	if c := script(t, 8); bytes.Equal(a, c) {
		t.Error("a different seed gave the same transcript")
	}
}
