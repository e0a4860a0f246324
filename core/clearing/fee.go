package clearing

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
)

// TierMode says how a fee contract's tiers apply to a payment's amount.
type TierMode string

const (
	// TierWhole: the one tier whose band holds the amount sets the rate for the whole
	// amount (阶梯费率, whole-amount). With tiers from 0 at 0.6% and from 1,000.00 at
	// 0.38%, 1,000.00 pays 3.80 and 999.99 pays 6.00.
	TierWhole TierMode = "whole"
	// TierMarginal: each tier's rate applies only to the part of the amount inside its
	// band (累进, like income tax). With the tiers above, 1,500.00 pays
	// 1,000.00 × 0.6% + 500.00 × 0.38% = 7.90.
	TierMarginal TierMode = "marginal"
)

// Tier is one band of a tiered fee contract: Rate applies from From (inclusive) up to the
// next tier's From.
type Tier struct {
	From money.Amount
	Rate decimal.Decimal
}

// FeeContract is one channel account's fee contract: what the channel charges on a
// succeeded payment and what a refund gives back.
//
// The fee on a payment of amount a is
//
//	ExactFee(a) = rate part + Fixed, clamped to [Min, Max] and then to [0, a]
//	Fee(a)      = Rounding applied once to (rate part + Fixed), clamped the same way
//
// where the rate part is a × Rate (no tiers), a × the rate of the tier holding a
// (TierWhole), or the sum over tiers of the part of a in the tier's band × its rate
// (TierMarginal). Because Min, Max, Fixed and a are whole minor units and rounding is
// monotone, Fee(a) == Rounding(ExactFee(a)) always. The fee never exceeds the payment: a
// minimum above a tiny payment is cut to the payment's amount (the channel cannot deduct
// more than it holds).
type FeeContract struct {
	Account  string          // the channel account (order.Payment.Account)
	Channel  string          // the channel's name (order.Payment.Channel), e.g. "wechat"
	Currency money.Currency  // payments in another currency are refused
	Rate     decimal.Decimal // the rate without tiers, a fraction (0.006 = 0.6%); must be zero when Tiers are set
	Tiers    []Tier          // ascending From, the first From 0; empty for a flat rate
	Mode     TierMode        // how Tiers apply; required with Tiers
	Fixed    money.Amount    // added to every payment's fee; the zero Amount means none
	Min, Max *money.Amount   // bounds; nil means none
	Rounding money.Rounding  // how the rate part is rounded to minor units; required
	// Refund is what a refund does to the fee, as the channel's Info().Refund.Fee says:
	// none, proportional or full (see posting.FeeReturned, which Returned applies).
	Refund channel.FeeRefund

	fast []fastRate // per tier (or one for Rate): the rate as an integer fraction, when it fits
}

// fastRate is a rate coef/scale with both in uint64, for an exact integer fee.
type fastRate struct {
	ok    bool
	coef  uint64
	scale uint64
}

// ErrInvalidContract is wrapped by every error about a contract's own fields.
var ErrInvalidContract = errors.New("clearing: invalid fee contract")

func invalidf(c *FeeContract, format string, a ...any) error {
	return fmt.Errorf("%w: account %q: %s", ErrInvalidContract, c.Account, fmt.Sprintf(format, a...))
}

// Validate checks the contract's fields and prepares it for use; Fee and ExactFee call it
// on first use, Contracts.Add calls it at once. It names the field at fault.
func (c *FeeContract) Validate() error {
	if c.Account == "" {
		return invalidf(c, "Account is required")
	}
	if !c.Currency.Valid() {
		return invalidf(c, "Currency %q is not a known currency", c.Currency)
	}
	if !c.Rounding.Valid() {
		return invalidf(c, "Rounding is required (HalfUp, HalfEven, Down or Up)")
	}
	switch c.Refund {
	case channel.FeeRefundNone, channel.FeeRefundProportional, channel.FeeRefundFull:
	default:
		return invalidf(c, "Refund %q: want none, proportional or full (the channel's Info().Refund.Fee)", c.Refund)
	}
	one := decimal.NewFromInt(1)
	if c.Rate.Sign() < 0 || c.Rate.GreaterThanOrEqual(one) {
		return invalidf(c, "Rate %s is not in [0, 1)", c.Rate)
	}
	if len(c.Tiers) > 0 {
		if c.Rate.Sign() != 0 {
			return invalidf(c, "Rate %s and Tiers both set: the tiers carry the rates", c.Rate)
		}
		if c.Mode != TierWhole && c.Mode != TierMarginal {
			return invalidf(c, "Mode %q: want whole or marginal with tiers", c.Mode)
		}
		for i, t := range c.Tiers {
			if t.From.Currency() != c.Currency {
				return invalidf(c, "tier %d: from %s is not in %s", i, t.From, c.Currency)
			}
			if t.Rate.Sign() < 0 || t.Rate.GreaterThanOrEqual(one) {
				return invalidf(c, "tier %d: rate %s is not in [0, 1)", i, t.Rate)
			}
			if i == 0 && !t.From.IsZero() {
				return invalidf(c, "tier 0 starts at %s: the first tier must start at 0", t.From.Decimal())
			}
			if i > 0 && t.From.Minor() <= c.Tiers[i-1].From.Minor() {
				return invalidf(c, "tier %d: from %s is not above tier %d's %s", i, t.From.Decimal(), i-1, c.Tiers[i-1].From.Decimal())
			}
		}
	} else if c.Mode != "" && c.Mode != TierWhole && c.Mode != TierMarginal {
		return invalidf(c, "Mode %q: want whole or marginal", c.Mode)
	}
	if c.Fixed != (money.Amount{}) && (c.Fixed.Currency() != c.Currency || c.Fixed.IsNegative()) {
		return invalidf(c, "Fixed %s must be a non-negative %s amount", c.Fixed, c.Currency)
	}
	for _, b := range []struct {
		name string
		v    *money.Amount
	}{{"Min", c.Min}, {"Max", c.Max}} {
		if b.v != nil && (b.v.Currency() != c.Currency || b.v.IsNegative()) {
			return invalidf(c, "%s %s must be a non-negative %s amount", b.name, *b.v, c.Currency)
		}
	}
	if c.Min != nil && c.Max != nil && c.Min.Minor() > c.Max.Minor() {
		return invalidf(c, "Min %s is above Max %s", c.Min.Decimal(), c.Max.Decimal())
	}
	rates := []decimal.Decimal{c.Rate}
	if len(c.Tiers) > 0 {
		rates = rates[:0]
		for _, t := range c.Tiers {
			rates = append(rates, t.Rate)
		}
	}
	c.fast = make([]fastRate, len(rates))
	for i, r := range rates {
		c.fast[i] = toFast(r)
	}
	return nil
}

// toFast writes r as coef/10^k in uint64 when it fits.
func toFast(r decimal.Decimal) fastRate {
	coef, exp := r.Coefficient(), r.Exponent()
	if coef.Sign() < 0 || !coef.IsUint64() {
		return fastRate{}
	}
	c := coef.Uint64()
	scale := uint64(1)
	for ; exp > 0; exp-- {
		hi, lo := bits.Mul64(c, 10)
		if hi != 0 {
			return fastRate{}
		}
		c = lo
	}
	for ; exp < 0; exp++ {
		if scale > math.MaxUint64/10 {
			return fastRate{}
		}
		scale *= 10
	}
	return fastRate{ok: true, coef: c, scale: scale}
}

func (c *FeeContract) ready() error {
	if c.fast == nil {
		return c.Validate()
	}
	return nil
}

func (c *FeeContract) checkAmount(a money.Amount) error {
	if a.Currency() != c.Currency {
		return fmt.Errorf("clearing: fee of account %q: amount %s is not in the contract's currency %s", c.Account, a, c.Currency)
	}
	if !a.IsPositive() {
		return fmt.Errorf("clearing: fee of account %q: amount %s is not positive", c.Account, a)
	}
	return nil
}

// tier returns the index of the tier whose band holds a (0 without tiers).
func (c *FeeContract) tier(a int64) int {
	if len(c.Tiers) == 0 {
		return 0
	}
	return sort.Search(len(c.Tiers), func(i int) bool { return c.Tiers[i].From.Minor() > a }) - 1
}

// ratePart returns the exact rate part of the fee on a (minor units, as a decimal).
func (c *FeeContract) ratePart(a int64) decimal.Decimal {
	da := decimal.NewFromInt(a)
	switch {
	case len(c.Tiers) == 0:
		return da.Mul(c.Rate)
	case c.Mode == TierWhole:
		return da.Mul(c.Tiers[c.tier(a)].Rate)
	}
	sum := decimal.Zero
	for i, t := range c.Tiers {
		lo := t.From.Minor()
		if a <= lo {
			break
		}
		hi := a
		if i+1 < len(c.Tiers) && c.Tiers[i+1].From.Minor() < a {
			hi = c.Tiers[i+1].From.Minor()
		}
		sum = sum.Add(decimal.NewFromInt(hi - lo).Mul(t.Rate))
	}
	return sum
}

// bound adds Fixed and applies Min, Max and the payment's amount to a fee in minor units.
func (c *FeeContract) bound(f decimal.Decimal, a int64) decimal.Decimal {
	if c.Fixed != (money.Amount{}) {
		f = f.Add(decimal.NewFromInt(c.Fixed.Minor()))
	}
	if c.Min != nil && f.LessThan(decimal.NewFromInt(c.Min.Minor())) {
		f = decimal.NewFromInt(c.Min.Minor())
	}
	if c.Max != nil && f.GreaterThan(decimal.NewFromInt(c.Max.Minor())) {
		f = decimal.NewFromInt(c.Max.Minor())
	}
	if f.GreaterThan(decimal.NewFromInt(a)) {
		f = decimal.NewFromInt(a)
	}
	return f
}

// ExactFee returns the fee on a payment of amount before rounding, in minor units of the
// contract's currency (0.6% of 2.50 CNY is 1.5 fen): the figure to compare with a channel's
// fee when deciding whether a difference is only rounding. Errors: an invalid contract
// (ErrInvalidContract), another currency, an amount that is not positive.
func (c *FeeContract) ExactFee(amount money.Amount) (decimal.Decimal, error) {
	if err := c.ready(); err != nil {
		return decimal.Decimal{}, err
	}
	if err := c.checkAmount(amount); err != nil {
		return decimal.Decimal{}, err
	}
	return c.bound(c.ratePart(amount.Minor()), amount.Minor()), nil
}

// Fee returns the channel's fee on a payment of amount: the rate part plus Fixed, rounded
// once with the contract's Rounding, clamped to [Min, Max] and to the amount itself. It is
// deterministic, so the ledger poster (FeeFunc), settlement and reconciliation all compute
// the same figure. Errors as ExactFee.
func (c *FeeContract) Fee(amount money.Amount) (money.Amount, error) {
	if err := c.ready(); err != nil {
		return money.Amount{}, err
	}
	if err := c.checkAmount(amount); err != nil {
		return money.Amount{}, err
	}
	a := amount.Minor()
	var fixed int64
	if c.Fixed != (money.Amount{}) {
		fixed = c.Fixed.Minor()
	}
	f, ok := c.fastFee(a, fixed)
	if !ok {
		d := c.ratePart(a).Add(decimal.NewFromInt(fixed))
		r, err := roundDec(d, c.Rounding)
		if err != nil {
			return money.Amount{}, fmt.Errorf("clearing: fee of account %q on %s: %w", c.Account, amount, err)
		}
		f = r
	}
	if c.Min != nil && f < c.Min.Minor() {
		f = c.Min.Minor()
	}
	if c.Max != nil && f > c.Max.Minor() {
		f = c.Max.Minor()
	}
	f = min(f, a)
	return money.New(f, c.Currency), nil
}

// fastFee computes round(a × rate + fixed) in integers when the rate is one fraction that
// fits (no tiers, or whole-amount tiers): a × coef / scale in 128 bits.
func (c *FeeContract) fastFee(a, fixed int64) (int64, bool) {
	if len(c.Tiers) > 0 && c.Mode != TierWhole {
		return 0, false
	}
	fr := c.fast[c.tier(a)]
	if !fr.ok {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(a), fr.coef)
	if hi >= fr.scale {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, fr.scale)
	if q > math.MaxInt64/2 || fixed > math.MaxInt64/2 {
		return 0, false
	}
	q += uint64(fixed) // the exact fee is q + fixed + r/scale: round that once
	up := false
	switch c.Rounding {
	case money.HalfUp:
		up = r >= fr.scale-r // 2r >= scale without overflow
	case money.HalfEven:
		up = r > fr.scale-r || (r == fr.scale-r && q%2 == 1)
	case money.Down:
	case money.Up:
		up = r > 0
	default:
		return 0, false
	}
	if up {
		q++
	}
	return int64(q), true
}

// roundDec rounds a non-negative exact count of minor units with r.
func roundDec(d decimal.Decimal, r money.Rounding) (int64, error) {
	var x decimal.Decimal
	switch r {
	case money.HalfUp:
		x = d.Round(0)
	case money.HalfEven:
		x = d.RoundBank(0)
	case money.Down:
		x = d.RoundDown(0)
	case money.Up:
		x = d.RoundUp(0)
	default:
		return 0, money.ErrInvalidRounding
	}
	bi := x.BigInt()
	if !bi.IsInt64() {
		return 0, money.ErrOverflow
	}
	return bi.Int64(), nil
}

// Returned returns the part of a payment's fee that one refund gives back under the
// contract's Refund policy: posting.FeeReturned, with the same arguments (the payment's
// amount and fee, the refunds before this one and the fee they returned, this refund).
func (c *FeeContract) Returned(amount, fee, before, returnedBefore, refund money.Amount) (money.Amount, error) {
	return posting.FeeReturned(c.Refund, amount, fee, before, returnedBefore, refund)
}

// Contracts are fee contracts keyed by channel account (order.Payment.Account).
type Contracts map[string]*FeeContract

// Add validates c and adds it under c.Account; an account already present is an error.
func (cs Contracts) Add(c *FeeContract) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if _, ok := cs[c.Account]; ok {
		return fmt.Errorf("%w: account %q has two contracts", ErrInvalidContract, c.Account)
	}
	cs[c.Account] = c
	return nil
}

// For returns the contract of a channel account, or an error naming it.
func (cs Contracts) For(account string) (*FeeContract, error) {
	c, ok := cs[account]
	if !ok {
		return nil, fmt.Errorf("clearing: no fee contract for channel account %q", account)
	}
	return c, nil
}

// FeeFunc returns a posting.FeeFunc that charges each payment under its account's contract,
// so the ledger poster books the same fee that settlement and reconciliation compute. A
// payment on an account without a contract is an error (the poster retries the delivery),
// never a silent zero.
func (cs Contracts) FeeFunc() posting.FeeFunc {
	return func(p *order.Payment) (money.Amount, error) {
		c, err := cs.For(p.Account)
		if err != nil {
			return money.Amount{}, fmt.Errorf("%w (payment %s)", err, p.ID)
		}
		return c.Fee(p.Amount)
	}
}

// FeeRefund returns each channel's fee-refund policy by channel name, for
// posting.Config.FeeRefund. Two accounts of one channel must agree.
func (cs Contracts) FeeRefund() (map[string]channel.FeeRefund, error) {
	out := map[string]channel.FeeRefund{}
	for _, c := range cs {
		if c.Channel == "" {
			continue
		}
		if p, ok := out[c.Channel]; ok && p != c.Refund {
			return nil, fmt.Errorf("%w: channel %q has fee-refund policies %q and %q", ErrInvalidContract, c.Channel, p, c.Refund)
		}
		out[c.Channel] = c.Refund
	}
	return out, nil
}
