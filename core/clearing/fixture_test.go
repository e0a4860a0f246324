package clearing_test

import (
	"context"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// day is the clearing day most tests settle: 2026-12-06.
var day = clock.Date{Year: 2026, Month: 12, Day: 6}

// bj returns hh:mm:ss Beijing time on d.
func bj(d clock.Date, h, m, s int) time.Time {
	return d.Start(clock.Beijing()).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
}

type fixture struct {
	t   testing.TB
	ctx context.Context
	db  *store.DB
	clk *clock.Virtual
	l   *ledger.Ledger
	p   *posting.Poster
	s   *clearing.Settler
	cs  clearing.Contracts
}

// contracts: wx1 0.6% half up, proportional refunds (WeChat); up1 tiered 0.5% / 0.3% from
// 1,000.00, whole amount, min 0.10, no fee back on refunds (UnionPay here).
func contracts(t testing.TB) clearing.Contracts {
	wx, err := clearing.FeeConfig{Rate: "0.6%", Rounding: "half_up"}.Contract("wx1", "wechat", channel.FeeRefundProportional)
	if err != nil {
		t.Fatal(err)
	}
	up, err := clearing.FeeConfig{Tiers: []clearing.TierConfig{{From: "0", Rate: "0.5%"}, {From: "1000.00", Rate: "0.3%"}},
		TierMode: "whole", Min: "0.10", Rounding: "half_up"}.Contract("up1", "unionpay", channel.FeeRefundNone)
	if err != nil {
		t.Fatal(err)
	}
	return clearing.Contracts{"wx1": wx, "up1": up}
}

func newFixture(t testing.TB, dsn string) *fixture {
	t.Helper()
	if dsn == "" {
		dsn = storetest.SQLiteDSN(t)
	}
	return newFixtureOn(t, storetest.Open(t, dsn))
}

func newFixtureOn(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	clk := clock.NewVirtual(bj(day.AddDays(-1), 0, 0, 0))
	l, err := ledger.New(ledger.Config{Store: db, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	cs := contracts(t)
	fr, err := cs.FeeRefund()
	if err != nil {
		t.Fatal(err)
	}
	p, err := posting.New(posting.Config{Store: db, Ledger: l, Clock: clk, Fees: cs.FeeFunc(), FeeRefund: fr})
	if err != nil {
		t.Fatal(err)
	}
	s, err := clearing.New(clearing.Config{Store: db, Ledger: l, Clock: clk, Contracts: cs,
		Channels: map[string]time.Duration{"wechat": clock.NaturalDay, "unionpay": clock.UnionPayCutoff}})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: context.Background(), db: db, clk: clk, l: l, p: p, s: s, cs: cs}
}

// pay stores payment id of minor fen for merchant on account (wx1 → wechat, up1 →
// unionpay), succeeded at paid.
func (f *fixture) pay(id, merchant, account string, minor int64, paid time.Time) {
	f.t.Helper()
	ch := map[string]string{"wx1": "wechat", "up1": "unionpay"}[account]
	created := paid
	if created.IsZero() {
		created = bj(day, 0, 0, 1) // a success without a paid time (the test sets created_at)
	}
	p := &order.Payment{ID: id, MerchantID: merchant, OrderNo: "O" + id, Channel: ch, Account: account,
		ChannelOrderNo: "C" + id, ChannelOrderTime: created, Method: channel.MethodQR, Amount: money.Fen(minor),
		Subject: "s", ExpiresAt: created.Add(2 * time.Hour), CreatedAt: created}
	if _, err := f.db.CreatePayment(f.ctx, p); err != nil {
		f.t.Fatal(err)
	}
	if _, _, err := f.db.TransitionPayment(f.ctx, id, p.Version, order.Transition{To: order.Succeeded, Cause: order.CauseChannel,
		At: created, ChannelTxnID: "T" + id, PaidAt: paid}); err != nil {
		f.t.Fatal(err)
	}
}

// refund stores refund id of minor fen of payment payID, succeeded at done.
func (f *fixture) refund(id, payID string, minor int64, done time.Time) {
	f.t.Helper()
	p, err := f.db.Payment(f.ctx, payID)
	if err != nil {
		f.t.Fatal(err)
	}
	r := &order.Refund{ID: id, PaymentID: payID, MerchantID: p.MerchantID, RefundNo: "R" + id, ChannelRefundNo: "C" + id,
		Amount: money.Fen(minor), CreatedAt: done}
	if _, err := f.db.CreateRefund(f.ctx, r); err != nil {
		f.t.Fatal(err)
	}
	if _, _, _, err := f.db.TransitionRefund(f.ctx, id, r.Version, order.Transition{To: order.Succeeded, Cause: order.CauseChannel, At: done}); err != nil {
		f.t.Fatal(err)
	}
}

// drain posts every order event to the ledger, at 10:00 the day after the clearing day (the
// outbox hands out events that happened by the clock's now).
func (f *fixture) drain() {
	f.t.Helper()
	if at := bj(day.AddDays(1), 10, 0, 0); f.clk.Now().Before(at) {
		_ = f.clk.Set(at)
	}
	for range 100 {
		if _, err := f.p.RunOnce(f.ctx); err != nil {
			f.t.Fatal(err)
		}
		st, err := f.db.OutboxStats(f.ctx, posting.Consumer)
		if err != nil {
			f.t.Fatal(err)
		}
		if st.Pending == 0 {
			return
		}
	}
	f.t.Fatal("ledger deliveries still pending")
}

// balance is an account's posted balance on its normal side as a yuan string, "-" if absent.
func (f *fixture) balance(s ledger.AccountSpec) string {
	f.t.Helper()
	a, err := f.l.FindAccount(f.ctx, s.Code, s.OwnerKind, s.OwnerID, s.Currency)
	if err != nil {
		return "-"
	}
	return ledger.BalanceOf(a).Posted.Decimal()
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
