package conformance

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
)

// CoreHarness is what TestCore needs: a payment core (its merchant API, its order store, its
// background work and optionally its ledger and outbox) wired to the simulator.
type CoreHarness struct {
	// Client calls the core's merchant API as one merchant.
	Client *gateway.Client
	// Sim drives the simulator the core's channels talk to (payer, clock, faults).
	Sim Simulator
	// Orders is the core's order store.
	Orders order.Store
	// Work runs one round of the core's background work: the query-back of unknown
	// outcomes, expiry, and the outbox consumers (ledger postings, webhooks). The suite
	// calls it after moving the simulator's clock.
	Work func(ctx context.Context) error
	// Channel is the channel that payments of Method are routed to, and Method a method
	// the simulator's payer can complete (QR by default).
	Channel string
	Method  channel.Method
	// Ledger, when set, adds the ledger invariants: every succeeded payment posted exactly
	// once (the merchant's payable grows by exactly what was paid and shrinks by exactly
	// what was refunded), every voucher matches a real order, and the books balance.
	Ledger *ledger.Ledger
	// Outbox, when set, adds the webhook invariant: every webhook delivery ends delivered or
	// dead-lettered.
	Outbox order.Outbox
	// PayoutCard, when its Number is set, adds the payout invariants against the channel
	// account PayoutAccount (empty: the core's only payout account) of channel
	// PayoutChannel: every succeeded payout is posted exactly once and, where the simulator
	// can return payouts (PayoutReturner), a returned payout is reversed exactly once.
	PayoutCard    gateway.PayoutCardJSON
	PayoutAccount string
	PayoutChannel string
}

// TestCore runs the payment core's invariants against h as subtests of t: an unknown
// outcome is never marked failed, every succeeded payment is posted exactly once, refunds
// never exceed payments, every succeeded payout is posted exactly once and a returned one
// reversed exactly once (with CoreHarness.PayoutCard), the trial balance is zero, and every
// webhook is delivered or dead-lettered. It creates its own orders (numbers unique per run) and may be run against
// a core that already holds others.
func TestCore(t *testing.T, h CoreHarness) {
	t.Helper()
	RunCore(testingT{t}, &h)
}

// RunCore is TestCore for any T.
func RunCore(t T, h *CoreHarness) {
	t.Helper()
	if h.Client == nil || h.Sim == nil || h.Orders == nil || h.Work == nil || h.Channel == "" {
		t.Fatalf("conformance: CoreHarness.Client, Sim, Orders, Work and Channel are required")
	}
	if h.Method == "" {
		h.Method = channel.MethodQR
	}
	c := &core{h: h, prefix: fmt.Sprintf("TC%06d", rand.IntN(1e6))}
	t.Run("UnknownOutcomeIsNeverFailed", c.unknownNeverFailed)
	t.Run("SucceededPostedExactlyOnce", c.postedOnce)
	t.Run("RefundsNeverExceedPayments", c.refundsBounded)
	t.Run("PayoutsPostedOnceReturnsReversedOnce", c.payoutsPostedOnce)
	t.Run("TrialBalanceIsZero", c.trialBalance)
	t.Run("WebhooksDeliveredOrDeadLettered", c.webhooksSettled)
}

type core struct {
	h      *CoreHarness
	prefix string
	mu     sync.Mutex
	seq    int
}

func (c *core) no(tag string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	return fmt.Sprintf("%s%s%04d", c.prefix, tag, c.seq)
}

func (c *core) ctx(t T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func (c *core) create(t T, ctx context.Context, no string, minor int64) *gateway.PaymentJSON {
	t.Helper()
	p, err := c.h.Client.CreatePayment(ctx, &gateway.CreatePaymentRequest{OrderNo: no, Amount: minor, Method: string(c.h.Method),
		Subject: "core conformance", ClientIP: "127.0.0.1"}, "")
	if err != nil {
		t.Fatalf("create %s: %v", no, err)
	}
	return p
}

// settle moves the simulator's clock in steps and runs the core's work after each.
func (c *core) settle(t T, ctx context.Context, steps int, by time.Duration) {
	t.Helper()
	for i := 0; i < steps; i++ {
		if err := c.h.Sim.Advance(ctx, by); err != nil {
			t.Fatalf("simulator: advance: %v", err)
		}
		if err := c.h.Work(ctx); err != nil {
			t.Fatalf("core work: %v", err)
		}
	}
}

func (c *core) fault(t T, ctx context.Context, f Fault) {
	t.Helper()
	f.Channel = c.h.Channel
	id, err := c.h.Sim.AddFault(ctx, f)
	if err != nil {
		t.Fatalf("simulator: fault %+v: %v", f, err)
	}
	t.Cleanup(func() { _ = c.h.Sim.RemoveFault(context.Background(), id) })
}

func (c *core) pay(t T, ctx context.Context, p *gateway.PaymentJSON) {
	t.Helper()
	if err := c.h.Sim.PayerPay(ctx, c.h.Channel, p.ChannelOrderNo); err != nil {
		t.Fatalf("simulator: the payer could not pay %s (%s): %v", p.OrderNo, p.ChannelOrderNo, err)
	}
}

// successes counts the payment.succeeded events of a payment.
func (c *core) successes(t T, ctx context.Context, id string) int {
	t.Helper()
	h, err := c.h.Orders.History(ctx, id)
	if err != nil {
		t.Fatalf("history of %s: %v", id, err)
	}
	n := 0
	for _, e := range h {
		if e.Type == "payment.succeeded" {
			n++
		}
	}
	return n
}

func (c *core) unknownNeverFailed(t T) {
	ctx := c.ctx(t)
	no := c.no("U")
	c.fault(t, ctx, Fault{Op: OpPay, OrderNo: "", Kind: FaultTimeoutAfter, Count: 1})
	p := c.create(t, ctx, no, 777)
	if p.State == order.Failed {
		t.Fatalf("a payment whose answer was lost is %s; an unknown outcome must never be failed", p.State)
	}
	if !p.Unresolved {
		t.Errorf("a payment whose answer was lost is not marked unresolved (state %s)", p.State)
	}
	c.pay(t, ctx, p)
	c.settle(t, ctx, 3, 10*time.Second)
	got, err := c.h.Client.GetPayment(ctx, no)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if got.State != order.Succeeded || got.Unresolved {
		t.Errorf("after the payer paid and the core queried: %s (unresolved %v); want succeeded", got.State, got.Unresolved)
	}
}

func (c *core) payable(t T, ctx context.Context) money.Amount {
	t.Helper()
	acct, err := c.h.Ledger.FindAccount(ctx, posting.PayableSpec(c.h.Client.MerchantID, money.CNY).Code, ledger.OwnerMerchant, c.h.Client.MerchantID, money.CNY)
	if errors.Is(err, ledger.ErrNotFound) {
		return money.Fen(0)
	}
	if err != nil {
		t.Fatalf("ledger: merchant payable: %v", err)
	}
	bal, err := c.h.Ledger.Balance(ctx, acct.ID)
	if err != nil {
		t.Fatalf("ledger: balance: %v", err)
	}
	return bal.Posted
}

func (c *core) postedOnce(t T) {
	ctx := c.ctx(t)
	if c.h.Ledger != nil {
		c.settle(t, ctx, 1, time.Second) // post what earlier behaviours left
	}
	var before money.Amount
	if c.h.Ledger != nil {
		before = c.payable(t, ctx)
	}
	c.fault(t, ctx, Fault{Op: OpNotify, Kind: FaultDuplicateCallbacks, Count: 2})
	var paid int64
	var ids []string
	for i := 0; i < 4; i++ {
		minor := int64(1000 + 111*i)
		p := c.create(t, ctx, c.no("P"), minor)
		c.pay(t, ctx, p)
		paid += minor
		ids = append(ids, p.ID)
	}
	c.settle(t, ctx, 3, time.Minute)
	for _, id := range ids {
		if n := c.successes(t, ctx, id); n != 1 {
			t.Errorf("payment %s has %d success events; want exactly 1", id, n)
		}
	}
	if c.h.Ledger == nil {
		return
	}
	after := c.payable(t, ctx)
	if d := after.Minor() - before.Minor(); d != paid {
		t.Errorf("the merchant's payable grew by %d fen for %d fen paid: a payment was posted %s", d, paid, map[bool]string{true: "twice", false: "not at all"}[d > paid])
	}
	rep, err := c.h.Ledger.Verify(ctx, ledger.VerifyOptions{Vouchers: posting.Vouchers{Orders: c.h.Orders}})
	if err != nil {
		t.Fatalf("ledger verify: %v", err)
	}
	if !rep.OK() {
		for _, ch := range rep.Checks {
			if ch.Failures > 0 {
				t.Errorf("ledger verify: %s: %d finding(s), first %+v", ch.Title, ch.Failures, ch.Findings[0])
			}
		}
	}
}

func (c *core) refundsBounded(t T) {
	ctx := c.ctx(t)
	no := c.no("R")
	p := c.create(t, ctx, no, 1000)
	c.pay(t, ctx, p)
	c.settle(t, ctx, 1, time.Second)
	var before money.Amount
	if c.h.Ledger != nil {
		before = c.payable(t, ctx)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.h.Client.CreateRefund(ctx, &gateway.CreateRefundRequest{OrderNo: no, RefundNo: fmt.Sprintf("%s-R%d", no, i), Amount: 300}, "")
			if err == nil {
				mu.Lock()
				accepted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if accepted > 3 {
		t.Errorf("%d refunds of 3.00 accepted against 10.00", accepted)
	}
	c.settle(t, ctx, 4, time.Hour)
	got, err := c.h.Client.GetPayment(ctx, no)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if got.RefundedAmount > got.Amount {
		t.Errorf("refunded %d of %d", got.RefundedAmount, got.Amount)
	}
	if got.RefundedAmount != int64(accepted)*300 {
		t.Errorf("refunded %d after %d accepted refunds of 300 settled", got.RefundedAmount, accepted)
	}
	if c.h.Ledger != nil {
		after := c.payable(t, ctx)
		if d := before.Minor() - after.Minor(); d != got.RefundedAmount {
			t.Errorf("the merchant's payable shrank by %d for %d refunded", d, got.RefundedAmount)
		}
	}
}

// payoutEvents counts a payout's events of type typ.
func (c *core) payoutEvents(t T, ctx context.Context, id, typ string) int {
	t.Helper()
	h, err := c.h.Orders.History(ctx, id)
	if err != nil {
		t.Fatalf("history of %s: %v", id, err)
	}
	n := 0
	for _, e := range h {
		if e.OrderKind == "payout" && e.Type == typ {
			n++
		}
	}
	return n
}

// payoutsPostedOnce pays out to the harness's card and lets the channel finish: each
// succeeded payout has one success event and moves the merchant's payable down by exactly its
// amount once; a returned payout moves it back exactly once (a reversal) and the ledger still
// verifies.
func (c *core) payoutsPostedOnce(t T) {
	if c.h.PayoutCard.Number == "" {
		t.Skipf("no CoreHarness.PayoutCard")
	}
	ctx := c.ctx(t)
	if c.h.Ledger != nil {
		c.settle(t, ctx, 1, time.Second)
	}
	var before money.Amount
	if c.h.Ledger != nil {
		before = c.payable(t, ctx)
	}
	var nos []string
	var total int64
	for i := 0; i < 3; i++ {
		no := c.no("O")
		minor := int64(2000 + 7*i)
		p, err := c.h.Client.CreatePayout(ctx, &gateway.CreatePayoutRequest{PayoutNo: no, Account: c.h.PayoutAccount, Amount: minor,
			Card: c.h.PayoutCard, Purpose: "core conformance"}, "")
		if err != nil {
			t.Fatalf("payout %s: %v", no, err)
		}
		if p.State == order.Failed {
			t.Fatalf("payout %s failed at once (%s %s); the simulator should pay it", no, p.FailCode, p.FailMessage)
		}
		if again, err := c.h.Client.CreatePayout(ctx, &gateway.CreatePayoutRequest{PayoutNo: no, Account: c.h.PayoutAccount, Amount: minor,
			Card: c.h.PayoutCard, Purpose: "core conformance"}, ""); err != nil || again.ID != p.ID {
			t.Errorf("repeating payout %s gave %v, %v; want the same payout", no, again, err)
		}
		nos = append(nos, no)
		total += minor
	}
	c.settle(t, ctx, 4, time.Minute)
	ids := map[string]*gateway.PayoutJSON{}
	for _, no := range nos {
		p, err := c.h.Client.GetPayout(ctx, no)
		if err != nil {
			t.Fatalf("get payout %s: %v", no, err)
		}
		if p.State != order.Succeeded {
			t.Fatalf("payout %s is %s (unresolved %v) after the channel finished it; want succeeded", no, p.State, p.Unresolved)
		}
		if n := c.payoutEvents(t, ctx, p.ID, "payout.succeeded"); n != 1 {
			t.Errorf("payout %s has %d success events; want exactly 1", no, n)
		}
		ids[no] = p
	}
	if c.h.Ledger != nil {
		if d := before.Minor() - c.payable(t, ctx).Minor(); d != total {
			t.Errorf("the merchant's payable fell by %d fen for %d fen paid out", d, total)
		}
	}
	ret, ok := c.h.Sim.(PayoutReturner)
	if !ok {
		return
	}
	first := ids[nos[0]]
	if err := ret.ReturnPayout(ctx, c.h.PayoutChannel, first.ChannelPayoutNo); err != nil {
		t.Fatalf("simulator: return payout %s: %v", first.ChannelPayoutNo, err)
	}
	c.settle(t, ctx, 3, time.Hour)
	p, err := c.h.Client.GetPayout(ctx, nos[0])
	if err != nil {
		t.Fatalf("%v", err)
	}
	if p.State != order.PayoutReturned {
		t.Fatalf("payout %s is %s after the bank returned it; want returned", nos[0], p.State)
	}
	if n := c.payoutEvents(t, ctx, p.ID, "payout.returned"); n != 1 {
		t.Errorf("payout %s has %d return events; want exactly 1", nos[0], n)
	}
	if c.h.Ledger == nil {
		return
	}
	if d := before.Minor() - c.payable(t, ctx).Minor(); d != total-first.Amount {
		t.Errorf("after the return the payable is %d fen below where it started; want %d (the return reversed once)", d, total-first.Amount)
	}
	rep, err := c.h.Ledger.Verify(ctx, ledger.VerifyOptions{Vouchers: posting.Vouchers{Orders: c.h.Orders}})
	if err != nil {
		t.Fatalf("ledger verify: %v", err)
	}
	if !rep.OK() {
		for _, ch := range rep.Checks {
			if ch.Failures > 0 {
				t.Errorf("ledger verify: %s: %d finding(s), first %+v", ch.Title, ch.Failures, ch.Findings[0])
			}
		}
	}
}

func (c *core) trialBalance(t T) {
	if c.h.Ledger == nil {
		t.Skipf("no Ledger in the harness")
	}
	ctx := c.ctx(t)
	tb, err := c.h.Ledger.TrialBalance(ctx, clock.Date{})
	if err != nil {
		t.Fatalf("%v", err)
	}
	if !tb.Balanced() {
		t.Errorf("trial balance does not balance: %v", tb.Totals)
	}
}

func (c *core) webhooksSettled(t T) {
	if c.h.Outbox == nil {
		t.Skipf("no Outbox in the harness")
	}
	ctx := c.ctx(t)
	// Run the clock through a full retry schedule: every delivery ends delivered or dead.
	for i := 0; i < 40; i++ {
		c.settle(t, ctx, 1, 2*time.Hour)
		st, err := c.h.Outbox.OutboxStats(ctx, "webhook")
		if err != nil {
			t.Fatalf("%v", err)
		}
		if st.Pending == 0 {
			return
		}
	}
	st, _ := c.h.Outbox.OutboxStats(ctx, "webhook")
	t.Errorf("%d webhook deliveries still pending after 80 hours of retries (oldest from %s)", st.Pending, st.OldestPending)
}
