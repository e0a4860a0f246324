package wallet_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/wallet"
)

// TestTopUp_UnknownNeverCreditsLateSuccessCreditsOnce drives the top-up's payment order by
// hand: its outcome unknown (no credit), then closed at its deadline (no credit), then a late
// success (credited once, however often the worker runs and whatever else the order does).
func TestTopUp_UnknownNeverCreditsLateSuccessCreditsOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		var f *fixture
		var pay *order.Payment
		stub := func(ctx context.Context, merchantID string, req *gateway.CreatePaymentRequest) (*order.Payment, *channel.PayAction, bool, error) {
			if pay != nil {
				return pay, nil, false, nil
			}
			now := f.clk.Now()
			pay = &order.Payment{ID: "pay_" + req.OrderNo, MerchantID: merchantID, OrderNo: req.OrderNo, Channel: "wechat", Account: "wx1",
				ChannelOrderNo: "TD" + req.OrderNo, ChannelOrderTime: now, Method: channel.MethodQR, Amount: cny(req.Amount), Subject: req.Subject,
				State: order.Created, ExpiresAt: now.Add(time.Hour), CreatedAt: now}
			if _, err := f.db.CreatePayment(ctx, pay); err != nil {
				return nil, nil, false, err
			}
			return pay, nil, true, nil
		}
		fees, err := posting.RateFees(map[string]decimal.Decimal{"wx1": decimal.RequireFromString("0.006")})
		if err != nil {
			t.Fatal(err)
		}
		f = newFixture(t, dsn, func(c *wallet.Config) { c.Pay, c.Fees, c.Orders = stub, fees, c.Store.(wallet.OrderStore) })
		f.db.SetOutboxConsumers("wallet")
		f.db.SetOutboxTypes("wallet", "payment.succeeded")
		_, a := f.customer("C1", "张三", idZhang, wallet.LevelBasic)
		res, err := f.svc.TopUp(f.ctx, "M1", wallet.TopUpRequest{RequestNo: "TU1", AccountID: a.ID, Amount: 100_00, Method: "qr"})
		if err != nil || res.Op.State != wallet.OpAwaiting || res.Op.PaymentID != pay.ID {
			t.Fatalf("top-up %+v %v", res, err)
		}
		move := func(to order.State, cause order.Cause, unresolved bool) {
			t.Helper()
			p, err := f.db.Payment(f.ctx, pay.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := f.db.TransitionPayment(f.ctx, p.ID, p.Version, order.Transition{To: to, Cause: cause, At: f.clk.Now(), Unresolved: unresolved}); err != nil {
				t.Fatal(err)
			}
		}
		work := func() int {
			t.Helper()
			rep, err := f.svc.WorkOnce(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			return rep.TopUpsCredited
		}
		move(order.Pending, order.CauseChannel, true) // the channel's answer was lost
		if n := work(); n != 0 || !f.view(a).Available.IsZero() {
			t.Fatalf("unknown outcome credited: %d %s", n, f.view(a).Available)
		}
		move(order.Closed, order.CauseQuery, false)
		if n := work(); n != 0 || !f.view(a).Available.IsZero() {
			t.Fatalf("closed order credited: %d", n)
		}
		move(order.Succeeded, order.CauseNotification, false) // the payer paid after all
		if n := work(); n != 1 {
			t.Fatalf("late success credited %d times", n)
		}
		for i := 0; i < 3; i++ {
			if n := work(); n != 0 {
				t.Fatalf("credited again: %d", n)
			}
		}
		if v := f.view(a); v.Available != cny(100_00) {
			t.Fatalf("balance %s", v.Available)
		}
		// Dr 1122 99.40, Dr 6602 0.60, Cr wallet 100.00.
		op, err := f.db.WalletOp(f.ctx, res.Op.ID)
		if err != nil || op.State != wallet.OpDone {
			t.Fatalf("op %+v %v", op, err)
		}
		e, err := f.led.Entry(f.ctx, op.EntrySeq)
		if err != nil || len(e.Lines) != 3 || e.Lines[0].Amount != cny(99_40) || e.Lines[1].Amount != cny(60) || e.Lines[2].Amount != cny(100_00) {
			t.Fatalf("credit entry %+v %v", e, err)
		}
	})
}
