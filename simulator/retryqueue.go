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
	armed  int64 // due time (clock-relative ns, see retryQueue.now) the timer is armed for; MaxInt64 = none
}

type retryFIFO struct {
	items []retryItem
	head  int
}

type retryItem struct {
	due int64 // ns since the Unix epoch
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
	now := clk.Now().UnixNano()
	f := q.byGap[gap]
	if f == nil {
		f = &retryFIFO{}
		q.byGap[gap] = f
		q.queues = append(q.queues, f)
	}
	q.seq++
	due := now + int64(gap)
	f.items = append(f.items, retryItem{due: due, seq: q.seq, d: d})
	if due < q.armed {
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

// popDue removes and returns the earliest retry due at or before now; n.mu must be held.
func (q *retryQueue) popDue(now int64) (retryItem, bool) {
	var best *retryFIFO
	for _, f := range q.queues {
		if f.head == len(f.items) {
			continue
		}
		it := &f.items[f.head]
		if it.due > now {
			continue
		}
		if best == nil {
			best = f
			continue
		}
		b := &best.items[best.head]
		if it.due < b.due || (it.due == b.due && it.seq < b.seq) {
			best = f
		}
	}
	if best == nil {
		return retryItem{}, false
	}
	it := best.items[best.head]
	best.items[best.head] = retryItem{}
	best.head++
	if best.head == len(best.items) {
		best.items, best.head = best.items[:0], 0
	} else if best.head > 1024 && best.head > len(best.items)/2 {
		best.items = append(best.items[:0], best.items[best.head:]...)
		best.head = 0
	}
	return it, true
}

// earliest returns the smallest due time queued, or MaxInt64.
func (q *retryQueue) earliest() int64 {
	min := int64(math.MaxInt64)
	for _, f := range q.queues {
		if f.head < len(f.items) && f.items[f.head].due < min {
			min = f.items[f.head].due
		}
	}
	return min
}

// fireRetries runs every retry that is due, in due order (ties in scheduling order), then
// re-arms the timer for the next one. Retries scheduled meanwhile join the queues.
func (n *notifier) fireRetries() {
	for {
		n.mu.Lock()
		clk := n.clk
		now := clk.Now().UnixNano()
		it, ok := n.retries.popDue(now)
		if !ok {
			n.retries.armed = math.MaxInt64
			if next := n.retries.earliest(); next != math.MaxInt64 {
				n.armRetries(next, now, clk)
			}
			n.mu.Unlock()
			return
		}
		n.mu.Unlock()
		it.d.retry()
	}
}
