package wechat

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

func BenchmarkDecodeXML(b *testing.B) {
	body := buildXML(signed(nativeOrder("BENCH-1", "100"), DemoKey, sign.WeChatMD5), false)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := decodeXML(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandle_OrderQuery measures one signed orderquery through the whole pipeline
// (decode, authenticate, verify, look up, build, sign, encode) without HTTP.
func BenchmarkHandle_OrderQuery(b *testing.B) {
	s := fuzzServer(b)
	ctx := context.Background()
	s.handle(ctx, noFaults{}, http.MethodPost, "/pay/unifiedorder", buildXML(signed(nativeOrder("BENCH-Q", "100"), DemoKey, sign.WeChatMD5), false))
	body := buildXML(signed(params("out_trade_no", "BENCH-Q"), DemoKey, sign.WeChatMD5), false)
	b.ReportAllocs()
	for b.Loop() {
		if r := s.handle(ctx, noFaults{}, http.MethodPost, "/pay/orderquery", body); r.status != http.StatusOK {
			b.Fatal(r.status)
		}
	}
}

// BenchmarkHandle_UnifiedOrder creates a new order per iteration.
func BenchmarkHandle_UnifiedOrder(b *testing.B) {
	s := fuzzServer(b)
	ctx := context.Background()
	bodies := make([][]byte, 0, 1024)
	for i := range 1024 {
		bodies = append(bodies, buildXML(signed(nativeOrder("BENCH-U-"+strconv.Itoa(i), "100"), DemoKey, sign.WeChatMD5), false))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(bodies) {
			b.StopTimer()
			s = fuzzServer(b)
			i = 0
			b.StartTimer()
		}
		s.handle(ctx, noFaults{}, http.MethodPost, "/pay/unifiedorder", bodies[i])
		i++
	}
}

// BenchmarkRenderStatement renders a 10,000-row ALL bill.
func BenchmarkRenderStatement(b *testing.B) {
	s := fuzzServer(b)
	at := beijing(2024, 6, 3, 10, 0, 0)
	recs := make([]simulator.StatementRecord, 10000)
	for i := range recs {
		recs[i] = simulator.StatementRecord{Merchant: DemoMchID, Kind: "payment", OutTradeNo: "B" + strconv.Itoa(i),
			ChannelTxnID: "4200000925202101284997714292", Amount: money.Fen(int64(i + 1)), Time: at.Add(time.Duration(i) * time.Second),
			Status: "SUCCESS", SettleDate: clock.DateOf(at, clock.Beijing()),
			Fields: map[string]string{fAppID: DemoAppID, fOpenID: "ofyak5qR_1wYsC99CsWA6R9MJazA", fTradeType: "NATIVE",
				fBankType: "OTHERS", fBody: "goods", fFeePPM: "6000"}}
	}
	q := simulator.StatementQuery{Merchant: DemoMchID, Day: clock.DateOf(at, clock.Beijing()), Type: BillAll}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.RenderStatement(context.Background(), q, recs, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOrderStore_HeldBytes creates 100,000 unified orders through the handler and
// reports the live heap they hold after a GC (held-B/order): the order store's memory,
// which docs/benchmarks/simulator.md budgets at a million orders in 512 MiB.
func BenchmarkOrderStore_HeldBytes(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := fuzzServer(b)
		b.StartTimer()
		for i := range n {
			body := buildXML(signed(nativeOrder("HELD-"+strconv.Itoa(i), "100"), DemoKey, sign.WeChatMD5), false)
			if r := s.handle(ctx, noFaults{}, http.MethodPost, "/pay/unifiedorder", body); r.status != http.StatusOK {
				b.Fatal(r.status)
			}
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, "held-B/order")
		runtime.KeepAlive(s)
		b.StartTimer()
	}
}
