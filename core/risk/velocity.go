package risk

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
)

// Totals is what a key saw within one window: the number of events and the sum of their
// amounts (minor units).
type Totals struct {
	Count  int64
	Amount int64
}

// Counter asks a VelocityStore to record an event under Key and read back its Totals over
// each of Windows (the window (at-w, at], the new event included).
type Counter struct {
	Key     string
	Windows []time.Duration
	Totals  []Totals // filled by Record; len(Windows), reused when large enough
}

// VelocityStore keeps sliding-window event counts. Record must be atomic per key: two
// concurrent Records never both miss each other's event.
type VelocityStore interface {
	// Record adds one event (id, amount in minor units, at) under every counter's key and
	// fills the counters' Totals.
	Record(ctx context.Context, id string, amount int64, at time.Time, counters []Counter) error
}

// MemoryVelocity is the in-process VelocityStore: per key, the events of the longest
// window asked for so far (16 bytes each), pruned on every Record. Keys idle past their
// longest window are dropped by Sweep. Safe for concurrent use.
type MemoryVelocity struct {
	shards [256]memShard
	seed   maphash.Seed
	// MaxEvents bounds the events kept per key (default 4096): a key past it keeps its
	// newest MaxEvents, so its count saturates there. Keep it above every count limit.
	MaxEvents int
}

type memShard struct {
	mu   sync.Mutex
	keys map[string]*memKey
}

type memKey struct {
	events []event // oldest first
	keep   time.Duration
}

type event struct {
	at     int64 // unix nanoseconds
	amount int64
}

// NewMemoryVelocity returns an empty MemoryVelocity.
func NewMemoryVelocity() *MemoryVelocity {
	m := &MemoryVelocity{seed: maphash.MakeSeed(), MaxEvents: 4096}
	for i := range m.shards {
		m.shards[i].keys = map[string]*memKey{}
	}
	return m
}

// Record implements VelocityStore.
func (m *MemoryVelocity) Record(_ context.Context, _ string, amount int64, at time.Time, counters []Counter) error {
	now := at.UnixNano()
	for i := range counters {
		c := &counters[i]
		if cap(c.Totals) < len(c.Windows) {
			c.Totals = make([]Totals, len(c.Windows))
		}
		c.Totals = c.Totals[:len(c.Windows)]
		var longest time.Duration
		for _, w := range c.Windows {
			longest = max(longest, w)
		}
		sh := &m.shards[maphash.String(m.seed, c.Key)%uint64(len(m.shards))]
		sh.mu.Lock()
		k := sh.keys[c.Key]
		if k == nil {
			k = &memKey{}
			sh.keys[c.Key] = k
		}
		k.keep = max(k.keep, longest)
		// Prune what no window can see any more.
		cut := now - int64(k.keep)
		drop := 0
		for drop < len(k.events) && k.events[drop].at <= cut {
			drop++
		}
		if max := m.MaxEvents; max > 0 && len(k.events)-drop >= max {
			drop = len(k.events) - max + 1
		}
		if drop > 0 {
			n := copy(k.events, k.events[drop:])
			k.events = k.events[:n]
		}
		k.events = append(k.events, event{at: now, amount: amount})
		for j, w := range c.Windows {
			from := now - int64(w)
			var t Totals
			for e := len(k.events) - 1; e >= 0 && k.events[e].at > from; e-- {
				t.Count++
				t.Amount += k.events[e].amount
			}
			c.Totals[j] = t
		}
		sh.mu.Unlock()
	}
	return nil
}

// Sweep drops keys whose newest event is older than their longest window at now, and
// reports how many keys remain.
func (m *MemoryVelocity) Sweep(now time.Time) int {
	left := 0
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		for key, k := range sh.keys {
			if len(k.events) == 0 || k.events[len(k.events)-1].at <= now.UnixNano()-int64(k.keep) {
				delete(sh.keys, key)
			}
		}
		left += len(sh.keys)
		sh.mu.Unlock()
	}
	return left
}

func moneyOf(minor int64, req *gateway.RiskRequest) money.Amount {
	return money.New(minor, req.Amount.Currency())
}
