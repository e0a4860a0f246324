package balance

import (
	"hash/maphash"
	"sync"
	"time"
)

// Limit is a rate limit: one request per Every on average, with bursts of up to Burst.
type Limit struct {
	Every time.Duration
	Burst int
}

// limiter applies a Limit per key (a user, an IP) with the generic cell rate algorithm:
// each key keeps one time, its theoretical arrival time (TAT). A request at now is allowed
// when TAT - now ≤ (Burst-1)·Every, and then moves TAT on by Every. Integer nanoseconds,
// no floats, no timers: it reads the time it is given, so the virtual clock drives it.
type limiter struct {
	every, tol int64
	seed       maphash.Seed
	shards     [32]limShard
	maxKeys    int // per shard, before idle keys are swept
}

type limShard struct {
	mu  sync.Mutex
	tat map[string]int64
}

func newLimiter(l Limit) *limiter {
	lim := &limiter{every: int64(l.Every), tol: int64(l.Every) * int64(l.Burst-1), seed: maphash.MakeSeed(), maxKeys: 4096}
	for i := range lim.shards {
		lim.shards[i].tat = map[string]int64{}
	}
	return lim
}

// allow takes one request for key at now, or says how long until one would be allowed.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	t := now.UnixNano()
	s := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	s.mu.Lock()
	defer s.mu.Unlock()
	tat, ok := s.tat[key]
	if !ok || tat < t {
		tat = t
	}
	if tat-t > l.tol {
		return false, time.Duration(tat - l.tol - t)
	}
	if !ok && len(s.tat) >= l.maxKeys {
		// A key whose TAT has passed is idle: forgetting it changes nothing.
		for k, v := range s.tat {
			if v <= t {
				delete(s.tat, k)
			}
		}
	}
	s.tat[key] = tat + l.every
	return true, 0
}
