package recon_test

import (
	"context"
	"io"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/recon"
)

// genStatement generates a day's statement record by record (nothing held): payment i has
// order number P<i>, amount 100 + i%50000 fen and a 0.6% fee. Every 1000th record differs:
// i%4000 == 0 changed amount, == 1000 missing (the core only), == 2000 extra (the channel
// only, under another number, beside P<i>), == 3000 a fee one fen off: 1,000 differences.
type genStatement struct {
	n, i  int
	extra bool
	buf   []byte
	done  time.Time
}

func benchAmount(i int) int64 { return 100 + int64(i%50000) }

func benchFee(a int64) int64 { // 0.6% half up, as recon.RateFee computes it
	q, r := a*6/1000, a*6%1000
	if 2*r >= 1000 {
		q++
	}
	return q
}

func (g *genStatement) Next(r *channel.StatementRecord) error {
	for {
		if g.i >= g.n {
			if g.done.IsZero() {
				g.done = time.Now()
			}
			return io.EOF
		}
		i := g.i
		g.buf = append(g.buf[:0], 'P')
		if i%4000 == 2000 && !g.extra {
			g.buf[0], g.extra = 'X', true // an extra record: an order the core never had
		} else {
			g.i++
			g.extra = false
		}
		if i%4000 == 1000 {
			continue // missing on the statement
		}
		amt := benchAmount(i)
		fee := benchFee(amt)
		g.buf = strconv.AppendInt(g.buf, int64(i), 10)
		no := string(g.buf)
		switch i % 4000 {
		case 0:
			amt++
		case 3000:
			fee++
		}
		*r = channel.StatementRecord{Channel: "wechat", Type: channel.RecordPayment, OrderNo: no, ChannelTxnID: "42" + no,
			Amount: money.Fen(amt), Fee: money.Fen(fee), Status: channel.StatusSucceeded, ChannelTime: bj(12, 0, 0), Line: g.i}
		return nil
	}
}
func (g *genStatement) Totals() *channel.StatementTotals { return nil }
func (g *genStatement) Close() error                     { return nil }

// genLocal streams the core's side of the same day in another order (a stride through the
// numbers, as a database returns rows in its own order).
type genLocal struct {
	n           int
	start, done time.Time
}

func (g *genLocal) ReconLocal(_ context.Context, _ string, _, _ time.Time, fn func(*recon.Local) error) error {
	g.start = time.Now()
	var l recon.Local
	buf := make([]byte, 0, 24)
	at := bj(12, 0, 0)
	const stride = 7919 // prime: visits every i once
	for k := 0; k < g.n; k++ {
		i := (k * stride) % g.n
		buf = append(buf[:0], 'P')
		buf = strconv.AppendInt(buf, int64(i), 10)
		no := string(buf)
		l = recon.Local{Kind: recon.KindPayment, No: no, OrderNo: no, ID: "pay_" + no, TxnID: "42" + no,
			Amount: money.Fen(benchAmount(i)), State: "succeeded", At: at}
		if err := fn(&l); err != nil {
			return err
		}
	}
	g.done = time.Now()
	return nil
}

// peakHeap samples the live heap (runtime/metrics, no stop-the-world) until stop is closed.
func peakHeap(stop <-chan struct{}, wg *sync.WaitGroup, peak *atomic.Uint64) {
	defer wg.Done()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	t := time.NewTicker(2 * time.Millisecond) // a measuring loop, not a test wait
	defer t.Stop()
	for {
		metrics.Read(s)
		if v := s[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// BenchmarkReconcile_1M reconciles 1,000,000 statement records against 1,000,000 local
// payments with 0.1% differences planted, fees compared. It reports the phases, the
// records per second, the peak live heap (sampled) and HeapSys after the run (the heap's
// address space, which does not shrink: the peak the process asked the OS for).
//
//	go test -run '^$' -bench 'Reconcile_1M' -benchtime 3x ./core/recon/
func BenchmarkReconcile_1M(b *testing.B) {
	const n = 1_000_000
	fee, err := recon.RateFee(map[string]decimal.Decimal{"wx1": decimal.RequireFromString("0.006")})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var peak atomic.Uint64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go peakHeap(stop, &wg, &peak)
	var stmt, local, rest time.Duration
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		st, lc := &genStatement{n: n}, &genLocal{n: n}
		var items, open int64
		began := time.Now()
		res, err := recon.Reconcile(context.Background(), recon.Input{Channel: "wechat", Account: "wx1", Day: day, Statement: st, Local: lc,
			Fee: fee, SizeHint: n, Sink: func(_ context.Context, it *recon.Item) error {
				items++
				return nil
			}})
		if err != nil {
			b.Fatal(err)
		}
		end := time.Now()
		stmt += st.done.Sub(began)
		local += lc.done.Sub(lc.start)
		rest += end.Sub(lc.done)
		open = res.Open
		if items != 1000 || open != 1000 || res.Classes[recon.Matched].Count != n-750 || !res.Balanced() {
			b.Fatalf("items %d open %d matched %d balanced %v", items, open, res.Classes[recon.Matched].Count, res.Balanced())
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	close(stop)
	wg.Wait()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	per := float64(b.N)
	b.ReportMetric(stmt.Seconds()/per, "s-statement/op")
	b.ReportMetric(local.Seconds()/per, "s-local/op")
	b.ReportMetric(rest.Seconds()/per, "s-rest/op")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "s-cpu/op")
	b.ReportMetric(float64(2*n)*per/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "MiB-peak-live")
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "MiB-HeapSys")
}
