package simulator

import (
	"fmt"
	"sync"
	"time"
)

// Callback attempts are sent through a dispatcher: at most Config.CallbackWorkers at
// once, at most Config.CallbackHostLimit to one host (host:port of the notify URL), hosts
// served round-robin. One dead or slow merchant endpoint thus holds at most its own
// share of the workers, and every other merchant's callbacks keep their schedule.
//
// How a job is run depends on the clock and the transport:
//
//   - virtual clock, in-process transport (tests): inline, in the goroutine moving the
//     clock, exactly in due order: answers come back synchronously anyway.
//   - virtual clock, network transport: every job due at one instant is built in due
//     order, sent concurrently through the dispatcher, and recorded in due order once all
//     have answered (a flush timer at the same instant, scheduled behind them), so an
//     advance over N hanging endpoints takes about N / CallbackHostLimit callback
//     timeouts, not N, and transcripts stay byte-identical.
//   - wall clock: built and sent by a dispatcher worker, recorded when answered. An
//     attempt that could not start within its callback timeout because its host had
//     all CallbackHostLimit slots in use and answered nothing for a whole timeout (a
//     dead endpoint) is not sent: it is recorded as unanswered and the channel's
//     schedule goes on, as if the merchant had not answered in time. So a dead host's
//     backlog drains as fast as it builds and no retry behind it is accounted for late.
//     An attempt late only because the simulator as a whole is busy is sent anyway.

// sendJob hands a delivery's job to whoever runs it (see above).
func (s *Server) sendJob(j *job) {
	s.notify.jobStarted()
	switch {
	case s.virt != nil && !s.cbNetwork:
		acked := false
		for _, st := range j.steps {
			j.d.build(st)
			j.d.send(st)
			acked = j.d.record(st)
		}
		if j.after != nil {
			j.after(j.d, acked)
		}
		s.notify.jobDone()
	case s.virt != nil:
		for _, st := range j.steps {
			j.d.build(st)
		}
		s.batch.add(s, j)
	default:
		// Built by the worker: messages may be expensive (Alipay signs each attempt with
		// RSA), and the retry timer must not build thousands in a row.
		due := j.d.due
		timeout := j.d.cb.Timeout
		if timeout <= 0 {
			timeout = s.cfg.CallbackTimeout
		}
		retry := j.steps[len(j.steps)-1].a.N > 1
		s.disp.submit(j.d.host, func(started time.Time) {
			late := started.Sub(due)
			s.disp.noteLateness(late, retry)
			// Late because its own host is stuck (every slot in use, no answer for a whole
			// timeout: a dead endpoint): not sent. Late because the simulator as a whole is
			// busy, or the host is slow but answering: sent anyway, late.
			if late > timeout && s.disp.stuck(j.d.host, started, timeout) {
				for _, st := range j.steps {
					j.d.initRecord(st)
				}
				j.skip(fmt.Sprintf("not sent: %s had %d callbacks in flight and answered none for longer than the %s callback timeout: counted as unanswered",
					j.d.host, s.disp.perHost, timeout))
			} else {
				answered := false
				for _, st := range j.steps {
					j.d.build(st)
					j.d.send(st)
					answered = answered || (st.ok && st.err == nil)
				}
				if answered {
					s.disp.answered(j.d.host, s.wall.Now())
				}
			}
			j.finish()
		})
	}
}

// skip marks every step of a job that was never sent.
func (j *job) skip(why string) {
	for _, st := range j.steps {
		st.rec.Error = why
	}
}

// batch collects the jobs due at one virtual instant (virtual clock, network transport).
type batch struct {
	mu    sync.Mutex
	jobs  []*job
	armed bool
}

func (b *batch) add(s *Server, j *job) {
	b.mu.Lock()
	b.jobs = append(b.jobs, j)
	arm := !b.armed
	b.armed = true
	b.mu.Unlock()
	if arm {
		// Due now, after every timer already due now: the jobs of this instant join first.
		s.clk.AfterFunc(0, s.flushBatch)
	}
}

// flushBatch sends the collected jobs concurrently and records them in the order they
// were collected.
func (s *Server) flushBatch() {
	b := &s.batch
	b.mu.Lock()
	jobs := b.jobs
	b.jobs, b.armed = nil, false
	b.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(len(jobs))
	for _, j := range jobs {
		s.disp.submit(j.d.host, func(time.Time) {
			defer wg.Done()
			for _, st := range j.steps {
				j.d.send(st)
			}
		})
	}
	wg.Wait()
	for _, j := range jobs {
		j.finish()
	}
}

// dispatcher runs callback sends with a global and a per-host concurrency limit.
type dispatcher struct {
	mu      sync.Mutex
	workers int
	perHost int
	running int
	hosts   map[string]*hostQueue
	ready   []*hostQueue // hosts with queued work and a free slot, round-robin
	queued  int
	maxLate time.Duration
	wallNow func() time.Time
	// maxRetryLate is maxLate over retries only (first attempts come in bursts with payments).
	maxRetryLate time.Duration
	maxQueue     int // high-water mark of queued sends, for Stats
}

type hostQueue struct {
	name       string
	lastAnswer time.Time // wall time of the host's latest answer (stuck)
	pending    []func(time.Time)
	active     int
	ready      bool
}

func (d *dispatcher) init(workers, perHost int, now func() time.Time) {
	d.workers, d.perHost, d.wallNow = workers, perHost, now
	d.hosts = make(map[string]*hostQueue)
}

// submit queues fn for host; fn gets the wall time it started.
func (d *dispatcher) submit(host string, fn func(started time.Time)) {
	d.mu.Lock()
	h := d.hosts[host]
	if h == nil {
		h = &hostQueue{name: host}
		d.hosts[host] = h
	}
	h.pending = append(h.pending, fn)
	d.queued++
	d.maxQueue = max(d.maxQueue, d.queued)
	d.markReady(h)
	d.pump()
	d.mu.Unlock()
}

// markReady puts h in the ready ring when it has work and a free slot; d.mu held.
func (d *dispatcher) markReady(h *hostQueue) {
	if !h.ready && len(h.pending) > 0 && h.active < d.perHost {
		h.ready = true
		d.ready = append(d.ready, h)
	}
}

// pump starts queued work while workers are free; d.mu held.
func (d *dispatcher) pump() {
	for d.running < d.workers && len(d.ready) > 0 {
		h := d.ready[0]
		d.ready[0] = nil
		d.ready = d.ready[1:]
		h.ready = false
		fn := h.pending[0]
		h.pending[0] = nil
		h.pending = h.pending[1:]
		h.active++
		d.running++
		d.queued--
		d.markReady(h)
		go d.run(h, fn)
	}
}

func (d *dispatcher) run(h *hostQueue, fn func(time.Time)) {
	fn(d.wallNow())
	d.mu.Lock()
	h.active--
	d.running--
	if h.active == 0 && len(h.pending) == 0 && !h.ready {
		delete(d.hosts, h.name)
	} else {
		d.markReady(h)
	}
	d.pump()
	d.mu.Unlock()
}

// stuck reports whether host has every slot in use (the caller's included) and has not
// answered any attempt within the last window.
func (d *dispatcher) stuck(host string, now time.Time, window time.Duration) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.hosts[host]
	return h != nil && h.active >= d.perHost && now.Sub(h.lastAnswer) > window
}

// answered notes that host answered an attempt (any status) at t.
func (d *dispatcher) answered(host string, t time.Time) {
	d.mu.Lock()
	if h := d.hosts[host]; h != nil && t.After(h.lastAnswer) {
		h.lastAnswer = t
	}
	d.mu.Unlock()
}

func (d *dispatcher) noteLateness(late time.Duration, retry bool) {
	d.mu.Lock()
	d.maxLate = max(d.maxLate, late)
	if retry {
		d.maxRetryLate = max(d.maxRetryLate, late)
	}
	d.mu.Unlock()
}

// dispatchStats is a snapshot of the dispatcher.
type dispatchStats struct {
	running, queued, maxQueue int
	maxLate, maxRetryLate     time.Duration // worst wall-clock lateness (start minus due time)
}

func (d *dispatcher) stats() dispatchStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return dispatchStats{running: d.running, queued: d.queued, maxQueue: d.maxQueue, maxLate: d.maxLate, maxRetryLate: d.maxRetryLate}
}
