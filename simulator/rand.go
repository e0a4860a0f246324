package simulator

import (
	"math/rand/v2"
	"sync"
)

// Rand is the engine's seeded random source. Protocols draw ids and nonces from it so that
// one seed and one scenario give one transcript. Safe for concurrent use; the draws of
// concurrent callers interleave in an unspecified order, so determinism holds for sequential
// scenarios.
type Rand struct {
	mu   sync.Mutex
	seed uint64
	r    *rand.Rand
}

func newRand(seed uint64) *Rand {
	r := &Rand{seed: seed}
	r.reseed()
	return r
}

// Seed returns the seed the source was last (re)seeded with.
func (r *Rand) Seed() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seed
}

// setSeed makes seed the source's seed from now on (the next reseed uses it).
func (r *Rand) setSeed(seed uint64) {
	r.mu.Lock()
	r.seed = seed
	r.mu.Unlock()
}

func (r *Rand) reseed() {
	r.mu.Lock()
	r.r = rand.New(rand.NewPCG(r.seed, r.seed^0x9e3779b97f4a7c15))
	r.mu.Unlock()
}

// Uint64 returns a uniformly distributed 64-bit value.
func (r *Rand) Uint64() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Uint64()
}

// Fill sets dst to the next len(dst) values of the source, exactly what as many Uint64
// calls would return, under one lock (a protocol drawing a 20-character id takes one
// lock instead of twenty).
func (r *Rand) Fill(dst []uint64) {
	r.mu.Lock()
	for i := range dst {
		dst[i] = r.r.Uint64()
	}
	r.mu.Unlock()
}

// IntN returns a value in [0, n); n must be > 0.
func (r *Rand) IntN(n int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.IntN(n)
}

// Float64 returns a value in [0, 1). Never use it for money.
func (r *Rand) Float64() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Float64()
}

const (
	digits    = "0123456789"
	hexDigits = "0123456789abcdef"
	alnum     = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// Digits returns n random decimal digits.
func (r *Rand) Digits(n int) string { return r.from(digits, n) }

// Hex returns n random lower-case hex digits.
func (r *Rand) Hex(n int) string { return r.from(hexDigits, n) }

// Alnum returns n random ASCII letters and digits (a WeChat nonce_str).
func (r *Rand) Alnum(n int) string { return r.from(alnum, n) }

func (r *Rand) from(set string, n int) string {
	if n <= 0 {
		return ""
	}
	b := make([]byte, n)
	r.mu.Lock()
	for i := range b {
		b[i] = set[r.r.IntN(len(set))]
	}
	r.mu.Unlock()
	return string(b)
}
