package bank_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/bank"
	"github.com/tongdao/tongdao/simulator/demo"
)

// This file is a small BDC client written from the wire reference for these tests only;
// it never imports adapters/bank (depcheck enforces that).

var sensitiveFields = map[string]bool{"cardNo": true, "holderName": true, "idNo": true, "mobile": true, "cvn2": true, "expiry": true}

// sink is an in-process merchant receiving notifications; it acknowledges with "OK"
// after fail failed answers.
type sink struct {
	mu   sync.Mutex
	fail int
	got  [][]byte
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, b)
	if s.fail > 0 {
		s.fail--
		_, _ = w.Write([]byte("FAIL"))
		return
	}
	_, _ = w.Write([]byte("OK\n"))
}

func (s *sink) all() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.got...)
}

// cprof is the client side of a merchant Profile.
type cprof struct {
	uid     []byte
	sig     sign.SM2SigEncoding
	text    sign.TextEncoding
	env     sign.EnvelopeOptions
	timeFmt string
}

type client struct {
	t          testing.TB
	sim        *simulator.TestServer
	hc         *http.Client
	merchantID string
	certSerial string
	key        *sign.SM2PrivateKey
	bankSign   *sign.SM2PublicKey
	bankEnc    *sign.SM2PublicKey
	prof       cprof
	n          int
}

type env struct {
	t    testing.TB
	sim  *simulator.TestServer
	bank *bank.Server
	sink *sink
	c    *client
}

func newEnv(t testing.TB, cfg bank.Config) *env {
	t.Helper()
	return newEnvAt(t, cfg, time.Time{})
}

func newEnvAt(t testing.TB, cfg bank.Config, start time.Time) *env {
	t.Helper()
	b, err := bank.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sk := &sink{}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{b}, Seed: 7, Start: start,
		CallbackTransport: simulator.HandlerTransport(sk)})
	e := &env{t: t, sim: sim, bank: b, sink: sk}
	e.c = &client{t: t, sim: sim, hc: &http.Client{Transport: sim.Transport()}, merchantID: bank.DemoMerchantID,
		certSerial: bank.DemoCertSerial, key: mustPriv(t, demo.MustFile(demo.BankMerchantPrivate)),
		bankSign: mustPub(t, demo.MustFile(demo.BankSignPublic)), bankEnc: mustPub(t, demo.MustFile(demo.BankEncPublic)),
		prof: cprof{uid: []byte(sign.DefaultSM2UID), timeFmt: "20060102150405"}}
	return e
}

func mustPriv(t testing.TB, b []byte) *sign.SM2PrivateKey {
	t.Helper()
	k, err := sign.ParseSM2PrivateKey(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustPub(t testing.TB, b []byte) *sign.SM2PublicKey {
	t.Helper()
	k, err := sign.ParseSM2PublicKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// answer is a decoded, verified response envelope.
type answer struct {
	status int
	f      map[string]string
	data   map[string]any
	raw    []byte
}

func (a answer) code() string { return a.f["respCode"] }

func (a answer) d(k string) string {
	v, _ := a.data[k].(string)
	return v
}

// canonicalOf is §4.3 built independently of the simulator: sorted, non-empty, k=v&.
func canonicalOf(f map[string]string) []byte {
	keys := make([]string, 0, len(f))
	for k, v := range f {
		if k != "sign" && v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k + "=" + f[k])
	}
	return b.Bytes()
}

// envelope builds a signed request: sensitive fields sealed in a fresh digital envelope.
func (c *client) envelope(tx, serial string, data map[string]string) map[string]string {
	c.t.Helper()
	clear := map[string]string{}
	var ev *sign.Envelope
	for k, v := range data {
		if sensitiveFields[k] {
			if ev == nil {
				var err error
				if ev, err = sign.NewEnvelope(c.prof.env); err != nil {
					c.t.Fatal(err)
				}
			}
			sv, err := ev.SealField([]byte(v))
			if err != nil {
				c.t.Fatal(err)
			}
			clear[k] = sv
		} else {
			clear[k] = v
		}
	}
	dj, _ := json.Marshal(clear)
	f := map[string]string{"version": "1.0", "merchantId": c.merchantID, "txCode": tx, "reqSerial": serial,
		"reqTime": c.sim.Clock().Now().In(clock.Beijing()).Format(c.prof.timeFmt), "signType": "SM2",
		"certSerial": c.certSerial, "data": string(dj)}
	if ev != nil {
		k, err := ev.WrapKey(c.bankEnc)
		if err != nil {
			c.t.Fatal(err)
		}
		f["encKey"] = k
	}
	sig, err := sign.SignSM2(c.key, canonicalOf(f), sign.SM2SignOptions{UID: c.prof.uid, Encoding: c.prof.sig})
	if err != nil {
		c.t.Fatal(err)
	}
	f["sign"], _ = sign.EncodeText(sig, c.prof.text)
	return f
}

// call sends one operation with a fresh reqSerial.
func (c *client) call(tx string, data map[string]string) answer {
	c.t.Helper()
	c.n++
	return c.callSerial(tx, fmt.Sprintf("S%06d", c.n), data)
}

func (c *client) callSerial(tx, serial string, data map[string]string) answer {
	c.t.Helper()
	b, _ := json.Marshal(c.envelope(tx, serial, data))
	a := c.post(b, "application/json; charset=utf-8")
	if a.status != http.StatusOK {
		c.t.Fatalf("%s: HTTP %d %s", tx, a.status, a.raw)
	}
	if err := c.verify(a.f); err != nil {
		c.t.Fatalf("%s: response signature: %v\n%s", tx, err, a.raw)
	}
	if a.f["reqSerial"] != serial || a.f["txCode"] != tx || a.f["merchantId"] != c.merchantID {
		c.t.Fatalf("%s: echo fields wrong: %v", tx, a.f)
	}
	return a
}

func (c *client) post(body []byte, contentType string) answer {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.sim.URL+bank.GatewayPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	resp, err := c.hc.Do(req)
	if err != nil {
		return answer{status: -1, raw: []byte(err.Error())}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: raw, f: map[string]string{}}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &a.f); err != nil {
			c.t.Fatalf("answer not a JSON object of strings: %v\n%s", err, raw)
		}
		if d := a.f["data"]; d != "" {
			if err := json.Unmarshal([]byte(d), &a.data); err != nil {
				c.t.Fatalf("answer data: %v", err)
			}
		}
	}
	return a
}

func (c *client) verify(f map[string]string) error {
	sig, err := sign.DecodeText(f["sign"], c.prof.text)
	if err != nil {
		return err
	}
	return sign.VerifySM2(c.bankSign, canonicalOf(f), sig, sign.SM2SignOptions{UID: c.prof.uid, Encoding: c.prof.sig})
}

// sms reads the current SMS code through the control API.
func (e *env) sms(bindNo string) string {
	e.t.Helper()
	resp, err := e.c.hc.Get(e.sim.URL + "/_sim/bank/sms?merchant=" + e.c.merchantID + "&bind_no=" + bindNo)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v bank.SMS
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 || len(v.Code) != 6 {
		e.t.Fatalf("sms: %d %v %+v", resp.StatusCode, err, v)
	}
	return v.Code
}

var g1Card = map[string]string{"cardNo": "6216261000000000018", "holderName": "全渠道", "idType": "01",
	"idNo": "341126197709218366", "mobile": "13552535506"}

func bindData(bindNo, user string, card map[string]string) map[string]string {
	d := map[string]string{"bindNo": bindNo, "userId": user}
	for k, v := range card {
		d[k] = v
	}
	return d
}

// bind runs apply + confirm and returns the protocolNo.
func (e *env) bind(bindNo, user string, card map[string]string) string {
	e.t.Helper()
	a := e.c.call(bank.TxBindApply, bindData(bindNo, user, card))
	if a.code() != "0000" {
		e.t.Fatalf("BIND_APPLY: %s %s", a.code(), a.f["respMsg"])
	}
	a = e.c.call(bank.TxBindConfirm, map[string]string{"bindNo": bindNo, "smsCode": e.sms(bindNo)})
	if a.code() != "0000" || a.d("protocolNo") == "" {
		e.t.Fatalf("BIND_CONFIRM: %s %s", a.code(), a.f["respMsg"])
	}
	return a.d("protocolNo")
}

func payData(orderNo, user, pno, amount string) map[string]string {
	return map[string]string{"orderNo": orderNo, "userId": user, "protocolNo": pno, "amount": amount,
		"subject": "test", "notifyUrl": "http://merchant.test/notify"}
}

// notices decodes and verifies every notification received.
func (e *env) notices() []answer {
	e.t.Helper()
	var out []answer
	for _, b := range e.sink.all() {
		a := answer{status: 200, raw: b, f: map[string]string{}}
		if err := json.Unmarshal(b, &a.f); err != nil {
			e.t.Fatalf("notification: %v", err)
		}
		_ = json.Unmarshal([]byte(a.f["data"]), &a.data)
		out = append(out, a)
	}
	return out
}

func (e *env) advance(d time.Duration) {
	e.t.Helper()
	if err := e.sim.Advance(d); err != nil {
		e.t.Fatal(err)
	}
}

func contains(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
