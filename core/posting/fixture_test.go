package posting_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// t0 is 10:00 Beijing time.
var t0 = time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)

type fixture struct {
	t   testing.TB
	ctx context.Context
	db  *store.DB
	clk *clock.Virtual
	l   *ledger.Ledger
	p   *posting.Poster
	// oneByOne makes verify read vouchers without the store's batch lookup.
	oneByOne bool
}

// rates: 0.1% on "wx1" (the example), 0.7% on "ali1" (rounding shows), 0 on "free".
func feeRates(t testing.TB) posting.FeeFunc {
	f, err := posting.RateFees(map[string]decimal.Decimal{"wx1": money.BasisPoints(10), "ali1": money.BasisPoints(70), "free": money.BasisPoints(0)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func newFixture(t testing.TB, dsn string, policy channel.FeeRefund) *fixture {
	t.Helper()
	db := storetest.Open(t, dsn)
	return newFixtureOn(t, db, clock.NewVirtual(t0.Add(time.Minute)), policy)
}

func newFixtureOn(t testing.TB, db *store.DB, clk *clock.Virtual, policy channel.FeeRefund) *fixture {
	t.Helper()
	l, err := ledger.New(ledger.Config{Store: db, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	f := &fixture{t: t, ctx: context.Background(), db: db, clk: clk, l: l}
	f.p = f.poster(db, policy)
	return f
}

func (f *fixture) poster(st posting.Store, policy channel.FeeRefund) *posting.Poster {
	f.t.Helper()
	p, err := posting.New(posting.Config{Store: st, Ledger: f.l, Clock: f.clk, Fees: feeRates(f.t),
		FeeRefund: map[string]channel.FeeRefund{"wechat": policy, "alipay": policy}, Lease: time.Minute, RetryMin: time.Second})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// pay creates payment id of minor fen on ch/account and moves it to succeeded.
func (f *fixture) pay(id, merchant, ch, account string, minor int64) *order.Payment {
	f.t.Helper()
	p := &order.Payment{ID: id, MerchantID: merchant, OrderNo: "O" + id, Channel: ch, Account: account,
		ChannelOrderNo: "C" + id, ChannelOrderTime: t0, Method: channel.MethodQR, Amount: money.Fen(minor),
		Subject: "s", ExpiresAt: t0.Add(2 * time.Hour), CreatedAt: t0}
	if _, err := f.db.CreatePayment(f.ctx, p); err != nil {
		f.t.Fatal(err)
	}
	p, _, err := f.db.TransitionPayment(f.ctx, id, p.Version, order.Transition{To: order.Succeeded, Cause: order.CauseChannel, At: t0, ChannelTxnID: "T" + id, PaidAt: t0})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// refund creates refund id of minor fen on payment payID and moves it to succeeded.
func (f *fixture) refund(id, payID string, minor int64) {
	f.t.Helper()
	p, err := f.db.Payment(f.ctx, payID)
	if err != nil {
		f.t.Fatal(err)
	}
	r := &order.Refund{ID: id, PaymentID: payID, MerchantID: p.MerchantID, RefundNo: "R" + id, ChannelRefundNo: "C" + id, Amount: money.Fen(minor), CreatedAt: t0}
	if _, err := f.db.CreateRefund(f.ctx, r); err != nil {
		f.t.Fatal(err)
	}
	if _, _, _, err := f.db.TransitionRefund(f.ctx, id, r.Version, order.Transition{To: order.Succeeded, Cause: order.CauseChannel, At: t0}); err != nil {
		f.t.Fatal(err)
	}
}

// drain runs the poster until no ledger delivery is pending and returns how many money
// movements it posted. Each round takes one event per payment.
func (f *fixture) drain() int {
	f.t.Helper()
	total := 0
	for range 100 {
		n, err := f.p.RunOnce(f.ctx)
		if err != nil {
			f.t.Fatalf("RunOnce: %v", err)
		}
		total += n
		st, err := f.db.OutboxStats(f.ctx, posting.Consumer)
		if err != nil {
			f.t.Fatal(err)
		}
		if st.Pending == 0 {
			return total
		}
	}
	f.t.Fatal("ledger deliveries still pending after 100 rounds")
	return 0
}

func (f *fixture) head() int64 {
	f.t.Helper()
	var h ledger.Head
	if err := f.db.Read(f.ctx, func(tx ledger.ReadTx) error {
		var err error
		h, err = tx.Head(f.ctx)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return h.Seq
}

// balance returns the posted balance (on the account's normal side) of an account the poster
// opened, as a yuan string; "-" if it does not exist.
func (f *fixture) balance(s ledger.AccountSpec) string {
	f.t.Helper()
	a, err := f.l.FindAccount(f.ctx, s.Code, s.OwnerKind, s.OwnerID, s.Currency)
	if err != nil {
		return "-"
	}
	return ledger.BalanceOf(a).Posted.Decimal()
}

func (f *fixture) balances(ch, merchant string) string {
	return fmt.Sprintf("recv %s fees %s payable %s", f.balance(posting.ReceivableSpec(ch, money.CNY)),
		f.balance(posting.FeesSpec(ch, money.CNY)), f.balance(posting.PayableSpec(merchant, money.CNY)))
}

func (f *fixture) balanced() {
	f.t.Helper()
	tb, err := f.l.TrialBalance(f.ctx, clock.Date{})
	if err != nil {
		f.t.Fatal(err)
	}
	if !tb.Balanced() {
		f.t.Fatalf("trial balance does not balance: %+v", tb.Totals)
	}
}

// core/store's DB is the Store the Poster is written for, batch completion included.
var (
	_ posting.Store          = (*store.DB)(nil)
	_ posting.BatchCompleter = (*store.DB)(nil)
)

var _ posting.AmountLookup = (*store.DB)(nil)

var _ posting.PaymentBatch = (*store.DB)(nil)
