package simulator

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestServer is a simulator listening on a loopback port for one test, in the spirit of
// httptest.Server.
type TestServer struct {
	*Server
	// URL is the base URL ("http://127.0.0.1:PORT"); point a client's base URL at it.
	URL string
	hs  *httptest.Server
}

// Start builds a simulator from cfg, serves it on a loopback port and closes it when tb
// ends (tb.Cleanup). It fails tb if cfg is invalid.
//
//	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{wechat.New()}})
//	client := wechatadapter.New(wechatadapter.Config{BaseURL: sim.URL, HTTPClient: sim.Client()})
func Start(tb testing.TB, cfg Config) *TestServer {
	tb.Helper()
	s, err := New(cfg)
	if err != nil {
		tb.Fatalf("simulator.Start: %v", err)
	}
	hs := httptest.NewServer(s)
	ts := &TestServer{Server: s, URL: hs.URL, hs: hs}
	tb.Cleanup(ts.Close)
	return ts
}

// Client returns an HTTP client for the test server.
func (ts *TestServer) Client() *http.Client { return ts.hs.Client() }

// Close stops the listener and closes idle connections. Safe to call more than once.
func (ts *TestServer) Close() { ts.hs.Close() }
