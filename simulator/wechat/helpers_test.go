package wechat

import (
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// merchantSink is an in-process merchant that receives notifications and answers with
// ack (default: WeChat's SUCCESS XML).
type merchantSink struct {
	mu  sync.Mutex
	clk func() time.Time
	ack []byte
	got []notification
}

type notification struct {
	at   time.Time
	path string
	body []byte
}

func (m *merchantSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.got = append(m.got, notification{at: m.clk(), path: r.URL.Path, body: b})
	ack := m.ack
	m.mu.Unlock()
	if ack == nil {
		ack = []byte("<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>")
	}
	_, _ = w.Write(ack)
}

func (m *merchantSink) all() []notification {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]notification(nil), m.got...)
}

// testEnv is a simulator serving only WeChat, on a virtual clock, with notifications
// delivered to an in-process merchant.
type testEnv struct {
	t    *testing.T
	ts   *simulator.TestServer
	w    *Server
	sink *merchantSink
	hc   *http.Client
}

const notifyURL = "https://merchant.example/notify/wechat"

func newEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sink := &merchantSink{}
	ts := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{w}, Seed: 42,
		CallbackTransport: simulator.HandlerTransport(sink)})
	sink.clk = ts.Clock().Now
	return &testEnv{t: t, ts: ts, w: w, sink: sink, hc: &http.Client{Transport: ts.Transport()}}
}

// buildXML writes a request the way gopay does (every value in CDATA) or, with plain,
// as escaped text, so both decoder paths are exercised.
func buildXML(p sign.Params, plain bool) []byte {
	var b bytes.Buffer
	b.WriteString("<xml>")
	for _, kv := range p {
		b.WriteString("<" + kv.Key + ">")
		if plain {
			_ = xml.EscapeText(&b, []byte(kv.Value))
		} else {
			b.WriteString("<![CDATA[" + kv.Value + "]]>")
		}
		b.WriteString("</" + kv.Key + ">")
	}
	b.WriteString("</xml>")
	return b.Bytes()
}

// signed returns p with the demo appid, mch_id, a nonce and the sign added.
func signed(p sign.Params, key string, st sign.WeChatSignType) sign.Params {
	q := append(sign.Params{{Key: "appid", Value: DemoAppID}, {Key: "mch_id", Value: DemoMchID},
		{Key: "nonce_str", Value: "ibuaiVcKdpRxkhJA"}}, p...)
	if st == sign.WeChatHMACSHA256 {
		q.Set("sign_type", string(st))
	}
	s, err := sign.WeChatSign(q, key, st)
	if err != nil {
		panic(err)
	}
	q.Set("sign", s)
	return q
}

// raw posts body to path and returns the status, content type and body.
func (e *testEnv) raw(method, path string, body []byte) (int, string, []byte) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, "http://api.mch.weixin.qq.com"+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// call signs p with the demo key (MD5), posts it and returns the parsed response after
// checking that a SUCCESS response verifies with the same key and algorithm.
func (e *testEnv) call(path string, p sign.Params) map[string]string {
	e.t.Helper()
	return e.callWith(path, p, DemoKey, sign.WeChatMD5)
}

func (e *testEnv) callWith(path string, p sign.Params, key string, st sign.WeChatSignType) map[string]string {
	e.t.Helper()
	status, _, body := e.raw(http.MethodPost, path, buildXML(signed(p, key, st), false))
	if status != http.StatusOK {
		e.t.Fatalf("%s: HTTP %d %s", path, status, body)
	}
	return mustVerify(e.t, body, key, st)
}

// parseResp parses a flat <xml> document with encoding/xml (not the package's decoder).
func parseResp(t testing.TB, body []byte) (sign.Params, map[string]string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(body))
	var p sign.Params
	var key string
	var val strings.Builder
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("response is not XML: %v\n%s", err, body)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			depth++
			key = tk.Name.Local
			val.Reset()
		case xml.CharData:
			val.Write(tk)
		case xml.EndElement:
			if depth == 2 {
				p = append(p, sign.Param{Key: key, Value: val.String()})
			}
			depth--
		}
	}
	return p, p.Map()
}

func mustVerify(t testing.TB, body []byte, key string, st sign.WeChatSignType) map[string]string {
	t.Helper()
	p, m := parseResp(t, body)
	if m["return_code"] != "SUCCESS" {
		if m["sign"] != "" {
			t.Fatalf("FAIL response carries a sign: %s", body)
		}
		return m
	}
	if _, has := m["sign_type"]; has {
		t.Fatalf("response repeats sign_type: %s", body)
	}
	if err := sign.WeChatVerify(p, key, st, m["sign"]); err != nil {
		t.Fatalf("response signature: %v\n%s", err, body)
	}
	return m
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run with -update)", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\n got: %s\nwant: %s", name, got, want)
	}
}

func params(kv ...string) sign.Params {
	var p sign.Params
	for i := 0; i+1 < len(kv); i += 2 {
		p = append(p, sign.Param{Key: kv[i], Value: kv[i+1]})
	}
	return p
}

func nativeOrder(outTradeNo, fee string) sign.Params {
	return params("body", "tongdao-test", "out_trade_no", outTradeNo, "total_fee", fee,
		"spbill_create_ip", "203.0.113.7", "notify_url", notifyURL, "trade_type", "NATIVE", "product_id", "P1")
}

func (e *testEnv) pay(outTradeNo string) simulator.PayOutcome {
	e.t.Helper()
	out, err := e.ts.Pay(context.Background(), simulator.PayerAction{Channel: Name, OutTradeNo: outTradeNo})
	if err != nil {
		e.t.Fatalf("pay %s: %v", outTradeNo, err)
	}
	return out
}

func (e *testEnv) advance(d time.Duration) {
	e.t.Helper()
	if err := e.ts.Advance(d); err != nil {
		e.t.Fatal(err)
	}
}

func (e *testEnv) setTime(t time.Time) {
	e.t.Helper()
	if err := e.ts.SetTime(t); err != nil {
		e.t.Fatal(err)
	}
}

func beijing(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, clock.Beijing())
}

func wantFields(t *testing.T, got map[string]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (response %v)", k, got[k], v, got)
		}
	}
}
