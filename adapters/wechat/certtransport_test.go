package wechat

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/tongdao/tongdao/adapters/sign"
)

// tracingTransport stands for a user's wrapper (tracing, metrics, proxy): it counts the
// requests it sees and passes them on.
type tracingTransport struct {
	next http.RoundTripper
	seen atomic.Int32
}

func (tr *tracingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tr.seen.Add(1)
	return tr.next.RoundTrip(r)
}

// TestNew_ClientCertificateNeverReplacesTheUsersTransport: with Certificate set, New
// clones an *http.Transport (keeping its settings) and otherwise refuses with ErrConfig
// instead of silently dropping the user's transport or panicking (a swapped
// http.DefaultTransport, as httpmock.Activate leaves it).
func TestNew_ClientCertificateNeverReplacesTheUsersTransport(t *testing.T) {
	certPEM, keyPEM := selfSigned(t)
	cert, err := LoadPEMCertificate(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	proxy, _ := url.Parse("http://proxy.test:3128")
	own := &http.Transport{Proxy: http.ProxyURL(proxy), MaxIdleConnsPerHost: 7}
	tests := []struct {
		name       string
		activate   bool // httpmock.Activate: http.DefaultTransport is a mock
		httpClient *http.Client
		wantErr    string // "" = New succeeds and the TLS transport is a clone with the certificate
	}{
		{"own *http.Transport is cloned", false, &http.Client{Transport: own}, ""},
		{"no HTTPClient: http.DefaultTransport is cloned", false, nil, ""},
		{"HTTPClient without transport", false, &http.Client{}, ""},
		{"wrapper transport", false, &http.Client{Transport: &tracingTransport{next: own}}, "HTTPClient.Transport is a *wechat.tracingTransport"},
		{"swapped http.DefaultTransport, no HTTPClient", true, nil, "http.DefaultTransport is a *httpmock.MockTransport"},
		{"swapped http.DefaultTransport, own *http.Transport", true, &http.Client{Transport: own}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.activate {
				httpmock.Activate()
				defer httpmock.DeactivateAndReset()
			}
			var c *Client
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("New panicked: %v", r)
					}
				}()
				c, err = New(Config{AppID: demoAppID, MchID: demoMchID, Key: demoKey, Certificate: cert, HTTPClient: tc.httpClient})
			}()
			if tc.wantErr != "" {
				if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "TLSClient") {
					t.Fatalf("New = %v, want ErrConfig mentioning %q and TLSClient", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tr, ok := c.tls.Transport.(*http.Transport)
			if !ok || tr == own || len(tr.TLSClientConfig.Certificates) != 1 {
				t.Fatalf("TLS transport %T %+v: want a clone presenting the certificate", c.tls.Transport, tr)
			}
			if tc.httpClient != nil && tc.httpClient.Transport == own {
				if p, _ := tr.Proxy(&http.Request{URL: &url.URL{Scheme: "https", Host: "api.mch.weixin.qq.com"}}); p == nil || p.Host != "proxy.test:3128" ||
					tr.MaxIdleConnsPerHost != 7 {
					t.Errorf("the clone lost the transport's settings: proxy %v, MaxIdleConnsPerHost %d", p, tr.MaxIdleConnsPerHost)
				}
			}
			// (Clone itself may fill own.TLSClientConfig with the HTTP/2 defaults.)
			if own.TLSClientConfig != nil && len(own.TLSClientConfig.Certificates) != 0 {
				t.Error("the user's transport was given the certificate")
			}
		})
	}
}

// TestRefund_ExplicitTLSClientKeepsTheWrapper: a TLSClient given in Config is used as
// is, so a wrapper around the certificate transport sees the /secapi calls.
func TestRefund_ExplicitTLSClientKeepsTheWrapper(t *testing.T) {
	mt := httpmock.NewMockTransport()
	wrap := &tracingTransport{next: mt}
	e := newEnv(t, func(c *Config) {
		c.HTTPClient = &http.Client{Transport: mt}
		c.TLSClient = &http.Client{Transport: wrap}
		c.Certificate = &tls.Certificate{} // ignored: TLSClient wins
	})
	e.mt = mt
	e.respond(t, "/secapi/pay/refund", demoKey, sign.WeChatMD5, golden(t, "refund_success.xml"))
	if _, err := e.c.Refund(context.Background(), refundReq()); err != nil {
		t.Fatal(err)
	}
	if wrap.seen.Load() != 1 {
		t.Fatalf("the wrapper saw %d requests, want 1", wrap.seen.Load())
	}
}
