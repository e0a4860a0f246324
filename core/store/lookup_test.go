package store_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// TestLookupBatch_EqualsTheTwoLookUps: the one-query batch look-up of each store answers
// exactly what EntriesByKey and Vouchers answer, with keys and vouchers found, missing and
// repeated.
func TestLookupBatch_EqualsTheTwoLookUps(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		l := openLedger(t, db, clock.NewVirtual(start))
		b := setupBooks(t, l, 2)
		for i := 0; i < 5; i++ {
			if _, err := l.Post(ctx, b.payment(fmt.Sprintf("k%d", i), i, int64(100+i))); err != nil {
				t.Fatal(err)
			}
		}
		keys := []string{"k1", "nope", "k3", "k1", "k4"}
		refs := []ledger.VoucherRef{{Kind: ledger.VoucherOrder, ID: "k0"}, {Kind: ledger.VoucherOrder, ID: "missing"},
			{Kind: ledger.VoucherRefund, ID: "k0"}, {Kind: ledger.VoucherOrder, ID: "k0"}, {Kind: ledger.VoucherOrder, ID: "k2"}}
		err := db.Write(ctx, func(tx ledger.WriteTx) error {
			bl, ok := tx.(ledger.BatchLookupTx)
			if !ok {
				t.Fatalf("%s write transaction has no batch look-up", db.Dialect())
			}
			entries, vouchers, err := bl.LookupBatch(ctx, keys, refs)
			if err != nil {
				return err
			}
			wantE, err := tx.EntriesByKey(ctx, keys)
			if err != nil {
				return err
			}
			wantV, err := tx.Vouchers(ctx, refs)
			if err != nil {
				return err
			}
			if len(entries) != 3 || !reflect.DeepEqual(entries, wantE) {
				t.Errorf("entries %v, want %v", entries, wantE)
			}
			if len(vouchers) != 2 || !reflect.DeepEqual(vouchers, wantV) {
				t.Errorf("vouchers %v, want %v", vouchers, wantV)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
