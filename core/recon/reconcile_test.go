package recon_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/recon"
)

var day = clock.Date{Year: 2026, Month: 11, Day: 20}

func bj(h, m, s int) time.Time {
	return time.Date(2026, 11, 20, h, m, s, 0, clock.Beijing())
}

func pay(no string, amount, fee int64, at time.Time) channel.StatementRecord {
	return channel.StatementRecord{Channel: "wechat", Type: channel.RecordPayment, OrderNo: no, ChannelTxnID: "T" + no,
		Amount: money.Fen(amount), Fee: money.Fen(fee), Status: channel.StatusSucceeded, ChannelTime: at}
}

func lpay(no string, amount int64, at time.Time) recon.Local {
	return recon.Local{Kind: recon.KindPayment, No: no, OrderNo: "M" + no, ID: "pay_" + no, TxnID: "T" + no,
		Amount: money.Fen(amount), State: "succeeded", At: at}
}

func run(t *testing.T, in recon.Input) (*recon.Result, []recon.Item) {
	t.Helper()
	var items []recon.Item
	in.Channel, in.Account, in.Day = "wechat", "wx1", day
	in.Sink = func(_ context.Context, it *recon.Item) error { items = append(items, *it); return nil }
	res, err := recon.Reconcile(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return res, items
}

func TestReconcile_Classes(t *testing.T) {
	rate, _ := recon.RateFee(map[string]decimal.Decimal{"wx1": decimal.RequireFromString("0.006")})
	refund := channel.StatementRecord{Channel: "wechat", Type: channel.RecordRefund, OrderNo: "P1", RefundNo: "R1", ChannelRefundID: "TR1",
		Amount: money.Fen(500), Fee: money.Fen(-3), Status: channel.StatusSucceeded, ChannelTime: bj(12, 0, 0)}
	st := &sliceStatement{recs: []channel.StatementRecord{
		pay("P1", 10000, 60, bj(9, 0, 0)),   // matched
		pay("P2", 10001, 60, bj(9, 1, 0)),   // amount differs (core 10000)
		pay("P3", 10000, 61, bj(9, 2, 0)),   // fee differs
		pay("P4", 10000, 60, bj(9, 3, 0)),   // channel only
		pay("P5", 10000, 60, bj(23, 58, 0)), // channel only, inside the window: waits
		refund,                              // matched refund
	}}
	p6 := lpay("P6", 2000, bj(10, 0, 0)) // local only
	p7 := lpay("P7", 2000, bj(23, 59, 0))
	p8 := lpay("P8", 3000, bj(11, 0, 0))
	p8.TxnID = "OTHER"
	st.recs = append(st.recs, pay("P8", 3000, 18, bj(11, 0, 0)))
	local := sliceSource{lpay("P1", 10000, bj(9, 0, 0)), lpay("P2", 10000, bj(9, 1, 0)), lpay("P3", 10000, bj(9, 2, 0)), p6, p7, p8,
		{Kind: recon.KindRefund, No: "R1", OrderNo: "MR1", ID: "ref_1", TxnID: "TR1", Amount: money.Fen(500), State: "succeeded", At: bj(12, 0, 0)},
		lpay("PX", 100, bj(0, 0, 0).Add(-time.Second)), // the day before: not streamed
	}
	res, items := run(t, recon.Input{Statement: st, Local: local, Fee: rate, Window: 5 * time.Minute})
	want := map[recon.Class]int64{recon.Matched: 2, recon.AmountDiffers: 1, recon.FeeDiffers: 1, recon.ChannelOnly: 1, recon.LocalOnly: 1, recon.TxnIDDiffers: 1}
	for _, c := range recon.Classes {
		if got := res.Classes[c].Count; got != want[c] {
			t.Errorf("class %s: %d, want %d", c, got, want[c])
		}
	}
	if res.Waiting.Count != 2 {
		t.Errorf("waiting: %d, want 2 (P5 on the channel, P7 in the core)", res.Waiting.Count)
	}
	byNo := map[string]recon.Item{}
	for _, it := range items {
		byNo[it.No] = it
	}
	if it := byNo["P2"]; it.Class != recon.AmountDiffers || it.LocalAmount != 10000 || it.ChannelAmount != 10001 || it.Status != recon.ItemOpen {
		t.Errorf("P2: %+v", it)
	}
	if it := byNo["P3"]; it.Class != recon.FeeDiffers || it.LocalFee != 60 || it.ChannelFee != 61 {
		t.Errorf("P3: %+v", it)
	}
	if it := byNo["P5"]; it.Status != recon.ItemWaiting || it.Class != recon.ChannelOnly {
		t.Errorf("P5: %+v", it)
	}
	if it := byNo["P7"]; it.Status != recon.ItemWaiting || it.Class != recon.LocalOnly {
		t.Errorf("P7: %+v", it)
	}
	if res.Open != 5 {
		t.Errorf("open: %d, want 5", res.Open)
	}
	if !res.Balanced() {
		c, ch := res.Adjusted()
		t.Errorf("balance table does not agree: core %d, channel %d (%+v, local %d, channel %d)", c, ch, res.Balance, res.LocalNet, res.ChannelNet)
	}
}

// A payment the core completes at 00:00:01 on D+1 that the channel lists on D: it waits on
// D and is matched on D+1; nothing stays open.
func TestReconcile_CrossDayWindowCarries(t *testing.T) {
	next := bj(0, 0, 1).Add(24 * time.Hour)
	st := &sliceStatement{recs: []channel.StatementRecord{pay("P1", 100, 0, bj(23, 59, 59))}}
	local := sliceSource{lpay("P1", 100, next)}
	res, items := run(t, recon.Input{Statement: st, Local: local, Window: 10 * time.Minute})
	if res.Open != 0 || res.Waiting.Count != 1 || len(items) != 1 || items[0].Status != recon.ItemWaiting {
		t.Fatalf("day D: open %d waiting %d items %+v", res.Open, res.Waiting.Count, items)
	}
	carried := items[0]
	carried.ID = 1
	var got []recon.Item
	res2, err := recon.Reconcile(context.Background(), recon.Input{Channel: "wechat", Account: "wx1", Day: day.AddDays(1),
		Statement: &sliceStatement{}, Local: local, Window: 10 * time.Minute, Carried: []recon.Item{carried},
		Sink: func(_ context.Context, it *recon.Item) error { got = append(got, *it); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Open != 0 || res2.CarriedMatched != 1 || len(got) != 1 || got[0].ID != 1 || got[0].Status != recon.ItemResolved {
		t.Fatalf("day D+1: open %d carried matched %d items %+v", res2.Open, res2.CarriedMatched, got)
	}
	if !res2.Balanced() {
		t.Errorf("D+1 table: %+v local %d channel %d", res2.Balance, res2.LocalNet, res2.ChannelNet)
	}
	// Without the next day's match it opens.
	got = nil
	res3, _ := recon.Reconcile(context.Background(), recon.Input{Channel: "wechat", Account: "wx1", Day: day.AddDays(1),
		Statement: &sliceStatement{}, Local: sliceSource{}, Carried: []recon.Item{carried},
		Sink: func(_ context.Context, it *recon.Item) error { got = append(got, *it); return nil }})
	if res3.Open != 1 || len(got) != 1 || got[0].Status != recon.ItemOpen {
		t.Fatalf("unmatched carried item: open %d %+v", res3.Open, got)
	}
}

// UnionPay's day D runs from D-1 23:00 to D 23:00: a payment at 23:30 on D belongs to D+1.
func TestReconcile_UnionPayCutoff(t *testing.T) {
	from, to := recon.Bounds(day, clock.UnionPayCutoff)
	if !from.Equal(bj(23, 0, 0).Add(-24*time.Hour)) || !to.Equal(bj(23, 0, 0)) {
		t.Fatalf("bounds %v %v", from, to)
	}
	local := sliceSource{lpay("P1", 100, bj(22, 59, 59)), lpay("P2", 100, bj(23, 0, 0))}
	st := &sliceStatement{recs: []channel.StatementRecord{pay("P1", 100, 0, bj(22, 59, 59))}}
	res, items := run(t, recon.Input{Statement: st, Local: local, Cutoff: clock.UnionPayCutoff})
	if res.Classes[recon.Matched].Count != 1 || len(items) != 0 || res.LocalRecords != 1 {
		t.Fatalf("matched %d, items %+v, local %d", res.Classes[recon.Matched].Count, items, res.LocalRecords)
	}
}

func TestReconcile_BadStatementChangesNothing(t *testing.T) {
	st := &sliceStatement{recs: []channel.StatementRecord{pay("P1", 100, 0, bj(1, 0, 0)), pay("P1", 100, 0, bj(1, 0, 0))}}
	_, err := recon.Reconcile(context.Background(), recon.Input{Channel: "wechat", Account: "wx1", Day: day, Statement: st, Local: sliceSource{},
		Sink: func(context.Context, *recon.Item) error {
			t.Error("an item was emitted from a bad statement")
			return nil
		}})
	if err == nil {
		t.Fatal("a number listed twice was accepted")
	}
}

// The index grows past its first table (no size hint) and still finds every record once.
func TestReconcile_IndexGrows(t *testing.T) {
	const n = 5000
	st := &sliceStatement{}
	var local sliceSource
	for i := 0; i < n; i++ {
		no := "G" + strconv.Itoa(i)
		st.recs = append(st.recs, pay(no, int64(100+i), 0, bj(10, 0, 0)))
		local = append(local, lpay(no, int64(100+i), bj(10, 0, 0)))
	}
	res, items := run(t, recon.Input{Statement: st, Local: local})
	if res.Classes[recon.Matched].Count != n || len(items) != 0 {
		t.Fatalf("matched %d of %d, items %d", res.Classes[recon.Matched].Count, n, len(items))
	}
	st.i = 0
	st.recs = append(st.recs, pay("G4321", 1, 0, bj(10, 0, 0)))
	if _, err := recon.Reconcile(context.Background(), recon.Input{Channel: "wechat", Account: "wx1", Day: day, Statement: st, Local: local}); err == nil {
		t.Error("a number listed twice after the table grew was accepted")
	}
}
