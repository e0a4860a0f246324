package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

var t0 = time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)

func newPayment(id, merchant, orderNo string, minor int64) *order.Payment {
	return &order.Payment{ID: id, MerchantID: merchant, OrderNo: orderNo, Channel: "wechat", Account: "wx1",
		ChannelOrderNo: "C" + id, ChannelOrderTime: t0, Method: channel.MethodQR, Amount: money.Fen(minor),
		Subject: "s", ExpiresAt: t0.Add(2 * time.Hour), CreatedAt: t0}
}

func mustPay(t *testing.T, db *store.DB, p *order.Payment) {
	t.Helper()
	if _, err := db.CreatePayment(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

// paid creates a payment and moves it to succeeded.
func paid(t *testing.T, db *store.DB, id string, minor int64) *order.Payment {
	t.Helper()
	ctx := context.Background()
	p := newPayment(id, "M1", "O"+id, minor)
	mustPay(t, db, p)
	p, _, err := db.TransitionPayment(ctx, id, p.Version, order.Transition{To: order.Succeeded, Cause: order.CauseChannel, At: t0, ChannelTxnID: "T" + id, PaidAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOrders_CreateAndRead(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		p := newPayment("pay_1", "M1", "A1001", 1999)
		ev, err := db.CreatePayment(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type != "payment.created" || ev.ID == "" || ev.Seq == 0 || p.Version != 1 || p.State != order.Created {
			t.Errorf("created: %+v %+v", ev, p)
		}
		got, err := db.PaymentByOrderNo(ctx, "M1", "A1001")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "pay_1" || got.Amount != money.Fen(1999) || !got.ChannelOrderTime.Equal(t0) || got.Method != channel.MethodQR || !got.ExpiresAt.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("read back %+v", got)
		}
		if _, err := db.PaymentByChannelOrderNo(ctx, "wx1", "Cpay_1"); err != nil {
			t.Errorf("by channel number: %v", err)
		}
		if _, err := db.PaymentByOrderNo(ctx, "M2", "A1001"); !errors.Is(err, order.ErrNotFound) {
			t.Errorf("another merchant reads M1's order: %v", err)
		}
		if _, err := db.CreatePayment(ctx, newPayment("pay_2", "M1", "A1001", 5)); !errors.Is(err, order.ErrDuplicate) {
			t.Errorf("same merchant order number: %v", err)
		}
		if _, err := db.CreatePayment(ctx, newPayment("pay_3", "M2", "A1001", 5)); err != nil {
			t.Errorf("another merchant may use the same number: %v", err)
		}
		dup := newPayment("pay_4", "M3", "X", 5)
		dup.ChannelOrderNo = "Cpay_1"
		if _, err := db.CreatePayment(ctx, dup); !errors.Is(err, order.ErrDuplicate) {
			t.Errorf("same channel order number on one account: %v", err)
		}
		if _, err := db.Payment(ctx, "pay_4"); !errors.Is(err, order.ErrNotFound) {
			t.Errorf("a refused create left a row: %v", err)
		}
	})
}

func TestOrders_TransitionCASIdempotencyAndTable(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		p := newPayment("pay_1", "M1", "A1", 100)
		mustPay(t, db, p)
		p1, ev, err := db.TransitionPayment(ctx, "pay_1", 1, order.Transition{To: order.Pending, Cause: order.CauseChannel, At: t0, Unresolved: true})
		if err != nil || ev == nil || p1.Version != 2 || !p1.Unresolved {
			t.Fatalf("created -> pending: %+v %+v %v", p1, ev, err)
		}
		if _, _, err := db.TransitionPayment(ctx, "pay_1", 1, order.Transition{To: order.Succeeded, Cause: order.CauseQuery, At: t0}); !errors.Is(err, order.ErrConflict) {
			t.Errorf("stale version: %v", err)
		}
		if _, _, err := db.TransitionPayment(ctx, "pay_1", 2, order.Transition{To: order.Failed, Cause: order.CauseChannel, At: t0}); !errors.Is(err, order.ErrTransition) {
			t.Errorf("unknown outcome failed by our own call: %v", err)
		}
		tr := order.Transition{To: order.Succeeded, Cause: order.CauseNotification, Ref: "wechat|payment|A1|SUCCEEDED", At: t0.Add(time.Minute), ChannelTxnID: "T1", PaidAt: t0}
		p2, ev2, err := db.TransitionPayment(ctx, "pay_1", 2, tr)
		if err != nil || ev2 == nil || p2.State != order.Succeeded || p2.ChannelTxnID != "T1" || p2.Unresolved {
			t.Fatalf("pending -> succeeded: %+v %v", p2, err)
		}
		// The duplicate notification (same reference, even with the old version) changes nothing.
		p3, ev3, err := db.TransitionPayment(ctx, "pay_1", 2, tr)
		if err != nil || ev3 != nil || p3.Version != p2.Version {
			t.Errorf("duplicate: %+v %+v %v", p3, ev3, err)
		}
		// So does a query that reaches the same final state.
		if _, ev4, err := db.TransitionPayment(ctx, "pay_1", 3, order.Transition{To: order.Succeeded, Cause: order.CauseQuery, At: t0}); err != nil || ev4 != nil {
			t.Errorf("same final state again: %+v %v", ev4, err)
		}
		if _, _, err := db.TransitionPayment(ctx, "pay_1", 3, order.Transition{To: order.Closed, Cause: order.CauseExpiry, At: t0}); !errors.Is(err, order.ErrTransition) {
			t.Errorf("succeeded -> closed: %v", err)
		}
		h, err := db.History(ctx, "pay_1")
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, e := range h {
			types = append(types, e.Type+"/"+string(e.Cause))
		}
		if fmt.Sprint(types) != "[payment.created/api payment.pending/channel payment.succeeded/notification]" {
			t.Errorf("history %v", types)
		}
		if q, _ := db.DueQueries(ctx, t0.Add(time.Hour), 10, time.Minute); len(q) != 0 {
			t.Errorf("a succeeded payment is still in the query-back queue: %+v", q)
		}
	})
}

func TestOrders_QueryBackQueue(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		for i := 0; i < 3; i++ {
			id := fmt.Sprintf("pay_%d", i)
			mustPay(t, db, newPayment(id, "M1", "A"+id, 100))
			if _, _, err := db.TransitionPayment(ctx, id, 1, order.Transition{To: order.Pending, Cause: order.CauseChannel, At: t0.Add(time.Duration(i) * time.Second), Unresolved: i < 2}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.DueQueries(ctx, t0.Add(time.Minute), 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].OrderID != "pay_0" || got[1].OrderID != "pay_1" {
			t.Fatalf("due: %+v (only the two unresolved orders, oldest first)", got)
		}
		if again, _ := db.DueQueries(ctx, t0.Add(time.Minute+30*time.Second), 10, time.Minute); len(again) != 0 {
			t.Errorf("leased tasks claimed again: %+v", again)
		}
		if err := db.RescheduleQuery(ctx, got[0], t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		later, _ := db.DueQueries(ctx, t0.Add(3*time.Minute), 10, time.Minute)
		if len(later) != 1 || later[0].OrderID != "pay_1" {
			t.Errorf("after the lease: %+v, want pay_1 only (pay_0 rescheduled to +10m)", later)
		}
		final, _ := db.DueQueries(ctx, t0.Add(11*time.Minute), 10, time.Minute)
		if len(final) != 2 || final[0].OrderID != "pay_1" || final[1].OrderID != "pay_0" || final[1].Attempts != 1 {
			t.Errorf("at +11m: %+v", final)
		}
	})
}

func TestOrders_Refunds(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		unpaid := newPayment("pay_u", "M1", "U", 100)
		mustPay(t, db, unpaid)
		ref := func(id, payID, no string, minor int64) *order.Refund {
			return &order.Refund{ID: id, PaymentID: payID, MerchantID: "M1", RefundNo: no, ChannelRefundNo: "C" + id, Amount: money.Fen(minor), CreatedAt: t0}
		}
		if _, err := db.CreateRefund(ctx, ref("r0", "pay_u", "R0", 10)); !errors.Is(err, order.ErrNotRefundable) {
			t.Errorf("refund of an unpaid order: %v", err)
		}
		paid(t, db, "pay_1", 1000)
		if _, err := db.CreateRefund(ctx, ref("r1", "pay_1", "R1", 600)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateRefund(ctx, ref("r2", "pay_1", "R2", 401)); !errors.Is(err, order.ErrRefundExceeds) {
			t.Errorf("600 + 401 of 1000: %v", err)
		}
		if _, err := db.CreateRefund(ctx, ref("r3", "pay_1", "R1", 1)); !errors.Is(err, order.ErrDuplicate) {
			t.Errorf("same refund number: %v", err)
		}
		other := ref("r4", "pay_1", "R4", 1)
		other.MerchantID = "M2"
		if _, err := db.CreateRefund(ctx, other); !errors.Is(err, order.ErrNotFound) {
			t.Errorf("another merchant refunds M1's payment: %v", err)
		}
		r1, _ := db.Refund(ctx, "r1")
		r1, pay, evs, err := db.TransitionRefund(ctx, "r1", r1.Version, order.Transition{To: order.Succeeded, Cause: order.CauseChannel, At: t0.Add(time.Hour), ChannelTxnID: "RF1"})
		if err != nil {
			t.Fatal(err)
		}
		if r1.State != order.Succeeded || pay == nil || pay.State != order.PartiallyRefunded || pay.RefundedAmount != money.Fen(600) || len(evs) != 2 {
			t.Fatalf("refund succeeded: %+v payment %+v events %d", r1, pay, len(evs))
		}
		// A duplicate success changes nothing twice.
		if _, pay2, evs2, err := db.TransitionRefund(ctx, "r1", 1, order.Transition{To: order.Succeeded, Cause: order.CauseNotification, At: t0}); err != nil || pay2 != nil || len(evs2) != 0 {
			t.Errorf("duplicate refund success: %v %v %v", pay2, evs2, err)
		}
		if _, err := db.CreateRefund(ctx, ref("r5", "pay_1", "R5", 400)); err != nil {
			t.Fatal(err)
		}
		r5, _ := db.Refund(ctx, "r5")
		if _, pay, _, err = db.TransitionRefund(ctx, "r5", r5.Version, order.Transition{To: order.Succeeded, Cause: order.CauseQuery, At: t0.Add(2 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if pay.State != order.Refunded || pay.RefundedAmount != money.Fen(1000) {
			t.Errorf("fully refunded: %+v", pay)
		}
		got, _ := db.Payment(ctx, "pay_1")
		if got.State != order.Refunded || got.RefundedAmount != money.Fen(1000) {
			t.Errorf("stored payment %+v", got)
		}
		list, _ := db.Refunds(ctx, "pay_1")
		if len(list) != 2 {
			t.Errorf("refunds %d", len(list))
		}
	})
}

// TestOrders_ConcurrentTransitionsAndRefunds: 16 callers deliver the same notification and
// 16 callers ask for refunds of 100 against 1000; exactly one success event is written and
// exactly ten refunds are accepted, on both stores, under the race detector.
func TestOrders_ConcurrentTransitionsAndRefunds(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		p := newPayment("pay_c", "M1", "C1", 1000)
		mustPay(t, db, p)
		if _, _, err := db.TransitionPayment(ctx, "pay_c", 1, order.Transition{To: order.Pending, Cause: order.CauseChannel, At: t0}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var events atomic.Int32
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					cur, err := db.Payment(ctx, "pay_c")
					if err != nil {
						t.Error(err)
						return
					}
					_, ev, err := db.TransitionPayment(ctx, "pay_c", cur.Version, order.Transition{To: order.Succeeded, Cause: order.CauseNotification, Ref: "note-1", At: t0})
					if errors.Is(err, order.ErrConflict) {
						continue
					}
					if err != nil {
						t.Error(err)
					}
					if ev != nil {
						events.Add(1)
					}
					return
				}
			}()
		}
		wg.Wait()
		if events.Load() != 1 {
			t.Fatalf("%d success events for one notification delivered 16 times", events.Load())
		}
		var accepted atomic.Int32
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := db.CreateRefund(ctx, &order.Refund{ID: fmt.Sprintf("rc%d", i), PaymentID: "pay_c", MerchantID: "M1",
					RefundNo: fmt.Sprintf("RC%d", i), ChannelRefundNo: fmt.Sprintf("CRC%d", i), Amount: money.Fen(100), CreatedAt: t0})
				switch {
				case err == nil:
					accepted.Add(1)
				case !errors.Is(err, order.ErrRefundExceeds):
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if accepted.Load() != 10 {
			t.Errorf("%d refunds of 100 accepted against 1000", accepted.Load())
		}
	})
}
