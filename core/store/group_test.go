package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// TestGroupCommit_OneFailureDoesNotSpoilTheGroup: 64 concurrent creations on SQLite, every
// fourth a duplicate order number; exactly the others are stored, each duplicate is refused
// on its own, and writes after Close fail instead of hanging.
func TestGroupCommit_OneFailureDoesNotSpoilTheGroup(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.SQLiteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	mustPay(t, db, newPayment("pay_base", "M1", "DUP", 100))
	var wg sync.WaitGroup
	errs := make([]error, 64)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			no := fmt.Sprintf("G%02d", i)
			if i%4 == 0 {
				no = "DUP"
			}
			_, errs[i] = db.CreatePayment(ctx, newPayment(fmt.Sprintf("pay_g%02d", i), "M1", no, 100))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i%4 == 0 && !errors.Is(err, order.ErrDuplicate) {
			t.Errorf("duplicate %d: %v", i, err)
		}
		if i%4 != 0 {
			if err != nil {
				t.Errorf("creation %d: %v", i, err)
			} else if _, err := db.Payment(ctx, fmt.Sprintf("pay_g%02d", i)); err != nil {
				t.Errorf("creation %d not stored: %v", i, err)
			}
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreatePayment(ctx, newPayment("pay_after", "M1", "AFTER", 100)); err == nil {
		t.Error("a write after Close succeeded")
	}
	_ = db.Close() // closing twice must not panic
}
