package recon_test

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/recon"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// fakeChannel serves statements from memory, per day; the rest of the contract is unused.
type fakeChannel struct {
	channel.Channel
	name   string
	cutoff time.Duration
	days   map[clock.Date][]channel.StatementRecord
}

func (f *fakeChannel) Name() string { return f.name }
func (f *fakeChannel) Info() channel.Info {
	return channel.Info{DayCutoff: f.cutoff, StatementReadyAfter: 10 * time.Hour}
}
func (f *fakeChannel) DownloadStatement(_ context.Context, req *channel.StatementRequest) (channel.StatementReader, error) {
	return &sliceStatement{recs: f.days[req.Date]}, nil
}

// storedPaid stores a payment of account paid at t (the channel order number is no).
func storedPaid(t *testing.T, db *store.DB, account, no string, fen int64, at time.Time) {
	t.Helper()
	ctx := context.Background()
	p := &order.Payment{ID: "pay_" + no, MerchantID: "M1", OrderNo: "M" + no, Channel: "fake", Account: account, ChannelOrderNo: no,
		ChannelOrderTime: at, Method: channel.MethodQR, Amount: money.Fen(fen), Subject: "s", State: order.Created,
		ExpiresAt: at.Add(time.Hour), CreatedAt: at.Add(-time.Minute), UpdatedAt: at.Add(-time.Minute), Version: 1}
	if _, err := db.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.TransitionPayment(ctx, p.ID, 1, order.Transition{To: order.Succeeded, Cause: order.CauseNotification, At: at,
		PaidAt: at, ChannelTxnID: "T" + no}); err != nil {
		t.Fatal(err)
	}
}

func newRunner(t *testing.T, db *store.DB) *recon.Runner {
	t.Helper()
	r, err := recon.New(recon.Config{Store: db, Orders: db, Clock: clock.NewVirtual(time.Date(2026, 11, 22, 12, 0, 0, 0, clock.Beijing())),
		Window: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func at(d clock.Date, hh, mm, ss int) time.Time {
	return d.Start(clock.Beijing()).Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second)
}

// UnionPay's clearing day D runs from D-1 23:00 to D 23:00: a payment at 22:59:59 is D's, one
// at 23:00:01 is D+1's, on both sides.
func TestRunner_UnionPay2300Boundary(t *testing.T) {
	db := storetest.Open(t, storetest.SQLiteDSN(t))
	d := day
	storedPaid(t, db, "up1", "UP1", 1000, at(d, 22, 59, 59))
	storedPaid(t, db, "up1", "UP2", 2000, at(d, 23, 0, 1))
	ch := &fakeChannel{name: "unionpay", cutoff: clock.UnionPayCutoff, days: map[clock.Date][]channel.StatementRecord{
		d:            {pay("UP1", 1000, 0, at(d, 22, 59, 59))},
		d.AddDays(1): {pay("UP2", 2000, 0, at(d, 23, 0, 1))},
	}}
	r := newRunner(t, db)
	for _, dd := range []clock.Date{d, d.AddDays(1)} {
		rep, err := r.Run(context.Background(), recon.Account{ID: "up1", Channel: ch}, dd)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Classes[recon.Matched].Count != 1 || rep.LocalRecords != 1 {
			t.Errorf("%s:\n%s", dd, text(t, rep))
		}
	}
}

// Records on either side of midnight that the other side puts on the other day wait on D
// (the report is OK: waiting is not an exception, and the 余额调节表 agrees once they are
// listed in transit) and are matched on D+1, audited as next-day matches.
func TestRunner_WindowCarriesAndBalanceTableAgrees(t *testing.T) {
	storetest.ForEach(t, "", func(t *testing.T, dsn string) {
		db := storetest.Open(t, dsn)
		d := day
		storedPaid(t, db, "wx1", "A1", 500, at(d, 12, 0, 0))              // matched on D
		storedPaid(t, db, "wx1", "LATE", 1200, at(d.AddDays(1), 0, 0, 1)) // core: D+1; channel: D 23:59:58
		storedPaid(t, db, "wx1", "EARLY", 3300, at(d, 23, 59, 59))        // core: D; channel: D+1 00:00:02
		ch := &fakeChannel{name: "wechat", days: map[clock.Date][]channel.StatementRecord{
			d:            {pay("A1", 500, 3, at(d, 12, 0, 0)), pay("LATE", 1200, 7, at(d, 23, 59, 58))},
			d.AddDays(1): {pay("EARLY", 3300, 20, at(d.AddDays(1), 0, 0, 2))},
		}}
		r := newRunner(t, db)
		acct := recon.Account{ID: "wx1", Channel: ch}
		rep, err := r.Run(context.Background(), acct, d)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Result.Waiting.Count != 2 || len(rep.Waiting) != 2 || rep.Balance.CoreOnly != 3300-20 && rep.Balance.CoreOnly != 3300 || rep.Balance.ChannelOnly != 1200-7 {
			t.Fatalf("day D:\n%s\n%+v", text(t, rep), rep.Balance)
		}
		if !rep.Balanced() {
			t.Fatalf("table does not agree:\n%s", text(t, rep))
		}
		for i := 0; i < 2; i++ { // a re-run of D+1 changes nothing
			rep2, err := r.Run(context.Background(), acct, d.AddDays(1))
			if err != nil {
				t.Fatal(err)
			}
			if !rep2.OK() || rep2.CarriedMatched != 2 || rep2.Classes[recon.Matched].Count != 2 || !rep2.Balanced() {
				t.Fatalf("day D+1 (run %d):\n%s", i+1, text(t, rep2))
			}
		}
		items, _ := db.ReconItems(context.Background(), recon.ItemFilter{Account: "wx1", Day: d})
		if len(items) != 2 {
			t.Fatalf("items of D: %+v", items)
		}
		for _, it := range items {
			audit, _ := db.ReconResolutions(context.Background(), it.ID)
			if it.Status != recon.ItemResolved || len(audit) == 0 || audit[0].Action != recon.ActionNextDay {
				t.Errorf("%s: %s %+v", it.No, it.Status, audit)
			}
		}
	})
}

// A waiting record that the next day does not match either becomes an exception then.
func TestRunner_WaitingItemOpensNextDay(t *testing.T) {
	db := storetest.Open(t, storetest.SQLiteDSN(t))
	d := day
	storedPaid(t, db, "wx1", "GONE", 700, at(d, 23, 58, 0))
	ch := &fakeChannel{name: "wechat", days: map[clock.Date][]channel.StatementRecord{}}
	r := newRunner(t, db)
	acct := recon.Account{ID: "wx1", Channel: ch}
	if rep, err := r.Run(context.Background(), acct, d); err != nil || !rep.OK() || rep.Result.Waiting.Count != 1 {
		t.Fatalf("D: %v\n%s", err, text(t, rep))
	}
	rep, err := r.Run(context.Background(), acct, d.AddDays(1))
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || rep.Open != 1 || len(rep.Exceptions) != 1 || rep.Exceptions[0].No != "GONE" {
		t.Fatalf("D+1:\n%s", text(t, rep))
	}
	// Re-running D+1 finds it again (it is not lost, nor doubled).
	rep, err = r.Run(context.Background(), acct, d.AddDays(1))
	if err != nil || rep.Open != 1 || len(rep.Exceptions) != 1 {
		t.Fatalf("re-run: %v\n%s", err, text(t, rep))
	}

}

// errStatement fails after its records: a statement with a malformed line.
type errStatement struct{ sliceStatement }

func (e *errStatement) Next(r *channel.StatementRecord) error {
	if err := e.sliceStatement.Next(r); err != io.EOF {
		return err
	}
	return &channel.Error{Channel: "wechat", Kind: channel.KindInvalidRequest, Message: "line 3: bad amount"}
}

type errChannel struct{ *fakeChannel }

func (e errChannel) DownloadStatement(context.Context, *channel.StatementRequest) (channel.StatementReader, error) {
	return &errStatement{sliceStatement{recs: []channel.StatementRecord{pay("B1", 100, 0, at(day, 9, 0, 0))}}}, nil
}

// A run that cannot read its statement to the end fails and leaves the day's items as the
// previous run left them.
func TestRunner_BadStatementLeavesItemsAlone(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		db := storetest.Open(t, dsn)
		storedPaid(t, db, "wx1", "B1", 100, at(day, 9, 0, 0))
		r := newRunner(t, db)
		good := &fakeChannel{name: "wechat", days: map[clock.Date][]channel.StatementRecord{}}
		rep, err := r.Run(context.Background(), recon.Account{ID: "wx1", Channel: good}, day)
		if err != nil || rep.Open != 1 {
			t.Fatalf("first run: %v %+v", err, rep)
		}
		if _, err := r.Run(context.Background(), recon.Account{ID: "wx1", Channel: errChannel{good}}, day); err == nil || !strings.Contains(err.Error(), "bad amount") {
			t.Fatalf("a malformed statement: %v", err)
		}
		items, err := db.ReconItems(context.Background(), recon.ItemFilter{Account: "wx1", Day: day})
		if err != nil || len(items) != 1 || items[0].Status != recon.ItemOpen || items[0].ID != rep.Exceptions[0].ID {
			t.Fatalf("items after the failed run: %+v %v", items, err)
		}
	})
}

// refundChannel answers every refund query with success.
type refundChannel struct{ *fakeChannel }

func (refundChannel) QueryRefund(_ context.Context, req *channel.RefundQueryRequest) (*channel.RefundResult, error) {
	return &channel.RefundResult{Status: channel.StatusSucceeded, ChannelStatus: "SUCCESS", ChannelRefundID: "TR" + req.RefundNo}, nil
}

// A refund the statement lists as succeeded and the core still has pending is confirmed by
// the channel's refund query and completed (cause query), audited.
func TestRunner_PendingRefundConfirmedByQuery(t *testing.T) {
	db := storetest.Open(t, storetest.SQLiteDSN(t))
	ctx := context.Background()
	storedPaid(t, db, "wx1", "RP1", 900, at(day, 9, 0, 0))
	rf := &order.Refund{ID: "ref_RR1", PaymentID: "pay_RP1", MerchantID: "M1", RefundNo: "MRR1", ChannelRefundNo: "RR1",
		ChannelRefundTime: at(day, 10, 0, 0), Amount: money.Fen(300), Reason: "r", State: order.Created,
		CreatedAt: at(day, 10, 0, 0), UpdatedAt: at(day, 10, 0, 0), Version: 1}
	if _, err := db.CreateRefund(ctx, rf); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := db.TransitionRefund(ctx, rf.ID, 1, order.Transition{To: order.Pending, Cause: order.CauseChannel, At: at(day, 10, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	refund := channel.StatementRecord{Channel: "wechat", Type: channel.RecordRefund, OrderNo: "RP1", RefundNo: "RR1", ChannelRefundID: "TRRR1",
		Amount: money.Fen(300), Status: channel.StatusSucceeded, ChannelTime: at(day, 10, 5, 0)}
	ch := refundChannel{&fakeChannel{name: "wechat", days: map[clock.Date][]channel.StatementRecord{day: {pay("RP1", 900, 0, at(day, 9, 0, 0)), refund}}}}
	rep, err := newRunner(t, db).Run(ctx, recon.Account{ID: "wx1", Channel: ch}, day)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := db.Refund(ctx, rf.ID)
	if got.State != order.Succeeded || !rep.OK() || len(rep.ResolvedToday) != 1 || rep.ResolvedToday[0].Class != recon.StatusDiffers {
		t.Fatalf("refund %s\n%s", got.State, text(t, rep))
	}
	if audit, _ := db.ReconResolutions(ctx, rep.ResolvedToday[0].ID); len(audit) != 1 || audit[0].Action != recon.ActionConfirm {
		t.Errorf("audit: %+v", audit)
	}
}
