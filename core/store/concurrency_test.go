package store_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// TestConcurrentPostings_HotAccountLosesNothing has 64 callers post to one hot account at
// once, each key twice (a retry racing its original); every key applies exactly once and the
// hot balance is the exact sum.
func TestConcurrentPostings_HotAccountLosesNothing(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		db := storetest.Open(t, dsn)
		l := openLedger(t, db, clock.NewVirtual(start))
		b := setupBooks(t, l, 8)
		const callers, per = 64, 40
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, callers)
		seqs := make([][]int64, callers)
		for c := 0; c < callers; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				for i := 0; i < per; i++ {
					// Callers c and c^1 post the same keys: half of all posts are retries.
					key := fmt.Sprintf("pay-%d-%d", c/2, i)
					e, err := l.Post(ctx, b.payment(key, c/2+i, int64(100+c/2)))
					if err != nil {
						errs <- fmt.Errorf("%s: %w", key, err)
						return
					}
					seqs[c] = append(seqs[c], e.Seq)
				}
			}(c)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for c := 0; c < callers; c += 2 {
			for i := range seqs[c] {
				if seqs[c][i] != seqs[c+1][i] {
					t.Fatalf("key pay-%d-%d applied as %d and %d", c/2, i, seqs[c][i], seqs[c+1][i])
				}
			}
		}
		var want int64
		for k := 0; k < callers/2; k++ {
			want += per * int64(100+k-1)
		}
		bal, err := l.Balance(ctx, b.hot)
		if err != nil || bal.Posted != money.Fen(want) {
			t.Fatalf("hot balance %s, want %d (%v)", bal.Posted, want, err)
		}
		rep, err := l.Verify(ctx, ledger.VerifyOptions{})
		if err != nil || !rep.OK() || rep.Entries != callers/2*per {
			t.Fatalf("verify: %v entries %d %+v", err, rep.Entries, rep.Checks)
		}
	})
}

// TestTwoWriters_OnOneStoreStayConsistent runs two Ledgers (as two processes would) on one
// database: the chain-head lock serialises them and each notices the other's writes, so no
// entry is lost, no key applies twice and the books verify.
func TestTwoWriters_OnOneStoreStayConsistent(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db1 := storetest.Open(t, dsn)
		db2 := storetest.Open(t, dsn)
		l1 := openLedger(t, db1, clock.NewVirtual(start))
		l2 := openLedger(t, db2, clock.NewVirtual(start))
		b := setupBooks(t, l1, 4)
		const per = 60
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				l := l1
				if g%2 == 1 {
					l = l2
				}
				for i := 0; i < per; i++ {
					// Both writers also race on the same keys (g/2 pairs share them).
					key := fmt.Sprintf("two-%d-%d", g/2, i)
					if _, err := l.Post(ctx, b.payment(key, i, 200)); err != nil {
						errs <- fmt.Errorf("%s: %w", key, err)
						return
					}
				}
			}(g)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		bal, err := l2.Balance(ctx, b.hot)
		if err != nil || bal.Posted != money.Fen(8*per*199) {
			t.Fatalf("hot balance %s, want %d (%v)", bal.Posted, 8*per*199, err)
		}
		rep, err := l1.Verify(ctx, ledger.VerifyOptions{})
		if err != nil || !rep.OK() || rep.Entries != 8*per {
			t.Fatalf("verify: %v entries %d %+v", err, rep.Entries, rep.Checks)
		}
	})
}

// TestCreateAccount_TwoProcessesRace has two ledgers on two connections to one database
// (two processes) open the same accounts at once: each call returns the one account, none
// fails for the other's insert.
func TestCreateAccount_TwoProcessesRace(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		ls := []*ledger.Ledger{openLedger(t, storetest.Open(t, dsn), clock.NewVirtual(start)), nil}
		ls[1] = openLedger(t, storetest.Open(t, dsn), clock.NewVirtual(start))
		if err := ls[0].PutChart(ctx, ledger.ChartAccount{Code: "2202", Name: "merchant payables", Type: ledger.Liability}); err != nil {
			t.Fatal(err)
		}
		const owners, callers = 20, 8
		ids := make([][owners]ledger.AccountID, callers)
		var wg sync.WaitGroup
		errs := make(chan error, callers*owners)
		for c := 0; c < callers; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				for o := 0; o < owners; o++ {
					a, err := ls[c%2].CreateAccount(ctx, ledger.AccountSpec{Code: "2202", OwnerKind: ledger.OwnerMerchant,
						OwnerID: fmt.Sprintf("m%d", o), Currency: money.CNY, Name: fmt.Sprintf("m%d", o)})
					if err != nil {
						errs <- fmt.Errorf("caller %d, owner m%d: %w", c, o, err)
						continue
					}
					ids[c][o] = a.ID
				}
			}(c)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		for c := 1; c < callers; c++ {
			if ids[c] != ids[0] {
				t.Fatalf("caller %d got account ids %v, caller 0 %v", c, ids[c], ids[0])
			}
		}
	})
}
