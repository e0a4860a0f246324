package simulator_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/wechat"
)

// BenchmarkRecordHeap measures the live heap a full default transcript (20,000 records)
// holds, per record: typical WeChat unified orders, requests over the record body cap,
// and callbacks answered with 64 KiB pages. b.N is ignored: run with -benchtime 1x.
//
//	go test -run '^$' -bench RecordHeap -benchtime 1x ./simulator/
func BenchmarkRecordHeap(b *testing.B) {
	const n = 20_000
	wxOrder := func(no string) string {
		p := sign.Params{{Key: "appid", Value: wechat.DemoAppID}, {Key: "body", Value: "tongdao 测试商品"}, {Key: "mch_id", Value: wechat.DemoMchID},
			{Key: "nonce_str", Value: "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"}, {Key: "notify_url", Value: "http://merchant.test/notify"},
			{Key: "out_trade_no", Value: no}, {Key: "product_id", Value: "P1"}, {Key: "spbill_create_ip", Value: "203.0.113.7"},
			{Key: "total_fee", Value: "100"}, {Key: "trade_type", Value: "NATIVE"}}
		sig, _ := sign.WeChatSign(p, wechat.DemoKey, sign.WeChatMD5)
		var x strings.Builder
		x.WriteString("<xml>")
		for _, kv := range p {
			fmt.Fprintf(&x, "<%s><![CDATA[%s]]></%s>", kv.Key, kv.Value, kv.Key)
		}
		fmt.Fprintf(&x, "<sign>%s</sign></xml>", sig)
		return x.String()
	}
	junk := "<xml>" + strings.Repeat("<a>0123456789</a>", 10<<10/17) + "</xml>" // ~10 KiB
	page := strings.Repeat("<p>not an acknowledgement</p>", 64<<10/30)
	pad := strings.Repeat("x", 10<<10)
	cases := []struct {
		name  string
		run   func(b *testing.B, i int, s *simulator.Server)
		sink  http.Handler
		fake  bool
		fault *simulator.FaultPlan
	}{
		{"wechat_unifiedorder", func(b *testing.B, i int, s *simulator.Server) {
			post(b, s.Transport(), "/pay/unifiedorder", wxOrder(fmt.Sprintf("REC%08d", i)))
		}, nil, false, nil},
		{"request_10KiB_over_the_cap", func(b *testing.B, i int, s *simulator.Server) {
			post(b, s.Transport(), "/pay/unifiedorder", junk)
		}, nil, false, nil},
		{"callback_answered_64KiB", func(b *testing.B, i int, s *simulator.Server) {
			no := fmt.Sprintf("REC%d", i)
			post(b, s.Transport(), "/fake/pay", payBody(no))
			_, _ = s.Pay(b.Context(), simulator.PayerAction{Channel: "fake", OutTradeNo: no})
		}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(page)) }), true, nil},
		{"both_bodies_10KiB_over_the_cap", func(b *testing.B, i int, s *simulator.Server) {
			post(b, s.Transport(), "/fake/pay", `{"merchant":"M1","out_trade_no":"BIG`+fmt.Sprint(i)+`","pad":"`+pad+`"}`)
		}, nil, true, &simulator.FaultPlan{Kind: simulator.FaultHTTP5xx, Body: pad}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var p simulator.Protocol = newFake()
			if !c.fake {
				wx, err := wechat.New(wechat.Config{})
				if err != nil {
					b.Fatal(err)
				}
				p = wx
			}
			cfg := simulator.Config{Protocols: []simulator.Protocol{p}, Seed: 1}
			if c.sink != nil {
				cfg.CallbackTransport = simulator.HandlerTransport(c.sink)
			}
			s, err := simulator.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			if c.fault != nil {
				addFault(b, s, *c.fault)
			}
			// Fill the transcript once, so the ring is full, then measure a second fill
			// against an empty simulator's baseline.
			base := heapAfterGC()
			i := 0
			for s.Stats().Records < n {
				c.run(b, i, s)
				i++
			}
			after := heapAfterGC()
			recs := s.Stats().Records
			if c.fake {
				// Order state of the fake protocol is not part of the transcript; it is
				// small (a few hundred bytes per order) but included here.
				b.Logf("fake protocol: order state included")
			}
			b.ReportMetric(float64(after-base)/float64(recs), "heap-B/record")
			b.ReportMetric(float64(after-base)/(1<<20), "heap-MiB/20k-records")
			runtime.KeepAlive(s)
		})
	}
}
