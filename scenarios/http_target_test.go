package scenarios_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/scenarios"
	"github.com/tongdao/tongdao/simulator"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// echoService answers every request with what it received, as JSON.
func echoService() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		out := map[string]any{"method": r.Method, "path": r.URL.Path, "trace": r.Header.Get("X-Trace"),
			"form": map[string]string{"order": r.PostForm.Get("order"), "note": r.PostForm.Get("note")}, "n": 12345678901234567}
		if r.URL.Path == "/missing" {
			w.WriteHeader(http.StatusNotFound)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}

func TestRun_HTTPTargetSendsTemplatedRequestsAndChecksAnswers(t *testing.T) {
	wx, err := simwechat.New(simwechat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{wx}})
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim)
	defer simSrv.Close()
	svc := httptest.NewServer(echoService())
	defer svc.Close()
	const head = "name: echo\ntarget: http\nchannel: wechat\nsteps:\n"
	tests := []struct {
		name, steps string
		fail        string // "" = passes; else a substring of the failure
	}{
		{"form, headers, capture and template", `  - http:
      method: POST
      path: /first
      form: {order: A1, note: "hello world"}
      capture: {o: form.order, big: n}
    expect: {http: {status: 200, json: {method: POST, form.note: hello world, n: 12345678901234567}}}
  - http:
      method: PUT
      path: /orders/${o}
      headers: {X-Trace: "t-${o}-${big}"}
    expect: {http: {json: {path: /orders/A1, trace: t-A1-12345678901234567}}}
`, ""},
		{"status allowed", "  - http: {path: /missing}\n    expect: {http: {status: 404}}\n", ""},
		{"status not allowed", "  - http: {path: /missing}\n", "http GET /missing answered 404"},
		{"json differs", "  - http: {path: /x}\n    expect: {http: {json: {path: /y}}}\n", "expected path = /y, got /x"},
		{"capture missing", "  - http: {path: /x, capture: {v: a.b}}\n", "capture v: the answer (HTTP 200) has no a.b"},
	}
	// A variable neither set under vars: nor captured by an http step is refused when the
	// file is read, not when the step runs.
	if _, err := scenarios.Parse("e.yaml", []byte(head+"  - http: {path: \"/orders/${nope}\"}\n"), scenarios.ParseOptions{}); err == nil || !strings.Contains(err.Error(), "unknown variable ${nope}") {
		t.Errorf("unknown variable: got %v, want a parse error naming ${nope}", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := scenarios.Parse("e.yaml", []byte(head+tc.steps), scenarios.ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := scenarios.Run(context.Background(), []*scenarios.Scenario{sc}, scenarios.Options{SimURL: simSrv.URL, TargetURL: svc.URL})
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			switch {
			case tc.fail == "" && !r.Passed:
				t.Errorf("failed: %s", scenarios.FormatFailure(r))
			case tc.fail != "" && r.Passed:
				t.Errorf("passed; want a failure with %q", tc.fail)
			case tc.fail != "" && !strings.Contains(r.Failure.Message, tc.fail):
				t.Errorf("failure %q lacks %q", r.Failure.Message, tc.fail)
			}
		})
	}
}
