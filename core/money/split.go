package money

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// Split divides a into len(weights) parts proportional to weights by the
// largest-remainder method: each part gets floor(|a|*w/W) minor units and the
// units left over go one each to the parts with the largest remainders, ties
// to the lower index. The parts always sum exactly to a and every part differs
// from its exact share by less than one minor unit.
//
// Rules: weights must be non-empty, none negative, not all zero, and their sum
// must fit in int64 (ErrInvalidWeights, ErrOverflow). A zero weight is allowed
// and always gets exactly zero. A negative a is split by magnitude and every
// part is negated, so Split(-x) is the element-wise negation of Split(x).
// Products are computed in 128 bits, so no intermediate overflow is possible.
func (a Amount) Split(weights []int64) ([]Amount, error) {
	if len(weights) == 0 {
		return nil, fmt.Errorf("money: split: no weights: %w", ErrInvalidWeights)
	}
	var total uint64
	for i, w := range weights {
		if w < 0 {
			return nil, fmt.Errorf("money: split: weight %d is %d: %w", i, w, ErrInvalidWeights)
		}
		total += uint64(w)
		if total > math.MaxInt64 {
			return nil, fmt.Errorf("money: split: sum of weights: %w", ErrOverflow)
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("money: split: all weights are zero: %w", ErrInvalidWeights)
	}

	mag := uint64(a.minor)
	if a.minor < 0 {
		mag = -mag // exact for MinInt64
	}
	shares := make([]uint64, len(weights))
	rems := make([]uint64, len(weights))
	var given uint64
	for i, w := range weights {
		hi, lo := bits.Mul64(mag, uint64(w))
		// hi < total because w <= total, so the quotient fits in 64 bits.
		q, r := bits.Div64(hi, lo, total)
		shares[i], rems[i] = q, r
		given += q
	}
	left := mag - given // < number of parts with a nonzero remainder
	if left > 0 {
		order := make([]int, len(weights))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(x, y int) int {
			return cmp.Compare(rems[y], rems[x]) // larger remainder first; stable keeps lower index first
		})
		for _, i := range order[:left] {
			shares[i]++
		}
	}

	out := make([]Amount, len(weights))
	for i, s := range shares {
		if a.minor < 0 {
			s = -s // two's complement; -(1<<63) is MinInt64
		}
		out[i] = Amount{minor: int64(s), cur: a.cur}
	}
	return out, nil
}
