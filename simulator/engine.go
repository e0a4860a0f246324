package simulator

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

// Engine is a protocol's handle on the simulator, given to Protocol.Register. Everything a
// protocol does to the outside world goes through it: routes, the clock, randomness,
// callbacks, statements and records, each labelled with the protocol's channel name. Safe
// for concurrent use.
type Engine struct {
	s     *Server
	name  string
	proto Protocol

	// ops are the op names of the routes registered with one; dynamicOps is set when a
	// route leaves Op to Call.Identify (then only an Operations protocol names them all).
	ops        map[string]bool
	dynamicOps bool
}

// Channel returns the protocol's channel name.
func (e *Engine) Channel() string { return e.name }

// Clock returns the simulator's clock (virtual or wall). Protocols read time only from it.
func (e *Engine) Clock() clock.Clock { return e.s.clk }

// Now returns the simulator clock's time.
func (e *Engine) Now() time.Time { return e.s.clk.Now() }

// Rand returns the seeded random source (reseeded on Reset).
func (e *Engine) Rand() *Rand { return e.s.rand }

// Logger returns the simulator's logger, with the channel attached.
func (e *Engine) Logger() *slog.Logger { return e.s.log.With("channel", e.name) }

// Record adds r to the transcript with the channel filled in (Seq and Time are set by the
// engine; a zero Kind becomes RecordEvent).
func (e *Engine) Record(r Record) {
	r.Channel = e.name
	if r.Kind == "" {
		r.Kind = RecordEvent
	}
	e.s.record(r)
}

// Handle serves h at route r. It fails if another handler (of any protocol) already has
// the same method, host and path.
func (e *Engine) Handle(r Route, h Handler) error {
	if h == nil {
		return fmt.Errorf("simulator: %s: Handle %s: nil handler", e.name, r.Path)
	}
	if !strings.HasPrefix(r.Path, "/") {
		return fmt.Errorf("simulator: %s: route path %q must start with /", e.name, r.Path)
	}
	if strings.HasPrefix(r.Path, controlPrefix) {
		return fmt.Errorf("simulator: %s: route path %q is reserved for the control API", e.name, r.Path)
	}
	if r.Method == "" {
		r.Method = "POST"
	}
	if err := e.s.routes.add(&route{Route: r, h: h, e: e}); err != nil {
		return err
	}
	if r.Op == "" {
		e.dynamicOps = true
	} else {
		if e.ops == nil {
			e.ops = make(map[string]bool)
		}
		e.ops[r.Op] = true
	}
	return nil
}

// callOps returns the call op names the protocol is known to identify calls by, and
// whether the list is complete (every route has its Op, or the protocol lists them).
func (e *Engine) callOps() (map[string]bool, bool) {
	ops := make(map[string]bool, len(e.ops))
	for k := range e.ops {
		ops[k] = true
	}
	o, ok := e.proto.(Operations)
	if ok {
		for _, k := range o.CallOps() {
			ops[k] = true
		}
	}
	return ops, ok || !e.dynamicOps
}

// callbackKinds returns the protocol's callback kinds, if it lists them.
func (e *Engine) callbackKinds() (map[string]bool, bool) {
	o, ok := e.proto.(Operations)
	if !ok {
		return nil, false
	}
	kinds := make(map[string]bool)
	for _, k := range o.CallbackKinds() {
		kinds[k] = true
	}
	return kinds, true
}

// AccountingDay returns the accounting day of t under the protocol's StatementSpec cutoff
// (natural Beijing day when the protocol has no StatementSource).
func (e *Engine) AccountingDay(t time.Time) clock.Date {
	if ss, ok := e.proto.(StatementSource); ok {
		return clock.AccountingDay(t, ss.StatementSpec().Cutoff)
	}
	return clock.AccountingDay(t, clock.NaturalDay)
}

// AfterFunc runs f once the simulator clock has moved d past now (in virtual mode: during
// the Advance that passes it, in due order with callbacks), unless Server.Reset happens
// first: timers from before a Reset never run. Use it for channel-side work that completes
// later (a refund finishing, a payout settling, an order expiring).
func (e *Engine) AfterFunc(d time.Duration, f func()) clock.Timer {
	s := e.s
	s.notify.mu.Lock()
	gen := s.notify.gen
	s.notify.mu.Unlock()
	return s.clk.AfterFunc(d, func() {
		s.notify.mu.Lock()
		live := gen == s.notify.gen
		s.notify.mu.Unlock()
		if live {
			f()
		}
	})
}
