package simulator_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/simulator"
)

// ctlProto is the fake protocol with control endpoints of its own.
type ctlProto struct{ *fakeProto }

func (p ctlProto) Name() string { return "ctl" }

func (p ctlProto) Control(_ context.Context, method, path string, q url.Values, body []byte) (any, error) {
	switch path {
	case "echo":
		return map[string]string{"method": method, "q": q.Get("x"), "body": string(body)}, nil
	case "bad":
		return nil, fmt.Errorf("ctl: query parameter x is required: %w", simulator.ErrInvalid)
	}
	return nil, fmt.Errorf("ctl: %s: %w", path, simulator.ErrNotFound)
}

func TestControlAPI_ProtocolEndpoints(t *testing.T) {
	s, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{ctlProto{newFake()}}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, "http://sim.test"+path, strings.NewReader(body))
		resp, err := s.Transport().RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := do("POST", "/_sim/ctl/echo?x=1", `{"a":1}`); st != 200 || !strings.Contains(body, `"method": "POST"`) || !strings.Contains(body, `"q": "1"`) {
		t.Fatalf("echo: %d %s", st, body)
	}
	if st, body := do("GET", "/_sim/ctl/echo", ``); st != 200 || !strings.Contains(body, `"body": "{}"`) {
		t.Fatalf("empty body: %d %s", st, body)
	}
	if st, _ := do("GET", "/_sim/ctl/bad", ``); st != 400 {
		t.Fatalf("invalid: %d", st)
	}
	if st, _ := do("GET", "/_sim/ctl/nothing", ``); st != 404 {
		t.Fatalf("unknown path: %d", st)
	}
	if st, _ := do("GET", "/_sim/mars/echo", ``); st != 404 {
		t.Fatalf("unknown channel: %d", st)
	}
	if st, _ := do("DELETE", "/_sim/ctl/echo", ``); st != 405 && st != 404 {
		t.Fatalf("DELETE: %d", st)
	}
	// The engine's own endpoints still win.
	if st, body := do("GET", "/_sim/clock", ``); st != 200 || !strings.Contains(body, "now") {
		t.Fatalf("clock: %d %s", st, body)
	}
}

func TestControlAPI_ProtocolWithoutControllerIs404(t *testing.T) {
	s, _ := newSim(t, nil)
	req, _ := http.NewRequest("GET", "http://sim.test/_sim/fake/anything", nil)
	resp, err := s.Transport().RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("%d", resp.StatusCode)
	}
}
