package recon

import (
	"errors"
	"fmt"
	"math"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/money"
)

// RateFee returns a FeeFunc charging a rate per channel account (the gateway config's
// fee_rate, as posting.RateFees books it): amount × rate rounded half up (四舍五入) to the
// minor unit, the same figure money.Fee{Rate, HalfUp}.Apply gives. The rate is held as an
// integer fraction so a million fees cost no allocation; an amount large enough to overflow
// falls back to decimal arithmetic. An account without a rate answers ErrNoContract: its fees
// are not compared.
func RateFee(rates map[string]decimal.Decimal) (FeeFunc, error) {
	type frac struct {
		num, den int64
		rule     money.Fee
	}
	m := make(map[string]frac, len(rates))
	for a, r := range rates {
		if r.Sign() < 0 || r.GreaterThanOrEqual(decimal.NewFromInt(1)) {
			return nil, fmt.Errorf("recon: rate %s of channel account %q is not in [0, 1)", r, a)
		}
		f := frac{rule: money.Fee{Rate: r, Rounding: money.HalfUp}}
		if exp := r.Exponent(); exp <= 0 && exp >= -15 {
			den := int64(math.Pow10(int(-exp)))
			if c := r.Coefficient(); c.IsInt64() {
				f.num, f.den = c.Int64(), den
			}
		}
		m[a] = f
	}
	return func(account string, amount money.Amount) (money.Amount, error) {
		f, ok := m[account]
		if !ok {
			return money.Amount{}, fmt.Errorf("recon: no fee rate for channel account %q: %w", account, ErrNoContract)
		}
		a := amount.Minor()
		if f.den > 0 && a >= 0 && (f.num == 0 || a <= math.MaxInt64/2/f.num) {
			q, r := a*f.num/f.den, a*f.num%f.den
			if 2*r >= f.den {
				q++
			}
			return money.New(q, amount.Currency()), nil
		}
		return f.rule.Apply(amount)
	}, nil
}

// ErrNoContract is what a FeeFunc answers (wrapped) for an account without a fee contract:
// the statement's fees of that account are then taken as they are, not compared.
var ErrNoContract = errors.New("recon: no fee contract")

// ContractFee returns the FeeFunc of fee contracts (core/clearing): the fee the account's
// contract charges, which is what the ledger poster booked when the contracts are the
// poster's too (gateway serve's fee_rate or fees). An account without a contract answers
// ErrNoContract, so its statement fees are taken as they are rather than failing the run.
func ContractFee(cs clearing.Contracts) FeeFunc {
	return func(account string, amount money.Amount) (money.Amount, error) {
		c, ok := cs[account]
		if !ok {
			return money.Amount{}, fmt.Errorf("recon: no fee contract for channel account %q: %w", account, ErrNoContract)
		}
		return c.Fee(amount)
	}
}
