package posting_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// BenchmarkPoster measures succeeded payments posted per second through the poster: b.N
// payments (created + succeeded, so 2·b.N ledger deliveries) are written first, outside the
// timer, with the accounts already open; the timer covers claiming, reading each payment, posting and completing. The
// baseline posts the same 3-line entries straight to the ledger with 32 callers, in the
// same run, so the ratio shows what the outbox round trips cost. Use a fixed count:
//
//	go test ./core/posting/ -run '^$' -bench Poster -benchtime 20000x
func BenchmarkPoster(b *testing.B) {
	dsns := map[string]func(testing.TB) string{
		"sqlite":   storetest.SQLiteDSN,
		"postgres": func(t testing.TB) string { return storetest.PostgresDSN(t, pgBase) },
	}
	for _, st := range []string{"sqlite", "postgres"} {
		b.Run(st+"/poster", func(b *testing.B) {
			f := newFixture(b, dsns[st](b), channel.FeeRefundProportional)
			// Warm up: one payment per merchant opens the 102 accounts (a one-off cost per
			// account, ~30 ms each on a busy PostgreSQL), outside the timer.
			for m := 0; m < 100; m++ {
				f.pay(fmt.Sprintf("warm_%03d", m), fmt.Sprintf("M%d", m), "wechat", "wx1", 100)
			}
			f.drain()
			warm := f.head()
			for i := 0; i < b.N; i++ {
				f.pay(fmt.Sprintf("pay_%08d", i), fmt.Sprintf("M%d", i%100), "wechat", "wx1", int64(1000+i%5000))
			}
			if f.db.Dialect() == store.Postgres {
				// A live table has statistics (autovacuum); a fresh schema not yet. Measure the
				// steady state.
				if _, err := f.db.SQL().ExecContext(f.ctx, `ANALYZE order_outbox, order_events, payments`); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			posted := 0
			for posted < b.N {
				n, err := f.p.RunOnce(f.ctx)
				if err != nil {
					b.Fatal(err)
				}
				posted += n
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "postings/s")
			if f.head() != warm+int64(b.N) {
				b.Fatalf("head %d, want %d", f.head(), warm+int64(b.N))
			}
		})
		b.Run(st+"/ledger-baseline", func(b *testing.B) {
			f := newFixture(b, dsns[st](b), channel.FeeRefundProportional)
			open := func(s ledger.AccountSpec) ledger.AccountID {
				if err := f.l.PutChart(f.ctx, ledger.ChartAccount{Code: s.Code, Name: s.Code, Type: map[string]ledger.AccountType{
					posting.CodeReceivable: ledger.Asset, posting.CodePayable: ledger.Liability, posting.CodeFees: ledger.Expense}[s.Code]}); err != nil {
					b.Fatal(err)
				}
				a, err := f.l.CreateAccount(f.ctx, s)
				if err != nil {
					b.Fatal(err)
				}
				return a.ID
			}
			recv, fees := open(posting.ReceivableSpec("wechat", money.CNY)), open(posting.FeesSpec("wechat", money.CNY))
			var payables []ledger.AccountID
			for m := 0; m < 100; m++ {
				payables = append(payables, open(posting.PayableSpec(fmt.Sprintf("M%d", m), money.CNY)))
			}
			b.ResetTimer()
			var next atomic.Int64
			var wg sync.WaitGroup
			for range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
						amt := 1000 + i%5000
						if _, err := f.l.Post(f.ctx, ledger.Posting{Key: fmt.Sprintf("k%d", i),
							Voucher: ledger.Voucher{Kind: ledger.VoucherOrder, ID: fmt.Sprintf("pay_%08d", i), Amount: money.Fen(amt)},
							Lines: []ledger.Line{
								{Account: recv, Side: ledger.Debit, Amount: money.Fen(amt - 1)},
								{Account: fees, Side: ledger.Debit, Amount: money.Fen(1)},
								{Account: payables[i%100], Side: ledger.Credit, Amount: money.Fen(amt)},
							}}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
