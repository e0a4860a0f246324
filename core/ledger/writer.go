package ledger

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// request is one queued write. Either op is set (a non-posting write, run in its own
// transaction) or kind describes an entry.
type request struct {
	ctx  context.Context
	done chan result
	op   func(context.Context, WriteTx) error

	kind    Kind
	key     string
	voucher Voucher
	lines   []Line // as given (post, hold)
	ref     int64
	amount  money.Amount // capture
	day     clock.Date
	late    clock.Date
	memo    string
	fp      []byte
	target  *Entry // the entry a reverse undoes, loaded before the batch
	// unsure is the error of a one-shot append of this request that may have committed
	// (anything but ErrStale). The ordinary path that re-applies it looks its key up and
	// finds the entry if it did; if that path fails too, the outcome stays unknown.
	unsure error
}

type result struct {
	entry *Entry
	err   error
	// stored: the answer comes from an entry committed before this batch (a retry, or a
	// key conflict with it), so it holds whatever happens to the batch's own write.
	stored bool
}

// maybeApplied records on reqs that a one-shot append of them failed with err, which may
// hide a commit unless it is ErrStale.
func maybeApplied(reqs []*request, err error) {
	if errors.Is(err, ErrStale) {
		return
	}
	for _, r := range reqs {
		r.unsure = err
	}
}

// writer is the single goroutine that applies every write of a Ledger. Batching many entries
// into one transaction is TigerBeetle's lesson: a hot account costs nothing extra because no
// two transactions ever contend for it.
type writer struct {
	l *Ledger
	// cache holds accounts as of head generation cacheGen. Valid only while the store's
	// Head.Gen still equals cacheGen, i.e. nobody (another process, an op) wrote since; it
	// saves reading every touched account in every batch. The pointed-to accounts are never
	// changed (a batch copies an account before its first change), so a batch uses them
	// without copying.
	cache    map[AccountID]*Account
	cacheGen int64
	// dirty holds the counters, as this writer computed them, of the accounts that moved
	// since checkpoint dirtyFrom. Valid (dirtyOK) only while every entry since that
	// checkpoint is this writer's: the store's head is still lastSeq, the end of this
	// writer's last batch. (Ops such as CreateAccount or SetFlags never move counters, so
	// unlike the cache, dirty survives them.)
	dirty     map[AccountID]Counters
	dirtyFrom int64
	lastSeq   int64
	dirtyOK   bool
	// head is the journal's head as this writer's last batch left it; valid (headOK) only
	// while nothing else can have written since (see HeadAppender).
	head   Head
	headOK bool
	// lastAt is the PostedAt of entry atSeq, the journal's last as this writer knows it
	// (valid while atOK): no entry is stamped earlier, so time never goes backwards along
	// the chain even if the clock does.
	lastAt time.Time
	atSeq  int64
	atOK   bool
	// The committer (see pipeline.go), when the store pipelines one-shot appends.
	pipe    bool
	toC     chan *job
	fromC   chan status
	cDone   chan struct{}
	pending int        // jobs handed to the committer whose status is unread
	redo    []*request // requests of jobs the committer could not apply, in order
}

func (w *writer) run() {
	defer close(w.l.done)
	ctx := context.Background()
	if p, ok := w.l.cfg.Store.(Pipeliner); ok && p.PipelineAppends() {
		w.startCommitter(ctx)
		defer w.stopCommitter(ctx)
	}
	batch := make([]*request, 0, w.l.cfg.MaxBatch)
	for {
		var first *request
		var fromC chan status // nil (never ready) unless a job is in flight
		if w.pending > 0 {
			fromC = w.fromC
		}
		select {
		case first = <-w.l.q:
		case st := <-fromC:
			w.pending--
			w.handle(st)
			if len(w.redo) > 0 {
				w.drain(ctx)
			}
			continue
		case <-w.l.stop:
			// Apply what is already queued, then stop.
			for {
				select {
				case r := <-w.l.q:
					w.process(ctx, append(batch[:0], r))
				default:
					return
				}
			}
		}
		w.process(ctx, w.gather(append(batch[:0], first)))
	}
}

// gatherYields is how many times the writer lets other goroutines run while it collects a
// batch. The callers it has just answered are runnable but usually queued behind the writer
// on its own P; without yielding, the next batch holds only what arrived meanwhile (8 entries
// on average at 64 callers on 2 cores), with yielding ~43. A transaction's fixed cost (head,
// look-ups, commit, dirty pages) is then shared by five times as many entries. A yield with
// nobody to run costs well under a microsecond.
const gatherYields = 8

// gather appends to batch whatever is queued, up to MaxBatch, yielding the processor up to
// gatherYields times when the queue runs dry.
func (w *writer) gather(batch []*request) []*request {
	yields := 0
	for len(batch) < w.l.cfg.MaxBatch {
		select {
		case r := <-w.l.q:
			batch = append(batch, r)
		default:
			if yields == gatherYields {
				return batch
			}
			yields++
			runtime.Gosched()
		}
	}
	return batch
}

// process applies a batch in queue order: consecutive entries together in one transaction,
// each op in its own.
func (w *writer) process(ctx context.Context, batch []*request) {
	run := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- result{err: err}
			continue
		}
		if r.op == nil {
			run = append(run, r)
			continue
		}
		w.entries(ctx, run)
		run = run[:0]
		w.drain(ctx)
		err := w.l.cfg.Store.Write(ctx, func(tx WriteTx) error { return r.op(ctx, tx) })
		w.headOK = false // the op moved the store's generation (or may have)
		r.done <- result{err: err}
	}
	w.entries(ctx, run)
}

// entries applies a run of entry requests in one transaction and answers each: in one
// statement on the head the writer knows when it can (oneShot), else in a transaction that
// reads the head and looks everything up first.
func (w *writer) entries(ctx context.Context, reqs []*request) {
	if len(reqs) == 0 {
		return
	}
	if w.oneShot(ctx, reqs) {
		return
	}
	w.drain(ctx)
	w.sync(ctx, reqs)
}

// sync applies reqs in a transaction that reads the head and looks everything up first.
func (w *writer) sync(ctx context.Context, reqs []*request) {
	var results []result
	var st *state
	err := w.l.cfg.Store.Write(ctx, func(tx WriteTx) error {
		var err error
		results, st, err = w.apply(ctx, tx, reqs)
		return err
	})
	if err != nil || st == nil {
		w.reset()
	} else {
		w.staged(st)
	}
	answer(reqs, results, err)
}

// oneShot applies reqs without reading the store first when the Store is a HeadAppender
// and the writer's record of the store is complete: the head as its last batch left it
// (nothing else wrote since, which AppendAt checks), every account the batch names in the
// cache, and only posts and holds (captures, releases and reversals read holds and entries).
// Idempotency keys and vouchers stored earlier are not looked up, so only a batch whose
// every request is accepted goes this way: then a stored key fails the append (the retry
// would insert its key again) and a stored voucher with another amount makes it ErrStale.
// On any failure it reports false having answered nobody, and entries applies the batch the
// ordinary way, which reads the store and gives every request its proper answer — also
// when a lost connection hid whether the append committed.
func (w *writer) oneShot(ctx context.Context, reqs []*request) bool {
	ha, ok := w.l.cfg.Store.(HeadAppender)
	if !ok || !w.headOK || !w.dirtyOK || w.cache == nil {
		return false
	}
	for _, r := range reqs {
		if r.kind != KindPost && r.kind != KindHold {
			return false
		}
		for _, ln := range r.lines {
			if _, ok := w.cache[ln.Account]; !ok {
				return false
			}
		}
	}
	prev := w.head
	s := w.begin(prev, true)
	for _, r := range reqs {
		for _, ln := range r.lines {
			s.accounts[ln.Account] = w.cache[ln.Account]
		}
	}
	results := w.runAll(ctx, s, reqs)
	for _, r := range results {
		if r.err != nil {
			// A refusal was judged without looking the key up: the request may be the retry
			// of an entry already applied, whose answer is that entry, not a refusal on
			// today's balances, flags or closed days. (An accepted retry is safe: its insert
			// fails on the stored key.) Let a transaction that reads the store judge.
			return false
		}
	}
	w.layout(s)
	if w.pipe {
		w.staged(s)
		w.send(ctx, &job{reqs: reqs, results: results, st: s, prev: prev})
		return true
	}
	if err := ha.AppendAt(ctx, prev, &s.batch); err != nil {
		w.reset()
		maybeApplied(reqs, err)
		return false
	}
	w.staged(s)
	answer(reqs, results, nil)
	return true
}

// reset forgets everything the writer knows about the store: after a failed write (a failed
// commit may still have happened, a lost connection).
func (w *writer) reset() {
	w.cache, w.cacheGen, w.dirtyOK, w.headOK, w.atOK = nil, -1, false, false, false
}

// staged records the state a committed batch left the store in: the accounts it touched,
// the head, the counters not yet checkpointed.
func (w *writer) staged(st *state) {
	for id, a := range st.accounts {
		w.cache[id] = a
	}
	end := st.end()
	if n := len(st.batch.Entries); n > 0 {
		w.lastAt, w.atSeq, w.atOK = st.batch.Entries[n-1].PostedAt, end.Seq, true
	}
	w.cacheGen = end.Gen
	w.lastSeq = end.Seq
	w.head, w.headOK = end, true
	switch {
	case st.batch.Checkpoint != nil:
		w.dirty, w.dirtyFrom = map[AccountID]Counters{}, end.Seq
		w.head.Checkpoint = end.Seq
	case w.dirtyOK:
		for id := range st.touched {
			w.dirty[id] = st.accounts[id].Counters
		}
	}
}

// answer sends every request its result. err is the batch's write error. With one, only an
// answer taken from an entry stored before the batch (a retry or a key conflict) stands; every
// other request — accepted, or refused on balances the failed batch's own entries may have
// changed — gets the write's error: "nothing applied", or, when the commit went unconfirmed
// or an earlier one-shot append of the request may have committed (request.unsure), an error
// wrapping ErrUnknownOutcome. Either way a retry with the same key gets the proper answer.
func answer(reqs []*request, results []result, err error) {
	for i, r := range reqs {
		var res result
		if i < len(results) {
			res = results[i]
		}
		if err != nil && !res.stored {
			res = result{err: writeError(r, err)}
		}
		r.done <- res
	}
}

// writeError is what a request whose batch failed to write with err is told.
func writeError(r *request, err error) error {
	switch {
	case errors.Is(err, ErrUnknownOutcome):
		return fmt.Errorf("ledger: write not confirmed: %w", err)
	case r.unsure != nil:
		return fmt.Errorf("ledger: write not confirmed: an earlier append may have committed (%v) and re-checking failed: %w: %w",
			r.unsure, ErrUnknownOutcome, err)
	default:
		return fmt.Errorf("ledger: write failed, nothing applied: %w", err)
	}
}

// state is the batch-local view of the store: accounts with counters as updated by the
// entries accepted so far in this batch.
type state struct {
	tx       ReadTx // nil when staged without reading the store (oneShot)
	base     Head   // the head the batch starts from
	head     Head   // the head after the entries accepted so far (Gen: see layout)
	today    clock.Date
	now      time.Time
	accounts map[AccountID]*Account
	touched  map[AccountID]bool
	vouchers map[VoucherRef]money.Amount
	newVouch []Voucher
	existing map[string]*Entry // by key: stored before this batch
	accepted map[string]*Entry // by key: accepted in this batch
	holds    map[int64]*HoldState
	newHolds map[int64]bool
	updHolds map[int64]bool
	reversed map[int64]bool
	batch    Batch
}

// end is the head the batch leaves: its base if it appends nothing.
func (s *state) end() Head {
	if len(s.batch.Entries) == 0 {
		return s.base
	}
	return s.batch.Head
}

// apply validates and stages every request; it returns one result per request. Refused
// requests change nothing; accepted ones are appended in one go.
func (w *writer) apply(ctx context.Context, tx WriteTx, reqs []*request) ([]result, *state, error) {
	head, err := tx.Head(ctx)
	if err != nil {
		return nil, nil, err
	}
	if head.Seq > 0 && (!w.atOK || w.atSeq != head.Seq) {
		e, err := tx.Entry(ctx, head.Seq)
		var ue *UnreadableEntryError
		switch {
		case err == nil:
			w.lastAt, w.atSeq, w.atOK = e.PostedAt, head.Seq, true
		case errors.As(err, &ue) || errors.Is(err, ErrNotFound):
			// Edited behind the ledger's back: Verify reports it; stamp by the clock.
		default:
			return nil, nil, err
		}
	}
	s := w.begin(head, false)
	if err := w.load(ctx, tx, s, reqs); err != nil {
		return nil, nil, err
	}
	results := w.runAll(ctx, s, reqs)
	w.layout(s)
	if len(s.batch.Entries) == 0 {
		return results, s, nil
	}
	if err := tx.Append(ctx, &s.batch); err != nil {
		return results, nil, err // answer keeps only the results of stored entries
	}
	return results, s, nil
}

// begin starts the state of a batch on head. assumed says head is the writer's own record
// of the store, not one just read from it.
func (w *writer) begin(head Head, assumed bool) *state {
	if head.Gen != w.cacheGen || w.cache == nil {
		w.cache, w.cacheGen = map[AccountID]*Account{}, head.Gen
	}
	if !assumed && w.dirtyOK && (w.dirtyFrom != head.Checkpoint || w.lastSeq != head.Seq) {
		w.dirtyOK = false // someone else appended or checkpointed
	}
	if !w.dirtyOK && head.Checkpoint == head.Seq {
		// Nothing follows the checkpoint: track from here.
		w.dirty, w.dirtyFrom, w.lastSeq, w.dirtyOK = map[AccountID]Counters{}, head.Seq, head.Seq, true
	}
	now := w.l.cfg.Clock.Now().UTC()
	if w.atOK && w.atSeq == head.Seq && now.Before(w.lastAt) {
		now = w.lastAt // the clock went back: keep the chain's time monotonic
	}
	return &state{
		base: head, head: head, now: now, today: clock.AccountingDay(now, w.l.cfg.Cutoff),
		accounts: map[AccountID]*Account{}, touched: map[AccountID]bool{},
		existing: map[string]*Entry{}, vouchers: map[VoucherRef]money.Amount{},
		accepted: map[string]*Entry{}, holds: map[int64]*HoldState{}, newHolds: map[int64]bool{},
		updHolds: map[int64]bool{}, reversed: map[int64]bool{},
	}
}

// load reads into s, in a few queries, what reqs refer to: stored entries with their keys,
// vouchers, accounts (from the cache where it can), holds, the entries reversals undo.
func (w *writer) load(ctx context.Context, tx ReadTx, s *state, reqs []*request) error {
	s.tx = tx
	keys := make([]string, 0, len(reqs))
	refs := make([]VoucherRef, 0, len(reqs))
	ids := make([]AccountID, 0, 3*len(reqs))
	for _, r := range reqs {
		keys = append(keys, r.key)
		refs = append(refs, r.voucher.Ref())
		for _, ln := range r.lines {
			ids = append(ids, ln.Account)
		}
		switch r.kind {
		case KindCapture, KindRelease:
			if _, ok := s.holds[r.ref]; !ok {
				h, err := tx.Hold(ctx, r.ref)
				if err == nil {
					s.holds[r.ref] = &h
					ids = append(ids, h.Debit, h.Credit)
				} else if !errors.Is(err, ErrNotFound) {
					return err
				}
			}
		case KindReverse:
			if e, err := tx.Entry(ctx, r.ref); err == nil {
				r.target = e
				refs = append(refs, e.Voucher.Ref())
				for _, ln := range e.Lines {
					ids = append(ids, ln.Account)
				}
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	var err error
	if bl, ok := tx.(BatchLookupTx); ok {
		if s.existing, s.vouchers, err = bl.LookupBatch(ctx, keys, refs); err != nil {
			return err
		}
	} else {
		if s.existing, err = tx.EntriesByKey(ctx, keys); err != nil {
			return err
		}
		if s.vouchers, err = tx.Vouchers(ctx, refs); err != nil {
			return err
		}
	}
	missing := ids[:0]
	for _, id := range ids {
		if _, ok := s.accounts[id]; ok {
			continue
		}
		if a, ok := w.cache[id]; ok {
			s.accounts[id] = a
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		accts, err := tx.AccountsByID(ctx, missing)
		if err != nil {
			return err
		}
		for id, a := range accts {
			a := a
			s.accounts[id] = &a
		}
	}
	return nil
}

// runAll handles each request against s, in order.
func (w *writer) runAll(ctx context.Context, s *state, reqs []*request) []result {
	results := make([]result, len(reqs))
	for i, r := range reqs {
		results[i] = w.one(ctx, s, r)
	}
	return results
}

// layout lays out s.batch for the entries accepted: vouchers, holds, the counter checkpoint
// when due, and the new head (one generation on).
func (w *writer) layout(s *state) {
	if len(s.batch.Entries) == 0 {
		return
	}
	s.batch.NewVouchers = s.newVouch
	for seq := range s.newHolds {
		s.batch.NewHolds = append(s.batch.NewHolds, *s.holds[seq])
	}
	for seq := range s.updHolds {
		if !s.newHolds[seq] {
			s.batch.HoldUpdates = append(s.batch.HoldUpdates, *s.holds[seq])
		}
	}
	if w.dirtyOK && s.head.Seq-w.dirtyFrom >= w.l.cfg.CheckpointEvery {
		s.batch.Checkpoint = w.checkpoint(s)
	}
	s.batch.Head = s.head
	s.batch.Head.Gen = s.base.Gen + 1
}

// checkpoint returns the counters of every account that moved since dirtyFrom, this batch
// included.
func (w *writer) checkpoint(s *state) []Account {
	cp := make([]Account, 0, len(w.dirty)+len(s.touched))
	for id := range s.touched {
		cp = append(cp, *s.accounts[id])
	}
	for id, c := range w.dirty {
		if !s.touched[id] {
			cp = append(cp, Account{ID: id, Counters: c})
		}
	}
	return cp
}

// one handles a single request against the batch state.
func (w *writer) one(ctx context.Context, s *state, r *request) result {
	if r.key == "" || len(r.key) > 200 {
		return result{err: reqErr(r.key, "key", ErrInvalidRequest, "idempotency key must be 1..200 bytes")}
	}
	if r.fp == nil {
		r.fp = r.fingerprint()
	}
	if e := s.accepted[r.key]; e != nil {
		return same(r, e)
	}
	if e := s.existing[r.key]; e != nil {
		res := same(r, e)
		res.stored = true
		return res
	}
	e, err := w.build(ctx, s, r)
	if err != nil {
		return result{err: err}
	}
	// Stage the new counters of the touched accounts (on the stack: entries have few
	// accounts), check them, then commit them to the batch state.
	var buf [4]staged
	stg := buf[:0]
	for i, ln := range e.Lines {
		j := 0
		for j < len(stg) && stg[j].id != ln.Account {
			j++
		}
		if j == len(stg) {
			stg = append(stg, staged{id: ln.Account, c: s.accounts[ln.Account].Counters})
		}
		if err := stg[j].c.Add(ln.Side, ln.Effect, ln.Amount.Minor()); err != nil {
			return result{err: reqErr(r.key, fmt.Sprintf("lines[%d].amount", i), ErrOverflow, "account %d", ln.Account)}
		}
	}
	for _, st := range stg {
		before := s.accounts[st.id]
		after := Account{Normal: before.Normal, Counters: st.c}
		p0, h0, _ := before.position()
		p1, h1, _ := after.position()
		if p1-h1 < p0-h0 {
			if before.Flags&Frozen != 0 {
				return result{err: reqErr(r.key, "lines", ErrAccountFrozen, "account %d", st.id)}
			}
			if before.Flags&AllowNegative == 0 && p1-h1 < 0 {
				return result{err: reqErr(r.key, "lines", ErrInsufficientFunds,
					"account %d available would be %s", st.id, money.New(p1-h1, before.Currency).Decimal())}
			}
		}
	}
	for _, st := range stg {
		if !s.touched[st.id] {
			// First change in this batch: the account may be shared with the cache.
			c := *s.accounts[st.id]
			s.accounts[st.id] = &c
			s.touched[st.id] = true
		}
		s.accounts[st.id].Counters = st.c
	}
	if _, ok := s.vouchers[e.Voucher.Ref()]; !ok {
		s.vouchers[e.Voucher.Ref()] = e.Voucher.Amount
		s.newVouch = append(s.newVouch, e.Voucher)
	}
	switch e.Kind {
	case KindHold:
		s.holds[e.Seq] = &HoldState{Seq: e.Seq, Debit: e.Lines[0].Account, Credit: e.Lines[1].Account, Amount: e.Lines[0].Amount, Remaining: e.Lines[0].Amount}
		s.newHolds[e.Seq] = true
	case KindCapture, KindRelease:
		h := s.holds[e.Ref]
		h.Remaining = money.New(h.Remaining.Minor()-e.Lines[0].Amount.Minor(), h.Remaining.Currency())
		s.updHolds[e.Ref] = true
	case KindReverse:
		s.reversed[e.Ref] = true
	}
	s.head.Seq, s.head.Hash = e.Seq, e.Hash
	s.accepted[e.Key] = e
	s.batch.Entries = append(s.batch.Entries, e)
	return result{entry: e}
}

// fingerprint hashes the request as its caller gave it (see fingerprint).
func (r *request) fingerprint() []byte {
	fpLines := r.lines
	if r.kind == KindCapture {
		fpLines = []Line{{Amount: r.amount}}
	}
	return fingerprint(r.kind, r.key, r.voucher, r.ref, r.day, r.late, r.memo, fpLines)
}

// staged is an account's counters as an entry being checked would leave them.
type staged struct {
	id AccountID
	c  Counters
}

// same answers a retry: the first result if the content matches, a conflict otherwise.
func same(r *request, e *Entry) result {
	if string(e.Fingerprint) != string(r.fp) {
		return result{err: reqErr(r.key, "key", ErrIdempotencyConflict, "first applied as entry %d", e.Seq)}
	}
	return result{entry: e}
}
