package gateway_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store/storetest"
	"github.com/tongdao/tongdao/simulator"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// TestGateway_EveryCallFaultOnPay puts each of the simulator's call faults on the channel's
// answer to the gateway's Pay, then lets the payer pay (where the order exists) and the
// gateway work. The rules checked: an answer that may hide a processed order is never
// recorded as failed; an order the channel surely did not create fails (no money moved) or
// stays pending; the final state always agrees with the channel's.
func TestGateway_EveryCallFaultOnPay(t *testing.T) {
	tests := []struct {
		name string
		plan simulator.FaultPlan
		// processed: the channel created the order despite the fault, so the payer can pay.
		processed bool
	}{
		{"timeout after processing", simulator.FaultPlan{Kind: simulator.FaultTimeoutAfter}, true},
		{"timeout before processing", simulator.FaultPlan{Kind: simulator.FaultTimeoutBefore}, false},
		{"connection reset after processing", simulator.FaultPlan{Kind: simulator.FaultReset, Stage: simulator.StageAfter}, true},
		{"connection reset before processing", simulator.FaultPlan{Kind: simulator.FaultReset, Stage: simulator.StageBefore}, false},
		{"HTTP 5xx after processing", simulator.FaultPlan{Kind: simulator.FaultHTTP5xx, Stage: simulator.StageAfter, Status: 502}, true},
		{"malformed body", simulator.FaultPlan{Kind: simulator.FaultMalformedBody}, true},
		{"truncated body", simulator.FaultPlan{Kind: simulator.FaultTruncatedBody}, true},
		{"bad response signature", simulator.FaultPlan{Kind: simulator.FaultBadSignature}, true},
		{"system busy", simulator.FaultPlan{Kind: simulator.FaultBusinessCode, Code: simulator.CodeSystemError}, false},
		{"delay within the timeout", simulator.FaultPlan{Kind: simulator.FaultDelay, Delay: simulator.Duration(2 * time.Second), DelayMode: simulator.DelayAdvance}, true},
	}
	e := newEnv(t, storetest.SQLiteDSN(t), nil)
	ctx := context.Background()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := tc.plan
			plan.Channel, plan.Op, plan.First = "wechat", simwechat.OpUnifiedOrder, 1
			if _, err := e.sim.AddFault(plan); err != nil {
				t.Fatal(err)
			}
			no := "FLT" + strconv.Itoa(i)
			code, p, b := e.pay(no, 500+int64(i), "qr")
			if code != 201 {
				t.Fatalf("create: %d %s", code, b)
			}
			if tc.processed && p.State == order.Failed {
				t.Fatalf("the channel processed the order but the gateway recorded it failed: %s", b)
			}
			if tc.processed && p.State == order.Pending {
				e.payerPays("wechat", p)
			}
			for r := 0; r < 4; r++ {
				if err := e.sim.Advance(30 * time.Second); err != nil {
					t.Fatal(err)
				}
				if _, err := e.gw.WorkOnce(ctx); err != nil {
					t.Fatal(err)
				}
			}
			got := e.get(no)
			switch {
			case tc.processed && got.State != order.Succeeded:
				t.Errorf("processed and paid on the channel, gateway says %s (unresolved %v)", got.State, got.Unresolved)
			case !tc.processed && (got.State == order.Succeeded || got.Unresolved && got.State != order.Pending):
				t.Errorf("not processed by the channel, gateway says %s (unresolved %v)", got.State, got.Unresolved)
			}
		})
	}
}

// TestGateway_CallbackStorm delivers many payments' notifications with duplicates,
// reordering, forgeries and correctly signed ones with a changed amount mixed in
// (TONGDAO_E2E_PAYMENTS payments, default 200; 2,800 make over 10,000 callbacks): every
// payment succeeds exactly once, none is lost, and every forged or tampered callback is
// refused.
func TestGateway_CallbackStorm(t *testing.T) {
	n := 200
	if v, err := strconv.Atoi(os.Getenv("TONGDAO_E2E_PAYMENTS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	e := newEnv(t, storetest.SQLiteDSN(t), func(c *gateway.Config) { c.Merchants[0].RatePerSecond, c.Merchants[0].Burst = 1e6, 1e6 })
	for _, p := range []simulator.FaultPlan{
		{Kind: simulator.FaultDuplicateCallbacks, Channel: "wechat", Op: "payment", Count: 2},
		{Kind: simulator.FaultReorderCallbacks, Channel: "wechat", Op: "payment", Every: 3},
		{Kind: simulator.FaultForgedCallback, Channel: "wechat", Op: "payment", Every: 2},
		{Kind: simulator.FaultTamperedCallback, Channel: "wechat", Op: "payment", Every: 5},
	} {
		if _, err := e.sim.AddFault(p); err != nil {
			t.Fatal(err)
		}
	}
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		code, p, b := e.pay(fmt.Sprintf("STORM%05d", i), 100+int64(i%900), "qr")
		if code != 201 {
			t.Fatalf("create %d: %d %s", i, code, b)
		}
		e.payerPays("wechat", p)
		ids = append(ids, p.ID)
	}
	if err := e.sim.Advance(10 * time.Minute); err != nil {
		t.Fatal(err)
	}
	callbacks := len(e.sim.Records(simulator.RecordFilter{Channel: "wechat", Kind: "callback"}))
	st := e.gw.Stats()
	t.Logf("%d payments, %d callback deliveries: %d applied, %d refused", n, callbacks, st.Notifications.Load(), st.NotificationsBad.Load())
	if want := int64(n/2 + n/5); st.NotificationsBad.Load() < want {
		t.Errorf("%d forged or tampered callbacks refused, want at least %d", st.NotificationsBad.Load(), want)
	}
	for _, id := range ids {
		h, err := e.db.History(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		succ := 0
		for _, ev := range h {
			if ev.Type == "payment.succeeded" {
				succ++
			}
		}
		p, _ := e.db.Payment(ctx, id)
		if p.State != order.Succeeded || succ != 1 {
			t.Errorf("%s: %s with %d success events (want succeeded once)", id, p.State, succ)
		}
	}
}
