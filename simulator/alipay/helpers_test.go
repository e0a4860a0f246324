package alipay_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/alipay"
	"github.com/tongdao/tongdao/simulator/demo"
)

// sink is an in-process merchant receiving notifications; it acknowledges after fail
// failed answers.
type sink struct {
	mu    sync.Mutex
	clk   func() time.Time
	fail  int
	got   []url.Values
	times []time.Time
	ctype []string
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	v, _ := url.ParseQuery(string(b))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, v)
	s.ctype = append(s.ctype, r.Header.Get("Content-Type"))
	if s.clk != nil {
		s.times = append(s.times, s.clk())
	}
	if s.fail > 0 {
		s.fail--
		_, _ = w.Write([]byte("fail"))
		return
	}
	_, _ = w.Write([]byte("success"))
}

func (s *sink) all() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.got...)
}

type env struct {
	t      testing.TB
	sim    *simulator.TestServer
	a      *alipay.Server
	sink   *sink
	appKey *rsa.PrivateKey
	pub    *rsa.PublicKey // the simulated Alipay's key (key mode, first cert)
	pub2   *rsa.PublicKey // the rotated certificate's key
	cert   bool           // send requests in certificate mode
}

func newEnv(t testing.TB, cfg alipay.Config) *env {
	t.Helper()
	a, err := alipay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sk := &sink{}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{a}, Seed: 42, CallbackTransport: simulator.HandlerTransport(sk)})
	sk.clk = sim.Clock().Now
	e := &env{t: t, sim: sim, a: a, sink: sk}
	if e.appKey, err = sign.ParseRSAPrivateKey(demo.MustFile(demo.AlipayAppPrivate)); err != nil {
		t.Fatal(err)
	}
	if e.pub, err = sign.ParseRSAPublicKey(demo.MustFile(demo.AlipayPlatformPublic)); err != nil {
		t.Fatal(err)
	}
	p2, _ := alipay.RotationFile(alipay.FilePlatform2Public)
	if e.pub2, err = sign.ParseRSAPublicKey(p2); err != nil {
		t.Fatal(err)
	}
	return e
}

// params builds a signed request (§3, §4).
func (e *env) params(method, biz string, extra map[string]string) url.Values {
	v := url.Values{
		"app_id": {alipay.DemoAppID}, "method": {method}, "format": {"JSON"}, "charset": {"utf-8"},
		"sign_type": {"RSA2"}, "timestamp": {"2024-06-03 10:00:00"}, "version": {"1.0"},
	}
	if biz != "" {
		v.Set("biz_content", biz)
	}
	if e.cert {
		appSN, _ := sign.AlipayCertSNFromPEM(demo.MustFile(demo.AlipayAppCert))
		rootSN, _ := sign.AlipayRootCertSN(demo.MustFile(demo.AlipayRootCert))
		v.Set("app_cert_sn", appSN)
		v.Set("alipay_root_cert_sn", rootSN)
	}
	for k, x := range extra {
		if x == "" {
			v.Del(k)
		} else {
			v.Set(k, x)
		}
	}
	if _, ok := extra["sign"]; !ok {
		sig, err := sign.SignRSA2Base64(e.appKey, []byte(sign.Canonical(sign.ParamsFromValues(v), sign.AlipayRequestCanonical())))
		if err != nil {
			e.t.Fatal(err)
		}
		v.Set("sign", sig)
	}
	return v
}

// resp is one decoded answer.
type resp struct {
	raw    []byte
	node   []byte // the signed bytes, cut as gopay cuts them (§6)
	sign   string
	certSN string
	f      map[string]any
}

func (r resp) s(k string) string { v, _ := r.f[k].(string); return v }

func (e *env) post(v url.Values) []byte {
	e.t.Helper()
	res, err := e.sim.Client().Post(e.sim.URL+"/gateway.do?charset=utf-8", "application/x-www-form-urlencoded;charset=utf-8", strings.NewReader(v.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		e.t.Fatalf("status %d: %s", res.StatusCode, b)
	}
	return b
}

// call sends a request and verifies the answer's signature over the node bytes when
// it is signed.
func (e *env) call(method, biz string, extra map[string]string) resp {
	e.t.Helper()
	return e.decode(method, e.post(e.params(method, biz, extra)))
}

func (e *env) decode(method string, b []byte) resp {
	e.t.Helper()
	r := resp{raw: b}
	name := strings.ReplaceAll(method, ".", "_") + "_response"
	prefix := `{"` + name + `":`
	if !bytes.HasPrefix(b, []byte(prefix)) {
		prefix = `{"error_response":`
		if !bytes.HasPrefix(b, []byte(prefix)) {
			e.t.Fatalf("answer does not start with the node: %s", b)
		}
	}
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(b, &outer); err != nil {
		e.t.Fatalf("answer is not JSON: %v: %s", err, b)
	}
	_ = json.Unmarshal(outer["sign"], &r.sign)
	_ = json.Unmarshal(outer["alipay_cert_sn"], &r.certSN)
	rest := b[len(prefix):]
	end := bytes.Index(rest, []byte(`,"alipay_cert_sn":`))
	if end < 0 {
		end = bytes.Index(rest, []byte(`,"sign":`))
	}
	if end < 0 {
		end = len(rest) - 1
	}
	r.node = rest[:end]
	if err := json.Unmarshal(r.node, &r.f); err != nil {
		e.t.Fatalf("node: %v: %s", err, r.node)
	}
	if r.sign != "" {
		pub := e.pub
		first, rotated := e.a.PlatformCertSN()
		if r.certSN == rotated {
			pub = e.pub2
		} else if r.certSN != "" && r.certSN != first {
			e.t.Fatalf("unknown alipay_cert_sn %q", r.certSN)
		}
		if err := sign.VerifyRSA2Base64(pub, r.node, r.sign); err != nil {
			e.t.Fatalf("answer signature does not verify over the node bytes: %v\n%s", err, b)
		}
	}
	return r
}

// verifyNotify checks a notification's signature with the gopay rule (§10.4).
func (e *env) verifyNotify(v url.Values) error {
	p := sign.ParamsFromValues(v)
	return sign.VerifyRSA2Base64(e.pub, []byte(sign.Canonical(p, sign.AlipayNotifyCanonical())), v.Get("sign"))
}

func (e *env) payer(op, otn string, opts map[string]string) simulator.PayOutcome {
	e.t.Helper()
	a := simulator.PayerAction{Channel: alipay.Name, OutTradeNo: otn, Options: opts}
	var out simulator.PayOutcome
	var err error
	if op == "pay" {
		out, err = e.sim.Pay(e.t.Context(), a)
	} else {
		out, err = e.sim.Cancel(e.t.Context(), a)
	}
	if err != nil {
		e.t.Fatalf("payer %s %s: %v", op, otn, err)
	}
	return out
}

func want(t *testing.T, r resp, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if got := r.s(kv[i]); got != kv[i+1] {
			t.Errorf("%s = %q, want %q\n%s", kv[i], got, kv[i+1], r.raw)
		}
	}
}
