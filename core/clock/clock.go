// Package clock gives every time-reading component one interface, Clock, with a
// wall-clock implementation (Real) and a deterministic virtual one (Virtual)
// that moves only when told; plus Beijing time, civil dates and channel
// accounting days.
package clock

import "time"

// Clock is the source of time for everything in tongdao. Implementations are
// safe for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Since returns Now().Sub(t).
	Since(t time.Time) time.Duration
	// After returns a channel that receives the time once d has elapsed.
	After(d time.Duration) <-chan time.Time
	// NewTimer returns a timer that sends the time on its C() after d.
	NewTimer(d time.Duration) Timer
	// AfterFunc returns a timer that calls f once after d; its C() is nil.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a single-shot timer with the semantics of *time.Timer (Go 1.23+):
// after Stop or Reset returns, no stale value is received from C().
type Timer interface {
	// C returns the channel the time is sent on; nil for AfterFunc timers.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether the timer was
	// pending (false if it had already fired or been stopped).
	Stop() bool
	// Reset reschedules the timer to fire d from now; it reports whether the
	// timer was pending before.
	Reset(d time.Duration) bool
}

// Real returns the wall clock (package time). It holds no state; every call
// returns an equivalent value.
func Real() Clock { return realClock{} }

// The implementations satisfy the interfaces.
var (
	_ Clock = realClock{}
	_ Clock = (*Virtual)(nil)
	_ Timer = realTimer{}
	_ Timer = (*vtimer)(nil)
)

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) Since(t time.Time) time.Duration        { return time.Since(t) }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func (realClock) NewTimer(d time.Duration) Timer {
	t := time.NewTimer(d)
	return realTimer{t: t, c: t.C}
}

func (realClock) AfterFunc(d time.Duration, f func()) Timer {
	return realTimer{t: time.AfterFunc(d, f)}
}

type realTimer struct {
	t *time.Timer
	c <-chan time.Time // nil for AfterFunc timers
}

func (r realTimer) C() <-chan time.Time        { return r.c }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }
