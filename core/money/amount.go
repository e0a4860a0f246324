package money

import (
	"fmt"
	"math"
)

// Amount is an exact amount of money: an int64 count of minor units (fen for
// CNY, cents for USD, yen for JPY) and its currency. Amounts are immutable
// values, comparable with == (same minor units and same currency). The zero
// Amount is 0 of no currency; it mismatches every real currency, so start sums
// with New(0, c) or use Sum.
type Amount struct {
	minor int64
	cur   Currency
}

// New returns minor units of currency c. It does not validate c; check
// c.Valid() where c comes from outside (Parse and UnmarshalJSON do).
func New(minor int64, c Currency) Amount { return Amount{minor: minor, cur: c} }

// Fen returns n fen (hundredths of a yuan) in CNY; Fen(n) == New(n, CNY).
func Fen(n int64) Amount { return Amount{minor: n, cur: CNY} }

// Minor returns the amount in minor units (fen for CNY).
func (a Amount) Minor() int64 { return a.minor }

// Currency returns the amount's currency ("" for the zero Amount).
func (a Amount) Currency() Currency { return a.cur }

// IsZero reports whether the amount is zero minor units, whatever its currency.
func (a Amount) IsZero() bool { return a.minor == 0 }

// IsNegative reports whether the amount is below zero.
func (a Amount) IsNegative() bool { return a.minor < 0 }

// IsPositive reports whether the amount is above zero.
func (a Amount) IsPositive() bool { return a.minor > 0 }

// Neg returns -a, or ErrOverflow for the most negative int64.
func (a Amount) Neg() (Amount, error) {
	if a.minor == math.MinInt64 {
		return Amount{}, fmt.Errorf("money: negating %d %s: %w", a.minor, a.cur, ErrOverflow)
	}
	return Amount{minor: -a.minor, cur: a.cur}, nil
}

// Abs returns |a|, or ErrOverflow for the most negative int64.
func (a Amount) Abs() (Amount, error) {
	if a.minor >= 0 {
		return a, nil
	}
	return a.Neg()
}

// Add returns a+b. Both must have the same currency (ErrCurrencyMismatch);
// a result outside int64 is ErrOverflow, never a wrapped value.
func (a Amount) Add(b Amount) (Amount, error) {
	if a.cur != b.cur {
		return Amount{}, mismatch("add", a, b)
	}
	s := a.minor + b.minor
	// Overflow iff both operands have the same sign and the sum's sign differs.
	if (a.minor >= 0) == (b.minor >= 0) && (s >= 0) != (a.minor >= 0) {
		return Amount{}, fmt.Errorf("money: adding %d and %d %s: %w", a.minor, b.minor, a.cur, ErrOverflow)
	}
	return Amount{minor: s, cur: a.cur}, nil
}

// Sub returns a-b with the same checks as Add.
func (a Amount) Sub(b Amount) (Amount, error) {
	if a.cur != b.cur {
		return Amount{}, mismatch("subtract", a, b)
	}
	d := a.minor - b.minor
	// Overflow iff the operands have different signs and the result's sign
	// differs from a's.
	if (a.minor >= 0) != (b.minor >= 0) && (d >= 0) != (a.minor >= 0) {
		return Amount{}, fmt.Errorf("money: subtracting %d from %d %s: %w", b.minor, a.minor, a.cur, ErrOverflow)
	}
	return Amount{minor: d, cur: a.cur}, nil
}

// Mul returns a*n (e.g. unit price times quantity), or ErrOverflow.
func (a Amount) Mul(n int64) (Amount, error) {
	if a.minor == 0 || n == 0 {
		return Amount{minor: 0, cur: a.cur}, nil
	}
	p := a.minor * n
	// Go defines MinInt64 / -1 == MinInt64, so the division check alone misses
	// that case.
	if p/n != a.minor || (a.minor == math.MinInt64 && n == -1) {
		return Amount{}, fmt.Errorf("money: multiplying %d %s by %d: %w", a.minor, a.cur, n, ErrOverflow)
	}
	return Amount{minor: p, cur: a.cur}, nil
}

// Cmp returns -1, 0 or +1 as a is less than, equal to or greater than b, or
// ErrCurrencyMismatch.
func (a Amount) Cmp(b Amount) (int, error) {
	if a.cur != b.cur {
		return 0, mismatch("compare", a, b)
	}
	switch {
	case a.minor < b.minor:
		return -1, nil
	case a.minor > b.minor:
		return 1, nil
	}
	return 0, nil
}

// Sum returns the total of xs in currency c (New(0, c) when xs is empty). Every
// element must be in c (ErrCurrencyMismatch); overflow is ErrOverflow even if a
// later element would bring the total back in range.
func Sum(c Currency, xs ...Amount) (Amount, error) {
	total := Amount{cur: c}
	for i, x := range xs {
		var err error
		if total, err = total.Add(x); err != nil {
			return Amount{}, fmt.Errorf("money: sum element %d: %w", i, err)
		}
	}
	return total, nil
}

func mismatch(op string, a, b Amount) error {
	return fmt.Errorf("money: cannot %s %q and %q amounts: %w", op, a.cur, b.cur, ErrCurrencyMismatch)
}
