package alipay_test

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator/alipay"
)

// BenchmarkGateway_Query is one signed alipay.trade.query through the whole engine
// in-process: parse, RSA2 verify, lookup, encode, RSA2 sign.
func BenchmarkGateway_Query(b *testing.B) {
	e := newEnv(b, alipay.Config{})
	e.call("alipay.trade.pay", bc("BQ1"), nil)
	body := e.params("alipay.trade.query", `{"out_trade_no":"BQ1"}`, nil).Encode()
	client := &http.Client{Transport: e.sim.Transport()}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := client.Post("http://sim/gateway.do", "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
	}
}

// BenchmarkGateway_Precreate creates a new trade per call (state grows with b.N).
func BenchmarkGateway_Precreate(b *testing.B) {
	e := newEnv(b, alipay.Config{})
	bodies := make([]string, b.N)
	for i := range bodies {
		bodies[i] = e.params("alipay.trade.precreate", `{"out_trade_no":"BP`+strconv.Itoa(i)+`","total_amount":"1.00","subject":"s"}`, nil).Encode()
	}
	client := &http.Client{Transport: e.sim.Transport()}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := client.Post("http://sim/gateway.do", "application/x-www-form-urlencoded", strings.NewReader(bodies[i]))
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
	}
}

// BenchmarkBill_1000Rows renders the zip of a day with 1000 payments (control API raw
// statement: engine statement + GBK zip).
func BenchmarkBill_1000Rows(b *testing.B) {
	e := newEnv(b, alipay.Config{})
	for i := 0; i < 1000; i++ {
		e.call("alipay.trade.pay", bc("BB"+strconv.Itoa(i)), nil)
	}
	if err := e.sim.Advance(24 * 3600e9); err != nil {
		b.Fatal(err)
	}
	client := e.sim.Client()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := client.Get(e.sim.URL + "/_sim/statements/alipay/2024-06-03?format=raw")
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}

// BenchmarkBaseline_RSA2Sign is the floor of every answer: one SHA256withRSA-2048
// signature over a typical node, for the ratio against BenchmarkGateway_*.
func BenchmarkBaseline_RSA2Sign(b *testing.B) {
	e := newEnv(b, alipay.Config{})
	node := bytes.Repeat([]byte("x"), 400)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sign.SignRSA2(e.appKey, node); err != nil {
			b.Fatal(err)
		}
	}
}
