package recon_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/recon"
	"github.com/tongdao/tongdao/core/store"
)

// fillPayments writes n succeeded payments of account wx1 paid at noon of day, numbered as
// genStatement numbers them, straight into the payments table (the order layer's own
// writes cost far more and are measured elsewhere).
func fillPayments(b *testing.B, db *store.DB, n int) {
	b.Helper()
	ctx := context.Background()
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	paid := bj(12, 0, 0).UnixMicro()
	const per = 500
	var sb strings.Builder
	args := make([]any, 0, per*7)
	flush := func() {
		if len(args) == 0 {
			return
		}
		q := sb.String()
		if db.Dialect() == store.Postgres {
			k := 0
			var pb strings.Builder
			for _, c := range q {
				if c == '?' {
					k++
					fmt.Fprintf(&pb, "$%d", k)
					continue
				}
				pb.WriteRune(c)
			}
			q = pb.String()
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			b.Fatal(err)
		}
		sb.Reset()
		args = args[:0]
	}
	for i := 0; i < n; i++ {
		if len(args) == 0 {
			sb.WriteString(`INSERT INTO payments (id, merchant_id, order_no, channel, account, channel_order_no, channel_order_time, channel_txn_id,
				method, amount, currency, subject, notify_url, state, expires_at, paid_at, created_at, updated_at, version) VALUES `)
		} else {
			sb.WriteString(",")
		}
		no := fmt.Sprintf("P%d", i)
		sb.WriteString(`(?, 'M1', ?, 'wechat', 'wx1', ?, 0, ?, 'qr', ?, 'CNY', 's', '', 'succeeded', 0, ?, 0, 0, 2)`)
		args = append(args, "pay_"+no, no, no, "42"+no, benchAmount(i), paid)
		if len(args) >= per*6 {
			flush()
		}
	}
	flush()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReconcile_1M_SQLite is BenchmarkReconcile_1M with the local side streamed from
// 1,000,000 payments in a SQLite file through the store's ReconLocal (the filling is not
// timed).
//
//	go test -run '^$' -bench 'Reconcile_1M_SQLite' -benchtime 3x ./core/recon/
func BenchmarkReconcile_1M_SQLite(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	began := time.Now()
	fillPayments(b, db, n)
	b.Logf("filled %d payments in %s", n, time.Since(began).Round(time.Millisecond))
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
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		var items int64
		res, err := recon.Reconcile(ctx, recon.Input{Channel: "wechat", Account: "wx1", Day: day, Statement: &genStatement{n: n}, Local: db,
			Fee: fee, SizeHint: n, Sink: func(context.Context, *recon.Item) error { items++; return nil }})
		if err != nil {
			b.Fatal(err)
		}
		if items != 1000 || res.LocalRecords != n || !res.Balanced() {
			b.Fatalf("items %d local %d", items, res.LocalRecords)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	close(stop)
	wg.Wait()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(cpu.Seconds()/float64(b.N), "s-cpu/op")
	b.ReportMetric(float64(2*n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "MiB-peak-live")
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "MiB-HeapSys")
}
