package ledger_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// edSigner signs seals with ed25519 in tests; production wires SM2 from cmd/.
type edSigner struct{ priv ed25519.PrivateKey }

func (s edSigner) KeyID() string                   { return "test-ed25519" }
func (s edSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.priv, msg), nil }
func (s edSigner) verifier() edVerifier            { return edVerifier{s.priv.Public().(ed25519.PublicKey)} }
func newSigner(seed byte) edSigner                 { return edSigner{ed25519.NewKeyFromSeed(seedBytes(seed))} }
func seedBytes(b byte) []byte                      { s := make([]byte, 32); s[0] = b; return s }

type edVerifier struct{ pub ed25519.PublicKey }

func (v edVerifier) Verify(keyID string, msg, sig []byte) error {
	if keyID != "test-ed25519" || !ed25519.Verify(v.pub, msg, sig) {
		return errors.New("bad signature")
	}
	return nil
}

// start is 10:00 Beijing on Friday 2026-11-20.
var start = time.Date(2026, 11, 20, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

var day20 = clock.Date{Year: 2026, Month: 11, Day: 20}

type fixture struct {
	t      *testing.T
	ctx    context.Context
	db     *store.DB
	clk    *clock.Virtual
	l      *ledger.Ledger
	signer edSigner

	recvWx, bank, fees, merchant, wallet, capital ledger.AccountID
}

// forEachStore runs fn against a fresh ledger on SQLite and on PostgreSQL.
func forEachStore(t *testing.T, fn func(t *testing.T, f *fixture)) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		fn(t, newFixture(t, dsn))
	})
}

func newFixture(t *testing.T, dsn string) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), db: storetest.Open(t, dsn), clk: clock.NewVirtual(start), signer: newSigner(7)}
	var err error
	f.l, err = ledger.New(ledger.Config{Store: f.db, Clock: f.clk, Signer: f.signer, MaxBatch: 64})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.l.Close() })
	for _, c := range []ledger.ChartAccount{
		{Code: "1002", Name: "bank deposits", Type: ledger.Asset},
		{Code: "1122", Name: "receivables", Type: ledger.Asset},
		{Code: "1122.01", Parent: "1122", Name: "receivable from WeChat", Type: ledger.Asset},
		{Code: "1122.02", Parent: "1122", Name: "receivable from Alipay", Type: ledger.Asset},
		{Code: "2202", Name: "payables", Type: ledger.Liability},
		{Code: "2202.01", Parent: "2202", Name: "merchant payable", Type: ledger.Liability},
		{Code: "2241", Name: "user wallets", Type: ledger.Liability},
		{Code: "4001", Name: "capital", Type: ledger.Equity},
		{Code: "6602", Name: "channel fees", Type: ledger.Expense},
	} {
		if err := f.l.PutChart(f.ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	f.recvWx = f.account(ledger.AccountSpec{Code: "1122.01", OwnerKind: ledger.OwnerChannel, OwnerID: "wechat", AgeLimitSeconds: 2 * 86400})
	f.bank = f.account(ledger.AccountSpec{Code: "1002", OwnerKind: ledger.OwnerInternal, OwnerID: "icbc"})
	f.fees = f.account(ledger.AccountSpec{Code: "6602", OwnerKind: ledger.OwnerInternal, OwnerID: "wechat"})
	f.merchant = f.account(ledger.AccountSpec{Code: "2202.01", OwnerKind: ledger.OwnerMerchant, OwnerID: "M1"})
	f.wallet = f.account(ledger.AccountSpec{Code: "2241", OwnerKind: ledger.OwnerUser, OwnerID: "U1"})
	f.capital = f.account(ledger.AccountSpec{Code: "4001", OwnerKind: ledger.OwnerInternal, OwnerID: "capital", Flags: ledger.AllowNegative})
	return f
}

func (f *fixture) account(s ledger.AccountSpec) ledger.AccountID {
	f.t.Helper()
	if s.Currency == "" {
		s.Currency = money.CNY
	}
	if s.Name == "" {
		s.Name = s.Code + " " + s.OwnerID
	}
	a, err := f.l.CreateAccount(f.ctx, s)
	if err != nil {
		f.t.Fatal(err)
	}
	return a.ID
}

// pay posts the DESIGN.md example: a card payment of amount fen with a 0.1% fee.
func (f *fixture) pay(key, order string, fen int64) *ledger.Entry {
	f.t.Helper()
	fee := fen / 1000
	e, err := f.l.Post(f.ctx, ledger.Posting{
		Key:     key,
		Voucher: ledger.Voucher{Kind: ledger.VoucherOrder, ID: order, Amount: money.Fen(fen)},
		Lines: []ledger.Line{
			{Account: f.recvWx, Side: ledger.Debit, Amount: money.Fen(fen - fee)},
			{Account: f.fees, Side: ledger.Debit, Amount: money.Fen(fee)},
			{Account: f.merchant, Side: ledger.Credit, Amount: money.Fen(fen)},
		},
	})
	if err != nil {
		f.t.Fatalf("pay %s: %v", key, err)
	}
	return e
}

// fund credits the user's wallet from the bank.
func (f *fixture) fund(key string, fen int64) *ledger.Entry {
	f.t.Helper()
	e, err := f.l.Post(f.ctx, ledger.Posting{
		Key:     key,
		Voucher: ledger.Voucher{Kind: "topup", ID: key, Amount: money.Fen(fen)},
		Lines: []ledger.Line{
			{Account: f.bank, Side: ledger.Debit, Amount: money.Fen(fen)},
			{Account: f.wallet, Side: ledger.Credit, Amount: money.Fen(fen)},
		},
	})
	if err != nil {
		f.t.Fatalf("fund %s: %v", key, err)
	}
	return e
}

func (f *fixture) balance(id ledger.AccountID) ledger.Balance {
	f.t.Helper()
	b, err := f.l.Balance(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fixture) verify(opt ledger.VerifyOptions) *ledger.Report {
	f.t.Helper()
	if opt.Verifier == nil {
		opt.Verifier = f.signer.verifier()
	}
	r, err := f.l.Verify(f.ctx, opt)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// editLines changes the stored lines of entry seq directly in the database.
func (f *fixture) editLines(seq int64, edit func([]ledger.Line) []ledger.Line) {
	f.t.Helper()
	storetest.EditLines(f.t, f.db, seq, edit)
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if f.db.Dialect() == store.Postgres {
		n := 0
		out := []byte{}
		for i := 0; i < len(q); i++ {
			if q[i] == '?' {
				n++
				out = append(out, '$')
				out = append(out, []byte(itoa(n))...)
				continue
			}
			out = append(out, q[i])
		}
		q = string(out)
	}
	if _, err := f.db.SQL().ExecContext(f.ctx, q, args...); err != nil {
		f.t.Fatalf("tamper %q: %v", q, err)
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
