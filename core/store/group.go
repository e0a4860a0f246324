package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// Group commit for order-side writes on SQLite. SQLite admits one writer, and with
// synchronous=FULL every commit waits for an fsync; concurrent order changes (a payment
// created, its transition, a nonce, a claimed delivery) would each pay one. Instead one
// goroutine runs the transactions that arrive together inside one BEGIN … COMMIT, each in a
// SAVEPOINT of its own: a transaction that fails rolls back to its savepoint and affects no
// other; the others commit together with one fsync. A caller returns only after the commit
// (or the failure) that decided its transaction, so "returned nil" still means "durable".

// maxGroup bounds how many transactions share one commit.
const maxGroup = 64

type groupReq struct {
	ctx  context.Context
	fn   func(*otx) error
	done chan error
}

type committer struct {
	once      sync.Once
	closeOnce sync.Once
	reqs      chan *groupReq
	stop      chan struct{}
	wg        sync.WaitGroup
	// mu makes enqueueing and closing exclusive: a caller enqueues under the read lock after
	// seeing closed false, closeGroup sets closed under the write lock. Without it a request
	// could land in the channel's buffer after the loop's last drain and wait forever.
	mu     sync.RWMutex
	closed bool
}

// errClosed is returned for writes after Close.
var errClosed = errors.New("store: closed")

// groupTx runs fn as one transaction of a group commit (SQLite).
func (d *DB) groupTx(ctx context.Context, fn func(*otx) error) error {
	c := &d.group
	c.once.Do(func() {
		c.reqs, c.stop = make(chan *groupReq, maxGroup), make(chan struct{})
		c.wg.Add(1)
		go d.commitLoop()
	})
	r := &groupReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return errClosed
	}
	select {
	case c.reqs <- r: // the loop runs until closed is set, so a full channel drains
	case <-ctx.Done():
		c.mu.RUnlock()
		return ctx.Err()
	}
	c.mu.RUnlock()
	// Once queued, the transaction may run: wait for its outcome even if ctx ends, so the
	// caller never reports "not done" for something that committed.
	return <-r.done
}

func (d *DB) commitLoop() {
	c := &d.group
	defer c.wg.Done()
	batch := make([]*groupReq, 0, maxGroup)
	for {
		select {
		case <-c.stop:
			// Refuse what is still queued.
			for {
				select {
				case r := <-c.reqs:
					r.done <- errClosed
				default:
					return
				}
			}
		case r := <-c.reqs:
			batch = append(batch[:0], r)
		}
		// Gather what arrives while we are here; yield a few times so callers that are about
		// to enqueue can join this commit.
		for spins := 0; len(batch) < maxGroup && spins < 4; {
			select {
			case r := <-c.reqs:
				batch = append(batch, r)
			default:
				spins++
				runtime.Gosched()
			}
		}
		d.runGroup(batch)
	}
}

func (d *DB) runGroup(batch []*groupReq) {
	errs := make([]error, len(batch))
	ctx := context.Background()
	defer d.lockWrite()()
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		for _, r := range batch {
			r.done <- fmt.Errorf("store: begin: %w", err)
		}
		return
	}
	o := &otx{l: &ltx{d: d, tx: tx, write: true}, tx: tx}
	ran := false
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT g"); err != nil {
			errs[i] = fmt.Errorf("store: savepoint: %w", err)
			continue
		}
		if err := runSafely(r.fn, o); err != nil {
			errs[i] = err
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO g"); rerr != nil {
				// The transaction is in an unknown state: give up on the whole group.
				_ = tx.Rollback()
				for j, q := range batch {
					if errs[j] == nil || j == i {
						errs[j] = fmt.Errorf("store: rollback to savepoint: %w", rerr)
					}
					q.done <- errs[j]
				}
				return
			}
		} else {
			ran = true
		}
		if _, err := tx.ExecContext(ctx, "RELEASE g"); err != nil {
			_ = tx.Rollback()
			for j, q := range batch {
				if errs[j] == nil {
					errs[j] = fmt.Errorf("store: release savepoint: %w", err)
				}
				q.done <- errs[j]
			}
			return
		}
	}
	var cerr error
	if ran {
		cerr = tx.Commit()
	} else {
		cerr = tx.Rollback()
		if cerr != nil {
			cerr = nil // nothing to keep
		}
	}
	for i, r := range batch {
		if errs[i] == nil && cerr != nil {
			errs[i] = fmt.Errorf("store: commit: %w", cerr)
		}
		r.done <- errs[i]
	}
}

// runSafely runs fn, turning a panic into an error so one bad transaction cannot take the
// committer (and every caller waiting on it) down.
func runSafely(fn func(*otx) error, o *otx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: transaction panicked: %v", p)
		}
	}()
	return fn(o)
}

// closeGroup stops the committer; queued and later transactions fail with errClosed.
func (d *DB) closeGroup() {
	c := &d.group
	c.once.Do(func() { // never started: make the channels so later calls see it closed
		c.reqs, c.stop = make(chan *groupReq, maxGroup), make(chan struct{})
	})
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		close(c.stop)
		c.mu.Unlock()
	})
	c.wg.Wait()
}
