package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/simulator"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

const gatewayScenario = `name: gateway pays
target: gateway
channel: wechat
steps:
  - http:
      method: POST
      path: /v1/payments
      json: {order_no: CMDGW1, amount: 100, method: qr, subject: cmd, client_ip: 127.0.0.1}
      capture: {cno: channel_order_no}
    expect: {http: {status: 201, json: {state: pending}}}
  - payer_pay: {order: "${cno}"}
  - wait_acks: {order: "${cno}", count: 1, within: 1m}
  - http: {method: GET, path: /v1/payments/CMDGW1}
    expect: {http: {json: {state: succeeded}}}
`

const httpScenario = `name: my service answers
target: http
channel: wechat
steps:
  - http: {method: GET, path: /health}
    expect: {http: {status: 200, body_contains: ok}}
`

func TestScenarioRun_Targets(t *testing.T) {
	dir := t.TempDir()
	gw := writeScenario(t, dir, "gw.yaml", gatewayScenario)
	ht := writeScenario(t, dir, "http.yaml", httpScenario)
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
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer svc.Close()
	tests := []struct {
		name   string
		args   []string
		env    string
		code   int
		stdout []string
		stderr []string
	}{
		{"gateway in process, http skipped", []string{"run", gw, ht}, "", 0,
			[]string{"PASS gateway pays (4 steps)", "SKIP my service answers (target http needs the service's URL (--target-url) and the simulator it talks to (--sim))", "1 passed, 0 failed"}, nil},
		{"http against a service", []string{"run", "--sim", simSrv.URL, "--target-url", svc.URL, ht}, "", 0, []string{"PASS my service answers (1 steps)"}, nil},
		{"gateway url without merchant", []string{"run", "--gateway-url", "http://127.0.0.1:1", gw}, "", 2, nil,
			[]string{"--gateway-url needs --gateway-merchant ID and the merchant's HMAC secret in $TONGDAO_GATEWAY_SECRET"}},
		{"gateway in process refuses --sim", []string{"run", "--sim", simSrv.URL, gw}, "", 0, []string{"SKIP gateway pays (target gateway: the in-process gateway runs with the in-process simulator only"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TONGDAO_GATEWAY_SECRET", tc.env)
			var out, errb bytes.Buffer
			code := scenarioMain(context.Background(), tc.args, &out, &errb)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out.String(), errb.String())
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out.String())
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(errb.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, errb.String())
				}
			}
		})
	}
}
