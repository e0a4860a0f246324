package alipay

import (
	"crypto/rsa"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
)

var update = flag.Bool("update", false, "rewrite the golden responses under testdata/golden")

const (
	testAppID   = "2021000000000001"
	testBaseURL = "https://openapi.test"
	testGateway = testBaseURL + "/gateway.do"
)

// testNow is the virtual clock's start: 2026-12-01 10:00:00 Beijing (after the test
// certificates' NotBefore, 2026-11-22 14:09 UTC).
var testNow = time.Date(2026, 12, 1, 10, 0, 0, 0, clock.Beijing())

func readTestdata(t testing.TB, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testKey(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	k, err := sign.ParseRSAPrivateKey(readTestdata(t, "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func certSN(t testing.TB, name string) string {
	t.Helper()
	sn, err := sign.AlipayCertSNFromPEM(readTestdata(t, "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return sn
}

// signedBody builds a response body the way the simulator recipe says (alipay.md §6):
// node bytes as given, optional alipay_cert_sn, then sign over the node bytes.
func signedBody(t testing.TB, key *rsa.PrivateKey, method, node, sn string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"` + nodeName(method) + `":` + node)
	if sn != "" {
		b.WriteString(`,"alipay_cert_sn":"` + sn + `"`)
	}
	if key != nil {
		sig, err := sign.SignRSA2Base64(key, []byte(node))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(`,"sign":"` + sig + `"`)
	}
	b.WriteString("}")
	return b.String()
}

// mode selects the client's verification mode.
type mode int

const (
	keyMode mode = iota
	certModeTest
)

func testConfig(t testing.TB, m mode) Config {
	cfg := Config{
		AppID:         testAppID,
		AppPrivateKey: readTestdata(t, "keys", "app_private_pkcs8.pem"),
		BaseURL:       testBaseURL,
		NotifyURL:     "https://merchant.test/notify/alipay",
		ReturnURL:     "https://merchant.test/return",
		TempDir:       t.TempDir(),
	}
	if m == certModeTest {
		cfg.AppCert = readTestdata(t, "keys", "app_cert.crt")
		cfg.AlipayCert = readTestdata(t, "keys", "alipay_cert.crt")
		cfg.AlipayRootCert = readTestdata(t, "keys", "root_bundle.crt")
	} else {
		cfg.AlipayPublicKey = readTestdata(t, "keys", "alipay_public.pem")
	}
	return cfg
}

// gateway is an httpmock responder that checks each request's RSA2 signature with the
// app's public key (alipay.md §4) and answers per method.
type gateway struct {
	t       testing.TB
	pub     *rsa.PublicKey
	mu      sync.Mutex
	answers map[string][]httpmock.Responder // method → answers in order (last repeats)
	calls   []url.Values
}

func (g *gateway) on(method string, r ...httpmock.Responder) {
	g.answers[method] = append(g.answers[method], r...)
}

func (g *gateway) onBody(method string, bodies ...string) {
	for _, b := range bodies {
		g.on(method, httpmock.NewStringResponder(200, b))
	}
}

func (g *gateway) methods() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var m []string
	for _, c := range g.calls {
		m = append(m, c.Get("method"))
	}
	return m
}

func (g *gateway) last() url.Values {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[len(g.calls)-1]
}

func (g *gateway) respond(req *http.Request) (*http.Response, error) {
	if ct := req.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded;charset=utf-8" {
		g.t.Errorf("Content-Type = %q", ct)
	}
	body, _ := io.ReadAll(req.Body)
	form, err := url.ParseQuery(string(body))
	if err != nil {
		g.t.Errorf("request body: %v", err)
	}
	p := sign.ParamsFromValues(form)
	msg := sign.Canonical(p, sign.AlipayRequestCanonical())
	if err := sign.VerifyRSA2Base64(g.pub, []byte(msg), form.Get("sign")); err != nil {
		g.t.Errorf("request signature: %v (string %q)", err, msg)
	}
	g.mu.Lock()
	g.calls = append(g.calls, form)
	method := form.Get("method")
	rs := g.answers[method]
	var r httpmock.Responder
	if len(rs) > 0 {
		r = rs[0]
		if len(rs) > 1 {
			g.answers[method] = rs[1:]
		}
	}
	g.mu.Unlock()
	if r == nil {
		g.t.Errorf("unexpected call %s", method)
		return httpmock.NewStringResponse(500, "no answer"), nil
	}
	return r(req)
}

type harness struct {
	c   *Client
	gw  *gateway
	mt  *httpmock.MockTransport
	clk *clock.Virtual
}

func newHarness(t testing.TB, m mode, edit ...func(*Config)) *harness {
	t.Helper()
	mt := httpmock.NewMockTransport()
	clk := clock.NewVirtual(testNow)
	cfg := testConfig(t, m)
	cfg.HTTPClient = &http.Client{Transport: mt}
	cfg.Clock = clk
	for _, e := range edit {
		e(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	gw := &gateway{t: t, pub: &testKey(t, "app_private_pkcs1.pem").PublicKey, answers: map[string][]httpmock.Responder{}}
	mt.RegisterResponder("POST", testGateway, gw.respond)
	return &harness{c: c, gw: gw, mt: mt, clk: clk}
}

// biz decodes the biz_content of a recorded request.
func biz(t testing.TB, form url.Values) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(form.Get("biz_content")), &m); err != nil {
		t.Fatalf("biz_content %q: %v", form.Get("biz_content"), err)
	}
	return m
}

func mustRegexp(s string) *regexp.Regexp { return regexp.MustCompile(s) }
