package alipay

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/core/channel"
)

func goldenSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"error_response":{"code":"40002"}}`))
	f.Add([]byte(`{"alipay_trade_query_response":{"a":[{"b":"}"}]},"sign":"\/"}`))
}

func wantChannelError(t *testing.T, err error) {
	t.Helper()
	var ce *channel.Error
	if err != nil && !errors.As(err, &ce) {
		t.Fatalf("error is not a *channel.Error: %v", err)
	}
}

// FuzzExtractResponse: the node cut out of any body is a sub-slice of it, an object,
// and cutting again from a re-built body gives the same bytes.
func FuzzExtractResponse(f *testing.F) {
	goldenSeeds(f)
	name := nodeName(methodQuery)
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := extractResponse(body, name)
		if err != nil {
			return
		}
		if len(env.node) < 2 || env.node[0] != '{' || env.node[len(env.node)-1] != '}' {
			t.Fatalf("node %q is not an object", env.node)
		}
		if !bytes.Contains(body, env.node) {
			t.Fatalf("node is not part of the body")
		}
		rebuilt := append([]byte(`{"`+env.name+`":`), env.node...)
		rebuilt = append(rebuilt, `,"sign":"x"}`...)
		env2, err := extractResponse(rebuilt, name)
		if err != nil || !bytes.Equal(env2.node, env.node) {
			t.Fatalf("re-extraction differs: %v", err)
		}
	})
}

// FuzzDecodeResponse runs the whole response path (cut, verify, decode, map) on any
// body: it must never panic and must fail only with *channel.Error.
func FuzzDecodeResponse(f *testing.F) {
	goldenSeeds(f)
	h := newHarness(f, keyMode)
	f.Fuzz(func(t *testing.T, body []byte) {
		var tr tradeResponse
		err := h.c.decodeResponse(context.Background(), call{op: "query", method: methodQuery}, body, &tr)
		wantChannelError(t, err)
		if err == nil {
			_, err = tr.result("query", channel.StatusUnknown)
			wantChannelError(t, err)
		}
	})
}

// FuzzVerifiedNode signs whatever node the fuzzer makes with the test "Alipay" key, so
// the decoding behind the signature check is reached too.
func FuzzVerifiedNode(f *testing.F) {
	for _, g := range goldenSpecs(f) {
		if g.method == methodQuery || g.method == methodPay {
			f.Add(g.node)
		}
	}
	h := newHarness(f, keyMode)
	key := testKey(f, "alipay_private.pem")
	f.Fuzz(func(t *testing.T, node string) {
		body := signedBody(t, key, methodQuery, node, "")
		var tr tradeResponse
		err := h.c.decodeResponse(context.Background(), call{op: "query", method: methodQuery}, []byte(body), &tr)
		wantChannelError(t, err)
		if err == nil {
			r, err := tr.result("query", channel.StatusUnknown)
			wantChannelError(t, err)
			if err == nil && (r.Amount.IsNegative() && r.Status.Paid()) {
				t.Logf("negative paid amount accepted: %v", r.Amount)
			}
		}
	})
}

// FuzzParseNotification: any body is either a verified notification or a typed error.
func FuzzParseNotification(f *testing.F) {
	f.Add(notifyBody(f, "alipay_private.pem", paymentNotify(), false))
	f.Add([]byte("a=1&b=%zz&sign=AAAA"))
	f.Add([]byte("&&=&sign_type=RSA2&sign="))
	h := newHarness(f, keyMode)
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := h.c.ParseNotification(context.Background(), nil, body)
		wantChannelError(t, err)
		if err == nil && n.Payment == nil && n.Refund == nil {
			t.Fatal("notification without payload")
		}
	})
}

// FuzzDecodeNotification reaches the decoder behind the signature check.
func FuzzDecodeNotification(f *testing.F) {
	f.Add(notifyBody(f, "alipay_private.pem", paymentNotify(), false))
	m := paymentNotify()
	m["out_biz_no"] = "R1"
	m["gmt_refund"] = "2016-07-20 15:45:57.320"
	f.Add(notifyBody(f, "alipay_private.pem", m, false))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := parseForm(body)
		if err != nil {
			return
		}
		n, err := decodeNotification(p)
		if err != nil {
			return
		}
		if (n.Payment == nil) == (n.Refund == nil) {
			t.Fatal("exactly one of Payment and Refund must be set")
		}
	})
}

// FuzzBillReader feeds arbitrary GBK text to the detail-file reader: it must end with
// io.EOF or a *channel.Error, and every record has a non-negative amount.
func FuzzBillReader(f *testing.F) {
	var b strings.Builder
	writeBill(&b, 12)
	f.Add([]byte(gbk(f, b.String())))
	f.Add([]byte(gbk(f, billHeader+"\n1,\"a,b\",交易,,,2026-11-21 10:00:05,,,,,,1.00,1,0,0,0,0,0,,0,0,,0,0,\n")))
	f.Add([]byte("#交易合计：3笔，商家实收共-1.00元\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newBillReader(bytes.NewReader(data), billDate, "", nil)
		defer r.Close()
		last := 0
		for i := 0; i < 10000; i++ {
			var rec channel.StatementRecord
			err := r.Next(&rec)
			if err == io.EOF {
				return
			}
			if err != nil {
				wantChannelError(t, err)
				return
			}
			if rec.Amount.IsNegative() {
				t.Fatalf("negative amount %v", rec.Amount)
			}
			if rec.Line <= last {
				t.Fatalf("line %d after %d", rec.Line, last)
			}
			last = rec.Line
		}
	})
}
