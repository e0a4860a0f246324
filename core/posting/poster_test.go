package posting_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/store/storetest"
)

var pgBase = os.Getenv(storetest.EnvPG)

// eventID returns the id of payID's only event of type typ and order id.
func (f *fixture) eventID(payID, typ, orderID string) *order.Event {
	f.t.Helper()
	hist, err := f.db.History(f.ctx, payID)
	if err != nil {
		f.t.Fatal(err)
	}
	var out *order.Event
	for _, e := range hist {
		if e.Type == typ && e.OrderID == orderID {
			if out != nil {
				f.t.Fatalf("two %s events of %s", typ, orderID)
			}
			out = e
		}
	}
	if out == nil {
		f.t.Fatalf("no %s event of %s", typ, orderID)
	}
	return out
}

func (f *fixture) entry(key string) *ledger.Entry {
	f.t.Helper()
	var e *ledger.Entry
	if err := f.db.Read(f.ctx, func(tx ledger.ReadTx) error {
		m, err := tx.EntriesByKey(f.ctx, []string{key})
		e = m[key]
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	if e == nil {
		f.t.Fatalf("no entry with key %s", key)
	}
	return e
}

func TestPoster_PaymentPostsReceivableFeeAndPayable(t *testing.T) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, channel.FeeRefundProportional)
		f.pay("pay_1", "M1", "wechat", "wx1", 10000) // 100.00 at 0.1%
		if n := f.drain(); n != 1 {
			t.Fatalf("posted %d movements, want 1", n)
		}
		if got, want := f.balances("wechat", "M1"), "recv 99.90 fees 0.10 payable 100.00"; got != want {
			t.Errorf("balances %q, want %q", got, want)
		}
		f.balanced()
		ev := f.eventID("pay_1", "payment.succeeded", "pay_1")
		e := f.entry(ev.ID)
		if e.Seq != 1 || f.head() != 1 {
			t.Errorf("entry %d, head %d: want the one entry", e.Seq, f.head())
		}
		if e.Voucher != (ledger.Voucher{Kind: ledger.VoucherOrder, ID: "pay_1", Amount: money.Fen(10000)}) {
			t.Errorf("voucher %+v", e.Voucher)
		}
		var got []string
		for _, l := range e.Lines {
			a, _ := f.l.Account(f.ctx, l.Account)
			got = append(got, string(l.Side)+" "+a.Code+" "+a.Name+" "+l.Amount.Decimal())
		}
		want := []string{"D 1122 应收待清算-wechat 99.90", "D 6602 渠道手续费-wechat 0.10", "C 2202 应付商户款-M1 100.00"}
		if strings.Join(got, "; ") != strings.Join(want, "; ") {
			t.Errorf("lines\n got %q\nwant %q", got, want)
		}
		st, _ := f.db.OutboxStats(f.ctx, posting.Consumer)
		if st.Done != 2 || st.Pending != 0 || st.Dead != 0 {
			t.Errorf("outbox %+v: want created and succeeded done", st)
		}
		// The webhook's queue is not the poster's business.
		if wh, _ := f.db.OutboxStats(f.ctx, "webhook"); wh.Pending != 2 {
			t.Errorf("webhook outbox %+v", wh)
		}
		if n := f.drain(); n != 0 || f.head() != 1 {
			t.Errorf("second drain posted %d, head %d", n, f.head())
		}
	})
}

// TestPoster_RefundsFollowTheFeePolicy: a payment of 10.00 at 0.7% (fee 0.07), refunded in
// parts; the fee account after each refund shows what it returned, and the books balance
// after every entry.
func TestPoster_RefundsFollowTheFeePolicy(t *testing.T) {
	cases := []struct {
		name    string
		policy  channel.FeeRefund
		refunds []int64
		fees    []string // fee account after each refund
		final   string
	}{
		{"none keeps the fee", channel.FeeRefundNone, []int64{333, 333, 334}, []string{"0.07", "0.07", "0.07"}, "recv -0.07 fees 0.07 payable 0.00"},
		// T(C) = 7×C/1000 rounded: 2.331→2, 4.662→5, 7 → returns 2, 3, 2.
		{"proportional in thirds", channel.FeeRefundProportional, []int64{333, 333, 334}, []string{"0.05", "0.02", "0.00"}, "recv 0.00 fees 0.00 payable 0.00"},
		// 0.7→1, 2.45→2: returns 1, 1; 0.02 of the fee stays with the unrefunded 6.50.
		{"proportional partial", channel.FeeRefundProportional, []int64{100, 250}, []string{"0.06", "0.05"}, "recv 6.45 fees 0.05 payable 6.50"},
		// 3.5 is a tie: half up to the refunded part.
		{"proportional halves", channel.FeeRefundProportional, []int64{500, 500}, []string{"0.03", "0.00"}, "recv 0.00 fees 0.00 payable 0.00"},
		{"full on the first refund", channel.FeeRefundFull, []int64{333, 333, 334}, []string{"0.00", "0.00", "0.00"}, "recv 0.00 fees 0.00 payable 0.00"},
		// A refund of 0.05 can carry 0.05 of the fee back; the rest comes with the next.
		{"full after a refund smaller than the fee", channel.FeeRefundFull, []int64{5, 995}, []string{"0.02", "0.00"}, "recv 0.00 fees 0.00 payable 0.00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
				f := newFixture(t, dsn, c.policy)
				f.pay("pay_1", "M1", "alipay", "ali1", 1000)
				f.drain()
				if got := f.balances("alipay", "M1"); got != "recv 9.93 fees 0.07 payable 10.00" {
					t.Fatalf("after the payment: %s", got)
				}
				for i, r := range c.refunds {
					id := "ref_" + string(rune('a'+i))
					f.refund(id, "pay_1", r)
					if n := f.drain(); n != 1 {
						t.Fatalf("refund %s: posted %d", id, n)
					}
					f.balanced()
					if got := f.balance(posting.FeesSpec("alipay", money.CNY)); got != c.fees[i] {
						t.Errorf("after refund %d (%d fen): fees %s, want %s", i+1, r, got, c.fees[i])
					}
					e := f.entry(f.eventID("pay_1", "refund.succeeded", id).ID)
					if e.Voucher != (ledger.Voucher{Kind: ledger.VoucherRefund, ID: id, Amount: money.Fen(r)}) {
						t.Errorf("refund %s voucher %+v", id, e.Voucher)
					}
				}
				if got := f.balances("alipay", "M1"); got != c.final {
					t.Errorf("final %s, want %s", got, c.final)
				}
				if h := f.head(); h != int64(1+len(c.refunds)) {
					t.Errorf("head %d", h)
				}
			})
		})
	}
}

// flaky is a Store whose CompleteDelivery fails once for the chosen events: the poster
// "crashes" after posting and before the outbox row is marked.
type flaky struct {
	posting.Store
	mu   sync.Mutex
	fail map[int64]bool
}

func (s *flaky) CompleteDelivery(ctx context.Context, consumer string, seq int64) error {
	s.mu.Lock()
	f := s.fail[seq]
	delete(s.fail, seq)
	s.mu.Unlock()
	if f {
		return errors.New("connection lost before COMMIT")
	}
	return s.Store.CompleteDelivery(ctx, consumer, seq)
}

// flakyBatch is flaky for the batch path: a batch holding a chosen event fails as a whole.
type flakyBatch struct{ *flaky }

func (s flakyBatch) CompleteDeliveries(ctx context.Context, consumer string, seqs []int64) error {
	s.mu.Lock()
	hit := false
	for _, q := range seqs {
		hit = hit || s.fail[q]
		delete(s.fail, q)
	}
	s.mu.Unlock()
	if hit {
		return errors.New("connection lost before COMMIT")
	}
	return s.Store.(posting.BatchCompleter).CompleteDeliveries(ctx, consumer, seqs)
}

func TestPoster_ReclaimedDeliveryNeverPostsTwice(t *testing.T) {
	for _, batch := range []bool{true, false} {
		t.Run(map[bool]string{true: "batch", false: "one by one"}[batch], func(t *testing.T) { testReclaimed(t, batch) })
	}
}

func testReclaimed(t *testing.T, batch bool) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, channel.FeeRefundProportional)
		f.pay("pay_1", "M1", "wechat", "wx1", 10000)
		f.refund("ref_1", "pay_1", 4000)
		paySucc := f.eventID("pay_1", "payment.succeeded", "pay_1")
		refSucc := f.eventID("pay_1", "refund.succeeded", "ref_1")
		var st posting.Store = &flaky{Store: f.db, fail: map[int64]bool{paySucc.Seq: true, refSucc.Seq: true}}
		if batch {
			st = flakyBatch{st.(*flaky)}
		}
		crashing := f.poster(st, channel.FeeRefundProportional)
		var failures int
		for round := 0; round < 30; round++ {
			if _, err := crashing.RunOnce(f.ctx); err != nil {
				failures++
				if !strings.Contains(err.Error(), "connection lost") {
					t.Fatalf("round %d: %v", round, err)
				}
				// A new process (empty caches) takes over once the lease runs out.
				crashing = f.poster(st, channel.FeeRefundProportional)
				f.clk.Advance(time.Minute + time.Second)
			}
			if s, _ := f.db.OutboxStats(f.ctx, posting.Consumer); s.Pending == 0 {
				break
			}
		}
		if failures != 2 {
			t.Fatalf("%d crashes, want 2 (after each money movement)", failures)
		}
		if h := f.head(); h != 2 {
			t.Fatalf("head %d after two crashes and re-claims: want 2 entries", h)
		}
		if got, want := f.balances("wechat", "M1"), "recv 59.94 fees 0.06 payable 60.00"; got != want {
			t.Errorf("balances %s, want %s", got, want)
		}
		// An operator redelivers both: nothing new.
		for _, seq := range []int64{paySucc.Seq, refSucc.Seq} {
			if err := f.db.Redeliver(f.ctx, posting.Consumer, seq, f.clk.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if n := f.drain(); n != 2 || f.head() != 2 {
			t.Errorf("redelivered: %d handled, head %d; want 2 handled and no new entry", n, f.head())
		}
		f.balanced()
	})
}

func TestPoster_LateSuccessIsPostedOnce(t *testing.T) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, channel.FeeRefundNone)
		p := &order.Payment{ID: "pay_late", MerchantID: "M2", OrderNo: "L1", Channel: "wechat", Account: "wx1", ChannelOrderNo: "CL1",
			ChannelOrderTime: t0, Method: channel.MethodQR, Amount: money.Fen(2000), ExpiresAt: t0.Add(time.Hour), CreatedAt: t0}
		if _, err := f.db.CreatePayment(f.ctx, p); err != nil {
			t.Fatal(err)
		}
		for _, tr := range []order.Transition{
			{To: order.Pending, Cause: order.CauseChannel, At: t0},
			{To: order.Closed, Cause: order.CauseExpiry, At: t0.Add(time.Hour)},
			{To: order.Succeeded, Cause: order.CauseNotification, Ref: "n1", At: t0.Add(2 * time.Hour)},
		} {
			var err error
			if p, _, err = f.db.TransitionPayment(f.ctx, p.ID, p.Version, tr); err != nil {
				t.Fatal(err)
			}
		}
		f.clk.Advance(3 * time.Hour)
		if n := f.drain(); n != 1 {
			t.Fatalf("posted %d", n)
		}
		if got, want := f.balances("wechat", "M2"), "recv 19.98 fees 0.02 payable 20.00"; got != want {
			t.Errorf("late success: %s, want %s", got, want)
		}
		// A duplicate notification changes nothing, so nothing more is posted.
		if _, _, err := f.db.TransitionPayment(f.ctx, p.ID, p.Version, order.Transition{To: order.Succeeded, Cause: order.CauseNotification, Ref: "n1", At: t0}); err != nil {
			t.Fatal(err)
		}
		if n := f.drain(); n != 0 || f.head() != 1 {
			t.Errorf("after a duplicate: posted %d, head %d", n, f.head())
		}
	})
}

// TestPoster_BadConfigurationPostsNothing: a payment on a channel account without a fee rate
// is not posted, its delivery is retried with the reason recorded, and a refund on a channel
// without a fee-refund policy likewise; MaxAttempts dead-letters.
func TestPoster_BadConfigurationPostsNothing(t *testing.T) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, channel.FeeRefundNone)
		f.pay("pay_x", "M1", "wechat", "nope", 100)
		if _, err := f.p.RunOnce(f.ctx); err != nil { // created
			t.Fatal(err)
		}
		_, err := f.p.RunOnce(f.ctx)
		if err == nil || !strings.Contains(err.Error(), `no fee rate for channel account "nope"`) {
			t.Fatalf("want the missing rate named, got %v", err)
		}
		if f.head() != 0 {
			t.Error("something was posted")
		}
		f.clk.Advance(time.Second)
		ds, err := f.db.ClaimDeliveries(f.ctx, posting.Consumer, f.clk.Now(), 10, time.Millisecond)
		if err != nil || len(ds) != 1 || ds[0].Attempts != 1 || !strings.Contains(ds[0].LastErr, "nope") {
			t.Fatalf("retry not recorded: %+v %v", ds, err)
		}

		// A refund on a channel whose policy the configuration lacks.
		p, err := posting.New(posting.Config{Store: f.db, Ledger: f.l, Clock: f.clk, Fees: feeRates(t),
			FeeRefund: map[string]channel.FeeRefund{"wechat": channel.FeeRefundNone}, MaxAttempts: 2, RetryMin: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		f.p = p
		f.pay("pay_a", "M1", "alipay", "ali1", 1000)
		f.refund("ref_a", "pay_a", 100)
		var last error
		for range 8 {
			f.clk.Advance(time.Minute)
			if _, err := f.p.RunOnce(f.ctx); err != nil {
				last = err
			}
		}
		if last == nil || !strings.Contains(last.Error(), `no fee-refund policy for channel "alipay"`) {
			t.Errorf("want the missing policy named, got %v", last)
		}
		if h := f.head(); h != 1 { // pay_a only
			t.Errorf("head %d", h)
		}
		st, _ := f.db.OutboxStats(f.ctx, posting.Consumer)
		if st.Dead != 2 { // pay_x's and ref_a's after MaxAttempts
			t.Errorf("outbox %+v: want two dead letters", st)
		}
	})
}

func TestNew_ValidatesConfig(t *testing.T) {
	f := newFixture(t, storetest.SQLiteDSN(t), channel.FeeRefundNone)
	ok := posting.Config{Store: f.db, Ledger: f.l, Clock: f.clk, Fees: feeRates(t), FeeRefund: map[string]channel.FeeRefund{"wechat": channel.FeeRefundFull}}
	if _, err := posting.New(ok); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(c *posting.Config){
		"Store":       func(c *posting.Config) { c.Store = nil },
		"Ledger":      func(c *posting.Config) { c.Ledger = nil },
		"Clock":       func(c *posting.Config) { c.Clock = nil },
		"Fees":        func(c *posting.Config) { c.Fees = nil },
		"FeeRefund":   func(c *posting.Config) { c.FeeRefund = nil },
		`"sometimes"`: func(c *posting.Config) { c.FeeRefund = map[string]channel.FeeRefund{"wechat": "sometimes"} },
		"negative":    func(c *posting.Config) { c.Lease = -time.Second },
		"RetryMax":    func(c *posting.Config) { c.RetryMin, c.RetryMax = time.Minute, time.Second },
	}
	for name, mut := range cases {
		c := ok
		mut(&c)
		if _, err := posting.New(c); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

// TestPoster_RefundsPostedOutOfOrderStillReturnTheWholeFee: on PostgreSQL a refund's event can
// become visible after a later one of the same payment (its sequence number is drawn before its
// transaction takes the payment's lock). The fee a refund returns is computed from what the
// ledger already holds, so whatever the order, a full refund returns exactly the fee.
func TestPoster_RefundsPostedOutOfOrderStillReturnTheWholeFee(t *testing.T) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, channel.FeeRefundProportional)
		f.pay("pay_1", "M1", "alipay", "ali1", 1000) // fee 0.07
		f.drain()
		f.refund("ref_a", "pay_1", 333)
		f.refund("ref_b", "pay_1", 667)
		a, b := f.eventID("pay_1", "refund.succeeded", "ref_a"), f.eventID("pay_1", "refund.succeeded", "ref_b")
		for _, ev := range []*order.Event{b, a, b} { // b first, then a, then b again
			if moved, err := f.p.Post(f.ctx, ev); err != nil || !moved {
				t.Fatalf("post %s: %v %v", ev.OrderID, moved, err)
			}
			f.balanced()
		}
		f.drain() // the outbox's own deliveries find both posted
		if h := f.head(); h != 3 {
			t.Errorf("head %d, want 3 entries", h)
		}
		// b alone: 7×667/1000 = 4.669 → 0.05; then a: T(1000) − 0.05 = 0.02.
		if got := f.balances("alipay", "M1"); got != "recv 0.00 fees 0.00 payable 0.00" {
			t.Errorf("fully refunded: %s", got)
		}
		if e := f.entry(b.ID); len(e.Lines) != 3 || e.Lines[2].Amount != money.Fen(5) {
			t.Errorf("refund b returned %+v, want 0.05", e.Lines)
		}
	})
}
