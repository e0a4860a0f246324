package clock

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// ErrBackwards is returned by Virtual.Set when asked to move time backwards.
var ErrBackwards = errors.New("clock: virtual time cannot move backwards")

// Virtual is a Clock whose time moves only through Advance and Set, firing
// timers deterministically: by due time, ties in scheduling order (creation or
// latest Reset). It is safe for concurrent use. Timers live in a min-heap, so
// scheduling, stopping and firing are O(log n) in the number pending.
//
// AfterFunc callbacks run synchronously in the goroutine that called Advance,
// without the clock's lock held, so a callback may call Now, AfterFunc, Stop,
// Reset or even Advance. Channel timers receive a non-blocking send into a
// buffer of one, like *time.Timer. Advance is meant to be driven from one
// goroutine; concurrent Advance calls are safe (time never moves backwards)
// but their relative firing order is unspecified.
type Virtual struct {
	mu    sync.Mutex
	base  time.Time // NewVirtual's start; all times are base + offset
	now   int64     // nanoseconds since base
	seq   uint64    // scheduling counter, breaks ties between equal due times
	timer timerHeap
	// scheduled is closed (and cleared) on the next scheduling; created only
	// while a WaitForPending caller needs it, so scheduling stays cheap.
	scheduled chan struct{}
}

// NewVirtual returns a virtual clock reading start (in start's location, with
// any monotonic clock reading stripped) and no pending timers.
func NewVirtual(start time.Time) *Virtual {
	return &Virtual{base: start.Round(0)}
}

// Now returns the virtual time. While a timer fires, Now equals its due time.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	n := v.now
	v.mu.Unlock()
	return v.base.Add(time.Duration(n))
}

// Since returns Now().Sub(t).
func (v *Virtual) Since(t time.Time) time.Duration { return v.Now().Sub(t) }

// After returns NewTimer(d).C().
func (v *Virtual) After(d time.Duration) <-chan time.Time { return v.NewTimer(d).C() }

// NewTimer returns a timer that sends the virtual due time on C() once time
// reaches Now()+d (d <= 0 fires on the next Advance, even Advance(0)).
func (v *Virtual) NewTimer(d time.Duration) Timer {
	t := &vtimer{v: v, ch: make(chan time.Time, 1), idx: -1}
	v.mu.Lock()
	v.schedule(t, d)
	v.mu.Unlock()
	return t
}

// AfterFunc returns a timer that calls f in Advance's goroutine once time
// reaches Now()+d. Its C() is nil.
func (v *Virtual) AfterFunc(d time.Duration, f func()) Timer {
	if f == nil {
		panic("clock: AfterFunc with nil func")
	}
	t := &vtimer{v: v, f: f, idx: -1}
	v.mu.Lock()
	v.schedule(t, d)
	v.mu.Unlock()
	return t
}

// Advance moves time forward by d, firing every timer due in (now, now+d] —
// and any already due — in due-time order, ties in scheduling order. A timer a
// callback schedules within the window fires in the same Advance. When
// Advance returns, Now() is the old time plus d (or later, if another
// goroutine advanced concurrently). A negative d panics: it is a bug in the
// caller, and Set reports it as an error instead.
func (v *Virtual) Advance(d time.Duration) {
	if d < 0 {
		panic(fmt.Sprintf("clock: Advance(%v): negative duration", d))
	}
	v.mu.Lock()
	target := addSat(v.now, d)
	v.mu.Unlock()
	v.runUntil(target)
}

// Set moves time to t, firing timers as Advance does. It returns ErrBackwards
// (and changes nothing) if t is before Now().
func (v *Virtual) Set(t time.Time) error {
	v.mu.Lock()
	target := int64(t.Sub(v.base)) // Sub saturates at the Duration bounds
	if target < v.now {
		now := v.base.Add(time.Duration(v.now))
		v.mu.Unlock()
		return fmt.Errorf("clock: Set(%v) with now %v: %w", t, now, ErrBackwards)
	}
	v.mu.Unlock()
	v.runUntil(target)
	return nil
}

// runUntil fires due timers one at a time, releasing the lock around each
// callback, then moves now to target.
func (v *Virtual) runUntil(target int64) {
	for {
		v.mu.Lock()
		if len(v.timer) == 0 || v.timer[0].due > target {
			if target > v.now {
				v.now = target
			}
			v.mu.Unlock()
			return
		}
		t := v.timer.pop()
		if t.due > v.now {
			v.now = t.due
		}
		if t.f == nil {
			// Sent under the lock so that Stop/Reset can drain it atomically.
			select {
			case t.ch <- v.base.Add(time.Duration(t.due)):
			default:
			}
			v.mu.Unlock()
			continue
		}
		f := t.f
		v.mu.Unlock()
		f()
	}
}

// Pending returns the number of timers scheduled and not yet fired or stopped.
func (v *Virtual) Pending() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.timer)
}

// NextDue returns the due time of the earliest pending timer, and false if
// none is pending.
func (v *Virtual) NextDue() (time.Time, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.timer) == 0 {
		return time.Time{}, false
	}
	return v.base.Add(time.Duration(v.timer[0].due)), true
}

// schedule pushes t due d from now; v.mu must be held.
func (v *Virtual) schedule(t *vtimer, d time.Duration) {
	t.due = addSat(v.now, d)
	if d < 0 {
		t.due = v.now
	}
	v.seq++
	t.seq = v.seq
	v.timer.push(t)
	if v.scheduled != nil {
		close(v.scheduled)
		v.scheduled = nil
	}
}

// WaitForPending blocks until at least n timers are pending or ctx is done
// (returning ctx.Err()). A test uses it to know that code running in another
// goroutine has armed its timer (e.g. is waiting in After) before calling
// Advance — the replacement for a time.Sleep.
func (v *Virtual) WaitForPending(ctx context.Context, n int) error {
	for {
		v.mu.Lock()
		if len(v.timer) >= n {
			v.mu.Unlock()
			return nil
		}
		if v.scheduled == nil {
			v.scheduled = make(chan struct{})
		}
		ch := v.scheduled
		v.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("clock: waiting for %d pending timers: %w", n, ctx.Err())
		}
	}
}

// AdvanceToNext moves time to the earliest pending timer's due time and fires
// every timer due at that instant (and any a callback schedules for it). It
// returns the new time, or false and changes nothing if no timer is pending.
// Useful to step through a retry schedule one firing at a time.
func (v *Virtual) AdvanceToNext() (time.Time, bool) {
	v.mu.Lock()
	if len(v.timer) == 0 {
		v.mu.Unlock()
		return time.Time{}, false
	}
	target := v.timer[0].due
	if target < v.now {
		target = v.now
	}
	v.mu.Unlock()
	v.runUntil(target)
	return v.base.Add(time.Duration(target)), true
}

// vtimer is a Virtual timer; every field is guarded by v.mu.
type vtimer struct {
	v   *Virtual
	due int64  // nanoseconds since v.base
	seq uint64 // scheduling order
	idx int    // index in v.timer, -1 when not pending
	f   func() // nil for channel timers
	ch  chan time.Time
}

func (t *vtimer) C() <-chan time.Time {
	return t.ch
}

func (t *vtimer) Stop() bool {
	t.v.mu.Lock()
	defer t.v.mu.Unlock()
	t.drain()
	if t.idx < 0 {
		return false
	}
	t.v.timer.remove(t.idx)
	return true
}

func (t *vtimer) Reset(d time.Duration) bool {
	t.v.mu.Lock()
	defer t.v.mu.Unlock()
	t.drain()
	was := t.idx >= 0
	if was {
		t.v.timer.remove(t.idx)
	}
	t.v.schedule(t, d)
	return was
}

// drain discards an unreceived value, giving Go 1.23 *time.Timer semantics.
func (t *vtimer) drain() {
	if t.ch == nil {
		return
	}
	select {
	case <-t.ch:
	default:
	}
}

// addSat returns now+d, saturating instead of wrapping.
func addSat(now int64, d time.Duration) int64 {
	if d > 0 && now > math.MaxInt64-int64(d) {
		return math.MaxInt64
	}
	if d < 0 && now < math.MinInt64-int64(d) {
		return math.MinInt64
	}
	return now + int64(d)
}
