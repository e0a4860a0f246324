package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// TestTail_ReadsOfFewAccountsEqualTheFullSum: with a tail of lines after the counter
// checkpoint, reading one account (the text pre-filter), a dozen, or all of them (every line
// parsed) gives the same counters — including accounts whose ids are prefixes of others'.
func TestTail_ReadsOfFewAccountsEqualTheFullSum(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		l := openCheckpointing(t, db, clock.NewVirtual(start), 100000)
		all := bulkAccounts(t, l, db, 120)
		hot, ids := all[0], all[1:]
		rng := rand.New(rand.NewPCG(3, 4))
		for i := 0; i < 300; i++ {
			if _, err := l.Post(ctx, post3(rng, fmt.Sprintf("tail-%d", i), hot, ids, 0.2)); err != nil {
				t.Fatal(err)
			}
		}
		full := map[ledger.AccountID]ledger.Counters{}
		if err := db.Read(ctx, func(tx ledger.ReadTx) error {
			h, err := tx.Head(ctx)
			if err != nil {
				return err
			}
			if h.Seq-h.Checkpoint < 300 {
				t.Fatalf("want a tail of 300 entries, have %d", h.Seq-h.Checkpoint)
			}
			return tx.Accounts(ctx, func(a ledger.Account) error { full[a.ID] = a.Counters; return nil })
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.Read(ctx, func(tx ledger.ReadTx) error {
			for _, id := range all {
				one, err := tx.AccountsByID(ctx, []ledger.AccountID{id})
				if err != nil {
					return err
				}
				if one[id].Counters != full[id] {
					t.Errorf("account %d alone %+v, in the full read %+v", id, one[id].Counters, full[id])
				}
			}
			some, err := tx.AccountsByID(ctx, all[:12])
			if err != nil {
				return err
			}
			for _, id := range all[:12] {
				if some[id].Counters != full[id] {
					t.Errorf("account %d among 12 %+v, in the full read %+v", id, some[id].Counters, full[id])
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}
