package posting_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/store"
)

// A payment of 100.00 at 0.1% succeeds, then 30.00 of it is refunded on a channel that
// returns the fee in proportion; the poster posts both from the outbox, and the ledger
// verifies against the orders.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "posting")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	// A file, not sqlite::memory: (one connection), because Verify reads the orders while it
	// holds its own snapshot of the ledger.
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "tongdao.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, clock.Beijing())
	clk := clock.NewVirtual(at.Add(time.Minute))
	l, err := ledger.New(ledger.Config{Store: db, Clock: clk})
	if err != nil {
		panic(err)
	}
	defer l.Close()
	fees, err := posting.RateFees(map[string]decimal.Decimal{"wx-main": money.BasisPoints(10)}) // 0.1%
	if err != nil {
		panic(err)
	}
	p, err := posting.New(posting.Config{Store: db, Ledger: l, Clock: clk, Fees: fees,
		FeeRefund: map[string]channel.FeeRefund{"wechat": channel.FeeRefundProportional}})
	if err != nil {
		panic(err)
	}

	pay := &order.Payment{ID: "pay_1", MerchantID: "M1", OrderNo: "A1001", Channel: "wechat", Account: "wx-main",
		ChannelOrderNo: "A1001", ChannelOrderTime: at, Method: channel.MethodQR, Amount: money.MustParse("100.00", money.CNY),
		ExpiresAt: at.Add(time.Hour), CreatedAt: at}
	if _, err := db.CreatePayment(ctx, pay); err != nil {
		panic(err)
	}
	if pay, _, err = db.TransitionPayment(ctx, pay.ID, pay.Version, order.Transition{To: order.Succeeded, Cause: order.CauseNotification, At: at}); err != nil {
		panic(err)
	}
	ref := &order.Refund{ID: "ref_1", PaymentID: pay.ID, MerchantID: "M1", RefundNo: "R1", ChannelRefundNo: "R1",
		Amount: money.MustParse("30.00", money.CNY), CreatedAt: at}
	if _, err := db.CreateRefund(ctx, ref); err != nil {
		panic(err)
	}
	if _, _, _, err := db.TransitionRefund(ctx, ref.ID, ref.Version, order.Transition{To: order.Succeeded, Cause: order.CauseChannel, At: at}); err != nil {
		panic(err)
	}

	posted := 0
	for range 5 { // one event of a payment per round: created, succeeded, refund created, …
		n, err := p.RunOnce(ctx)
		if err != nil {
			panic(err)
		}
		posted += n
	}
	fmt.Println("posted:", posted)
	for _, s := range []ledger.AccountSpec{posting.ReceivableSpec("wechat", money.CNY), posting.FeesSpec("wechat", money.CNY), posting.PayableSpec("M1", money.CNY)} {
		a, _ := l.FindAccount(ctx, s.Code, s.OwnerKind, s.OwnerID, s.Currency)
		fmt.Println(a.Code, a.Name, ledger.BalanceOf(a).Posted.Decimal())
	}
	rep, _ := l.Verify(ctx, ledger.VerifyOptions{Vouchers: posting.Vouchers{Orders: db}})
	fmt.Println("verify against the orders:", rep.OK())
	// Output:
	// posted: 2
	// 1122 应收待清算-wechat 69.93
	// 6602 渠道手续费-wechat 0.07
	// 2202 应付商户款-M1 70.00
	// verify against the orders: true
}
