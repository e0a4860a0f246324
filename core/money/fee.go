package money

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Fee is a fee rule: a proportional rate, a fixed part, optional bounds and a
// rounding mode. The zero Fee is invalid (Rounding is required).
type Fee struct {
	Rate     decimal.Decimal // fraction of the amount, e.g. 0.006 for 0.6%; must be >= 0
	Fixed    Amount          // added after rounding; the zero Amount means none
	Min, Max *Amount         // bounds applied last; nil means no bound
	Rounding Rounding        // how a*Rate is rounded to minor units; required
}

// Apply returns the fee for amount a: round(a*Rate) + Fixed, then clamped to
// [Min, Max]. Fixed, Min and Max must be in a's currency (the zero Fixed is
// allowed). A negative a (a refund) gets the negated fee of |a|, so
// Apply(-x) == -Apply(x) and a full refund returns exactly the fee charged.
// Apply never returns a fee larger in magnitude than the bounds allow and
// changes nothing on error. Errors: ErrInvalidRounding, ErrInvalidRate
// (negative Rate), ErrInvalidFee (Min > Max), ErrCurrencyMismatch, ErrOverflow.
func (f Fee) Apply(a Amount) (Amount, error) {
	if !f.Rounding.Valid() {
		return Amount{}, fmt.Errorf("money: fee rule: field Rounding %v: %w", f.Rounding, ErrInvalidRounding)
	}
	if f.Rate.Sign() < 0 {
		return Amount{}, fmt.Errorf("money: fee rule: field Rate %s: %w", f.Rate, ErrInvalidRate)
	}
	fixed := f.Fixed
	if fixed == (Amount{}) {
		fixed = Amount{cur: a.cur}
	}
	if fixed.cur != a.cur {
		return Amount{}, fmt.Errorf("money: fee rule: field Fixed: %w", mismatch("apply", a, fixed))
	}
	if f.Min != nil && f.Min.cur != a.cur {
		return Amount{}, fmt.Errorf("money: fee rule: field Min: %w", mismatch("apply", a, *f.Min))
	}
	if f.Max != nil && f.Max.cur != a.cur {
		return Amount{}, fmt.Errorf("money: fee rule: field Max: %w", mismatch("apply", a, *f.Max))
	}
	if f.Min != nil && f.Max != nil && f.Min.minor > f.Max.minor {
		return Amount{}, fmt.Errorf("money: fee rule: Min %s > Max %s: %w", f.Min, f.Max, ErrInvalidFee)
	}

	abs, err := a.Abs()
	if err != nil {
		return Amount{}, fmt.Errorf("money: fee on %s: %w", a, err)
	}
	fee, err := abs.MulRate(f.Rate, f.Rounding)
	if err != nil {
		return Amount{}, fmt.Errorf("money: fee on %s: %w", a, err)
	}
	if fee, err = fee.Add(fixed); err != nil {
		return Amount{}, fmt.Errorf("money: fee on %s: %w", a, err)
	}
	if f.Min != nil && fee.minor < f.Min.minor {
		fee.minor = f.Min.minor
	}
	if f.Max != nil && fee.minor > f.Max.minor {
		fee.minor = f.Max.minor
	}
	if a.minor < 0 {
		return fee.Neg()
	}
	return fee, nil
}
