package posting_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// TestRun_PostsOnTheClocksInterval: Run claims at once, then waits Interval on the clock
// (a virtual one here: no sleeping) before it looks again.
func TestRun_PostsOnTheClocksInterval(t *testing.T) {
	f := newFixture(t, storetest.SQLiteDSN(t), channel.FeeRefundNone)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := posting.New(posting.Config{Store: f.db, Ledger: f.l, Clock: f.clk, Fees: feeRates(t),
		FeeRefund: map[string]channel.FeeRefund{"wechat": channel.FeeRefundNone}, Interval: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	idle := func() {
		t.Helper()
		if err := f.clk.WaitForPending(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	f.pay("pay_1", "M1", "wechat", "wx1", 10000)
	// Each tick takes one event of the payment: created, then succeeded.
	for i := 0; i < 4 && f.head() == 0; i++ {
		idle()
		f.clk.Advance(10 * time.Second)
	}
	idle() // the round that posted has finished
	if f.head() != 1 {
		t.Fatalf("head %d after the ticks", f.head())
	}
	if got := f.balances("wechat", "M1"); got != "recv 99.90 fees 0.10 payable 100.00" {
		t.Errorf("balances %s", got)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
}

// TestPoster_TwoPostersOnOnePostgres: two posters, each with its own connection pool and its
// own ledger writer (as two gateway processes), drain one outbox together; every money event
// is posted once and the books verify against the orders.
func TestPoster_TwoPostersOnOnePostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t, pgBase)
	a := newFixture(t, dsn, channel.FeeRefundProportional)
	b := newFixtureOn(t, storetest.Open(t, dsn), a.clk, channel.FeeRefundProportional)
	if a.db.Dialect() != store.Postgres {
		t.Fatal("not PostgreSQL")
	}
	const n = 120
	var keys []string
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("pay_%03d", i)
		a.pay(id, fmt.Sprintf("M%d", i%7), []string{"wechat", "alipay"}[i%2], []string{"wx1", "ali1"}[i%2], int64(1000+i))
		keys = append(keys, a.eventID(id, "payment.succeeded", id).ID)
		if i%3 == 0 {
			a.refund("ref_"+id, id, 300)
			keys = append(keys, a.eventID(id, "refund.succeeded", "ref_"+id).ID)
		}
	}
	var wg sync.WaitGroup
	posted := make([]int, 2)
	errs := make([]error, 2)
	for i, f := range []*fixture{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 2000; round++ {
				k, err := f.p.RunOnce(f.ctx)
				posted[i] += k
				if err != nil {
					errs[i] = err
					return
				}
				st, err := f.db.OutboxStats(f.ctx, posting.Consumer)
				if err != nil || st.Pending == 0 {
					errs[i] = err
					return
				}
			}
			errs[i] = errors.New("still pending after 2000 rounds")
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	t.Logf("poster a handled %d movements, b %d", posted[0], posted[1])
	if posted[0]+posted[1] != len(keys) {
		t.Errorf("handled %d+%d movements, want %d in all", posted[0], posted[1], len(keys))
	}
	if h := a.head(); h != int64(len(keys)) {
		t.Fatalf("head %d, want %d entries (one per money event)", h, len(keys))
	}
	var got map[string]*ledger.Entry
	if err := a.db.Read(a.ctx, func(tx ledger.ReadTx) error {
		var err error
		got, err = tx.EntriesByKey(a.ctx, keys)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(keys) {
		t.Errorf("%d of %d events posted", len(got), len(keys))
	}
	a.balanced()
	if rep := a.verify(true); !rep.OK() {
		t.Errorf("verify: %+v", rep.Checks)
	}
}
