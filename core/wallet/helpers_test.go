package wallet_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
	"github.com/tongdao/tongdao/core/wallet"
)

func eachStore(t *testing.T, fn func(t *testing.T, dsn string)) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), fn)
}

// testKDF keeps password hashing cheap in tests (the parameters travel with each hash).
var testKDF = wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

func testKeyring(t testing.TB) *card.Keyring {
	t.Helper()
	k, err := card.NewKeyring(card.KeyringConfig{Keys: map[string][]byte{"k1": bytes.Repeat([]byte{7}, 16)}, Active: "k1",
		FingerprintKey: bytes.Repeat([]byte{9}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fixture is a Service over a real store and ledger on a virtual clock.
type fixture struct {
	t   testing.TB
	ctx context.Context
	db  *store.DB
	led *ledger.Ledger
	clk *clock.Virtual
	svc *wallet.Service
	src ledger.AccountID // a funding account (allowed negative) for tests
	n   int
}

func newFixture(t testing.TB, dsn string, mutate func(*wallet.Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, dsn)
	clk := clock.NewVirtual(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
	led, err := ledger.New(ledger.Config{Store: db, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = led.Close() })
	cfg := wallet.Config{Store: db, Ledger: led, Clock: clk, Keyring: testKeyring(t), KDF: testKDF}
	if mutate != nil {
		mutate(&cfg)
	}
	svc, err := wallet.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Runs before the ledger and the store close (cleanups run last-registered first).
	t.Cleanup(func() { _ = svc.Flush(ctx) })
	f := &fixture{t: t, ctx: ctx, db: db, led: led, clk: clk, svc: svc}
	if err := led.PutChart(ctx, ledger.ChartAccount{Code: "9100", Name: "test funding", Type: ledger.Asset, Normal: ledger.Debit}); err != nil {
		t.Fatal(err)
	}
	a, err := led.CreateAccount(ctx, ledger.AccountSpec{Code: "9100", OwnerKind: ledger.OwnerInternal, OwnerID: "fund", Currency: money.CNY, Name: "test funding", Flags: ledger.AllowNegative})
	if err != nil {
		t.Fatal(err)
	}
	f.src = a.ID
	return f
}

// IDs of the simulator issuer's demo holders (valid check digits).
const (
	idZhang = "11010519491231002X"
	idLi    = "110101199003070011"
	idWang  = "440304198510100010"
)

// customer registers a customer with a wallet and a password, at level.
func (f *fixture) customer(no, name, idNo string, level wallet.Level) (*wallet.Customer, *wallet.Account) {
	f.t.Helper()
	c, err := f.svc.CreateCustomer(f.ctx, "M1", wallet.CustomerRequest{CustomerNo: no, Kind: wallet.Individual, Name: name, IDNo: idNo})
	if err != nil {
		f.t.Fatal(err)
	}
	if level > 0 {
		if c, err = f.svc.RaiseLevel(f.ctx, "M1", c.ID, level, "op1", "test"); err != nil {
			f.t.Fatal(err)
		}
	}
	a, err := f.svc.OpenAccount(f.ctx, "M1", c.ID, wallet.KindWallet, money.CNY)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.svc.SetPassword(f.ctx, "M1", c.ID, "", "135790"); err != nil {
		f.t.Fatal(err)
	}
	return c, a
}

// fund credits a wallet from the test funding account (standing in for a top-up).
func (f *fixture) fund(a *wallet.Account, minor int64) {
	f.t.Helper()
	f.n++
	amt := money.New(minor, money.CNY)
	if _, err := f.led.Post(f.ctx, ledger.Posting{Key: "fund/" + a.ID + "/" + time.Duration(f.n).String(), Voucher: ledger.Voucher{Kind: "test_fund", ID: a.ID + time.Duration(f.n).String(), Amount: amt},
		Lines: []ledger.Line{{Account: f.src, Side: ledger.Debit, Amount: amt}, {Account: ledger.AccountID(a.LedgerID), Side: ledger.Credit, Amount: amt}}}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) view(a *wallet.Account) *wallet.AccountView {
	f.t.Helper()
	v, err := f.svc.View(f.ctx, "M1", a.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

func (f *fixture) head() int64 {
	f.t.Helper()
	var h ledger.Head
	if err := f.db.Read(f.ctx, func(tx ledger.ReadTx) error {
		var err error
		h, err = tx.Head(f.ctx)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return h.Seq
}

func cny(minor int64) money.Amount { return money.New(minor, money.CNY) }

func sqliteDSN(t testing.TB) string { return storetest.SQLiteDSN(t) }
