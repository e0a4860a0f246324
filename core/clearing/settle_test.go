package clearing_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// seed stores the orders most settlement tests use (see the figures in
// TestSettle_BatchesPerMerchantAndClearingDay).
func (f *fixture) seed() {
	prev, next := day.AddDays(-1), day.AddDays(1)
	f.pay("p0", "M1", "wx1", 20000, bj(prev, 12, 0, 0))
	f.pay("p1", "M1", "wx1", 10000, bj(day, 10, 0, 0))
	f.pay("p2", "M1", "wx1", 250, bj(day, 23, 59, 59))
	f.pay("p3", "M1", "wx1", 5000, bj(next, 0, 0, 0))
	f.refund("r1", "p0", 10000, bj(day, 11, 0, 0))
	f.pay("u0", "M2", "up1", 500, bj(prev, 23, 0, 0))
	f.pay("u1", "M2", "up1", 100000, bj(day, 22, 59, 59))
	f.pay("u2", "M2", "up1", 1000, bj(day, 23, 0, 0))
}

func batchLine(b clearing.Batch) string {
	return fmt.Sprintf("%s pay_on=%s payments=%d refunds=%d gross=%s refunded=%s fees=%s net=%s", b.ID, b.PayOn, b.Payments, b.Refunds,
		b.Gross.Decimal(), b.Refunded.Decimal(), b.Fees.Decimal(), b.Net.Decimal())
}

// TestSettle_BatchesPerMerchantAndClearingDay: one batch per merchant for the day, each
// channel's day by its own cut-off (WeChat natural day, UnionPay 23:00), fees by contract,
// the refund's returned fee by the channel's policy; the postings balance; a re-run makes
// and posts nothing.
func TestSettle_BatchesPerMerchantAndClearingDay(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		f := newFixture(t, dsn)
		f.seed()
		f.drain()
		f.clk.Set(bj(day.AddDays(1), 10, 0, 0))
		res, err := f.s.Run(f.ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		// M1 (WeChat, 0.6% half up, proportional): p1 100.00 fee 0.60, p2 2.50 fee 0.015 → 0.02,
		// p3 at 00:00:00 next day is not in; r1 100.00 of p0 (200.00, fee 1.20) returns 0.60.
		// M2 (UnionPay 23:00, 0.5%/0.3% whole, min 0.10): u0 at 23:00:00 the day before is in
		// (5.00: 0.025 → min 0.10), u1 1,000.00 at 22:59:59 at 0.3% = 3.00, u2 at 23:00:00 is not.
		want := []string{
			"stl-20261206-M1-CNY-1 pay_on=2026-12-07 payments=2 refunds=1 gross=102.50 refunded=100.00 fees=0.02 net=2.48",
			"stl-20261206-M2-CNY-1 pay_on=2026-12-07 payments=2 refunds=0 gross=1005.00 refunded=0.00 fees=3.10 net=1001.90",
		}
		if len(res.Created) != len(want) || res.Posted != 2 || res.Items != 5 {
			t.Fatalf("created %d, posted %d, items %d: %+v", len(res.Created), res.Posted, res.Items, res.Created)
		}
		for i, w := range want {
			if got := batchLine(res.Created[i]); got != w {
				t.Errorf("batch %d:\n got %s\nwant %s", i, got, w)
			}
		}
		// Payable M1: 200 + 100 + 2.50 + 50 − 100 refunded − 2.50 settled.
		for spec, want := range map[ledger.AccountSpec]string{
			posting.PayableSpec("M1", money.CNY):     "250.00",
			clearing.SettlementSpec("M1", money.CNY): "2.48",
			posting.PayableSpec("M2", money.CNY):     "10.00",
			clearing.SettlementSpec("M2", money.CNY): "1001.90",
			clearing.FeeIncomeSpec(money.CNY):        "3.12",
		} {
			if got := f.balance(spec); got != want {
				t.Errorf("%s %s: balance %s, want %s", spec.Code, spec.OwnerID, got, want)
			}
		}
		f.balanced()
		stored, err := f.db.SettlementBatches(f.ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range stored {
			if b.EntrySeq == 0 || batchLine(b) != want[i] {
				t.Errorf("stored batch %s: entry %d", batchLine(b), b.EntrySeq)
			}
		}
		e, err := f.l.Entry(f.ctx, stored[0].EntrySeq)
		if err != nil {
			t.Fatal(err)
		}
		if e.Voucher.Kind != ledger.VoucherSettlement || e.Voucher.ID != stored[0].ID || e.Key != stored[0].ID || e.Voucher.Amount != money.Fen(250) {
			t.Errorf("entry names voucher %+v key %s", e.Voucher, e.Key)
		}

		head := f.head()
		again, err := f.s.Run(f.ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Created) != 0 || again.Posted != 0 || again.Existing != 2 || f.head() != head {
			t.Errorf("re-run: created %d, posted %d, existing %d, head %d → %d", len(again.Created), again.Posted, again.Existing, head, f.head())
		}
	})
}

// TestSettle_LateSuccessMakesASupplementBatch: a payment whose success is recorded after the
// day was settled, with a paid time inside it, lands in batch 2 with only the difference.
func TestSettle_LateSuccessMakesASupplementBatch(t *testing.T) {
	f := newFixture(t, "")
	f.seed()
	f.clk.Set(bj(day.AddDays(1), 10, 0, 0))
	if _, err := f.s.Run(f.ctx, day); err != nil {
		t.Fatal(err)
	}
	f.pay("p4", "M1", "wx1", 1000, bj(day, 15, 0, 0))
	res, err := f.s.Run(f.ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 1 || batchLine(res.Created[0]) != "stl-20261206-M1-CNY-2 pay_on=2026-12-07 payments=1 refunds=0 gross=10.00 refunded=0.00 fees=0.06 net=9.94" {
		t.Fatalf("got %+v", res.Created)
	}
	if got := f.balance(clearing.SettlementSpec("M1", money.CNY)); got != "12.42" {
		t.Errorf("settlement M1 %s, want 2.48 + 9.94", got)
	}
	f.balanced()
}

// TestSettle_RefusesADayNotOver: UnionPay's day D ends at D 23:00, WeChat's at D+1 00:00;
// until both have, nothing is stored or posted.
func TestSettle_RefusesADayNotOver(t *testing.T) {
	f := newFixture(t, "")
	f.seed()
	head := f.head()
	for _, at := range []time.Time{bj(day, 12, 0, 0), bj(day, 23, 30, 0)} {
		f.clk.Set(at)
		if _, err := f.s.Run(f.ctx, day); !errors.Is(err, clearing.ErrDayOpen) {
			t.Errorf("at %s: got %v, want ErrDayOpen", at, err)
		}
	}
	if bs, _ := f.db.SettlementBatches(f.ctx, day); len(bs) != 0 || f.head() != head {
		t.Errorf("a refused run stored %d batches or posted", len(bs))
	}
}

// TestSettle_UnionPay23Boundary: 22:59:59 belongs to day D, 23:00:00 to D+1, for UnionPay's
// clearing day, and a batch of D+1 picks up what D left.
func TestSettle_UnionPay23Boundary(t *testing.T) {
	f := newFixture(t, "")
	f.pay("a", "M9", "up1", 10000, bj(day, 22, 59, 59))
	f.pay("b", "M9", "up1", 20000, bj(day, 23, 0, 0))
	f.pay("c", "M9", "up1", 40000, bj(day.AddDays(1), 22, 59, 59))
	f.clk.Set(bj(day.AddDays(2), 1, 0, 0))
	for _, tc := range []struct {
		d     clock.Date
		gross string
	}{{day, "100.00"}, {day.AddDays(1), "600.00"}} {
		res, err := f.s.Run(f.ctx, tc.d)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Created) != 1 || res.Created[0].Gross.Decimal() != tc.gross {
			t.Errorf("day %s: %+v, want gross %s", tc.d, res.Created, tc.gross)
		}
	}
}

func TestDayWindow_InverseOfAccountingDay(t *testing.T) {
	for _, cut := range []time.Duration{clock.NaturalDay, clock.UnionPayCutoff, clock.UnionPayTestCutoff} {
		for _, d := range []clock.Date{day, {Year: 2026, Month: 12, Day: 31}, {Year: 2024, Month: 2, Day: 29}} {
			from, to, err := clearing.DayWindow(d, cut)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				t  time.Time
				in bool
			}{{from, true}, {from.Add(-time.Nanosecond), false}, {to.Add(-time.Nanosecond), true}, {to, false}} {
				if got := clock.AccountingDay(c.t, cut) == d; got != c.in {
					t.Errorf("cut-off %v day %s: %s in window %v, AccountingDay says %v", cut, d, c.t, c.in, got)
				}
			}
		}
	}
	if _, _, err := clearing.DayWindow(day, 24*time.Hour); err == nil {
		t.Error("a 24h cut-off was accepted")
	}
}

// TestFundsArrived_PostsOnceAndReportsTheDifference: the channel's money for a day moves the
// receivable to the bank; the same reference again posts nothing, with another amount it is
// refused; what was due comes from the day's items.
func TestFundsArrived_PostsOnceAndReportsTheDifference(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) { fundsOn(t, dsn) })
}

func fundsOn(t *testing.T, dsn string) {
	f := newFixture(t, dsn)
	f.seed()
	f.drain()
	f.clk.Set(bj(day.AddDays(1), 10, 0, 0))
	recvBefore := f.balance(posting.ReceivableSpec("wechat", money.CNY))
	// WeChat owes for the day: 99.40 + 2.48 − (100.00 − 0.60) = 2.48.
	res, err := f.s.FundsArrived(f.ctx, clearing.Arrival{Channel: "wechat", Day: day, Amount: money.Fen(248), Ref: "BANK-1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Due != money.Fen(248) || !res.Difference.IsZero() {
		t.Errorf("due %s difference %s", res.Due, res.Difference)
	}
	if recvBefore != "250.98" || f.balance(posting.ReceivableSpec("wechat", money.CNY)) != "248.50" || f.balance(clearing.BankSpec("bank", money.CNY)) != "2.48" {
		t.Errorf("receivable %s → %s, bank %s", recvBefore, f.balance(posting.ReceivableSpec("wechat", money.CNY)), f.balance(clearing.BankSpec("bank", money.CNY)))
	}
	head := f.head()
	again, err := f.s.FundsArrived(f.ctx, clearing.Arrival{Channel: "wechat", Day: day, Amount: money.Fen(248), Ref: "BANK-1"})
	if err != nil || again.Entry.Seq != res.Entry.Seq || f.head() != head {
		t.Errorf("repeat: %v, entry %d vs %d, head %d → %d", err, again.Entry.Seq, res.Entry.Seq, head, f.head())
	}
	if _, err := f.s.FundsArrived(f.ctx, clearing.Arrival{Channel: "wechat", Day: day, Amount: money.Fen(300), Ref: "BANK-1"}); !errors.Is(err, clearing.ErrRecordConflict) {
		t.Errorf("same ref, other amount: %v", err)
	}
	short, err := f.s.FundsArrived(f.ctx, clearing.Arrival{Channel: "unionpay", Day: day, Amount: money.Fen(100000), Ref: "BANK-2"})
	if err != nil {
		t.Fatal(err)
	}
	// UnionPay owes 5.00 − 0.10 + 1,000.00 − 3.00 = 1,001.90; 1,000.00 arrived.
	if short.Due != money.Fen(100190) || short.Difference != money.Fen(-190) {
		t.Errorf("due %s difference %s", short.Due, short.Difference)
	}
	for _, bad := range []clearing.Arrival{
		{Channel: "paypal", Day: day, Amount: money.Fen(1), Ref: "x"},
		{Channel: "wechat", Day: day, Amount: money.Fen(0), Ref: "x"},
		{Channel: "wechat", Day: day, Amount: money.Fen(1)},
		{Channel: "wechat", Amount: money.Fen(1), Ref: "x"},
	} {
		h := f.head()
		if _, err := f.s.FundsArrived(f.ctx, bad); err == nil || f.head() != h {
			t.Errorf("%+v: err %v, head %d → %d", bad, err, h, f.head())
		}
	}
	f.balanced()
}

// TestPostSplit_OneEntryWithNLines: a split posts one entry (a debit of the payer, a credit
// per receiver) whose credits sum to the amount; posting it again adds nothing.
func TestPostSplit_OneEntryWithNLines(t *testing.T) {
	f := newFixture(t, "")
	o := clearing.SplitOrder{ID: "stl-20261206-M1-CNY-1", Payer: "M1", Amount: money.Fen(10000), Receivers: []clearing.Receiver{
		{ID: "platform", Fixed: money.Fen(100)}, {ID: "shop-a", Ratio: decimal.RequireFromString("1")},
		{ID: "shop-b", Ratio: decimal.RequireFromString("1")}, {ID: "shop-c", Ratio: decimal.RequireFromString("1")}}}
	e, parts, err := f.s.PostSplit(f.ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Lines) != 5 || e.Voucher.Kind != clearing.VoucherSplit || e.Voucher.Amount != money.Fen(10000) {
		t.Fatalf("entry: %d lines, voucher %+v", len(e.Lines), e.Voucher)
	}
	want := map[string]string{"platform": "1.00", "shop-a": "33.00", "shop-b": "33.00", "shop-c": "33.00", "M1": "-100.00"}
	for i, p := range parts {
		if p.Amount.Decimal() != want[p.Receiver] {
			t.Errorf("part %d %s: %s", i, p.Receiver, p.Amount.Decimal())
		}
	}
	for who, w := range want {
		if got := f.balance(clearing.SettlementSpec(who, money.CNY)); got != w {
			t.Errorf("%s: %s, want %s", who, got, w)
		}
	}
	head := f.head()
	again, _, err := f.s.PostSplit(f.ctx, o)
	if err != nil || again.Seq != e.Seq || f.head() != head {
		t.Errorf("again: %v %d %d", err, again.Seq, f.head())
	}
	f.balanced()
}

type bothVouchers struct{ a, b ledger.VoucherSource }

func (v bothVouchers) Vouchers(ctx context.Context, refs []ledger.VoucherRef) (map[ledger.VoucherRef]money.Amount, error) {
	out, err := v.a.Vouchers(ctx, refs)
	if err != nil {
		return nil, err
	}
	more, err := v.b.Vouchers(ctx, refs)
	for k, x := range more {
		out[k] = x
	}
	return out, err
}

// TestVouchers_EveryClearingEntryHasItsRecord: the ledger's voucher check (账证核对) with the
// orders and clearing's records finds every settlement, funds and split voucher, and a
// batch edited in its table is reported.
func TestVouchers_EveryClearingEntryHasItsRecord(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) { vouchersOn(t, dsn) })
}

func vouchersOn(t *testing.T, dsn string) {
	f := newFixture(t, dsn)
	f.seed()
	f.drain()
	res, err := f.s.Run(f.ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.FundsArrived(f.ctx, clearing.Arrival{Channel: "wechat", Day: day, Amount: money.Fen(248), Ref: "B1"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.PostSplit(f.ctx, clearing.SplitOrder{ID: res.Created[1].ID, Payer: "M2", Amount: res.Created[1].Net,
		Receivers: []clearing.Receiver{{ID: "a", Ratio: decimal.NewFromInt(1)}, {ID: "b", Ratio: decimal.NewFromInt(3)}}}); err != nil {
		t.Fatal(err)
	}
	src := bothVouchers{posting.Vouchers{Orders: f.db}, clearing.Vouchers{Store: f.db}}
	rep, err := f.l.Verify(f.ctx, ledger.VerifyOptions{Vouchers: src})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Check(ledger.CheckVouchers); c.Failures != 0 {
		t.Fatalf("voucher check: %+v", c)
	}
	upd := `UPDATE settlement_batches SET gross = gross + 100, net = net + 100 WHERE id = ?`
	if f.db.Dialect() == store.Postgres {
		upd = strings.Replace(upd, "?", "$1", 1)
	}
	if _, err := f.db.SQL().ExecContext(f.ctx, upd, res.Created[0].ID); err != nil {
		t.Fatal(err)
	}
	rep, err = f.l.Verify(f.ctx, ledger.VerifyOptions{Vouchers: src})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Check(ledger.CheckVouchers); c.Failures != 1 || !c.Names("voucher settlement "+res.Created[0].ID) {
		t.Errorf("an edited batch: %+v", c)
	}
}

// TestSettle_SuccessWithoutPaidTimeCountsOnItsCreationDay: a payment the channel reported
// without a paid time is settled once, on the day it was created, not never.
func TestSettle_SuccessWithoutPaidTimeCountsOnItsCreationDay(t *testing.T) {
	f := newFixture(t, "")
	f.pay("n1", "M3", "wx1", 10000, time.Time{})
	if _, err := f.db.SQL().ExecContext(f.ctx, `UPDATE payments SET created_at = ? WHERE id = 'n1'`, bj(day, 8, 0, 0).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	f.clk.Set(bj(day.AddDays(2), 10, 0, 0))
	for _, d := range []clock.Date{day.AddDays(-1), day, day.AddDays(1)} {
		res, err := f.s.Run(f.ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[d == day]; len(res.Created) != want {
			t.Errorf("day %s: %d batches, want %d", d, len(res.Created), want)
		}
	}
}
