//go:build unix

package clearing_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// cpuTime is the process's user + system CPU time: on a shared machine it is what the wall
// clock cannot tell (the ledger's writer runs in this process too).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// seedDay inserts n succeeded WeChat payments on account wx1 spread over the merchants and
// over clearing day d (amounts 0.01 to 999.99), and refunds half of every 100th payment the
// same day. Rows go straight into the tables, 500 per statement: the benchmark measures
// settlement, not the order flow.
func seedDay(tb testing.TB, db *store.DB, d clock.Date, merchants, n int) {
	tb.Helper()
	ctx := context.Background()
	start := d.Start(clock.Beijing())
	pg := db.Dialect() == store.Postgres
	ph := func(b *strings.Builder, rows, cols int) {
		k := 1
		for r := 0; r < rows; r++ {
			if r > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for c := 0; c < cols; c++ {
				if c > 0 {
					b.WriteByte(',')
				}
				if pg {
					fmt.Fprintf(b, "$%d", k)
					k++
				} else {
					b.WriteByte('?')
				}
			}
			b.WriteByte(')')
		}
	}
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	const per = 500
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		var b strings.Builder
		b.WriteString(`INSERT INTO payments (id, merchant_id, order_no, channel, account, channel_order_no, channel_order_time,
			method, amount, currency, refunded, subject, notify_url, state, expires_at, paid_at, created_at, updated_at, version) VALUES `)
		ph(&b, hi-lo, 19)
		args := make([]any, 0, (hi-lo)*19)
		var rb strings.Builder
		var rargs []any
		nr := 0
		for i := lo; i < hi; i++ {
			id := fmt.Sprintf("p%s-%d", d.Compact(), i)
			amt := int64(i%99999 + 1)
			at := start.Add(time.Duration(int64(i) * (int64(24*time.Hour) / int64(n)))).UnixMicro()
			state, refunded := "succeeded", int64(0)
			if i%100 == 0 && amt >= 2 {
				state, refunded = "partially_refunded", amt/2
				rargs = append(rargs, "r"+id, id, fmt.Sprintf("M%05d", i%merchants), "R"+id, "CR"+id, at, refunded, "CNY", "", "succeeded", at, at, at+1, 2)
				nr++
			}
			args = append(args, id, fmt.Sprintf("M%05d", i%merchants), "O"+id, "wechat", "wx1", "C"+id, at, "qr", amt, "CNY", refunded, "s", "",
				state, at+7200e6, at, at, at, 2)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			tb.Fatal(err)
		}
		if nr > 0 {
			rb.WriteString(`INSERT INTO refunds (id, payment_id, merchant_id, refund_no, channel_refund_no, channel_refund_time, amount, currency,
				reason, state, created_at, updated_at, completed_at, version) VALUES `)
			ph(&rb, nr, 14)
			if _, err := tx.ExecContext(ctx, rb.String(), rargs...); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkSettle_Day settles a clearing day of TONGDAO_BENCH_PAYMENTS payments (default
// 1,000,000; 1% half refunded) over TONGDAO_BENCH_MERCHANTS merchants (default 10,000) on
// a SQLite file (PostgreSQL too when TONGDAO_TEST_PG_DSN is set): one iteration per day,
// each day seeded outside the timer. The merchants' settlement accounts exist already (a
// warm-up day opened them, timed and logged as "first run"). Run with -benchtime=1x.
//
// TONGDAO_BENCH_READERS sets Config.Readers (default 4). It also reports the parts: reading the day's rows alone (read-s) and computing every
// fee on top (read+fees-s); the rest of the time is storing and posting the batches.
func BenchmarkSettle_Day(b *testing.B) {
	merchants := envInt("TONGDAO_BENCH_MERCHANTS", 10000)
	payments := envInt("TONGDAO_BENCH_PAYMENTS", 1000000)
	dsns := map[string]func(*testing.B) string{"sqlite": func(b *testing.B) string { return storetest.SQLiteDSN(b) }}
	if base := os.Getenv(storetest.EnvPG); base != "" {
		dsns["postgres"] = func(b *testing.B) string { return storetest.PostgresDSN(b, base) }
	}
	for _, name := range []string{"sqlite", "postgres"} {
		if dsns[name] != nil {
			b.Run(name, func(b *testing.B) { benchSettle(b, dsns[name](b), merchants, payments) })
		}
	}
}

func benchSettle(b *testing.B, dsn string, merchants, payments int) {
	{
		f := newFixture(b, dsn)
		warm := day.AddDays(-10)
		seedDay(b, f.db, warm, merchants, merchants)
		_ = f.clk.Set(bj(day.AddDays(60), 10, 0, 0))
		t0 := time.Now()
		if _, err := f.s.Run(f.ctx, warm); err != nil {
			b.Fatal(err)
		}
		b.Logf("first run (opens %d settlement accounts): %.2fs", merchants, time.Since(t0).Seconds())
		// A settler on the real clock (so Result.Took measures) for days long past.
		rs, err := clearing.New(clearing.Config{Store: f.db, Ledger: f.l, Clock: clock.Real(), Contracts: f.cs,
			Channels: map[string]time.Duration{"wechat": clock.NaturalDay, "unionpay": clock.UnionPayCutoff},
			Readers:  envInt("TONGDAO_BENCH_READERS", 0)})
		if err != nil {
			b.Fatal(err)
		}
		var read, fees, tRead, tStore, tPost, tCPU float64
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			d := clock.Date{Year: 2026, Month: 10, Day: 1}.AddDays(i)
			b.StopTimer()
			seedDay(b, f.db, d, merchants, payments)
			from, to, _ := clearing.DayWindow(d, clock.NaturalDay)
			t1 := time.Now()
			n := 0
			if err := f.db.ClearingItems(f.ctx, "wechat", from, to, func(*clearing.Item) error { n++; return nil }); err != nil {
				b.Fatal(err)
			}
			read += time.Since(t1).Seconds()
			t1 = time.Now()
			if _, err := f.s.Due(f.ctx, "wechat", d, money.CNY); err != nil {
				b.Fatal(err)
			}
			fees += time.Since(t1).Seconds()
			runtime.GC()
			cpu0 := cpuTime()
			b.StartTimer()
			res, err := rs.Run(f.ctx, d)
			b.StopTimer()
			tCPU += (cpuTime() - cpu0).Seconds()
			b.StartTimer()
			if err != nil {
				b.Fatal(err)
			}
			tRead += res.Took.Read.Seconds()
			tStore += res.Took.Store.Seconds()
			tPost += res.Took.Post.Seconds()
			if len(res.Created) != merchants || res.Items != int64(n) {
				b.Fatalf("%d batches from %d items, want %d from %d", len(res.Created), res.Items, merchants, n)
			}
		}
		b.ReportMetric(read/float64(b.N), "read-s")
		b.ReportMetric(fees/float64(b.N), "read+fees-s")
		b.ReportMetric(float64(payments), "payments")
		b.ReportMetric(tRead/float64(b.N), "run-read-s")
		b.ReportMetric(tStore/float64(b.N), "run-store-s")
		b.ReportMetric(tPost/float64(b.N), "run-post-s")
		b.ReportMetric(tCPU/float64(b.N), "run-cpu-s")
	}
}

// BenchmarkFee: one fee under a flat contract (the integer path) and under marginal tiers
// (decimal).
func BenchmarkFee(b *testing.B) {
	cs := contracts(b)
	marg, err := clearing.FeeConfig{Tiers: []clearing.TierConfig{{From: "0", Rate: "0.6%"}, {From: "1000.00", Rate: "0.38%"}},
		TierMode: "marginal", Rounding: "half_even"}.Contract("m", "wechat", "none")
	if err != nil {
		b.Fatal(err)
	}
	for name, c := range map[string]*clearing.FeeContract{"flat": cs["wx1"], "whole-tiers": cs["up1"], "marginal-tiers": marg} {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := c.Fee(money.Fen(int64(i%999999 + 1))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
