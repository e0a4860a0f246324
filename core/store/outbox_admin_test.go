package store_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

func TestOutboxAdmin_EventByIDEntriesReleaseRedeliver(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		paid(t, db, "pay_a", 100)
		paid(t, db, "pay_b", 200)
		hist, err := db.History(ctx, "pay_a")
		if err != nil || len(hist) != 2 {
			t.Fatalf("history %v %v", hist, err)
		}
		ev, err := db.EventByID(ctx, hist[1].ID)
		if err != nil || ev.Seq != hist[1].Seq || ev.Type != "payment.succeeded" || ev.MerchantID != "M1" {
			t.Fatalf("EventByID: %+v %v", ev, err)
		}
		if _, err := db.EventByID(ctx, "evt_nope"); !errors.Is(err, order.ErrNotFound) {
			t.Errorf("unknown id: %v", err)
		}

		now := t0.Add(time.Hour)
		got, err := db.ClaimDeliveries(ctx, "webhook", now, 10, time.Hour)
		if err != nil || len(got) != 2 {
			t.Fatalf("claim %v %v", got, err)
		}
		// A still-pending, leased delivery is not redelivered (that would let a second claimer in).
		if err := db.Redeliver(ctx, "webhook", got[0].Event.Seq, now); !errors.Is(err, order.ErrNotFound) {
			t.Errorf("redeliver of a pending delivery: %v", err)
		}
		// Release gives the lease back without counting an attempt.
		if err := db.ReleaseDelivery(ctx, "webhook", got[0].Event.Seq, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if again, _ := db.ClaimDeliveries(ctx, "webhook", now.Add(30*time.Second), 10, time.Hour); len(again) != 0 {
			t.Errorf("released delivery claimable before its next time: %+v", again)
		}
		again, _ := db.ClaimDeliveries(ctx, "webhook", now.Add(time.Minute), 10, time.Hour)
		if len(again) != 1 || again[0].Event.Seq != got[0].Event.Seq || again[0].Attempts != 0 {
			t.Fatalf("after release: %+v", again)
		}
		if err := db.CompleteDelivery(ctx, "webhook", got[0].Event.Seq); err != nil {
			t.Fatal(err)
		}
		if err := db.ReleaseDelivery(ctx, "webhook", got[0].Event.Seq, now); !errors.Is(err, order.ErrNotFound) {
			t.Errorf("release of a done delivery: %v", err)
		}
		if err := db.DeadLetter(ctx, "webhook", got[1].Event.Seq, "HTTP 500"); err != nil {
			t.Fatal(err)
		}

		en, err := db.OutboxEntry(ctx, "webhook", got[1].Event.Seq)
		if err != nil || en.State != "dead" || en.Attempts != 1 || en.LastErr != "HTTP 500" || en.Event.ID != got[1].Event.ID {
			t.Errorf("entry %+v %v", en, err)
		}
		tests := []struct {
			name string
			f    store.OutboxFilter
			want int
		}{
			{"all", store.OutboxFilter{Consumer: "webhook"}, 4},
			{"dead", store.OutboxFilter{Consumer: "webhook", State: "dead"}, 1},
			{"done", store.OutboxFilter{Consumer: "webhook", State: "done"}, 1},
			{"pending", store.OutboxFilter{Consumer: "webhook", State: "pending"}, 2},
			{"payment", store.OutboxFilter{Consumer: "webhook", PaymentID: "pay_b"}, 2},
			{"merchant", store.OutboxFilter{Consumer: "webhook", MerchantID: "M2"}, 0},
			{"limit", store.OutboxFilter{Consumer: "webhook", Limit: 3}, 3},
			{"ledger", store.OutboxFilter{Consumer: "ledger", State: "pending"}, 4},
		}
		for _, tc := range tests {
			es, err := db.OutboxEntries(ctx, tc.f)
			if err != nil || len(es) != tc.want {
				t.Errorf("%s: %d entries (%v), want %d", tc.name, len(es), err, tc.want)
			}
			for i := 1; i < len(es); i++ {
				if es[i].Event.Seq > es[i-1].Event.Seq {
					t.Errorf("%s: not newest first", tc.name)
				}
			}
		}
		if _, err := db.OutboxEntries(ctx, store.OutboxFilter{Consumer: "webhook", State: "stuck"}); err == nil {
			t.Error("unknown state accepted")
		}
		if err := db.Redeliver(ctx, "webhook", got[1].Event.Seq, now); err != nil {
			t.Errorf("redeliver dead: %v", err)
		}
	})
}
