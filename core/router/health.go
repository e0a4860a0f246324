package router

import (
	"sync"
	"time"

	"github.com/tongdao/tongdao/core/channel"
)

// Health configures the sliding window and circuit breaker of every account.
type Health struct {
	// Window is the sliding window success rate and latency are measured over (default 1m),
	// in Buckets slots (default 10, at most 60).
	Window  time.Duration
	Buckets int
	// MinRequests is how many calls the window must hold before its failure rate can open
	// the breaker (default 20).
	MinRequests int
	// FailurePercent opens the breaker when the channel's faults reach this share of the
	// window's calls, in whole percent (default 50).
	FailurePercent int
	// ConsecutiveFaults opens the breaker after this many channel faults in a row, whatever
	// the window holds (default 5).
	ConsecutiveFaults int
	// OpenFor is how long an open breaker refuses traffic before it lets probes through
	// (half-open); default 30s.
	OpenFor time.Duration
	// Probes is how many calls a half-open breaker lets through at once, and how many must
	// succeed in a row to close it (default 3).
	Probes int
	// SlowLatency moves an account whose mean latency over the window exceeds it behind
	// the others (it stays a candidate); 0 = off.
	SlowLatency time.Duration
}

func (h *Health) defaults() {
	if h.Window <= 0 {
		h.Window = time.Minute
	}
	if h.Buckets <= 0 {
		h.Buckets = 10
	}
	if h.Buckets > 60 {
		h.Buckets = 60
	}
	if h.MinRequests <= 0 {
		h.MinRequests = 20
	}
	if h.FailurePercent <= 0 || h.FailurePercent > 100 {
		h.FailurePercent = 50
	}
	if h.ConsecutiveFaults <= 0 {
		h.ConsecutiveFaults = 5
	}
	if h.OpenFor <= 0 {
		h.OpenFor = 30 * time.Second
	}
	if h.Probes <= 0 {
		h.Probes = 3
	}
}

// BreakerState is a circuit breaker's state.
type BreakerState int

// Breaker states. The numbers are the values of the tongdao_channel_breaker_state gauge.
const (
	Closed   BreakerState = 0 // traffic flows
	HalfOpen BreakerState = 1 // probes only
	Open     BreakerState = 2 // no traffic until OpenFor has passed
)

// String returns "closed", "half-open" or "open".
func (s BreakerState) String() string {
	switch s {
	case Closed:
		return "closed"
	case HalfOpen:
		return "half-open"
	}
	return "open"
}

// ChannelFault reports whether err counts against the channel's health: an unknown
// outcome (timeouts, resets, 5xx, garbled answers) or unavailability. Declines, invalid
// requests, insufficient funds, rate limits and the like are answers, not faults.
func ChannelFault(err error) bool {
	if err == nil {
		return false
	}
	switch channel.KindOf(err) {
	case channel.KindUnknown, channel.KindUnavailable:
		return true
	}
	return false
}

type bucket struct {
	slot        int64 // unix time / bucket width
	ok, fault   int64
	latencySum  time.Duration
	latencyMax  time.Duration
	latencySeen int64
}

// health is one account's window and breaker. Guarded by acctState.mu.
type health struct {
	buckets     [60]bucket
	consecutive int
	state       BreakerState
	openedAt    time.Time
	inFlight    int // half-open probes sent and not yet answered
	probeOK     int
}

// HealthStats is a snapshot of an account's health over the window.
type HealthStats struct {
	Calls, Faults int64
	MeanLatency   time.Duration
	MaxLatency    time.Duration
	Breaker       BreakerState
}

// SuccessPercent is the share of calls that were not channel faults, in whole percent
// (100 with no calls).
func (s HealthStats) SuccessPercent() int64 {
	if s.Calls == 0 {
		return 100
	}
	return (s.Calls - s.Faults) * 100 / s.Calls
}

func (h *health) record(cfg *Health, at time.Time, latency time.Duration, fault bool) {
	width := int64(cfg.Window) / int64(cfg.Buckets)
	slot := at.UnixNano() / width
	b := &h.buckets[slot%int64(cfg.Buckets)]
	if b.slot != slot {
		*b = bucket{slot: slot}
	}
	if fault {
		b.fault++
		h.consecutive++
	} else {
		b.ok++
		h.consecutive = 0
	}
	b.latencySum += latency
	b.latencySeen++
	if latency > b.latencyMax {
		b.latencyMax = latency
	}
}

func (h *health) stats(cfg *Health, now time.Time) HealthStats {
	width := int64(cfg.Window) / int64(cfg.Buckets)
	cur := now.UnixNano() / width
	var s HealthStats
	var lat time.Duration
	var n int64
	for i := 0; i < cfg.Buckets; i++ {
		b := &h.buckets[i]
		if b.slot <= cur-int64(cfg.Buckets) || b.slot > cur {
			continue
		}
		s.Calls += b.ok + b.fault
		s.Faults += b.fault
		lat += b.latencySum
		n += b.latencySeen
		if b.latencyMax > s.MaxLatency {
			s.MaxLatency = b.latencyMax
		}
	}
	if n > 0 {
		s.MeanLatency = lat / time.Duration(n)
	}
	s.Breaker = h.state
	return s
}

// admit reports whether the breaker lets a call through at now, moving open to half-open
// once OpenFor has passed. It does not take a probe slot (take does).
func (h *health) admit(cfg *Health, now time.Time) (bool, skip) {
	if h.state == Open && !now.Before(h.openedAt.Add(cfg.OpenFor)) {
		h.state, h.inFlight, h.probeOK = HalfOpen, 0, 0
	}
	switch h.state {
	case Open:
		return false, skipBreakerOpen
	case HalfOpen:
		if h.inFlight >= cfg.Probes {
			return false, skipProbesBusy
		}
	}
	return true, skipNone
}

// take admits and, half-open, takes a probe slot.
func (h *health) take(cfg *Health, now time.Time) skip {
	ok, why := h.admit(cfg, now)
	if !ok {
		return why
	}
	if h.state == HalfOpen {
		h.inFlight++
	}
	return skipNone
}

// untake gives back a probe slot taken for a call that was not sent.
func (h *health) untake() {
	if h.state == HalfOpen && h.inFlight > 0 {
		h.inFlight--
	}
}

// settle applies an answered call to the breaker.
func (h *health) settle(cfg *Health, now time.Time, fault bool) {
	switch h.state {
	case HalfOpen:
		if h.inFlight > 0 {
			h.inFlight--
		}
		if fault {
			h.state, h.openedAt = Open, now
			return
		}
		h.probeOK++
		if h.probeOK >= cfg.Probes {
			h.state, h.consecutive = Closed, 0
			h.buckets = [60]bucket{} // a fresh window: the outage's faults must not reopen it
		}
	case Closed:
		if !fault {
			return
		}
		s := h.stats(cfg, now)
		if h.consecutive >= cfg.ConsecutiveFaults || (s.Calls >= int64(cfg.MinRequests) && s.Faults*100 >= int64(cfg.FailurePercent)*s.Calls) {
			h.state, h.openedAt = Open, now
		}
	}
}

// acctState is the mutable state of one account, kept across reloads.
type acctState struct {
	mu     sync.Mutex
	health health
	limits usage
}
