package wechat

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/jarcoal/httpmock"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

// The official example account of wechat-v2.md §3.3; testdata/*.xml are signed with it.
const (
	demoAppID = "wxd930ea5d5a258f4f"
	demoMchID = "10000100"
	demoKey   = "192006250b4c09247ec02edce69f6a2d"
	testBase  = "https://wx.test"
)

// testNow is the fixed clock reading of every test: 2026-11-22 10:00:00 Beijing.
var testNow = time.Date(2026, 11, 22, 10, 0, 0, 0, clock.Beijing())

// recorder keeps the last request of each path as decoded, signature-checked params.
type recorder struct {
	mu   sync.Mutex
	reqs map[string]sign.Params
}

func (r *recorder) last(path string) sign.Params {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs[path]
}

type testEnv struct {
	c   *Client
	mt  *httpmock.MockTransport
	rec *recorder
}

// newEnv returns a client against a mock transport (for both the plain and the TLS
// client) with the demo account and a virtual clock; mod adjusts the config.
func newEnv(t *testing.T, mod func(*Config)) *testEnv {
	t.Helper()
	mt := httpmock.NewMockTransport()
	hc := &http.Client{Transport: mt}
	cfg := Config{
		AppID: demoAppID, MchID: demoMchID, Key: demoKey, BaseURL: testBase,
		HTTPClient: hc, TLSClient: hc, Clock: clock.NewVirtual(testNow),
		NotifyURL: "https://merchant.test/notify/wechat",
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &testEnv{c: c, mt: mt, rec: &recorder{reqs: map[string]sign.Params{}}}
}

// respond registers a responder for path that checks the request's signature with key
// and type (as the server would), records it and answers body.
func (e *testEnv) respond(t *testing.T, path string, key string, st sign.WeChatSignType, body string) {
	t.Helper()
	e.mt.RegisterResponder(http.MethodPost, testBase+path, func(req *http.Request) (*http.Response, error) {
		data, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		p, err := decodeFlat(data, "xml")
		if err != nil {
			t.Errorf("%s: request is not flat XML: %v\n%s", path, err, data)
			return httpmock.NewStringResponse(500, ""), nil
		}
		if err := sign.WeChatVerify(p, key, st, lookup(p, "sign")); err != nil {
			t.Errorf("%s: request signature: %v", path, err)
		}
		e.rec.mu.Lock()
		e.rec.reqs[path] = p
		e.rec.mu.Unlock()
		return httpmock.NewStringResponse(200, body), nil
	})
}

// golden reads testdata/name.
func golden(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// signedXML builds a response like WeChat's: the envelope fields, fields, signed with the
// demo key (MD5).
func signedXML(t testing.TB, fields map[string]string) string {
	t.Helper()
	return signedXMLWith(t, demoKey, fields)
}

// signedXMLWith is signedXML with another key.
func signedXMLWith(t testing.TB, key string, fields map[string]string) string {
	t.Helper()
	p := sign.Params{{Key: "return_code", Value: "SUCCESS"}, {Key: "return_msg", Value: "OK"},
		{Key: "appid", Value: demoAppID}, {Key: "mch_id", Value: demoMchID}, {Key: "nonce_str", Value: "n0nce"}}
	for k, v := range fields {
		p.Set(k, v)
	}
	s, err := sign.WeChatSign(p, key, sign.WeChatMD5)
	if err != nil {
		t.Fatal(err)
	}
	p.Set("sign", s)
	doc := etree.NewDocument()
	root := doc.CreateElement("xml")
	for _, kv := range p {
		root.CreateElement(kv.Key).CreateCData(kv.Value)
	}
	out, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantErr asserts err is a *channel.Error with kind, code and retryability.
func wantErr(t *testing.T, err error, kind channel.Kind, code string, retryable bool) *channel.Error {
	t.Helper()
	var ce *channel.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v (%T), want *channel.Error", err, err)
	}
	if ce.Kind != kind || (code != "" && ce.Code != code) || ce.Retryable != retryable {
		t.Fatalf("error = kind %v code %q retryable %v (%v); want kind %v code %q retryable %v",
			ce.Kind, ce.Code, ce.Retryable, ce, kind, code, retryable)
	}
	return ce
}

// timeoutErr is a net.Error that timed out.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
