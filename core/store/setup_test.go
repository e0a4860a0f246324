package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
)

// start is 10:00 Beijing on 2026-11-20.
var start = time.Date(2026, 11, 20, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// books are the accounts of the load tests: one hot receivable, a fee account and merchants.
type books struct {
	hot, fees ledger.AccountID
	merchants []ledger.AccountID
}

func openLedger(t testing.TB, db *store.DB, clk clock.Clock) *ledger.Ledger {
	t.Helper()
	l, err := ledger.New(ledger.Config{Store: db, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func setupBooks(t testing.TB, l *ledger.Ledger, merchants int) books {
	t.Helper()
	ctx := context.Background()
	for _, c := range []ledger.ChartAccount{
		{Code: "1122", Name: "receivables", Type: ledger.Asset},
		{Code: "2202", Name: "merchant payables", Type: ledger.Liability},
		{Code: "6602", Name: "fees", Type: ledger.Expense},
	} {
		if err := l.PutChart(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	acct := func(code string, kind ledger.OwnerKind, owner string) ledger.AccountID {
		a, err := l.CreateAccount(ctx, ledger.AccountSpec{Code: code, OwnerKind: kind, OwnerID: owner, Currency: money.CNY, Name: owner})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	b := books{hot: acct("1122", ledger.OwnerChannel, "wechat"), fees: acct("6602", ledger.OwnerInternal, "fees")}
	for i := 0; i < merchants; i++ {
		b.merchants = append(b.merchants, acct("2202", ledger.OwnerMerchant, fmt.Sprintf("M%d", i)))
	}
	return b
}

// payment is a 3-line entry: Dr hot (receivable) n-1, Dr fees 1, Cr merchant n.
func (b books) payment(key string, merchant int, n int64) ledger.Posting {
	return ledger.Posting{
		Key:     key,
		Voucher: ledger.Voucher{Kind: ledger.VoucherOrder, ID: key, Amount: money.Fen(n)},
		Lines: []ledger.Line{
			{Account: b.hot, Side: ledger.Debit, Amount: money.Fen(n - 1)},
			{Account: b.fees, Side: ledger.Debit, Amount: money.Fen(1)},
			{Account: b.merchants[merchant%len(b.merchants)], Side: ledger.Credit, Amount: money.Fen(n)},
		},
	}
}
