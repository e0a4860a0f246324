package wallet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// The finisher writes the final state and the statement lines of transfers and payments
// after their callers have their answer, many ops in one transaction. A transfer is then
// two commits in a row (the op with its day total, the ledger's entry) instead of three;
// the third is shared by every op that finished meanwhile. The entry is what makes an op
// done: until the finisher has written it, the stored op is pending and due for re-drive
// (Op.NextAt), and WorkOnce's re-drive posts it again under the same key, which the ledger
// answers with the entry it applied — so a stop between the entry and the finisher's write
// loses nothing (TestTransfer_CrashIsRedriven).

// finishBatch bounds the ops of one finisher transaction.
const finishBatch = 256

// finishTimeout bounds one finisher write (it runs on no caller's context).
const finishTimeout = 30 * time.Second

// errCrash is what a test's simulated stop returns.
var errCrash = errors.New("wallet: simulated stop (test)")

type finisher struct {
	mu      sync.Mutex
	queue   []*Op
	running bool
	queued  int64         // ops ever queued
	written int64         // ops whose write was tried (done, or failed and left for re-drive)
	tick    chan struct{} // closed (and replaced) after every batch
}

// finishLater queues o's final state and statement lines for the finisher and returns the
// op as it will be stored.
func (s *Service) finishLater(o *Op) *Op {
	now := s.cfg.Clock.Now()
	o.UpdatedAt = now
	stored := *o
	o.lines = nil
	if s.crash == "after-post" {
		return o // the process "stops" before the finisher writes
	}
	f := &s.fin
	f.mu.Lock()
	f.queue = append(f.queue, &stored)
	f.queued++
	if f.tick == nil {
		f.tick = make(chan struct{})
	}
	if !f.running {
		f.running = true
		go s.finishLoop()
	}
	f.mu.Unlock()
	out := *o
	out.Version++
	return &out
}

// finishLoop writes what is queued until the queue is empty, then ends.
func (s *Service) finishLoop() {
	f := &s.fin
	for {
		f.mu.Lock()
		batch := f.queue
		if len(batch) > finishBatch {
			batch, f.queue = batch[:finishBatch:finishBatch], batch[finishBatch:]
		} else {
			f.queue = nil
		}
		if len(batch) == 0 {
			f.running = false
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
		var lines []Line
		for _, o := range batch {
			lines = append(lines, o.lines...)
		}
		ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
		if err := s.cfg.Store.FinishWalletOps(ctx, batch, lines); err != nil {
			// They stay pending, with their entries applied: WorkOnce re-drives them.
			s.log.Warn("wallet: final states not written; left for re-drive", "ops", len(batch), "err", err)
		}
		cancel()
		f.mu.Lock()
		f.written += int64(len(batch))
		close(f.tick)
		f.tick = make(chan struct{})
		f.mu.Unlock()
	}
}

// Flush waits until the final states and statement lines of the transfers and payments
// this Service answered before the call are written (or their write failed, leaving them to
// WorkOnce's re-drive); ops answered meanwhile do not hold it up. Statement calls it; call it
// before closing the store.
func (s *Service) Flush(ctx context.Context) error {
	f := &s.fin
	f.mu.Lock()
	target := f.queued
	f.mu.Unlock()
	for {
		f.mu.Lock()
		done, tick := f.written >= target, f.tick
		f.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-tick:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// cachedAccount returns payment account id (payment accounts never change once stored).
func (s *Service) cachedAccount(ctx context.Context, id string) (*Account, error) {
	if v, ok := s.pacc.Load(id); ok {
		return v.(*Account), nil
	}
	a, err := s.cfg.Store.PaymentAccount(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("wallet: account %s: %w", id, err)
	}
	s.pacc.Store(id, a)
	return a, nil
}

// redriveLease is how long a re-drive holds a pending op before another worker may take it.
const redriveLease = time.Minute

// redrive drives to their end the transfers and payments left pending past RedriveAfter
// (their process stopped between steps): each is posted again under its own key — the
// ledger answers with the entry if it was applied, applies it if not, or refuses it (then
// nothing moved and the op is removed) — and its final state is written before returning.
func (s *Service) redrive(ctx context.Context) (int, error) {
	if err := s.Flush(ctx); err != nil { // this process's own finished ops are not due
		return 0, err
	}
	n := 0
	var errs []error
	for _, kind := range []OpKind{OpTransfer, OpPayment} {
		due, err := s.cfg.Store.DueWalletOps(ctx, kind, []OpState{OpPending}, s.cfg.Clock.Now(), 100, redriveLease)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, o := range due {
			if _, err := s.complete(ctx, o, true); err != nil && !errors.Is(err, ErrInsufficientFunds) &&
				!errors.Is(err, ErrFrozen) && !errors.Is(err, ErrClosed) {
				errs = append(errs, fmt.Errorf("wallet: re-drive %s: %w", o.ID, err))
				continue
			}
			n++
		}
	}
	return n, errors.Join(errs...)
}
