package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxBatch is the default of Config.MaxBatch.
const DefaultMaxBatch = 256

// Config configures a Log.
type Config struct {
	// Store keeps the records and the head (core/store).
	Store Store
	// MaxBatch bounds how many records share one commit; default DefaultMaxBatch.
	MaxBatch int
	// Logger receives the writer's errors (never record contents beyond seq numbers);
	// default discards.
	Logger *slog.Logger
}

// Log appends records to the audit log. It is safe for concurrent use; one Log is this
// process's single writer of the chain (other processes may have their own).
type Log struct {
	cfg    Config
	log    *slog.Logger
	reqs   chan *appendReq
	stop   chan struct{}
	wg     sync.WaitGroup
	mu     sync.RWMutex // Append's send (read) against Close (write)
	closed bool
	head   Head // only the writer goroutine touches it after New
	stats  Stats
}

// Stats count what a Log wrote since New: records appended, commits (transactions) that
// held them, and commits retried because another writer had moved the head.
type Stats struct {
	Records, Commits, Retries atomic.Int64
	// CommitNanos is the time spent in Store.AppendAudit, successful or not.
	CommitNanos atomic.Int64
}

// Stats returns the log's counters.
func (l *Log) Stats() *Stats { return &l.stats }

type appendReq struct {
	rec  Record
	done chan error
}

// New reads the stored head and starts the writer. Close stops it.
func New(ctx context.Context, cfg Config) (*Log, error) {
	if cfg.Store == nil {
		return nil, errors.New("audit: config: Store is required")
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	head, err := cfg.Store.AuditHead(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: read head: %w", err)
	}
	l := &Log{cfg: cfg, log: lg, head: head, reqs: make(chan *appendReq, cfg.MaxBatch), stop: make(chan struct{})}
	l.wg.Add(1)
	go l.run()
	return l, nil
}

// Append validates r, appends it after every record appended before it and returns it as
// stored (Seq, PrevHash and Hash set) once the transaction holding it has committed. A
// refused record (ErrInvalid) writes nothing. An error after the record was queued means it
// was not stored: the writer re-reads the stored head after a failed commit and reports
// success if the commit in fact went through.
func (l *Log) Append(ctx context.Context, r Record) (Record, error) {
	r.At = r.At.UTC()
	r.Seq, r.PrevHash, r.Hash = 0, nil, nil
	if err := r.validate(); err != nil {
		return Record{}, err
	}
	q := &appendReq{rec: r, done: make(chan error, 1)}
	// The read lock orders this send before Close: once Close holds the lock, no record can
	// be queued that the writer's final drain would miss (and leave waiting forever).
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return Record{}, ErrClosed
	}
	select {
	case l.reqs <- q:
	case <-ctx.Done():
		l.mu.RUnlock()
		return Record{}, ctx.Err()
	}
	l.mu.RUnlock()
	// Once queued the record may be written: wait for the outcome even if ctx ends, so a
	// caller never reports "not audited" for a record that is in the log.
	if err := <-q.done; err != nil {
		return Record{}, err
	}
	return q.rec, nil
}

// Close stops the writer after the records already queued are written; later Appends fail
// with ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.stop)
	}
	l.mu.Unlock()
	l.wg.Wait()
	return nil
}

func (l *Log) run() {
	defer l.wg.Done()
	batch := make([]*appendReq, 0, l.cfg.MaxBatch)
	for {
		select {
		case q := <-l.reqs:
			batch = append(batch[:0], q)
		case <-l.stop:
			// Write what was queued before Close, then stop.
			for {
				batch = batch[:0]
				for len(batch) < l.cfg.MaxBatch {
					select {
					case q := <-l.reqs:
						batch = append(batch, q)
						continue
					default:
					}
					break
				}
				if len(batch) == 0 {
					return
				}
				l.commit(batch)
			}
		}
		// Take what queued up while the last commit ran: they share this one. Yield a few
		// times first, so callers that are about to append can join (as core/store's group
		// commit does): one commit costs an fsync however many records it holds.
		for spins := 0; len(batch) < l.cfg.MaxBatch && spins < 4; {
			select {
			case q := <-l.reqs:
				batch = append(batch, q)
			default:
				spins++
				runtime.Gosched()
			}
		}
		l.commit(batch)
	}
}

// maxRetries bounds how often a batch is chained again after another writer moved the head.
const maxRetries = 8

func (l *Log) commit(batch []*appendReq) {
	recs := make([]*Record, len(batch))
	for i, q := range batch {
		recs[i] = &q.rec
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := l.appendChained(ctx, recs)
	for _, q := range batch {
		q.done <- err
	}
}

func (l *Log) appendChained(ctx context.Context, recs []*Record) error {
	for try := 0; ; try++ {
		from := l.head
		link(from, recs)
		began := time.Now()
		err := l.cfg.Store.AppendAudit(ctx, from, recs)
		l.stats.CommitNanos.Add(int64(time.Since(began)))
		if err == nil {
			l.head = Head{Seq: recs[len(recs)-1].Seq, Hash: recs[len(recs)-1].Hash}
			l.stats.Records.Add(int64(len(recs)))
			l.stats.Commits.Add(1)
			return nil
		}
		// Whatever happened, the stored head is the truth: it tells whether the commit went
		// through (its answer lost) or another writer appended first.
		head, herr := l.cfg.Store.AuditHead(ctx)
		if herr != nil {
			l.log.Error("audit: append failed and the head is unreadable", "from_seq", from.Seq, "err", err, "head_err", herr)
			return fmt.Errorf("audit: append: %w (head unreadable: %v)", err, herr)
		}
		last := recs[len(recs)-1]
		if head.Seq == last.Seq && bytes.Equal(head.Hash, last.Hash) {
			l.head = head
			l.stats.Records.Add(int64(len(recs)))
			l.stats.Commits.Add(1)
			return nil
		}
		l.head = head
		l.stats.Retries.Add(1)
		if !errors.Is(err, ErrHeadMoved) || try == maxRetries {
			l.log.Error("audit: append failed", "from_seq", from.Seq, "records", len(recs), "err", err)
			return fmt.Errorf("audit: append: %w", err)
		}
	}
}

// link sets Seq, PrevHash and Hash of recs so they follow from.
func link(from Head, recs []*Record) {
	seq, prev := from.Seq, from.Hash
	for _, r := range recs {
		seq++
		r.Seq, r.PrevHash = seq, prev
		r.Hash = Hash(r)
		prev = r.Hash
	}
}
