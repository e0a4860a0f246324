package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// benchBooks opens a ledger with a hot account and n spread accounts, all allowed negative so
// random postings never fail on funds.
func benchBooks(b *testing.B, db *store.DB, clk clock.Clock, n int) (*ledger.Ledger, ledger.AccountID, []ledger.AccountID) {
	b.Helper()
	l := openLedger(b, db, clk)
	ctx := context.Background()
	if err := l.PutChart(ctx, ledger.ChartAccount{Code: "9000", Name: "bench", Type: ledger.Common, Normal: ledger.Debit}); err != nil {
		b.Fatal(err)
	}
	open := func(owner string) ledger.AccountID {
		a, err := l.CreateAccount(ctx, ledger.AccountSpec{Code: "9000", OwnerKind: ledger.OwnerInternal, OwnerID: owner, Currency: money.CNY, Name: owner, Flags: ledger.AllowNegative})
		if err != nil {
			b.Fatal(err)
		}
		return a.ID
	}
	hot := open("hot")
	ids := make([]ledger.AccountID, n)
	for i := range ids {
		ids[i] = open(fmt.Sprintf("a%d", i))
	}
	return l, hot, ids
}

// post3 is a 3-line entry (Dr a, Dr b, Cr c); a share hot of them debit the hot account.
func post3(rng *rand.Rand, key string, hot ledger.AccountID, ids []ledger.AccountID, hotShare float64) ledger.Posting {
	x, y := int64(1+rng.IntN(99999)), int64(1+rng.IntN(999))
	a, bb, c := ids[rng.IntN(len(ids))], ids[rng.IntN(len(ids))], ids[rng.IntN(len(ids))]
	if rng.Float64() < hotShare {
		a = hot
	}
	return ledger.Posting{
		Key:     key,
		Voucher: ledger.Voucher{Kind: "bench", ID: key, Amount: money.Fen(x + y)},
		Lines: []ledger.Line{
			{Account: a, Side: ledger.Debit, Amount: money.Fen(x)},
			{Account: bb, Side: ledger.Debit, Amount: money.Fen(y)},
			{Account: c, Side: ledger.Credit, Amount: money.Fen(x + y)},
		},
	}
}

func benchPost(b *testing.B, dsn string) {
	db := storetest.Open(b, dsn)
	l, hot, ids := benchBooks(b, db, clock.Real(), 1000)
	ctx := context.Background()
	const callers = 64
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	began := time.Now()
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if _, err := l.Post(ctx, post3(rng, fmt.Sprintf("b-%d", i), hot, ids, 0.2)); err != nil {
					b.Error(err)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "entries/s")
}

func BenchmarkPost3Lines64Callers(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchPost(b, storetest.SQLiteDSN(b)) })
	b.Run("postgres", func(b *testing.B) { benchPost(b, storetest.PostgresDSN(b, os.Getenv(storetest.EnvPG))) })
}
