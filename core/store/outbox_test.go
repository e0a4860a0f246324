package store_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/store/storetest"
)

func TestOutbox_InOrderPerPaymentRetryDeadLetter(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		a := paid(t, db, "pay_a", 100) // events: created, succeeded
		paid(t, db, "pay_b", 200)
		_ = a
		now := t0.Add(time.Hour)
		got, err := db.ClaimDeliveries(ctx, "webhook", now, 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		// Only the first event of each payment: the second waits for the first.
		if len(got) != 2 || got[0].Event.Type != "payment.created" || got[1].Event.Type != "payment.created" || got[0].Event.PaymentID == got[1].Event.PaymentID {
			t.Fatalf("first claim: %+v", got)
		}
		if more, _ := db.ClaimDeliveries(ctx, "webhook", now, 10, time.Minute); len(more) != 0 {
			t.Fatalf("leased or blocked deliveries claimed again: %+v", more)
		}
		// The ledger consumer has its own queue.
		if l, _ := db.ClaimDeliveries(ctx, "ledger", now, 10, time.Minute); len(l) != 2 {
			t.Errorf("ledger consumer sees %d", len(l))
		}
		var aSeq, bSeq int64
		for _, d := range got {
			if d.Event.PaymentID == "pay_a" {
				aSeq = d.Event.Seq
			} else {
				bSeq = d.Event.Seq
			}
		}
		if err := db.CompleteDelivery(ctx, "webhook", aSeq); err != nil {
			t.Fatal(err)
		}
		if err := db.RetryDelivery(ctx, "webhook", bSeq, now.Add(10*time.Minute), "HTTP 500"); err != nil {
			t.Fatal(err)
		}
		next, _ := db.ClaimDeliveries(ctx, "webhook", now.Add(time.Second), 10, time.Minute)
		if len(next) != 1 || next[0].Event.PaymentID != "pay_a" || next[0].Event.Type != "payment.succeeded" {
			t.Fatalf("after a's first: %+v (b's second must wait behind b's retry)", next)
		}
		if err := db.DeadLetter(ctx, "webhook", bSeq, "gave up"); err != nil {
			t.Fatal(err)
		}
		unblocked, _ := db.ClaimDeliveries(ctx, "webhook", now.Add(2*time.Second), 10, time.Minute)
		if len(unblocked) != 1 || unblocked[0].Event.PaymentID != "pay_b" || unblocked[0].Event.Type != "payment.succeeded" {
			t.Fatalf("a dead letter holds back later events: %+v", unblocked)
		}
		st, err := db.OutboxStats(ctx, "webhook")
		if err != nil {
			t.Fatal(err)
		}
		if st.Done != 1 || st.Dead != 1 || st.Pending != 2 || !st.OldestPending.Equal(t0) {
			t.Errorf("stats %+v", st)
		}
		if err := db.Redeliver(ctx, "webhook", bSeq, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if st, _ := db.OutboxStats(ctx, "webhook"); st.Dead != 0 || st.Pending != 3 {
			t.Errorf("after redeliver %+v", st)
		}
	})
}

// TestOutbox_ConcurrentClaimersNeverShare: four claimers (as four gateway processes) take
// 200 payments' first events; every delivery is claimed exactly once.
func TestOutbox_ConcurrentClaimersNeverShare(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		for i := 0; i < 200; i++ {
			mustPay(t, db, newPayment("pay_"+string(rune('A'+i/26))+string(rune('a'+i%26)), "M1", "O"+string(rune('A'+i/26))+string(rune('a'+i%26)), 100))
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					ds, err := db.ClaimDeliveries(ctx, "webhook", t0.Add(time.Hour), 7, time.Hour)
					if err != nil {
						t.Error(err)
						return
					}
					if len(ds) == 0 {
						return
					}
					mu.Lock()
					for _, d := range ds {
						seen[d.Event.Seq]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 200 {
			t.Errorf("%d deliveries claimed, want 200", len(seen))
		}
		for seq, n := range seen {
			if n != 1 {
				t.Errorf("delivery %d claimed %d times", seq, n)
			}
		}
	})
}
