package gateway_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/simulator"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// TestGateway_TwoInstancesShareTheQueryBackQueue runs two gateways on one database (as two
// processes would on one PostgreSQL) over 30 payments whose answers were lost and whose
// notifications never come: both work the query-back queue at once, and every payment is
// queried exactly once and succeeds exactly once.
func TestGateway_TwoInstancesShareTheQueryBackQueue(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		e := newEnv(t, dsn, nil)
		const n = 30
		if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultTimeoutAfter, Channel: "wechat", Op: simwechat.OpUnifiedOrder}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultMissingCallbacks, Channel: "wechat", Op: "payment"}); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i := 0; i < n; i++ {
			code, p, b := e.pay(fmt.Sprintf("MULTI%02d", i), 100+int64(i), "qr")
			if code != 201 || !p.Unresolved {
				t.Fatalf("create %d: %d %s", i, code, b)
			}
			e.payerPays("wechat", p)
			ids = append(ids, p.ID)
		}
		if err := e.sim.Advance(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		before := len(e.sim.Records(simulator.RecordFilter{Channel: "wechat", Kind: "call"}))
		// A second instance: its own Gateway over the same store and channel accounts.
		g2, err := gateway.New(gateway.Config{Store: e.db, Clock: e.sim.Clock(), PublicURL: e.srv.URL,
			Merchants: []gateway.Merchant{{ID: "M1", HMACSecret: secretM1}}, Accounts: accountsOf(e), Routes: []gateway.Route{{Merchant: "*", Account: "wx1"}}})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, g := range []*gateway.Gateway{e.gw, g2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 5; i++ {
					if _, err := g.WorkOnce(ctx); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		queries := 0
		for _, r := range e.sim.Records(simulator.RecordFilter{Channel: "wechat", Kind: "call"})[before:] {
			if r.Op == simwechat.OpOrderQuery {
				queries++
			}
		}
		if queries != n {
			t.Errorf("%d order queries for %d unknown payments; each must be queried exactly once", queries, n)
		}
		for _, id := range ids {
			p, err := e.db.Payment(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			h, _ := e.db.History(ctx, id)
			succ := 0
			for _, ev := range h {
				if ev.Type == "payment.succeeded" {
					succ++
				}
			}
			if p.State != order.Succeeded || succ != 1 {
				t.Errorf("%s: %s with %d success events", id, p.State, succ)
			}
		}
	})
}

func accountsOf(e *env) []gateway.Account {
	var out []gateway.Account
	for id, ch := range e.gw.Accounts() {
		out = append(out, gateway.Account{ID: id, Channel: ch})
	}
	return out
}
