package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/store/storetest"
)

func TestOutbox_CompleteDeliveriesMarksABatchDone(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		for _, id := range []string{"pay_a", "pay_b", "pay_c"} {
			paid(t, db, id, 100)
		}
		now := t0.Add(time.Hour)
		got, err := db.ClaimDeliveries(ctx, "ledger", now, 10, time.Minute)
		if err != nil || len(got) != 3 {
			t.Fatalf("claim: %d %v", len(got), err)
		}
		seqs := []int64{got[0].Event.Seq, got[1].Event.Seq, 1 << 40} // an unknown seq is ignored
		if err := db.CompleteDeliveries(ctx, "ledger", seqs); err != nil {
			t.Fatal(err)
		}
		if err := db.CompleteDeliveries(ctx, "ledger", seqs); err != nil { // idempotent
			t.Fatal(err)
		}
		if err := db.CompleteDeliveries(ctx, "ledger", nil); err != nil {
			t.Fatal(err)
		}
		st, _ := db.OutboxStats(ctx, "ledger")
		if st.Done != 2 || st.Pending != 4 {
			t.Errorf("ledger %+v: want 2 done, 4 pending", st)
		}
		if wh, _ := db.OutboxStats(ctx, "webhook"); wh.Done != 0 {
			t.Errorf("another consumer's deliveries changed: %+v", wh)
		}
		// The two completed payments' next events are claimable now; the third is leased.
		next, _ := db.ClaimDeliveries(ctx, "ledger", now.Add(time.Second), 10, time.Minute)
		if len(next) != 2 || next[0].Event.Type != "payment.succeeded" {
			t.Errorf("after the batch: %+v", next)
		}
	})
}
