package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// FuzzPost throws arbitrary two-line postings at a ledger on in-memory SQLite: each is either
// refused with a *RequestError and changes nothing, or it balanced and the books still do.
func FuzzPost(f *testing.F) {
	f.Add(int64(100), int64(100), uint8(0), uint8(1), "CNY", int64(100))
	f.Add(int64(100), int64(99), uint8(0), uint8(1), "CNY", int64(100))
	f.Add(int64(-5), int64(-5), uint8(2), uint8(1), "CNY", int64(-5))
	f.Add(int64(7), int64(7), uint8(3), uint8(0), "USD", int64(7))
	f.Add(int64(1<<62), int64(1<<62), uint8(0), uint8(0), "CNY", int64(1<<62))
	ctx := context.Background()
	db := storetest.Open(f, "sqlite::memory:")
	l, err := ledger.New(ledger.Config{Store: db, Clock: clock.NewVirtual(start)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = l.Close() })
	if err := l.PutChart(ctx, ledger.ChartAccount{Code: "9", Name: "fuzz", Type: ledger.Common, Normal: ledger.Debit}); err != nil {
		f.Fatal(err)
	}
	var ids []ledger.AccountID
	for i, fl := range []ledger.Flags{ledger.AllowNegative, ledger.AllowNegative, 0} {
		a, err := l.CreateAccount(ctx, ledger.AccountSpec{Code: "9", OwnerKind: ledger.OwnerInternal, OwnerID: fmt.Sprint(i), Currency: money.CNY, Name: "f", Flags: fl})
		if err != nil {
			f.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	ids = append(ids, 999) // unknown
	sum := func() (d, c int64) {
		for _, id := range ids[:3] {
			a, err := l.Account(ctx, id)
			if err != nil {
				f.Fatal(err)
			}
			d += a.DebitPosted
			c += a.CreditPosted
		}
		return d, c
	}
	n := 0
	f.Fuzz(func(t *testing.T, dr, cr int64, ai, bi uint8, cur string, vamt int64) {
		n++
		d0, c0 := sum()
		c := money.Currency(cur)
		e, err := l.Post(ctx, ledger.Posting{
			Key:     fmt.Sprintf("fz-%d", n),
			Voucher: ledger.Voucher{Kind: "fuzz", ID: fmt.Sprint(n), Amount: money.New(vamt, c)},
			Lines: []ledger.Line{
				{Account: ids[int(ai)%len(ids)], Side: ledger.Debit, Amount: money.New(dr, c)},
				{Account: ids[int(bi)%len(ids)], Side: ledger.Credit, Amount: money.New(cr, c)},
			},
		})
		d1, c1 := sum()
		if err != nil {
			var re *ledger.RequestError
			if !errors.As(err, &re) {
				t.Fatalf("error is not a RequestError: %v", err)
			}
			if d1 != d0 || c1 != c0 {
				t.Fatalf("refused posting changed balances: %v", err)
			}
			return
		}
		if dr <= 0 || dr != cr || vamt != dr || c != money.CNY || e.Seq == 0 {
			t.Fatalf("accepted a bad posting: %d/%d voucher %d %q", dr, cr, vamt, cur)
		}
		if d1-d0 != dr || c1-c0 != cr || d1 != c1 {
			t.Fatalf("books out of balance: debits %d credits %d", d1, c1)
		}
	})
}
