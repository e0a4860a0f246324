package simulator

import (
	"context"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

// A virtual clock driven to its own clamp (base + MaxInt64 ns, past 2262, where UnixNano
// overflows) behind the simulator's back must not make the retry queue spin: the retries
// of a failing merchant run out and Notify's caller gets control back.
func TestRetryQueue_ClockAtItsClampDoesNotSpin(t *testing.T) {
	v := clock.NewVirtual(DefaultStart)
	s, err := New(Config{Clock: v, CallbackTransport: rtFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 500, Body: http.NoBody}, nil
	})})
	if err != nil {
		t.Fatal(err)
	}
	e := &Engine{s: s, name: "x"}
	v.Advance(time.Duration(math.MaxInt64))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = e.Notify(Callback{URL: "http://m.test/n", Schedule: []time.Duration{15 * time.Second, time.Minute},
			Build: func(Attempt) (Message, error) { return Message{Body: []byte("x")}, nil },
			Acked: func(int, []byte) bool { return false }})
		v.Advance(time.Hour)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a watchdog, not a wait
	defer cancel()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("the retry queue spins at the clock's clamp")
	}
	n := 0
	for _, r := range s.Records(RecordFilter{Kind: RecordCallback}) {
		if r.Attempt > 0 && !strings.Contains(r.Note, "giving up") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d attempts, want 3 (the schedule's)", n)
	}
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
