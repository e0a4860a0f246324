package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
)

// reopenOn replaces the fixture's ledger by one over s (a wrapper of f.db), closed when the
// test ends.
func (f *fixture) reopenOn(s ledger.Store) *ledger.Ledger {
	f.t.Helper()
	l, err := ledger.New(ledger.Config{Store: s, Clock: f.clk})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = l.Close() })
	_ = f.l.Close()
	f.l = l
	return l
}

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
		l := f.reopenOn(fs)
		f.pay("before", "O0", 1000)
		fs.fail.Store(true)
		p := ledger.Posting{Key: "during", Voucher: ledger.Voucher{Kind: "order", ID: "O1", Amount: money.Fen(500)},
			Lines: []ledger.Line{{Account: f.recvWx, Side: ledger.Debit, Amount: money.Fen(500)}, {Account: f.merchant, Side: ledger.Credit, Amount: money.Fen(500)}}}
		if _, err := l.Post(f.ctx, p); !errors.Is(err, errDiskFull) {
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

// flakyAppender fails the one-shot appends it is told to: failN as a full disk would
// (nothing applied), lieN after applying them, as a connection lost after the commit.
type flakyAppender struct {
	*store.DB
	failN, lieN atomic.Int32
}

func (f *flakyAppender) AppendAt(ctx context.Context, prev ledger.Head, b *ledger.Batch) error {
	if f.failN.Add(-1) >= 0 {
		return errDiskFull
	}
	err := f.DB.AppendAt(ctx, prev, b)
	if err == nil && f.lieN.Add(-1) >= 0 {
		return errors.New("connection lost after the commit")
	}
	return err
}

// TestWriter_FailedOneShotAppendsAreRedoneOnce: when a one-shot append fails, with or without
// having committed, and whether or not another batch was staged on top of it (pipelining),
// every caller still gets the answer of exactly one application.
func TestWriter_FailedOneShotAppendsAreRedoneOnce(t *testing.T) {
	for _, mode := range []string{"nothing applied", "applied, error reported"} {
		t.Run(mode, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, f *fixture) {
				fa := &flakyAppender{DB: f.db}
				l := f.reopenOn(fa)
				f.pay("warm-1", "W1", 10000) // the writer now knows the head: one-shot from here
				f.pay("warm-2", "W2", 10000)
				before := f.balance(f.merchant).Posted
				if mode == "nothing applied" {
					fa.failN.Store(2)
				} else {
					fa.lieN.Store(2)
				}
				const n = 40
				var wg sync.WaitGroup
				errs := make([]error, n)
				seqs := make([]int64, n)
				for i := 0; i < n; i++ {
					wg.Add(1)
					go func(i int) {
						defer wg.Done()
						p := ledger.Posting{Key: fmt.Sprintf("p%d", i), Voucher: ledger.Voucher{Kind: "order", ID: fmt.Sprintf("O%d", i), Amount: money.Fen(10)},
							Lines: []ledger.Line{{Account: f.recvWx, Side: ledger.Debit, Amount: money.Fen(10)}, {Account: f.merchant, Side: ledger.Credit, Amount: money.Fen(10)}}}
						e, err := l.Post(f.ctx, p)
						errs[i] = err
						if e != nil {
							seqs[i] = e.Seq
						}
					}(i)
				}
				wg.Wait()
				if left := fa.failN.Load() + fa.lieN.Load(); left >= 2 {
					t.Fatalf("the one-shot path was never taken (%d failures left)", left)
				}
				seen := map[int64]bool{}
				for i, err := range errs {
					if err != nil {
						t.Fatalf("post %d: %v", i, err)
					}
					if seen[seqs[i]] {
						t.Fatalf("entry %d answered twice", seqs[i])
					}
					seen[seqs[i]] = true
				}
				if b := f.balance(f.merchant); b.Posted != money.Fen(before.Minor()+10*n) {
					t.Fatalf("merchant %s, want %s + %d fen", b.Posted, before, 10*n)
				}
				r := f.verify(ledger.VerifyOptions{})
				if !r.OK() || r.Entries != int64(2+n) {
					t.Fatalf("verify: %d entries, %+v", r.Entries, r.Checks)
				}
			})
		})
	}
}

// TestWriter_RetryOfAnAppliedEntryGetsItBackUnderLoad: a retry of an entry that emptied a
// wallet, arriving in a batch with other postings, must be answered with that entry — not
// refused on the balance the entry itself left (the writer's one-shot path does not look
// keys up; a batch with a refusal must take the path that does). Other refusals that a
// retry could meet (a day closed since, an account frozen since) take the same way.
func TestWriter_RetryOfAnAppliedEntryGetsItBackUnderLoad(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		for i := 0; i < 30; i++ {
			f.fund(fmt.Sprintf("fund%d", i), 100)
			spend := ledger.Posting{Key: fmt.Sprintf("spend%d", i), Voucher: ledger.Voucher{Kind: "payout", ID: fmt.Sprintf("P%d", i), Amount: money.Fen(100)},
				Lines: []ledger.Line{{Account: f.wallet, Side: ledger.Debit, Amount: money.Fen(100)}, {Account: f.bank, Side: ledger.Credit, Amount: money.Fen(100)}}}
			first, err := f.l.Post(f.ctx, spend)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var again *ledger.Entry
			var retryErr error
			wg.Add(1)
			go func() { defer wg.Done(); again, retryErr = f.l.Post(f.ctx, spend) }()
			for k := 0; k < 20; k++ {
				wg.Add(1)
				go func(k int) {
					defer wg.Done()
					key := fmt.Sprintf("other%d-%d", i, k)
					if _, err := f.l.Post(f.ctx, ledger.Posting{Key: key, Voucher: ledger.Voucher{Kind: "adjustment", ID: key, Amount: money.Fen(1)},
						Lines: []ledger.Line{{Account: f.bank, Side: ledger.Debit, Amount: money.Fen(1)}, {Account: f.capital, Side: ledger.Credit, Amount: money.Fen(1)}}}); err != nil {
						t.Error(err)
					}
				}(k)
			}
			wg.Wait()
			if retryErr != nil || again.Seq != first.Seq {
				t.Fatalf("round %d: retry of an applied entry answered %v, %v (first applied as %d)", i, retryErr, again, first.Seq)
			}
		}
		if b := f.balance(f.wallet); !b.Posted.IsZero() {
			t.Fatalf("wallet %s, want 0", b.Posted)
		}
		if r := f.verify(ledger.VerifyOptions{}); !r.OK() {
			t.Fatalf("verify %+v", r.Checks)
		}
	})
}

// unconfirmedStore reports a lost COMMIT answer for the next write, having committed it
// (applied) or not.
type unconfirmedStore struct {
	ledger.Store
	next    atomic.Bool
	applied bool
}

var errLost = fmt.Errorf("store: commit: %w: connection reset", ledger.ErrUnknownOutcome)

func (u *unconfirmedStore) Write(ctx context.Context, fn func(ledger.WriteTx) error) error {
	if !u.next.Swap(false) {
		return u.Store.Write(ctx, fn)
	}
	if !u.applied {
		_ = u.Store.Write(ctx, func(tx ledger.WriteTx) error {
			_ = fn(tx)
			return errors.New("roll back")
		})
		return errLost
	}
	if err := u.Store.Write(ctx, fn); err != nil {
		return err
	}
	return errLost
}

// TestWriter_UnconfirmedCommitIsUnknownNotFailed: when the store cannot say whether a commit
// happened, the caller is told the outcome is unknown (never "nothing applied"), and the retry
// with the same key applies the entry exactly once.
func TestWriter_UnconfirmedCommitIsUnknownNotFailed(t *testing.T) {
	for _, applied := range []bool{false, true} {
		t.Run(fmt.Sprintf("applied=%v", applied), func(t *testing.T) {
			forEachStore(t, func(t *testing.T, f *fixture) {
				us := &unconfirmedStore{Store: f.db, applied: applied}
				l := f.reopenOn(us)
				f.pay("before", "O0", 1000)
				before := f.balance(f.merchant).Posted
				p := ledger.Posting{Key: "lost", Voucher: ledger.Voucher{Kind: "order", ID: "O1", Amount: money.Fen(500)},
					Lines: []ledger.Line{{Account: f.recvWx, Side: ledger.Debit, Amount: money.Fen(500)}, {Account: f.merchant, Side: ledger.Credit, Amount: money.Fen(500)}}}
				us.next.Store(true)
				_, err := l.Post(f.ctx, p)
				if !errors.Is(err, ledger.ErrUnknownOutcome) || strings.Contains(err.Error(), "nothing applied") {
					t.Fatalf("err = %v, want the unknown outcome", err)
				}
				e, err := l.Post(f.ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				again, err := l.Post(f.ctx, p)
				if err != nil || again.Seq != e.Seq {
					t.Fatalf("second retry: %v, %v", again, err)
				}
				if b := f.balance(f.merchant); b.Posted != money.Fen(before.Minor()+500) {
					t.Fatalf("merchant %s, want %s + 5.00", b.Posted, before)
				}
				if r := f.verify(ledger.VerifyOptions{}); !r.OK() {
					t.Fatalf("verify %+v", r.Checks)
				}
			})
		})
	}
}
