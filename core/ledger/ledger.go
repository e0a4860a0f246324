package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Config configures a Ledger.
type Config struct {
	Store Store       // required
	Clock clock.Clock // required: stamps entries and decides the accounting day
	// Cutoff is the Beijing time of day at which the accounting day turns (clock.NaturalDay or
	// clock.UnionPayCutoff).
	Cutoff time.Duration
	// Signer signs the sealed head of each day close; nil leaves seals unsigned.
	Signer Signer
	// QueueSize bounds the writer's queue; a full queue makes callers wait (back-pressure).
	// Default 4096.
	QueueSize int
	// MaxBatch is the most requests applied in one transaction. Default 1024.
	MaxBatch int
	// CheckpointEvery is how many entries may follow the store's counter checkpoint before
	// the writer hands over its own counters (see Batch.Checkpoint and the trade-off at
	// const CheckpointEvery). Default CheckpointEvery (1: every batch).
	CheckpointEvery int64
}

// Ledger is the double-entry ledger over one Store. It is safe for concurrent use; all writes
// go through its single writer goroutine.
type Ledger struct {
	cfg  Config
	q    chan *request
	stop chan struct{}
	done chan struct{}
	once sync.Once
	// mu guards closed against sends racing Close.
	mu     sync.RWMutex
	closed bool
}

// New validates cfg and starts the writer. Call Close when done.
func New(cfg Config) (*Ledger, error) {
	if cfg.Store == nil {
		return nil, errors.New("ledger: Config.Store is required")
	}
	if cfg.Clock == nil {
		return nil, errors.New("ledger: Config.Clock is required")
	}
	if cfg.Cutoff < 0 || cfg.Cutoff >= 24*time.Hour {
		return nil, fmt.Errorf("ledger: Config.Cutoff %v out of [0, 24h)", cfg.Cutoff)
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 4096
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 1024
	}
	if cfg.CheckpointEvery <= 0 {
		cfg.CheckpointEvery = CheckpointEvery
	}
	l := &Ledger{cfg: cfg, q: make(chan *request, cfg.QueueSize), stop: make(chan struct{}), done: make(chan struct{})}
	w := &writer{l: l}
	go w.run()
	return l, nil
}

// Close stops the writer after the requests already queued; later calls fail with ErrClosed.
// It does not close the Store.
func (l *Ledger) Close() error {
	l.once.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		close(l.stop)
		<-l.done
	})
	return nil
}

// Today returns the current accounting day (Beijing time, with the configured cut-off).
func (l *Ledger) Today() clock.Date {
	return clock.AccountingDay(l.cfg.Clock.Now(), l.cfg.Cutoff)
}

// submit queues r and waits for its result. A caller whose ctx ends while waiting gets
// ctx.Err(); the request may still be applied, so it must retry with the same key.
func (l *Ledger) submit(ctx context.Context, r *request) (*Entry, error) {
	r.ctx = ctx
	r.done = make(chan result, 1)
	if r.op == nil {
		// The request's fingerprint depends on nothing but the request: hash it here, on the
		// caller's goroutine, not on the single writer's.
		r.fp = r.fingerprint()
	}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return nil, ErrClosed
	}
	select {
	case l.q <- r:
		l.mu.RUnlock()
	case <-ctx.Done():
		l.mu.RUnlock()
		return nil, ctx.Err()
	}
	select {
	case res := <-r.done:
		return res.entry, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Post applies an ordinary entry. The same Key with the same content returns the first result;
// with different content it fails with ErrIdempotencyConflict. An error wrapping
// ErrUnknownOutcome (or the ctx's error) does not say the entry was not applied: retry with
// the same key to learn which.
func (l *Ledger) Post(ctx context.Context, p Posting) (*Entry, error) {
	lines := append([]Line(nil), p.Lines...)
	return l.submit(ctx, &request{kind: KindPost, key: p.Key, voucher: p.Voucher, lines: lines, day: p.Day, late: p.LateFor, memo: p.Memo})
}

// Hold reserves an amount (see HoldRequest). The returned entry's Seq names the hold.
func (l *Ledger) Hold(ctx context.Context, h HoldRequest) (*Entry, error) {
	lines := []Line{{Account: h.Debit, Side: Debit, Effect: EffectHold, Amount: h.Amount}, {Account: h.Credit, Side: Credit, Effect: EffectHold, Amount: h.Amount}}
	return l.submit(ctx, &request{kind: KindHold, key: h.Key, voucher: h.Voucher, lines: lines, day: h.Day, memo: h.Memo})
}

// Capture posts part or all of what remains of a hold.
func (l *Ledger) Capture(ctx context.Context, c CaptureRequest) (*Entry, error) {
	return l.submit(ctx, &request{kind: KindCapture, key: c.Key, voucher: c.Voucher, ref: c.Hold, amount: c.Amount, day: c.Day, memo: c.Memo})
}

// Release voids what remains of a hold. A zero Voucher.Amount is filled in with that remainder.
func (l *Ledger) Release(ctx context.Context, r ReleaseRequest) (*Entry, error) {
	return l.submit(ctx, &request{kind: KindRelease, key: r.Key, voucher: r.Voucher, ref: r.Hold, day: r.Day, memo: r.Memo})
}

// Reverse undoes a post entry with a mirrored entry referencing it.
func (l *Ledger) Reverse(ctx context.Context, r ReverseRequest) (*Entry, error) {
	return l.submit(ctx, &request{kind: KindReverse, key: r.Key, ref: r.Entry, day: r.Day, memo: r.Memo})
}

// do runs fn in its own write transaction on the writer goroutine, ordered with postings.
func (l *Ledger) do(ctx context.Context, fn func(context.Context, WriteTx) error) error {
	_, err := l.submit(ctx, &request{op: fn})
	return err
}

// PutChart adds or replaces a chart-of-accounts code. A child's parent must exist and have the
// same type and normal side.
func (l *Ledger) PutChart(ctx context.Context, c ChartAccount) error {
	if c.Normal == "" {
		c.Normal = c.Type.DefaultNormal()
	}
	if err := c.validate(); err != nil {
		return err
	}
	return l.do(ctx, func(ctx context.Context, tx WriteTx) error {
		if c.Parent != "" {
			chart, err := tx.Chart(ctx)
			if err != nil {
				return err
			}
			var parent *ChartAccount
			for i := range chart {
				if chart[i].Code == c.Parent {
					parent = &chart[i]
				}
			}
			if parent == nil {
				return fmt.Errorf("%w: chart %s: parent %s does not exist", ErrInvalidAccount, c.Code, c.Parent)
			}
			if parent.Type != c.Type || parent.Normal != c.Normal {
				return fmt.Errorf("%w: chart %s is %s/%s but parent %s is %s/%s", ErrInvalidAccount, c.Code, c.Type, c.Normal, parent.Code, parent.Type, parent.Normal)
			}
		}
		chart, err := tx.Chart(ctx)
		if err != nil {
			return err
		}
		for _, have := range chart {
			if have == c {
				return nil // unchanged: nothing to store or log
			}
		}
		if err := tx.PutChart(ctx, c); err != nil {
			return err
		}
		return logChange(ctx, tx, l.cfg.Clock.Now(), &Change{Chart: &c, Memo: "chart"})
	})
}

// CreateAccount opens an account under an existing chart code and returns it. It is
// idempotent on (Code, OwnerKind, OwnerID, Currency): opening the same account again returns
// the existing one if the rest of the spec matches.
func (l *Ledger) CreateAccount(ctx context.Context, s AccountSpec) (Account, error) {
	as, err := l.CreateAccounts(ctx, []AccountSpec{s})
	if err != nil {
		return Account{}, err
	}
	return as[0], nil
}

// CreateAccounts is CreateAccount for many specs in one write transaction (one commit, not
// one per account: opening the settlement accounts of 10,000 merchants one by one cost
// seconds). It returns the accounts in the order of specs; on an error none is opened.
func (l *Ledger) CreateAccounts(ctx context.Context, specs []AccountSpec) ([]Account, error) {
	for _, s := range specs {
		if err := checkSpec(s); err != nil {
			return nil, err
		}
	}
	out := make([]Account, len(specs))
	err := l.do(ctx, func(ctx context.Context, tx WriteTx) error {
		var chart map[string]ChartAccount // read once, when the first new account needs it
		var changes []*Change             // one "opened" change per new account, chained at the end
		for i, s := range specs {
			if a, err := tx.FindAccount(ctx, s.Code, s.OwnerKind, s.OwnerID, s.Currency); err == nil {
				if a.AccountSpec != s {
					return fmt.Errorf("%w: account %s/%s/%s/%s exists with a different spec", ErrInvalidAccount, s.Code, s.OwnerKind, s.OwnerID, s.Currency)
				}
				out[i] = a
				continue
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
			if chart == nil {
				cs, err := tx.Chart(ctx)
				if err != nil {
					return err
				}
				chart = make(map[string]ChartAccount, len(cs))
				for _, c := range cs {
					chart[c.Code] = c
				}
			}
			c, ok := chart[s.Code]
			if !ok {
				return fmt.Errorf("%w: chart code %q does not exist", ErrInvalidAccount, s.Code)
			}
			a := Account{AccountSpec: s, Type: c.Type, Normal: c.Normal}
			id, err := tx.CreateAccount(ctx, a)
			if err != nil {
				return err
			}
			a.ID = id
			out[i] = a
			changes = append(changes, &Change{Account: &AccountAttrs{ID: id, AccountSpec: s}, Memo: "opened", At: l.cfg.Clock.Now().UTC()})
		}
		if len(changes) == 0 {
			return nil
		}
		seq, hash, err := tx.ControlHead(ctx)
		if err != nil {
			return err
		}
		ChainChanges(seq, hash, changes)
		for _, c := range changes {
			if err := tx.AppendChange(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrInvalidAccount) {
		// Another process may have opened some of them between the look-up and the insert
		// (PostgreSQL runs the two transactions side by side; the store's unique key refused
		// ours, and with it the whole transaction): then they exist now, and opening is
		// idempotent, so open what is still missing one by one.
		if len(specs) == 1 {
			s := specs[0]
			if a, ferr := l.FindAccount(ctx, s.Code, s.OwnerKind, s.OwnerID, s.Currency); ferr == nil && a.AccountSpec == s {
				return []Account{a}, nil
			}
			return nil, err
		}
		for i, s := range specs {
			a, cerr := l.CreateAccount(ctx, s)
			if cerr != nil {
				return nil, cerr
			}
			out[i] = a
		}
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func checkSpec(s AccountSpec) error {
	if !s.OwnerKind.Valid() {
		return fmt.Errorf("%w: owner kind %q", ErrInvalidAccount, s.OwnerKind)
	}
	if !s.Currency.Valid() {
		return fmt.Errorf("%w: currency %q", ErrInvalidAccount, s.Currency)
	}
	if s.AgeLimitSeconds < 0 {
		return fmt.Errorf("%w: age limit %d", ErrInvalidAccount, s.AgeLimitSeconds)
	}
	return nil
}

// SetFlags replaces an account's flags (freeze, close, allow negative). The change is
// recorded in the change log; setting the flags it already has changes nothing.
func (l *Ledger) SetFlags(ctx context.Context, id AccountID, f Flags) error {
	return l.setAttrs(ctx, id, "flags", func(a *AccountSpec) { a.Flags = f })
}

// Account returns one account with its counters, or an error wrapping ErrUnknownAccount.
func (l *Ledger) Account(ctx context.Context, id AccountID) (Account, error) {
	var a Account
	err := l.cfg.Store.Read(ctx, func(tx ReadTx) error {
		m, err := tx.AccountsByID(ctx, []AccountID{id})
		if err != nil {
			return err
		}
		var ok bool
		if a, ok = m[id]; !ok {
			return fmt.Errorf("%w: %d", ErrUnknownAccount, id)
		}
		return nil
	})
	return a, err
}

// FindAccount returns the account with these keys, or an error wrapping ErrNotFound.
func (l *Ledger) FindAccount(ctx context.Context, code string, kind OwnerKind, owner string, cur money.Currency) (Account, error) {
	var a Account
	err := l.cfg.Store.Read(ctx, func(tx ReadTx) error {
		var err error
		a, err = tx.FindAccount(ctx, code, kind, owner, cur)
		return err
	})
	return a, err
}

// Balance returns the posted, held and available balance of an account.
func (l *Ledger) Balance(ctx context.Context, id AccountID) (Balance, error) {
	a, err := l.Account(ctx, id)
	if err != nil {
		return Balance{}, err
	}
	return BalanceOf(a), nil
}

// Entry returns a journal entry by sequence number (ErrNotFound if absent).
func (l *Ledger) Entry(ctx context.Context, seq int64) (*Entry, error) {
	var e *Entry
	err := l.cfg.Store.Read(ctx, func(tx ReadTx) error {
		var err error
		e, err = tx.Entry(ctx, seq)
		return err
	})
	return e, err
}

// HoldState returns what remains of a hold (ErrNotFound if seq is not a hold).
func (l *Ledger) HoldState(ctx context.Context, seq int64) (HoldState, error) {
	var h HoldState
	err := l.cfg.Store.Read(ctx, func(tx ReadTx) error {
		var err error
		h, err = tx.Hold(ctx, seq)
		return err
	})
	return h, err
}

// Seals returns every sealed chain head in day order, for export to a place the database's
// administrators cannot write.
func (l *Ledger) Seals(ctx context.Context) ([]Seal, error) {
	var s []Seal
	err := l.cfg.Store.Read(ctx, func(tx ReadTx) error {
		var err error
		s, err = tx.Seals(ctx)
		return err
	})
	return s, err
}
