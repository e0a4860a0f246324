package clock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestVirtual_NowMovesOnlyWhenTold(t *testing.T) {
	v := NewVirtual(epoch)
	if got := v.Now(); !got.Equal(epoch) {
		t.Fatalf("Now = %v", got)
	}
	v.Advance(90 * time.Minute)
	if got, want := v.Now(), epoch.Add(90*time.Minute); !got.Equal(want) {
		t.Fatalf("Now = %v, want %v", got, want)
	}
	if got := v.Since(epoch); got != 90*time.Minute {
		t.Fatalf("Since = %v", got)
	}
	v.Advance(0)
	if got := v.Since(epoch); got != 90*time.Minute {
		t.Fatalf("Advance(0) moved time: %v", got)
	}
}

func TestVirtual_KeepsStartLocationAndDropsMonotonic(t *testing.T) {
	start := time.Date(2026, 5, 1, 8, 0, 0, 0, Beijing())
	v := NewVirtual(start)
	if v.Now().Location() != Beijing() {
		t.Fatalf("location %v", v.Now().Location())
	}
	if s := NewVirtual(time.Now()).Now().String(); len(s) > 0 && contains(s, "m=") {
		t.Fatalf("monotonic reading kept: %s", s)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestVirtual_FiresInDueOrderThenCreationOrder(t *testing.T) {
	v := NewVirtual(epoch)
	var got []string
	rec := func(name string) func() {
		return func() { got = append(got, fmt.Sprintf("%s@%v", name, v.Since(epoch))) }
	}
	v.AfterFunc(3*time.Second, rec("c"))
	v.AfterFunc(1*time.Second, rec("a1"))
	v.AfterFunc(2*time.Second, rec("b"))
	v.AfterFunc(1*time.Second, rec("a2"))
	v.AfterFunc(5*time.Second, rec("late"))
	v.AfterFunc(-time.Second, rec("past")) // negative: due now
	v.Advance(3 * time.Second)
	want := []string{"past@0s", "a1@1s", "a2@1s", "b@2s", "c@3s"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("fired %v, want %v", got, want)
	}
	if v.Pending() != 1 {
		t.Fatalf("Pending = %d, want 1", v.Pending())
	}
	if d, ok := v.NextDue(); !ok || !d.Equal(epoch.Add(5*time.Second)) {
		t.Fatalf("NextDue = %v, %v", d, ok)
	}
}

func TestVirtual_BoundaryIsInclusive(t *testing.T) {
	v := NewVirtual(epoch)
	fired := 0
	v.AfterFunc(time.Hour, func() { fired++ })
	v.Advance(time.Hour - 1)
	if fired != 0 {
		t.Fatal("fired before due")
	}
	v.Advance(1)
	if fired != 1 {
		t.Fatal("did not fire exactly at due time")
	}
}

func TestVirtual_CallbackMaySchedule(t *testing.T) {
	v := NewVirtual(epoch)
	var at []time.Duration
	var tick func()
	tick = func() {
		at = append(at, v.Since(epoch))
		v.AfterFunc(10*time.Second, tick) // chains within the same Advance
	}
	v.AfterFunc(10*time.Second, tick)
	v.Advance(35 * time.Second)
	if fmt.Sprint(at) != "[10s 20s 30s]" {
		t.Fatalf("fired at %v", at)
	}
	if d, ok := v.NextDue(); !ok || !d.Equal(epoch.Add(40*time.Second)) || v.Pending() != 1 {
		t.Fatalf("NextDue %v %v Pending %d", d, ok, v.Pending())
	}
	if got := v.Since(epoch); got != 35*time.Second {
		t.Fatalf("Now after Advance = %v", got)
	}
}

func TestVirtual_CallbackMayAdvance(t *testing.T) {
	v := NewVirtual(epoch)
	var got []string
	rec := func(name string) func() {
		return func() { got = append(got, fmt.Sprintf("%s@%v", name, v.Since(epoch))) }
	}
	v.AfterFunc(time.Second, func() {
		rec("outer")()
		v.Advance(5 * time.Second) // nested: fires what is due up to 6s
		rec("back")()
	})
	v.AfterFunc(3*time.Second, rec("three"))
	v.AfterFunc(8*time.Second, rec("eight"))
	v.Advance(10 * time.Second)
	want := "[outer@1s three@3s back@6s eight@8s]"
	if fmt.Sprint(got) != want || v.Since(epoch) != 10*time.Second {
		t.Fatalf("fired %v, want %s; now %v", got, want, v.Since(epoch))
	}
}

func TestVirtual_CallbackMayStopAnotherTimer(t *testing.T) {
	v := NewVirtual(epoch)
	fired := false
	victim := v.AfterFunc(2*time.Second, func() { fired = true })
	var stopped bool
	v.AfterFunc(time.Second, func() { stopped = victim.Stop() })
	v.Advance(time.Minute)
	if !stopped || fired {
		t.Fatalf("Stop from callback: stopped=%v fired=%v", stopped, fired)
	}
}

func TestVirtual_ChannelTimer(t *testing.T) {
	v := NewVirtual(epoch)
	tm := v.NewTimer(time.Second)
	select {
	case <-tm.C():
		t.Fatal("received before Advance")
	default:
	}
	v.Advance(5 * time.Second)
	select {
	case got := <-tm.C():
		if !got.Equal(epoch.Add(time.Second)) {
			t.Fatalf("received %v, want the due time", got)
		}
	default:
		t.Fatal("nothing received after Advance")
	}
	if tm.Stop() {
		t.Fatal("Stop after firing returned true")
	}
	ch := v.After(time.Minute)
	v.Advance(time.Minute)
	if got := <-ch; !got.Equal(epoch.Add(5*time.Second + time.Minute)) {
		t.Fatalf("After delivered %v", got)
	}
}

func TestVirtual_ChannelTimerStopAndResetDropStaleValue(t *testing.T) {
	v := NewVirtual(epoch)
	tm := v.NewTimer(time.Second)
	v.Advance(time.Second) // fired, value buffered, not received
	if tm.Reset(time.Second) {
		t.Fatal("Reset of a fired timer returned true")
	}
	select {
	case <-tm.C():
		t.Fatal("stale value received after Reset")
	default:
	}
	v.Advance(time.Second)
	if got := <-tm.C(); !got.Equal(epoch.Add(2 * time.Second)) {
		t.Fatalf("after Reset received %v", got)
	}
	tm.Reset(time.Second)
	v.Advance(time.Second)
	tm.Stop()
	select {
	case <-tm.C():
		t.Fatal("stale value received after Stop")
	default:
	}
}

func TestVirtual_StopAndResetReportPending(t *testing.T) {
	v := NewVirtual(epoch)
	n := 0
	tm := v.AfterFunc(time.Second, func() { n++ })
	if tm.C() != nil {
		t.Fatal("AfterFunc timer has a channel")
	}
	if !tm.Stop() || tm.Stop() {
		t.Fatal("Stop: want true then false")
	}
	v.Advance(time.Hour)
	if n != 0 {
		t.Fatal("stopped timer fired")
	}
	if tm.Reset(time.Second) {
		t.Fatal("Reset of a stopped timer returned true")
	}
	if !tm.Reset(2 * time.Second) {
		t.Fatal("Reset of a pending timer returned false")
	}
	if v.Pending() != 1 {
		t.Fatalf("Pending = %d after double Reset", v.Pending())
	}
	v.Advance(time.Second)
	if n != 0 {
		t.Fatal("fired at the earlier Reset time")
	}
	v.Advance(time.Second)
	if n != 1 {
		t.Fatalf("fired %d times", n)
	}
}

func TestVirtual_ResetMovesTimerBehindEqualDueTimers(t *testing.T) {
	v := NewVirtual(epoch)
	var got []string
	a := v.AfterFunc(time.Second, func() { got = append(got, "a") })
	v.AfterFunc(time.Second, func() { got = append(got, "b") })
	a.Reset(time.Second) // rescheduled later than b, same due time
	v.Advance(time.Second)
	if fmt.Sprint(got) != "[b a]" {
		t.Fatalf("order %v", got)
	}
}

func TestVirtual_SetRefusesToGoBack(t *testing.T) {
	v := NewVirtual(epoch)
	fired := false
	v.AfterFunc(time.Hour, func() { fired = true })
	if err := v.Set(epoch.Add(2 * time.Hour)); err != nil || !fired {
		t.Fatalf("Set forward: %v fired=%v", err, fired)
	}
	if err := v.Set(epoch.Add(time.Hour)); !errors.Is(err, ErrBackwards) {
		t.Fatalf("Set backwards err = %v", err)
	}
	if got := v.Since(epoch); got != 2*time.Hour {
		t.Fatalf("failed Set changed time to %v", got)
	}
	if err := v.Set(v.Now()); err != nil {
		t.Fatalf("Set(Now()) = %v", err)
	}
}

func TestVirtual_AdvanceNegativePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	NewVirtual(epoch).Advance(-1)
}

func TestVirtual_HugeDurationsSaturate(t *testing.T) {
	v := NewVirtual(epoch)
	v.AfterFunc(time.Duration(1<<63-1), func() {})
	v.Advance(time.Hour)
	v.AfterFunc(time.Duration(1<<63-1), func() {}) // now+d would wrap
	if v.Pending() != 2 {
		t.Fatalf("Pending = %d", v.Pending())
	}
	if d, ok := v.NextDue(); !ok || d.Before(epoch) {
		t.Fatalf("NextDue wrapped: %v", d)
	}
}

func TestVirtual_HeapStaysOrderedUnderChurn(t *testing.T) {
	v := NewVirtual(epoch)
	const n = 2000
	timers := make([]Timer, n)
	var fired []int
	var at []time.Duration
	for i := range n {
		d := time.Duration((i*7919)%n) * time.Millisecond
		timers[i] = v.AfterFunc(d, func() {
			fired = append(fired, i)
			at = append(at, v.Since(epoch))
		})
	}
	for i := 0; i < n; i += 3 {
		timers[i].Stop()
	}
	for i := 1; i < n; i += 5 {
		timers[i].Reset(time.Duration((i*31)%n) * time.Millisecond)
	}
	v.Advance(time.Hour)
	for k, i := range fired {
		if i%3 == 0 && i%5 != 1 {
			t.Fatalf("stopped timer %d fired", i)
		}
		if k > 0 && at[k] < at[k-1] {
			t.Fatalf("timer %d fired at %v after one at %v", i, at[k], at[k-1])
		}
	}
	if v.Pending() != 0 {
		t.Fatalf("Pending = %d", v.Pending())
	}
	want := 0
	for i := range n {
		if i%3 != 0 || i%5 == 1 {
			want++
		}
	}
	if len(fired) != want {
		t.Fatalf("fired %d, want %d", len(fired), want)
	}
}

// TestVirtual_ConcurrentUse runs goroutines that add, stop and reset timers
// (and read the time) while another goroutine advances; run with -race.
func TestVirtual_ConcurrentUse(t *testing.T) {
	v := NewVirtual(epoch)
	var mu sync.Mutex
	fired, want := 0, 0
	var wg sync.WaitGroup
	done := make(chan struct{})
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			expect := 0
			defer func() {
				mu.Lock()
				want += expect
				mu.Unlock()
			}()
			for i := range 500 {
				tm := v.AfterFunc(time.Duration(i%50)*time.Millisecond, func() {
					mu.Lock()
					fired++
					mu.Unlock()
					_ = v.Now()
				})
				// A timer fires once per schedule that Stop did not cancel.
				switch i % 4 {
				case 0:
					if !tm.Stop() {
						expect++ // fired before Stop
					}
				case 1:
					if !tm.Reset(time.Millisecond) {
						expect++ // fired before Reset, then again after
					}
					expect++
				case 2:
					expect++
					c := v.NewTimer(time.Duration(g) * time.Millisecond)
					c.Stop()
				default:
					expect++
					c := v.NewTimer(time.Duration(g) * time.Millisecond)
					c.Stop()
				}
				_ = v.Pending()
				_, _ = v.NextDue()
			}
		}()
	}
	go func() {
		defer close(done)
		for range 2000 {
			v.Advance(time.Millisecond)
		}
	}()
	wg.Wait()
	<-done
	v.Advance(time.Hour) // fire whatever the race left pending
	if v.Pending() != 0 {
		t.Fatalf("Pending = %d after final Advance", v.Pending())
	}
	mu.Lock()
	defer mu.Unlock()
	if fired != want || want < 4*500/2 {
		t.Fatalf("fired %d, want %d (once per schedule not stopped)", fired, want)
	}
}

func TestVirtual_AdvanceToNextStepsThroughSchedule(t *testing.T) {
	v := NewVirtual(epoch)
	if _, ok := v.AdvanceToNext(); ok {
		t.Fatal("AdvanceToNext with nothing pending reported true")
	}
	var got []time.Duration
	// A callback retry schedule like a channel's: 15s, 15s, 30s, 3m.
	for _, d := range []time.Duration{15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute} {
		v.AfterFunc(d, func() { got = append(got, v.Since(epoch)) })
	}
	var steps []time.Duration
	for {
		now, ok := v.AdvanceToNext()
		if !ok {
			break
		}
		steps = append(steps, now.Sub(epoch))
	}
	if fmt.Sprint(steps) != "[15s 30s 3m0s]" || fmt.Sprint(got) != "[15s 15s 30s 3m0s]" {
		t.Fatalf("steps %v fired %v", steps, got)
	}
}

func TestVirtual_WaitForPendingSeesTimerArmedInAnotherGoroutine(t *testing.T) {
	v := NewVirtual(epoch)
	result := make(chan time.Time)
	go func() {
		result <- <-v.After(time.Minute) // code under test waiting on the clock
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.WaitForPending(ctx, 1); err != nil {
		t.Fatal(err)
	}
	v.Advance(time.Minute)
	if got := <-result; !got.Equal(epoch.Add(time.Minute)) {
		t.Fatalf("goroutine received %v", got)
	}

	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if err := v.WaitForPending(cctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitForPending with a cancelled context = %v", err)
	}
	if err := v.WaitForPending(cctx, 0); err != nil {
		t.Fatalf("WaitForPending(0) = %v", err)
	}
}
