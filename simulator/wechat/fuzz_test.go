package wechat

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
)

func FuzzDecodeXML(f *testing.F) {
	for _, s := range []string{
		"<xml><a><![CDATA[1]]></a><b>2</b></xml>",
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?><xml><a>&amp;</a></xml>",
		"<!DOCTYPE x [<!ENTITY e \"x\">]><xml><a>&e;</a></xml>",
		"<xml><a><b/></a></xml>", "<xml><a>1</a><a>2</a></xml>", "", "<xml>", "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodeXML(body)
		if err != nil {
			return
		}
		// What decodes re-encodes (our writer) and decodes to the same non-empty fields.
		var want sign.Params
		for _, kv := range p {
			if kv.Value != "" {
				want = append(want, kv)
			}
		}
		back, err := decodeXML(encodeXML(p))
		if err != nil && len(want) > 0 {
			t.Fatalf("re-encoded %q does not decode: %v", encodeXML(p), err)
		}
		if len(back) != len(want) {
			t.Fatalf("round trip %v -> %v", want, back)
		}
		for i := range want {
			if back[i] != want[i] {
				t.Fatalf("round trip field %d: %q -> %q", i, want[i], back[i])
			}
		}
	})
}

// fuzzServer is a server on a virtual clock without the engine, answering with no faults.
func fuzzServer(t testing.TB) *Server {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	s.bind(clock.NewVirtual(beijing(2024, 6, 3, 10, 0, 0)), r.Uint64, nil)
	return s
}

func FuzzServe(f *testing.F) {
	paths := Paths()
	seeds := []sign.Params{
		nativeOrder("FZ-1", "1"), micropayReq("FZ-2", "1"), params("out_trade_no", "FZ-1"),
		refundReq("FZ-2", "FZR-1", "1", "1"), params("bill_date", "20240602", "bill_type", "ALL"),
	}
	for i, p := range seeds {
		f.Add(uint8(i), buildXML(signed(p, DemoKey, sign.WeChatMD5), i%2 == 0))
	}
	f.Add(uint8(0), []byte("<xml><appid>"+DemoAppID+"</appid></xml>"))
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, pi uint8, body []byte) {
		path := paths[int(pi)%len(paths)]
		r := s.handle(context.Background(), noFaults{}, http.MethodPost, path, body)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d", path, r.status)
		}
		if bytes.Contains(r.body, []byte("<html")) || bytes.Contains(r.body, []byte("<HTML")) {
			t.Fatalf("%s: body contains <html: %q", path, r.body)
		}
		if !bytes.HasPrefix(r.body, []byte("<xml>")) {
			return // a bill: only for a validly signed download request
		}
		p, err := decodeXML(r.body)
		if err != nil {
			t.Fatalf("%s: reply is not WeChat XML: %v: %q", path, err, r.body)
		}
		if rc := p.Value("return_code"); rc != "SUCCESS" && rc != "FAIL" {
			t.Fatalf("%s: return_code %q", path, rc)
		}
	})
}
