package simulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/simulator"
)

func TestNamespaces_IsolatedSimulatorsOnOneListener(t *testing.T) {
	newSim := func(o simulator.NamespaceOptions) (*simulator.Server, error) {
		return simulator.New(simulator.Config{Protocols: []simulator.Protocol{&fakeProto{}}, Seed: o.Seed, Start: o.Start})
	}
	root, err := newSim(simulator.NamespaceOptions{Seed: 1, Start: simulator.DefaultStart})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(simulator.NewNamespaces(root, newSim, 2))
	defer ts.Close()
	do := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return res.StatusCode, m
	}
	code, a := do("POST", "/_sim/namespaces", `{"seed": 7, "start": "2026-11-20T10:00:00+08:00"}`)
	if code != 201 || a["id"] != "n1" || a["base"] != "/_ns/n1" || a["seed"] != float64(7) || a["now"] != "2026-11-20T10:00:00+08:00" {
		t.Fatalf("create: %d %v", code, a)
	}
	code, b := do("POST", "/_sim/namespaces", "")
	if code != 201 || b["id"] != "n2" {
		t.Fatalf("create with defaults: %d %v", code, b)
	}
	if code, m := do("POST", "/_sim/namespaces", ""); code != 409 || !strings.Contains(m["error"].(string), "2 namespaces exist") {
		t.Errorf("over the limit: %d %v", code, m)
	}
	// Each namespace has its own clock; the root's is untouched.
	if code, _ := do("POST", "/_ns/n1/_sim/clock/advance", `{"duration": "1h"}`); code != 200 {
		t.Fatalf("advance in n1: %d", code)
	}
	for path, want := range map[string]string{"/_ns/n1/_sim/clock": "2026-11-20T11:00:00+08:00", "/_ns/n2/_sim/clock": "2024-06-03T10:00:00+08:00", "/_sim/clock": "2024-06-03T10:00:00+08:00"} {
		if _, m := do("GET", path, ""); m["now"] != want {
			t.Errorf("%s now = %v, want %s", path, m["now"], want)
		}
	}
	if _, m := do("GET", "/_sim/namespaces", ""); len(m["namespaces"].([]any)) != 2 {
		t.Errorf("list = %v", m)
	}
	for _, tc := range []struct{ method, path, body, want string }{
		{"POST", "/_sim/namespaces", `{"start": "noon"}`, "start"},
		{"POST", "/_sim/namespaces", `{"sead": 1}`, "sead"},
		{"GET", "/_ns/n9/_sim/clock", "", "no namespace"},
		{"DELETE", "/_sim/namespaces/n9", "", "no namespace"},
	} {
		code, m := do(tc.method, tc.path, tc.body)
		if code < 400 || !strings.Contains(m["error"].(string)+" "+toString(m["field"]), tc.want) {
			t.Errorf("%s %s %s: %d %v", tc.method, tc.path, tc.body, code, m)
		}
	}
	if code, _ := do("DELETE", "/_sim/namespaces/n1", ""); code != 200 {
		t.Errorf("delete: %d", code)
	}
	if code, _ := do("GET", "/_ns/n1/_sim/clock", ""); code != 404 {
		t.Errorf("deleted namespace still answers: %d", code)
	}
	if code, _ := do("POST", "/_sim/namespaces", `{"start": "`+time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)+`"}`); code != 201 {
		t.Errorf("a freed slot is reused: %d", code)
	}
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}

func TestPathPrefix_OnlyWhatNamespacesSet(t *testing.T) {
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("X-Tongdao-Sim-Prefix", "/evil")
	if p := simulator.PathPrefix(r); p != "" {
		t.Errorf("PathPrefix = %q", p)
	}
	r.Header.Set("X-Tongdao-Sim-Prefix", "/_ns/n12")
	if p := simulator.PathPrefix(r); p != "/_ns/n12" {
		t.Errorf("PathPrefix = %q", p)
	}
}
