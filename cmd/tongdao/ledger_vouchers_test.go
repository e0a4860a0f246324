package main

import (
	"context"
	"path/filepath"
	"strings"
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
)

// TestLedgerVerify_VouchersOrders: --vouchers orders checks the ledger against the payments in
// the same database, and names a payment whose amount was edited.
func TestLedgerVerify_VouchersOrders(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "tongdao.db")
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Now().Add(-time.Minute)
	clk := clock.NewVirtual(time.Now())
	l, err := ledger.New(ledger.Config{Store: db, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	fees, err := posting.RateFees(map[string]decimal.Decimal{"wx1": money.BasisPoints(10)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := posting.New(posting.Config{Store: db, Ledger: l, Clock: clk, Fees: fees, FeeRefund: map[string]channel.FeeRefund{"wechat": channel.FeeRefundNone}})
	if err != nil {
		t.Fatal(err)
	}
	pay := &order.Payment{ID: "pay_1", MerchantID: "M1", OrderNo: "O1", Channel: "wechat", Account: "wx1", ChannelOrderNo: "C1",
		ChannelOrderTime: at, Method: channel.MethodQR, Amount: money.Fen(10000), ExpiresAt: at.Add(time.Hour), CreatedAt: at}
	if _, err := db.CreatePayment(ctx, pay); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.TransitionPayment(ctx, pay.ID, pay.Version, order.Transition{To: order.Succeeded, Cause: order.CauseChannel, At: at}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // created, then succeeded
		if _, err := p.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	_ = l.Close()

	if code, out, _ := runLedger("verify", "--db", dsn, "--vouchers", "orders"); code != 0 || !strings.Contains(out, "1 entries") {
		t.Fatalf("honest: exit %d\n%s", code, out)
	}
	if code, _, errs := runLedger("verify", "--db", dsn, "--vouchers", "bank"); code != 2 || !strings.Contains(errs, `"orders"`) {
		t.Errorf("unknown source: exit %d %s", code, errs)
	}
	if _, err := db.SQL().ExecContext(ctx, `UPDATE payments SET amount = 9000 WHERE id = 'pay_1'`); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runLedger("verify", "--db", dsn); code != 0 {
		t.Errorf("without --vouchers the order tables are not read: exit %d\n%s", code, out)
	}
	code, out, _ := runLedger("verify", "--db", dsn, "--vouchers", "orders")
	if code != 1 || !strings.Contains(out, "voucher order pay_1: business record says CNY 90.00, the ledger CNY 100.00") {
		t.Errorf("tampered: exit %d\n%s", code, out)
	}
}
