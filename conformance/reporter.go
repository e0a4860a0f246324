package conformance

import (
	"context"
	"fmt"
	"testing"
)

// T is the part of *testing.T the suite uses, so the suite can also be run against a
// recorder (to test that it fails when it should).
type T interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Logf(format string, args ...any)
	Run(name string, f func(T)) bool
	Context() context.Context
	Cleanup(f func())
}

type testingT struct{ *testing.T }

func (t testingT) Run(name string, f func(T)) bool {
	return t.T.Run(name, func(tt *testing.T) { f(testingT{tt}) })
}

// Recorder is a T that records failures instead of failing a test; Fatalf and Skipf end
// the current subtest only. It runs subtests sequentially.
type Recorder struct {
	ctx      context.Context
	name     string
	Failures []string // "Sub/Test: message"
	Skips    []string
	cleanups []func()
}

// NewRecorder returns a Recorder whose Context is ctx.
func NewRecorder(ctx context.Context) *Recorder { return &Recorder{ctx: ctx} }

type stop struct{}

// Helper does nothing.
func (r *Recorder) Helper() {}

// Errorf records a failure.
func (r *Recorder) Errorf(format string, args ...any) {
	r.Failures = append(r.Failures, r.name+": "+fmt.Sprintf(format, args...))
}

// Fatalf records a failure and ends the current subtest.
func (r *Recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); panic(stop{}) }

// Skipf records a skip and ends the current subtest.
func (r *Recorder) Skipf(format string, args ...any) {
	r.Skips = append(r.Skips, r.name+": "+fmt.Sprintf(format, args...))
	panic(stop{})
}

// Logf discards the message.
func (r *Recorder) Logf(string, ...any) {}

// Context returns the recorder's context.
func (r *Recorder) Context() context.Context { return r.ctx }

// Cleanup runs f when the current subtest (or the top-level Run) ends.
func (r *Recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

// Run runs f as a named subtest and reports whether it recorded no failure.
func (r *Recorder) Run(name string, f func(T)) (ok bool) {
	before := len(r.Failures)
	sub := &Recorder{ctx: r.ctx, name: name}
	if r.name != "" {
		sub.name = r.name + "/" + name
	}
	func() {
		defer func() {
			for i := len(sub.cleanups) - 1; i >= 0; i-- {
				sub.cleanups[i]()
			}
			if v := recover(); v != nil {
				if _, isStop := v.(stop); !isStop {
					panic(v)
				}
			}
		}()
		f(sub)
	}()
	r.Failures = append(r.Failures, sub.Failures...)
	r.Skips = append(r.Skips, sub.Skips...)
	return len(r.Failures) == before
}
