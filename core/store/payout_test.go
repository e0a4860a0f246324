package store_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store/storetest"
)

func newPayout(id, merchant, no string, minor int64) *order.Payout {
	return &order.Payout{ID: id, MerchantID: merchant, PayoutNo: no, Channel: "bank", Account: "bank1", ChannelPayoutNo: "C" + id,
		ChannelPayoutTime: t0, Amount: money.Fen(minor), CardMasked: "621626*********0026", HolderName: "张三", Purpose: "p", CreatedAt: t0}
}

// TestPayouts_CompareAndSetEventsAndWatch: transitions are compare-and-set with one event
// each (idempotent by reference and by target state), a processing or succeeded payout is
// in the query-back queue and a final one is not, and numbers are unique per merchant.
func TestPayouts_CompareAndSetEventsAndWatch(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		p := newPayout("po_1", "M1", "P1", 12345)
		if _, err := db.CreatePayout(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreatePayout(ctx, newPayout("po_2", "M1", "P1", 1)); !errors.Is(err, order.ErrDuplicate) {
			t.Fatalf("same payout_no: %v", err)
		}
		if _, err := db.CreatePayout(ctx, newPayout("po_3", "M2", "P1", 1)); err != nil {
			t.Fatalf("another merchant's P1: %v", err)
		}
		if _, err := db.PayoutByNo(ctx, "M2", "P1"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.PayoutByNo(ctx, "M2", "P1"); got.ID != "po_3" {
			t.Fatalf("M2's P1 is %s", got.ID)
		}
		queued := func() bool {
			var n int
			if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM order_queries WHERE order_id = 'po_1'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n == 1
		}
		p1, ev, err := db.TransitionPayout(ctx, "po_1", 1, order.PayoutTransition{To: order.PayoutProcessing, Cause: order.CauseChannel, At: t0, Unresolved: true}, t0.Add(time.Minute))
		if err != nil || ev == nil || ev.Type != "payout.processing" || !p1.Unresolved || !queued() {
			t.Fatalf("processing: %v %+v %v queued=%v", err, ev, p1, queued())
		}
		if _, _, err := db.TransitionPayout(ctx, "po_1", 1, order.PayoutTransition{To: order.Succeeded, Cause: order.CauseQuery, At: t0}, t0); !errors.Is(err, order.ErrConflict) {
			t.Fatalf("stale version: %v", err)
		}
		if _, _, err := db.TransitionPayout(ctx, "po_1", p1.Version, order.PayoutTransition{To: order.Failed, Cause: order.CauseChannel, At: t0}, t0); !errors.Is(err, order.ErrTransition) {
			t.Fatalf("unknown outcome failed by our own call: %v", err)
		}
		tr := order.PayoutTransition{To: order.Succeeded, Cause: order.CauseNotification, Ref: "n1", At: t0.Add(time.Minute), ChannelTxnID: "B1"}
		p2, ev, err := db.TransitionPayout(ctx, "po_1", p1.Version, tr, t0.Add(6*time.Hour))
		if err != nil || ev == nil || p2.State != order.Succeeded || p2.ChannelTxnID != "B1" || !queued() {
			t.Fatalf("succeeded: %v %+v queued=%v", err, p2, queued())
		}
		again, ev, err := db.TransitionPayout(ctx, "po_1", p1.Version, tr, t0)
		if err != nil || ev != nil || again.Version != p2.Version {
			t.Fatalf("duplicate notification: %v %v v%d", err, ev, again.Version)
		}
		p3, ev, err := db.TransitionPayout(ctx, "po_1", p2.Version, order.PayoutTransition{To: order.PayoutReturned, Cause: order.CauseNotification, Ref: "n2", At: t0.Add(24 * time.Hour), ReturnNo: "RT1"}, t0)
		if err != nil || ev == nil || ev.Type != "payout.returned" || p3.ReturnNo != "RT1" || queued() {
			t.Fatalf("returned: %v %+v queued=%v", err, p3, queued())
		}
		hist, err := db.History(ctx, "po_1")
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, e := range hist {
			types = append(types, e.Type)
		}
		if len(types) != 4 || types[0] != "payout.created" || types[3] != "payout.returned" {
			t.Errorf("history %v", types)
		}
		list, err := db.Payouts(ctx, "M1", t0, t0.Add(time.Second), 10)
		if err != nil || len(list) != 1 || list[0].ID != "po_1" {
			t.Errorf("M1's payouts: %v %v", list, err)
		}
		if list, _ := db.Payouts(ctx, "M1", t0.Add(time.Second), t0.Add(time.Hour), 10); len(list) != 0 {
			t.Errorf("M1's payouts after creation time: %v", list)
		}
		amts, err := db.OrderAmounts(ctx, "payout", []string{"po_1", "po_x"})
		if err != nil || len(amts) != 1 || amts["po_1"] != money.Fen(12345) {
			t.Errorf("payout amounts: %v %v", amts, err)
		}
	})
}

// TestBindings_CompareAndSetAndScopedLookups: a binding is found only under its own
// merchant, transitions are compare-and-set, and the sealed elements are gone once bound.
func TestBindings_CompareAndSetAndScopedLookups(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		b := &order.Binding{ID: "bnd_1", MerchantID: "M1", BindNo: "B1", UserID: "u", ChannelUserID: "cu", Channel: "bank", Account: "bank1",
			ChannelBindNo: "TB1", ChannelBindTime: t0, CardMasked: "621626*********0018", CreatedAt: t0,
			Pending: order.PendingCard{PAN: "v1:k1:aa:bb", Phone: "v1:k1:cc:dd", HolderName: "张三", IDType: "01"}}
		if err := db.CreateBinding(ctx, b); err != nil {
			t.Fatal(err)
		}
		if _, err := db.BindingByNo(ctx, "M2", "B1"); !errors.Is(err, order.ErrNotFound) {
			t.Fatalf("M2 finds M1's binding: %v", err)
		}
		b1, err := db.TransitionBinding(ctx, "bnd_1", 1, order.BindingTransition{To: order.BindSMSSent, Cause: order.CauseChannel, At: t0, SMSSent: true}, t0)
		if err != nil || b1.Pending.PAN == "" {
			t.Fatalf("sms sent: %v %+v", err, b1)
		}
		if _, err := db.TransitionBinding(ctx, "bnd_1", 1, order.BindingTransition{To: order.Bound, Cause: order.CauseChannel, At: t0}, t0); !errors.Is(err, order.ErrConflict) {
			t.Fatalf("stale version: %v", err)
		}
		if _, err := db.TransitionBinding(ctx, "bnd_1", b1.Version, order.BindingTransition{To: order.Bound, Cause: order.CauseChannel, At: t0, Token: "T1"}, t0); err != nil {
			t.Fatal(err)
		}
		got, err := db.BindingByNo(ctx, "M1", "B1")
		if err != nil || got.State != order.Bound || got.Token != "T1" || !got.Pending.IsZero() || got.SMSSends != 1 {
			t.Fatalf("bound: %v %+v", err, got)
		}
	})
}
