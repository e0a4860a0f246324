package recon_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/core/channel"
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
// timed). Sub-benchmark "generated" takes the statement from the in-memory generator;
// "wechat-bill" reads the same records as a WeChat Pay bill (27 columns, backquoted, fees
// to 5 decimals) through the WeChat adapter's own bill reader, as DownloadStatement does
// after the HTTP download.
//
//	go test -run '^$' -bench 'Reconcile_1M_SQLite' -benchtime 1x ./core/recon/
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
	for _, src := range []struct {
		name string
		open func() channel.StatementReader
	}{
		{"generated", func() channel.StatementReader { return &genStatement{n: n} }},
		{"wechat-bill", func() channel.StatementReader { return wechat.NewBillReader(&wechatBill{n: n}, day, 0) }},
	} {
		b.Run(src.name, func(b *testing.B) {
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
				res, err := recon.Reconcile(ctx, recon.Input{Channel: "wechat", Account: "wx1", Day: day, Statement: src.open(), Local: db,
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
		})
	}
}

// wechatBill generates genStatement's records as a WeChat Pay bill, 64 rows at a time.
type wechatBill struct {
	n, i  int
	extra bool
	buf   []byte
	off   int
	state int // 0 header, 1 rows, 2 totals, 3 done
}

func (g *wechatBill) refill() {
	g.buf, g.off = g.buf[:0], 0
	switch g.state {
	case 0:
		g.buf = append(g.buf, "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\n"...)
		g.state = 1
	case 1:
		for k := 0; k < 64 && g.i < g.n; k++ {
			i := g.i
			prefix := byte('P')
			if i%4000 == 2000 && !g.extra {
				prefix, g.extra = 'X', true
			} else {
				g.i++
				g.extra = false
			}
			if i%4000 == 1000 {
				continue
			}
			amt := benchAmount(i)
			feeUnits := amt * 6 // the exact fee in 1e-5 yuan: amount (fen) × 0.6%
			switch i % 4000 {
			case 0:
				amt++
			case 3000:
				feeUnits += 1000 // one fen more
			}
			yuan := func(b []byte, fen int64) []byte {
				b = strconv.AppendInt(b, fen/100, 10)
				b = append(b, '.', byte('0'+fen%100/10), byte('0'+fen%10))
				return b
			}
			b := append(g.buf, "`2026-11-20 12:00:00,`wx81be3101902f7cb2,`1601959334,`0,`,`42"...)
			b = append(b, prefix)
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, ",`"...)
			b = append(b, prefix)
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, ",`ofyak5qR_1wYsC99CsWA6R9MJazA,`NATIVE,`SUCCESS,`OTHERS,`CNY,`"...)
			b = yuan(b, amt)
			b = append(b, ",`0.00,`0,`0,`0.00,`0.00,`,`,`for testing,`,`"...)
			b = strconv.AppendInt(b, feeUnits/100000, 10)
			frac := strconv.AppendInt(nil, 100000+feeUnits%100000, 10)
			b = append(b, '.')
			b = append(b, frac[1:]...)
			b = append(b, ",`0.60%,`"...)
			b = yuan(b, amt)
			g.buf = append(b, ",`0.00,`\n"...)
		}
		if g.i >= g.n {
			g.state = 2
		}
	case 2:
		g.buf = append(g.buf, "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n`0,`0.00,`0.00,`0.00,`0.00000,`0.00,`0.00\n"...)
		g.state = 3
	}
}

func (g *wechatBill) Read(p []byte) (int, error) {
	for g.off == len(g.buf) {
		if g.state == 3 {
			return 0, io.EOF
		}
		g.refill()
	}
	n := copy(p, g.buf[g.off:])
	g.off += n
	return n, nil
}

// The benchmark's WeChat bill parses through the adapter's reader and plants the same
// differences as the generator.
func TestBenchmarkInputs_WeChatBillMatchesGenerator(t *testing.T) {
	const n = 8000
	fee, _ := recon.RateFee(map[string]decimal.Decimal{"wx1": decimal.RequireFromString("0.006")})
	for _, st := range []channel.StatementReader{&genStatement{n: n}, wechat.NewBillReader(&wechatBill{n: n}, day, 0)} {
		var items []recon.Item
		res, err := recon.Reconcile(context.Background(), recon.Input{Channel: "wechat", Account: "wx1", Day: day, Statement: st, Local: &genLocal{n: n},
			Fee: fee, Sink: func(_ context.Context, it *recon.Item) error { items = append(items, *it); return nil }})
		if err != nil {
			t.Fatal(err)
		}
		count := map[recon.Class]int{}
		for _, it := range items {
			count[it.Class]++
		}
		if len(items) != 8 || count[recon.AmountDiffers] != 2 || count[recon.LocalOnly] != 2 || count[recon.ChannelOnly] != 2 || count[recon.FeeDiffers] != 2 || !res.Balanced() {
			t.Errorf("%T: %v %+v", st, count, res.Balance)
		}
	}
}
