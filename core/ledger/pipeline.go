package ledger

import (
	"context"
)

// Pipeliner is optionally implemented by a HeadAppender whose AppendAt is worth running on a
// goroutine of its own while the writer stages the next batch (PostgreSQL: the append is a
// round trip the writer would otherwise wait for; measured in docs/benchmarks/ledger.md).
type Pipeliner interface {
	PipelineAppends() bool
}

// Pipelining one-shot appends. The committer goroutine runs AppendAt for one batch while the
// writer stages the next on the head that batch will leave. AppendAt applies a batch only on
// exactly the head it was staged on, so a batch staged after one that fails cannot apply
// either (unless the failed one did commit after all, a lost connection: then it rightly
// applies on top). The committer answers the callers of a batch it applied, after the
// commit; a batch it could not apply goes back to the writer unanswered, and the writer —
// having forgotten everything it assumed — applies it again the ordinary way, which reads
// the store and gives every request its proper answer. Ordinary batches and operations wait
// until no batch is in flight.

// job is a staged batch on its way to the committer.
type job struct {
	reqs    []*request
	results []result
	st      *state
	prev    Head // the head the batch was staged on
}

// status is the committer's report on a job: redo holds its requests if it was not applied.
type status struct {
	redo []*request
}

func (w *writer) startCommitter(ctx context.Context) {
	w.pipe = true
	// toC is unbuffered: the writer stages batch N+1 while N commits and hands it over when
	// the committer is free. fromC holds at most the statuses of the two jobs in flight.
	w.toC, w.fromC, w.cDone = make(chan *job), make(chan status, 2), make(chan struct{})
	go w.commitLoop(ctx)
}

func (w *writer) stopCommitter(ctx context.Context) {
	w.drain(ctx)
	close(w.toC)
	<-w.cDone
}

// send hands j to the committer, then takes in whatever statuses are ready.
func (w *writer) send(ctx context.Context, j *job) {
	w.toC <- j
	w.pending++
	for ready := true; ready; {
		select {
		case st := <-w.fromC:
			w.pending--
			w.handle(st)
		default:
			ready = false
		}
	}
	if len(w.redo) > 0 {
		w.drain(ctx)
	}
}

// handle takes in a status.
func (w *writer) handle(st status) {
	if st.redo != nil {
		w.reset()
		w.redo = append(w.redo, st.redo...)
	}
}

// drain waits until no job is in flight, then applies, the ordinary way and in order,
// whatever the committer handed back.
func (w *writer) drain(ctx context.Context) {
	for w.pending > 0 {
		w.handle(<-w.fromC)
		w.pending--
	}
	if len(w.redo) > 0 {
		reqs := w.redo
		w.redo = nil
		w.sync(ctx, reqs)
	}
}

// commitLoop is the committer goroutine.
func (w *writer) commitLoop(ctx context.Context) {
	defer close(w.cDone)
	ha := w.l.cfg.Store.(HeadAppender)
	for j := range w.toC {
		if err := ha.AppendAt(ctx, j.prev, &j.st.batch); err != nil {
			maybeApplied(j.reqs, err) // before the hand-back: the channel orders it for the writer
			w.fromC <- status{redo: j.reqs}
			continue
		}
		answer(j.reqs, j.results, nil)
		w.fromC <- status{}
	}
}
