package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
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

// warmUp posts two payments, after which the writer knows the head and appends one-shot,
// and returns the merchant's posted balance.
func (f *fixture) warmUp() money.Amount {
	f.pay("warm-1", "W1", 10000)
	f.pay("warm-2", "W2", 10000)
	return f.balance(f.merchant).Posted
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
				before := f.warmUp()
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

// lostThenDown: the next one-shot append commits but its answer is lost, and the database
// then refuses the next transaction (down) — the writer cannot re-check at once.
type lostThenDown struct {
	*store.DB
	lose atomic.Bool
	down atomic.Int32
}

func (s *lostThenDown) AppendAt(ctx context.Context, prev ledger.Head, b *ledger.Batch) error {
	err := s.DB.AppendAt(ctx, prev, b)
	if err == nil && s.lose.Swap(false) {
		s.down.Store(1)
		return errors.New("store: append batch: unexpected EOF") // not marked as unknown
	}
	return err
}

func (s *lostThenDown) Write(ctx context.Context, fn func(ledger.WriteTx) error) error {
	if s.down.Add(-1) >= 0 {
		return errors.New("store: begin: connect: connection refused")
	}
	return s.DB.Write(ctx, fn)
}

// TestWriter_LostOneShotThenFailedRecheckIsUnknown: a one-shot append that committed but lost
// its answer, followed by a re-check that cannot start, leaves the outcome unknown — the
// caller must not hear "nothing applied" — and the retry gets the entry, applied once.
func TestWriter_LostOneShotThenFailedRecheckIsUnknown(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		s := &lostThenDown{DB: f.db}
		l := f.reopenOn(s)
		before := f.warmUp()
		s.lose.Store(true)
		p := ledger.Posting{Key: "lost", Voucher: ledger.Voucher{Kind: "order", ID: "L1", Amount: money.Fen(500)},
			Lines: []ledger.Line{{Account: f.recvWx, Side: ledger.Debit, Amount: money.Fen(500)}, {Account: f.merchant, Side: ledger.Credit, Amount: money.Fen(500)}}}
		_, err := l.Post(f.ctx, p)
		if !errors.Is(err, ledger.ErrUnknownOutcome) || strings.Contains(err.Error(), "nothing applied") {
			t.Fatalf("err = %v, want the unknown outcome", err)
		}
		if got := f.balance(f.merchant).Posted; got != money.Fen(before.Minor()+500) {
			t.Fatalf("merchant %s: the append was meant to commit", got)
		}
		e, err := l.Post(f.ctx, p)
		if err != nil || e.Voucher.ID != "L1" {
			t.Fatalf("retry: %v, %v", e, err)
		}
		if got := f.balance(f.merchant).Posted; got != money.Fen(before.Minor()+500) {
			t.Fatalf("merchant %s after the retry: applied twice?", got)
		}
		if r := f.verify(ledger.VerifyOptions{}); !r.OK() {
			t.Fatalf("verify %+v", r.Checks)
		}
	})
}

// gateStore holds the next Write (armed by arm) until the returned release is called, so the
// requests queued meanwhile land in one batch.
type gateStore struct {
	*failingStore
	mu   sync.Mutex
	gate chan struct{}
	in   chan struct{}
}

func (g *gateStore) arm() (entered <-chan struct{}, release func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate, g.in = make(chan struct{}), make(chan struct{})
	gate := g.gate
	return g.in, func() { close(gate) }
}

func (g *gateStore) Write(ctx context.Context, fn func(ledger.WriteTx) error) error {
	g.mu.Lock()
	gate, in := g.gate, g.in
	g.gate = nil
	g.mu.Unlock()
	if gate != nil {
		close(in)
		<-gate
	}
	return g.failingStore.Write(ctx, fn)
}

// TestWriter_StoredAnswersStandWhenTheBatchFails: a retry of an entry stored earlier, and a
// key conflict with it, keep their answers when the batch they share with a new entry fails
// to write; the new entry's caller is told nothing was applied.
func TestWriter_StoredAnswersStandWhenTheBatchFails(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		fs := &failingStore{Store: f.db}
		g := &gateStore{failingStore: fs}
		l := f.reopenOn(g)
		post := func(key, order string, fen int64) ledger.Posting {
			return ledger.Posting{Key: key, Voucher: ledger.Voucher{Kind: "order", ID: order, Amount: money.Fen(fen)},
				Lines: []ledger.Line{{Account: f.recvWx, Side: ledger.Debit, Amount: money.Fen(fen)}, {Account: f.merchant, Side: ledger.Credit, Amount: money.Fen(fen)}}}
		}
		first, err := l.Post(f.ctx, post("k1", "O1", 500))
		if err != nil {
			t.Fatal(err)
		}
		// Hold the writer inside an op while three requests queue behind it.
		entered, release := g.arm()
		opDone := make(chan error, 1)
		go func() { opDone <- l.SetFlags(f.ctx, f.bank, 0) }()
		<-entered
		fs.fail.Store(true)
		reqs := []ledger.Posting{post("k1", "O1", 500), post("k1", "O1", 501), post("k2", "O2", 1)}
		entries, errs := make([]*ledger.Entry, len(reqs)), make([]error, len(reqs))
		var wg sync.WaitGroup
		for i, p := range reqs {
			wg.Add(1)
			go func() { defer wg.Done(); entries[i], errs[i] = l.Post(f.ctx, p) }()
		}
		for ledger.QueueLen(l) < len(reqs) {
			runtime.Gosched()
		}
		release()
		wg.Wait()
		if err := <-opDone; err != nil {
			t.Fatal(err)
		}
		if errs[0] != nil || entries[0].Seq != first.Seq {
			t.Errorf("retry of k1 (entry %d): %v, %v", first.Seq, entries[0], errs[0])
		}
		if !errors.Is(errs[1], ledger.ErrIdempotencyConflict) {
			t.Errorf("k1 with another amount: %v, want the conflict", errs[1])
		}
		if !errors.Is(errs[2], errDiskFull) || !strings.Contains(errs[2].Error(), "nothing applied") {
			t.Errorf("k2: %v, want the write's failure", errs[2])
		}
	})
}

// randomFlaky fails one AppendAt in eight: half before applying, half after (a lost answer).
type randomFlaky struct {
	*store.DB
	n atomic.Int64
}

func (f *randomFlaky) AppendAt(ctx context.Context, prev ledger.Head, b *ledger.Batch) error {
	switch f.n.Add(1) % 16 {
	case 3:
		return errDiskFull
	case 11:
		if err := f.DB.AppendAt(ctx, prev, b); err != nil {
			return err
		}
		return fmt.Errorf("lost: %w", ledger.ErrUnknownOutcome)
	}
	return f.DB.AppendAt(ctx, prev, b)
}

// TestWriter_FailuresAndOpsUnderLoad: 64 callers post (some refused for funds, some retried)
// while ops change flags and open accounts and one-shot appends fail now and then, applied or
// not. Every success is stored as answered, nothing refused or failed is stored unless the
// answer was "unknown", retries get the first entry, and the books verify.
func TestWriter_FailuresAndOpsUnderLoad(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		fa := &randomFlaky{DB: f.db}
		l := f.reopenOn(fa)
		f.fund("seed", 2000)
		const callers, per, ops = 64, 40, 40
		type answer struct {
			key string
			seq int64
			err error
		}
		out := make(chan answer, callers*per)
		opsDone := make(chan struct{})
		go func() { // ops interleaved with the postings
			defer close(opsDone)
			for i := range ops {
				if err := l.SetFlags(f.ctx, f.capital, ledger.Flags(i%2)*ledger.Frozen); err != nil {
					t.Error(err)
				}
				if _, err := l.CreateAccount(f.ctx, ledger.AccountSpec{Code: "2241", OwnerKind: ledger.OwnerUser, OwnerID: fmt.Sprintf("x%d", i), Currency: money.CNY, Name: "x"}); err != nil {
					t.Error(err)
				}
				runtime.Gosched()
			}
		}()
		var wg sync.WaitGroup
		for c := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range per {
					key := fmt.Sprintf("c%d-%d", c, i)
					amt := int64(1 + (c*7+i*13)%50)
					p := ledger.Posting{Key: key, Voucher: ledger.Voucher{Kind: "adj", ID: key, Amount: money.Fen(amt)},
						Lines: []ledger.Line{{Account: f.bank, Side: ledger.Debit, Amount: money.Fen(amt)}, {Account: f.capital, Side: ledger.Credit, Amount: money.Fen(amt)}}}
					if (c+i)%16 == 0 { // a wallet payout: refused once the wallet runs dry
						p.Voucher.Kind = "payout"
						p.Lines = []ledger.Line{{Account: f.wallet, Side: ledger.Debit, Amount: money.Fen(amt)}, {Account: f.bank, Side: ledger.Credit, Amount: money.Fen(amt)}}
					}
					e, err := l.Post(f.ctx, p)
					var seq int64
					if e != nil {
						seq = e.Seq
					}
					out <- answer{key, seq, err}
					if err == nil && (c+i)%10 == 0 {
						if again, err2 := l.Post(f.ctx, p); err2 != nil || again.Seq != seq {
							t.Errorf("retry of %s: %v, %v; first entry %d", key, again, err2, seq)
						}
					}
				}
			}()
		}
		wg.Wait()
		<-opsDone
		close(out)
		stored := map[string]int64{}
		if err := f.db.Read(f.ctx, func(tx ledger.ReadTx) error {
			return tx.Entries(f.ctx, 0, func(e *ledger.Entry) error { stored[e.Key] = e.Seq; return nil })
		}); err != nil {
			t.Fatal(err)
		}
		for a := range out {
			seq, ok := stored[a.key]
			switch {
			case a.err == nil && (!ok || seq != a.seq):
				t.Errorf("%s answered entry %d, stored %d (%v)", a.key, a.seq, seq, ok)
			case a.err != nil && ok && !errors.Is(a.err, ledger.ErrUnknownOutcome):
				t.Errorf("%s answered %v but stored as entry %d", a.key, a.err, seq)
			}
		}
		if r := f.verify(ledger.VerifyOptions{}); !r.OK() {
			t.Fatalf("verify %+v", r.Checks)
		}
	})
}
