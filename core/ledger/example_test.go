package ledger_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
)

// The card payment of DESIGN.md: 100.00 with a 0.1% channel fee, then the channel settles.
func Example() {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	clk := clock.NewVirtual(time.Date(2026, 11, 20, 10, 0, 0, 0, clock.Beijing()))
	l, err := ledger.New(ledger.Config{Store: db, Clock: clk})
	if err != nil {
		panic(err)
	}
	defer l.Close()

	for _, c := range []ledger.ChartAccount{
		{Code: "1002", Name: "bank deposits", Type: ledger.Asset},
		{Code: "1122", Name: "receivables", Type: ledger.Asset},
		{Code: "2202", Name: "merchant payables", Type: ledger.Liability},
		{Code: "6602", Name: "channel fees", Type: ledger.Expense},
	} {
		if err := l.PutChart(ctx, c); err != nil {
			panic(err)
		}
	}
	open := func(code string, kind ledger.OwnerKind, owner string) ledger.AccountID {
		a, err := l.CreateAccount(ctx, ledger.AccountSpec{Code: code, OwnerKind: kind, OwnerID: owner, Currency: money.CNY, Name: owner})
		if err != nil {
			panic(err)
		}
		return a.ID
	}
	bank, recv := open("1002", ledger.OwnerInternal, "icbc"), open("1122", ledger.OwnerChannel, "wechat")
	merchant, fees := open("2202", ledger.OwnerMerchant, "M1"), open("6602", ledger.OwnerInternal, "wechat")

	pay, err := l.Post(ctx, ledger.Posting{
		Key:     "pay-O1",
		Voucher: ledger.Voucher{Kind: ledger.VoucherOrder, ID: "O1", Amount: money.MustParse("100.00", money.CNY)},
		Lines: []ledger.Line{
			{Account: recv, Side: ledger.Debit, Amount: money.MustParse("99.90", money.CNY)},
			{Account: fees, Side: ledger.Debit, Amount: money.MustParse("0.10", money.CNY)},
			{Account: merchant, Side: ledger.Credit, Amount: money.MustParse("100.00", money.CNY)},
		},
	})
	if err != nil {
		panic(err)
	}
	clk.Advance(24 * time.Hour) // T+1: the channel settles
	if _, err := l.Post(ctx, ledger.Posting{
		Key:     "settle-S1",
		Voucher: ledger.Voucher{Kind: ledger.VoucherSettlement, ID: "S1", Amount: money.MustParse("99.90", money.CNY)},
		Lines: []ledger.Line{
			{Account: bank, Side: ledger.Debit, Amount: money.MustParse("99.90", money.CNY)},
			{Account: recv, Side: ledger.Credit, Amount: money.MustParse("99.90", money.CNY)},
		},
	}); err != nil {
		panic(err)
	}
	if _, err := l.CloseDay(ctx, pay.Day); err != nil {
		panic(err)
	}
	for _, id := range []ledger.AccountID{bank, recv, merchant, fees} {
		b, _ := l.Balance(ctx, id)
		fmt.Println(id, b.Posted)
	}
	rep, _ := l.Verify(ctx, ledger.VerifyOptions{})
	fmt.Println("entry", pay.Seq, "day", pay.Day, "verify ok:", rep.OK())
	// Output:
	// 1 CNY 99.90
	// 2 CNY 0.00
	// 3 CNY 100.00
	// 4 CNY 0.10
	// entry 1 day 2026-11-20 verify ok: true
}
