package unionpay_test

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/demo"
	"github.com/tongdao/tongdao/simulator/unionpay"
)

// This file is a small test client written from the wire description (unionpay.md), not
// the adapter: it signs requests with the demo merchant's keys and verifies answers and
// notifications as a 5.1.0 SDK does (signPubKeyCert chained to the demo root and middle
// certificates, the CN rule, then the signature).

const backURL = "http://merchant.test/notify"

// sink is an in-process merchant receiving back notifications; it answers 500 to the
// first fail ones.
type sink struct {
	mu    sync.Mutex
	clk   func() time.Time
	fail  int
	got   []url.Values
	times []time.Time
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	v, _ := url.ParseQuery(string(b))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, v)
	s.times = append(s.times, s.clk())
	if s.fail > 0 {
		s.fail--
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *sink) all() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.got...)
}

type env struct {
	t      testing.TB
	sim    *simulator.TestServer
	up     *unionpay.Server
	sink   *sink
	method string // signMethod of requests: 01, 11, 12, 21

	merRSA   *rsa.PrivateKey
	merRSAID string
	merSM2   *sign.SM2PrivateKey
	merSM2ID string
	encRSA   *rsa.PublicKey
	encRSAID string
	encSM2   *sign.SM2PublicKey
	encSM2ID string
	roots    []*x509.Certificate
	mids     []*x509.Certificate
	sm2Roots []*sign.SM2Certificate
	sm2Mids  []*sign.SM2Certificate
	seq      int
}

func newEnv(t testing.TB, cfg unionpay.Config, method string) *env {
	t.Helper()
	up, err := unionpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sk := &sink{}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{up}, Seed: 7, CallbackTransport: simulator.HandlerTransport(sk)})
	sk.clk = sim.Clock().Now
	e := &env{t: t, sim: sim, up: up, sink: sk, method: method}
	p12, err := sign.ParsePKCS12(demo.MustFile(demo.UnionPayMerchantPFX), demo.UnionPayPFXPassword)
	if err != nil {
		t.Fatal(err)
	}
	if e.merRSA, err = p12.RSAKey(); err != nil {
		t.Fatal(err)
	}
	e.merRSAID = sign.CertID(p12.Certificate)
	if e.merSM2, err = sign.ParseSM2PrivateKey(demo.MustFile(demo.UnionPaySM2MerchantPrivate), nil); err != nil {
		t.Fatal(err)
	}
	c, err := sign.ParseSM2Certificate(demo.MustFile(demo.UnionPaySM2MerchantCert))
	if err != nil {
		t.Fatal(err)
	}
	e.merSM2ID = c.CertID()
	enc, err := sign.ParseCertificate(demo.MustFile(demo.UnionPayEncCert))
	if err != nil {
		t.Fatal(err)
	}
	e.encRSA, e.encRSAID = enc.PublicKey.(*rsa.PublicKey), sign.CertID(enc)
	senc, err := sign.ParseSM2Certificate(demo.MustFile(demo.UnionPaySM2EncCert))
	if err != nil {
		t.Fatal(err)
	}
	e.encSM2, e.encSM2ID = senc.PublicKey, senc.CertID()
	for _, f := range []struct {
		name string
		dst  *[]*x509.Certificate
	}{{demo.UnionPayRootCert, &e.roots}, {demo.UnionPayMiddleCert, &e.mids}} {
		c, err := sign.ParseCertificate(demo.MustFile(f.name))
		if err != nil {
			t.Fatal(err)
		}
		*f.dst = append(*f.dst, c)
	}
	for _, f := range []struct {
		name string
		dst  *[]*sign.SM2Certificate
	}{{demo.UnionPaySM2RootCert, &e.sm2Roots}, {demo.UnionPaySM2MiddleCert, &e.sm2Mids}} {
		c, err := sign.ParseSM2Certificate(demo.MustFile(f.name))
		if err != nil {
			t.Fatal(err)
		}
		*f.dst = append(*f.dst, c)
	}
	return e
}

// now is the simulator clock as txnTime.
func (e *env) now() string { return e.sim.Clock().Now().In(clock.Beijing()).Format("20060102150405") }

// orderID returns a fresh orderId.
func (e *env) orderID() string {
	e.seq++
	return fmt.Sprintf("T%s%04d", e.now(), e.seq)
}

// setTime moves the virtual clock to a Beijing wall time.
func (e *env) setTime(y int, mo time.Month, d, h, mi, s int) {
	e.t.Helper()
	if err := e.sim.SetTime(time.Date(y, mo, d, h, mi, s, 0, clock.Beijing())); err != nil {
		e.t.Fatal(err)
	}
}

// fields builds a request: the common fields, then extra ("" deletes).
func (e *env) fields(txnType, sub, biz string, extra map[string]string) map[string]string {
	f := map[string]string{
		"version": "5.1.0", "encoding": "UTF-8", "signMethod": e.method, "txnType": txnType, "txnSubType": sub,
		"bizType": biz, "accessType": "0", "channelType": "07", "merId": unionpay.DemoMerID,
		"orderId": e.orderID(), "txnTime": e.now(),
	}
	for k, v := range extra {
		if v == "" {
			delete(f, k)
		} else {
			f[k] = v
		}
	}
	return f
}

// signReq adds certId and signature (unionpay.md §5).
func (e *env) signReq(f map[string]string) url.Values {
	e.t.Helper()
	if _, ok := f["signature"]; ok {
		return toValues(f)
	}
	switch e.method {
	case "01":
		f["certId"] = e.merRSAID
	case "21":
		f["certId"] = e.merSM2ID
	}
	canonical := []byte(sign.CanonicalMap(f, sign.UnionPayCanonical()))
	var sig string
	var err error
	switch e.method {
	case "01":
		sig, err = sign.UnionPaySignRSA(e.merRSA, canonical)
	case "21":
		sig, err = sign.UnionPaySignSM2(e.merSM2, e.merSM2ID, canonical)
	default:
		sig, err = sign.UnionPaySecureKeySign(e.method, canonical, unionpay.DemoSecureKey)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	v := toValues(f)
	v.Set("signature", sig)
	return v
}

func toValues(f map[string]string) url.Values {
	v := url.Values{}
	for k, x := range f {
		v.Set(k, x)
	}
	return v
}

// encrypt encrypts a sensitive value for UnionPay and sets encryptCertId.
func (e *env) encrypt(f map[string]string, plain string) string {
	e.t.Helper()
	var ct string
	var err error
	if e.method == "21" {
		ct, err = sign.UnionPayEncryptSM2(e.encSM2, []byte(plain))
		f["encryptCertId"] = e.encSM2ID
	} else {
		ct, err = sign.UnionPayEncryptRSA(e.encRSA, []byte(plain))
		f["encryptCertId"] = e.encRSAID
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return ct
}

// customerInfo builds base64({k=v&...}) with phone/cvn2/expiry in encryptedInfo.
func (e *env) customerInfo(f map[string]string, plain map[string]string, secret string) string {
	var parts []string
	for k, v := range plain {
		parts = append(parts, k+"="+v)
	}
	if secret != "" {
		parts = append(parts, "encryptedInfo="+e.encrypt(f, secret))
	}
	return base64.StdEncoding.EncodeToString([]byte("{" + strings.Join(parts, "&") + "}"))
}

func (e *env) postRaw(path string, body string) (int, []byte) {
	e.t.Helper()
	res, err := e.sim.Client().Post(e.sim.URL+path, "application/x-www-form-urlencoded;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// call signs and posts f, then parses and verifies the answer.
func (e *env) call(path string, f map[string]string) map[string]string {
	e.t.Helper()
	status, b := e.postRaw(path, e.signReq(f).Encode())
	if status != 200 {
		e.t.Fatalf("%s: status %d: %s", path, status, b)
	}
	m, err := parseLine(string(b))
	if err != nil {
		e.t.Fatalf("%s: answer: %v: %s", path, err, b)
	}
	if err := e.verify(m); err != nil {
		e.t.Fatalf("%s: answer does not verify: %v\n%s", path, err, b)
	}
	return m
}

// verify checks a signed answer or notification like a 5.1.0 SDK (unionpay.md §5.2).
func (e *env) verify(m map[string]string) error {
	if m["signature"] == "" {
		return fmt.Errorf("unsigned")
	}
	canonical := []byte(sign.CanonicalMap(m, sign.UnionPayCanonical()))
	now := e.sim.Clock().Now()
	switch m["signMethod"] {
	case "01":
		c, err := sign.ParseCertificate([]byte(m["signPubKeyCert"]))
		if err != nil {
			return err
		}
		if err := sign.UnionPayCheckSignerCert(c, sign.UnionPayCertOptions{Roots: e.roots, Intermediates: e.mids}, now); err != nil {
			return err
		}
		return sign.UnionPayVerifyRSA(c.PublicKey.(*rsa.PublicKey), canonical, m["signature"])
	case "21":
		c, err := sign.ParseSM2Certificate([]byte(m["signPubKeyCert"]))
		if err != nil {
			return err
		}
		if err := sign.UnionPayCheckSM2SignerCert(c, e.sm2Roots, e.sm2Mids, false, now); err != nil {
			return err
		}
		return sign.UnionPayVerifySM2(c.PublicKey, c.CertID(), canonical, m["signature"])
	case "11", "12":
		return sign.UnionPaySecureKeyVerify(m["signMethod"], canonical, unionpay.DemoSecureKey, m["signature"])
	}
	return fmt.Errorf("signMethod %q", m["signMethod"])
}

// parseLine parses an answer with the SDK's rule (unionpay.md §2), independently of the
// simulator's own parser.
func parseLine(s string) (map[string]string, error) {
	out := map[string]string{}
	key, inKey, start, depth := "", true, 0, byte(0)
	for i := 0; i <= len(s); i++ {
		if i == len(s) || (s[i] == '&' && depth == 0 && !inKey) {
			if inKey {
				if i > start {
					return nil, fmt.Errorf("no '=' in %q", s[start:i])
				}
				break
			}
			out[key] = s[start:i]
			inKey, start = true, i+1
			continue
		}
		c := s[i]
		switch {
		case inKey && c == '=':
			key, inKey, start = s[start:i], false, i+1
			if key == "" {
				return nil, fmt.Errorf("empty key")
			}
		case !inKey && depth == 0 && (c == '{' || c == '['):
			depth = map[byte]byte{'{': '}', '[': ']'}[c]
		case !inKey && depth != 0 && c == depth:
			depth = 0
		}
	}
	return out, nil
}

// verifyNotify checks one back notification.
func (e *env) verifyNotify(v url.Values) error {
	m := map[string]string{}
	for k := range v {
		m[k] = v.Get(k)
	}
	return e.verify(m)
}

func want(t *testing.T, m map[string]string, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if got := m[kv[i]]; got != kv[i+1] {
			t.Errorf("%s = %q, want %q (respMsg %q)", kv[i], got, kv[i+1], m["respMsg"])
		}
	}
}

// openToken runs open SMS + back open for the demo credit card and returns the token.
func (e *env) openToken(t *testing.T, trID string) string {
	t.Helper()
	f := e.fields("77", "00", "000902", map[string]string{"tokenPayData": "{trId=" + trID + "&tokenType=01}"})
	f["accNo"] = e.encrypt(f, unionpay.DemoCreditCard)
	f["customerInfo"] = e.customerInfo(f, nil, "phoneNo="+unionpay.DemoPhone)
	want(t, e.call(unionpay.PathBack, f), "respCode", "00")

	f = e.fields("79", "00", "000902", map[string]string{"tokenPayData": "{trId=" + trID + "&tokenType=01}", "accType": "01"})
	f["accNo"] = e.encrypt(f, unionpay.DemoCreditCard)
	f["customerInfo"] = e.customerInfo(f, map[string]string{"certifTp": "01"}, "phoneNo="+unionpay.DemoPhone+"&cvn2=123&expired=2311")
	m := e.call(unionpay.PathBack, f)
	want(t, m, "respCode", "00", "accNo", "622155******0000")
	tpd, err := parseLine(strings.Trim(m["tokenPayData"], "{}"))
	if err != nil || tpd["token"] == "" || tpd["trId"] != trID {
		t.Fatalf("tokenPayData %q: %v", m["tokenPayData"], err)
	}
	return tpd["token"]
}

// consume sends consume SMS then a token consume of amount fen; it returns the consume's
// answer and its orderId/txnTime.
func (e *env) consume(t *testing.T, trID, token, amount string) (map[string]string, string, string) {
	t.Helper()
	tpd := "{trId=" + trID + "&token=" + token + "}"
	f := e.fields("77", "02", "000902", map[string]string{"tokenPayData": tpd, "txnAmt": amount, "currencyCode": "156"})
	want(t, e.call(unionpay.PathBack, f), "respCode", "00")
	orderID, txnTime := f["orderId"], f["txnTime"]
	g := e.fields("01", "01", "000902", map[string]string{"tokenPayData": tpd, "txnAmt": amount, "currencyCode": "156",
		"backUrl": backURL, "orderId": orderID, "txnTime": txnTime})
	g["customerInfo"] = base64.StdEncoding.EncodeToString([]byte("{smsCode=111111}"))
	return e.call(unionpay.PathBack, g), orderID, txnTime
}

func (e *env) query(orderID, txnTime string) map[string]string {
	return e.call(unionpay.PathQuery, e.fields("00", "00", "000000", map[string]string{"orderId": orderID, "txnTime": txnTime}))
}

// deliver moves the virtual clock by d, delivering the callbacks due.
func (e *env) deliver(d time.Duration) {
	e.t.Helper()
	if err := e.sim.Advance(d); err != nil {
		e.t.Fatal(err)
	}
}

func simulatorAmount(t *testing.T, yuan string) money.Amount {
	t.Helper()
	a, err := money.Parse(yuan, money.CNY)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
