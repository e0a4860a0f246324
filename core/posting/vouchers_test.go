package posting_test

import (
	"testing"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// exec runs one statement written with ? placeholders on either database.
func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if f.db.Dialect() == store.Postgres {
		n := 0
		out := []byte{}
		for i := 0; i < len(q); i++ {
			if q[i] == '?' {
				n++
				out = append(out, '$', byte('0'+n))
				continue
			}
			out = append(out, q[i])
		}
		q = string(out)
	}
	res, err := f.db.SQL().ExecContext(f.ctx, q, args...)
	if err != nil {
		f.t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		f.t.Fatalf("%s changed %d rows", q, n)
	}
}

// oneByOne hides the store's AmountLookup, so Vouchers reads order by order.
type oneByOne struct{ order.Store }

func (f *fixture) verify(withOrders bool) *ledger.Report {
	f.t.Helper()
	opt := ledger.VerifyOptions{}
	if withOrders {
		opt.Vouchers = posting.Vouchers{Orders: f.db}
	}
	if withOrders && f.oneByOne {
		opt.Vouchers = posting.Vouchers{Orders: oneByOne{f.db}}
	}
	rep, err := f.l.Verify(f.ctx, opt)
	if err != nil {
		f.t.Fatal(err)
	}
	return rep
}

// TestVouchers_VerifyComparesTheLedgerWithRealOrders: 账证核对 against the order tables
// passes on honest books and names the order whose amount was edited behind the ledger's
// back (which the ledger's own voucher table cannot see).
func TestVouchers_VerifyComparesTheLedgerWithRealOrders(t *testing.T) {
	for _, oneByOne := range []bool{false, true} {
		t.Run(map[bool]string{false: "batch", true: "one by one"}[oneByOne], func(t *testing.T) { testVouchers(t, oneByOne) })
	}
}

func testVouchers(t *testing.T, oneByOne bool) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, channel.FeeRefundProportional)
		f.oneByOne = oneByOne
		f.pay("pay_1", "M1", "wechat", "wx1", 10000)
		f.pay("pay_2", "M2", "alipay", "ali1", 2500)
		f.refund("ref_1", "pay_1", 3000)
		f.drain()
		if rep := f.verify(true); !rep.OK() {
			t.Fatalf("honest books fail: %+v", rep.Checks)
		}

		f.exec(`UPDATE payments SET amount = amount + 100 WHERE id = ?`, "pay_2")
		f.exec(`UPDATE refunds SET amount = amount - 1 WHERE id = ?`, "ref_1")
		if rep := f.verify(false); !rep.OK() {
			t.Fatalf("the ledger alone cannot see the order tables, yet failed: %+v", rep.Checks)
		}
		rep := f.verify(true)
		c := rep.Check(ledger.CheckVouchers)
		if rep.OK() || c.Failures != 2 || !c.Names("voucher order pay_2") || !c.Names("voucher refund ref_1") || c.Names("voucher order pay_1") {
			t.Fatalf("tampered orders: %+v", c)
		}

		// A voucher naming an order that does not exist.
		a, err := f.l.FindAccount(f.ctx, posting.CodePayable, ledger.OwnerMerchant, "M1", money.CNY)
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.l.FindAccount(f.ctx, posting.CodeReceivable, ledger.OwnerChannel, "wechat", money.CNY)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.l.Post(f.ctx, ledger.Posting{Key: "forged", Voucher: ledger.Voucher{Kind: ledger.VoucherOrder, ID: "pay_ghost", Amount: money.Fen(5)},
			Lines: []ledger.Line{{Account: b.ID, Side: ledger.Debit, Amount: money.Fen(5)}, {Account: a.ID, Side: ledger.Credit, Amount: money.Fen(5)}}}); err != nil {
			t.Fatal(err)
		}
		if c := f.verify(true).Check(ledger.CheckVouchers); !c.Names("voucher order pay_ghost") {
			t.Errorf("forged voucher not named: %+v", c)
		}
	})
}
