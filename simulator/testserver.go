package simulator

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestServer is a simulator listening on a loopback port for one test, in the spirit of
// httptest.Server.
type TestServer struct {
	*Server
	// URL is the base URL ("http://127.0.0.1:PORT" or "https://..."); point a client's
	// base URL at it.
	URL string
	// CA is the test CA of a StartTLS server (nil over plain HTTP).
	CA *CA
	hs *httptest.Server
}

// Start builds a simulator from cfg, serves it over HTTP on a loopback port and closes it
// when tb ends (tb.Cleanup). It fails tb if cfg is invalid.
//
//	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{p}})
//	client := adapter.New(adapter.Config{BaseURL: sim.URL, HTTPClient: sim.Client()})
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

// StartTLS is Start over HTTPS with a fresh test CA; Client trusts it, and ClientWithCert
// also presents a client certificate for the paths that demand one.
func StartTLS(tb testing.TB, cfg Config) *TestServer {
	tb.Helper()
	s, err := New(cfg)
	if err != nil {
		tb.Fatalf("simulator.StartTLS: %v", err)
	}
	now := time.Now()
	ca, err := NewCA(now)
	if err != nil {
		tb.Fatalf("simulator.StartTLS: %v", err)
	}
	tc, err := s.TLSConfig(ca, now)
	if err != nil {
		tb.Fatalf("simulator.StartTLS: %v", err)
	}
	hs := httptest.NewUnstartedServer(s)
	hs.TLS = tc
	hs.StartTLS()
	ts := &TestServer{Server: s, URL: hs.URL, CA: ca, hs: hs}
	tb.Cleanup(ts.Close)
	return ts
}

// Client returns an HTTP client for the test server (trusting its CA under TLS).
func (ts *TestServer) Client() *http.Client { return ts.hs.Client() }

// ClientWithCert returns a client that presents a certificate with common name cn issued
// by the test CA. It needs StartTLS.
func (ts *TestServer) ClientWithCert(cn string) (*http.Client, error) {
	if ts.CA == nil {
		return nil, ErrNotFound
	}
	cert, err := ts.CA.IssueClient(time.Now(), cn)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: ts.CA.Pool(), Certificates: []tls.Certificate{cert.TLS}, MinVersion: tls.VersionTLS12,
	}}}, nil
}

// Close stops the listener and closes idle connections. Safe to call more than once.
func (ts *TestServer) Close() { ts.hs.Close() }
