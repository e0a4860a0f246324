package ledger_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

// failingStore makes Append fail while fail is set, as a full disk or a lost connection would.
type failingStore struct {
	ledger.Store
	fail atomic.Bool
}

type failingTx struct {
	ledger.WriteTx
	s *failingStore
}

var errDiskFull = errors.New("disk full")

func (f *failingStore) Write(ctx context.Context, fn func(ledger.WriteTx) error) error {
	return f.Store.Write(ctx, func(tx ledger.WriteTx) error { return fn(failingTx{tx, f}) })
}

func (t failingTx) Append(ctx context.Context, b *ledger.Batch) error {
	if t.s.fail.Load() {
		return errDiskFull
	}
	return t.WriteTx.Append(ctx, b)
}

func TestWriter_StoreFailureAnswersEveryCallerAndWritesNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		fs := &failingStore{Store: f.db}
		l, err := ledger.New(ledger.Config{Store: fs, Clock: f.clk})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		f.l.Close()
		f.l = l
		f.pay("before", "O0", 1000)
		fs.fail.Store(true)
		p := ledger.Posting{Key: "during", Voucher: ledger.Voucher{Kind: "order", ID: "O1", Amount: money.Fen(500)},
			Lines: []ledger.Line{{Account: f.recvWx, Side: ledger.Debit, Amount: money.Fen(500)}, {Account: f.merchant, Side: ledger.Credit, Amount: money.Fen(500)}}}
		if _, err = l.Post(f.ctx, p); !errors.Is(err, errDiskFull) {
			t.Fatalf("err = %v, want the store's error", err)
		}
		if b := f.balance(f.merchant); b.Posted != money.Fen(1000) {
			t.Fatalf("failed write moved the merchant to %s", b.Posted)
		}
		fs.fail.Store(false)
		e, err := l.Post(f.ctx, p) // the retry applies once, after the failure
		if err != nil {
			t.Fatal(err)
		}
		if b := f.balance(f.merchant); b.Posted != money.Fen(1500) || e.Seq != 2 {
			t.Fatalf("merchant %s, entry %d", b.Posted, e.Seq)
		}
		if r := f.verify(ledger.VerifyOptions{}); !r.OK() {
			t.Fatalf("verify %+v", r.Checks)
		}
	})
}
