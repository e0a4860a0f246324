package simulator

import (
	"math"
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

// retryQueue holds the callback retries waiting for their due time, behind a single clock
// timer armed for the earliest one.
//
// Retry gaps come from a handful of fixed schedules, and for one gap value the due times
// (now + gap) are non-decreasing in scheduling order. So a FIFO per distinct gap is already
// sorted, and the earliest retry is the smallest of a few queue heads: scheduling and firing
// are O(number of distinct gaps), with no per-retry heap entry on the clock. The clock's own
// heap then stays small even with 100k retries pending, which keeps Advance fast. Retries
// due at the same instant fire in scheduling order, so transcripts stay deterministic.
//
// All fields are guarded by notifier.mu.
type retryQueue struct {
	byGap  map[time.Duration]*retryFIFO
	queues []*retryFIFO // the same queues, in order of first use (deterministic scans)
	seq    uint64
	timer  clock.Timer
	armed  int64 // due time (ns since notifier.epoch, see notifier.rel) the timer is armed for; MaxInt64 = none
}

// retryFIFO is a ring buffer of retries (len(items) a power of two, or 0): it grows by
// doubling only when full and never allocates while its size is steady.
type retryFIFO struct {
	items []retryItem
	head  int // index of the oldest item
	n     int // items queued
}

func (f *retryFIFO) push(it retryItem) {
	if f.n == len(f.items) {
		grown := make([]retryItem, max(64, 2*len(f.items)))
		for i := 0; i < f.n; i++ {
			grown[i] = f.items[(f.head+i)&(len(f.items)-1)]
		}
		f.items, f.head = grown, 0
	}
	f.items[(f.head+f.n)&(len(f.items)-1)] = it
	f.n++
}

// front returns the oldest item; the FIFO must not be empty.
func (f *retryFIFO) front() *retryItem { return &f.items[f.head] }

func (f *retryFIFO) pop() retryItem {
	it := f.items[f.head]
	f.items[f.head] = retryItem{} // drop the delivery pointer
	f.head = (f.head + 1) & (len(f.items) - 1)
	f.n--
	return it
}

type retryItem struct {
	due int64 // ns since notifier.epoch (see notifier.rel)
	seq uint64
	d   *delivery
}

func (q *retryQueue) init() {
	if q.timer != nil {
		q.timer.Stop()
	}
	*q = retryQueue{byGap: make(map[time.Duration]*retryFIFO), armed: math.MaxInt64}
}

// push queues d's next attempt after gap; n.mu must be held.
func (n *notifier) pushRetry(d *delivery, gap time.Duration, clk clock.Clock) {
	q := &n.retries
	now := n.rel(clk.Now())
	f := q.byGap[gap]
	if f == nil {
		f = &retryFIFO{}
		q.byGap[gap] = f
		q.queues = append(q.queues, f)
	}
	q.seq++
	due := addSat(now, gap)
	f.push(retryItem{due: due, seq: q.seq, d: d})
	if due < q.armed || q.armed == math.MaxInt64 { // MaxInt64: none armed (or a saturated due time)
		n.armRetries(due, now, clk)
	}
}

// armRetries points the timer at due; n.mu must be held.
func (n *notifier) armRetries(due, now int64, clk clock.Clock) {
	q := &n.retries
	q.armed = due
	after := time.Duration(due - now)
	if q.timer == nil {
		q.timer = clk.AfterFunc(after, n.fireRetries)
		return
	}
	q.timer.Reset(after)
}

// rel returns t as nanoseconds since n.epoch. Not UnixNano, which is undefined past
// 2262: a clock near its limit made every retry look due forever and spun a core. Sub
// saturates, and the simulator's clock range keeps it far from saturation anyway.
func (n *notifier) rel(t time.Time) int64 { return int64(t.Sub(n.epoch)) }

// addSat returns now+d, saturating instead of wrapping.
func addSat(now int64, d time.Duration) int64 {
	if d > 0 && now > math.MaxInt64-int64(d) {
		return math.MaxInt64
	}
	return now + int64(d)
}

// popDue removes and returns the earliest retry due at or before now; n.mu must be held.
func (q *retryQueue) popDue(now int64) (retryItem, bool) {
	var best *retryFIFO
	for _, f := range q.queues {
		if f.n == 0 {
			continue
		}
		it := f.front()
		if it.due > now {
			continue
		}
		if best == nil {
			best = f
			continue
		}
		b := best.front()
		if it.due < b.due || (it.due == b.due && it.seq < b.seq) {
			best = f
		}
	}
	if best == nil {
		return retryItem{}, false
	}
	return best.pop(), true
}

// earliest returns the smallest due time queued; false when none is.
func (q *retryQueue) earliest() (int64, bool) {
	min, found := int64(math.MaxInt64), false
	for _, f := range q.queues {
		if f.n > 0 && f.front().due <= min {
			min, found = f.front().due, true
		}
	}
	return min, found
}

// fireRetries runs every retry that is due, in due order (ties in scheduling order), then
// re-arms the timer for the next one. Retries scheduled meanwhile join the queues.
func (n *notifier) fireRetries() {
	for {
		n.mu.Lock()
		clk := n.clk
		now := n.rel(clk.Now())
		it, ok := n.retries.popDue(now)
		if !ok {
			n.retries.armed = math.MaxInt64
			if next, ok := n.retries.earliest(); ok {
				n.armRetries(next, now, clk)
			}
			n.mu.Unlock()
			return
		}
		n.mu.Unlock()
		it.d.retry()
	}
}
