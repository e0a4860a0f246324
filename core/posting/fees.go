package posting

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
)

// FeeFunc returns the channel's fee on a succeeded payment, in the payment's currency, at
// least zero and at most the payment's amount. It must be deterministic for one payment: the
// fee is fixed in the ledger when the payment is posted, and refunds read it back from there.
type FeeFunc func(p *order.Payment) (money.Amount, error)

// RateFees returns a FeeFunc that charges a rate per channel account (order.Payment.Account),
// e.g. {"wx-main": money.BasisPoints(10)} for 0.1%. The fee is amount × rate rounded half up
// (四舍五入, money.HalfUp) to the currency's minor unit: 0.1% of 100.00 is 0.10, 0.6% of 2.50
// (1.5 fen) is 0.02. A payment on an account without a rate is an error (nothing is posted
// and the delivery is retried), never a silent zero. Rates must be in [0, 1); the map is
// copied.
func RateFees(rates map[string]decimal.Decimal) (FeeFunc, error) {
	if len(rates) == 0 {
		return nil, fmt.Errorf("posting: RateFees: no rates")
	}
	m := make(map[string]money.Fee, len(rates))
	accounts := make([]string, 0, len(rates))
	for a := range rates {
		accounts = append(accounts, a)
	}
	sort.Strings(accounts)
	for _, a := range accounts {
		r := rates[a]
		if a == "" {
			return nil, fmt.Errorf("posting: RateFees: empty channel account name")
		}
		if r.Sign() < 0 || r.GreaterThanOrEqual(decimal.NewFromInt(1)) {
			return nil, fmt.Errorf("posting: RateFees: rate %s of channel account %q is not in [0, 1)", r, a)
		}
		m[a] = money.Fee{Rate: r, Rounding: money.HalfUp}
	}
	return func(p *order.Payment) (money.Amount, error) {
		f, ok := m[p.Account]
		if !ok {
			return money.Amount{}, fmt.Errorf("posting: no fee rate for channel account %q (payment %s)", p.Account, p.ID)
		}
		return f.Apply(p.Amount)
	}, nil
}

// FeeReturned returns the part of a payment's fee that one refund returns under policy.
// amount and fee are the payment's amount and the fee posted for it; before is the sum of the
// payment's refunds posted earlier and returnedBefore the fee they returned; refund is this
// refund's amount. All in one currency, 0 <= fee <= amount, before + refund <= amount.
//
// The rule: the fee returned by all refunds up to and including this one is a target T(C) of
// the cumulative refunded amount C, and this refund returns T(before + refund) − returnedBefore:
//
//   - none: T(C) = 0 — the channel keeps the fee.
//   - proportional: T(C) = the first part of fee.Split([C, amount − C]), the fee divided by
//     largest remainder between the refunded and the unrefunded part of the payment; for two
//     parts that is fee × C / amount rounded to the nearest minor unit, a tie going to the
//     refunded part (half up).
//   - full: T(C) = min(fee, C) — the whole fee comes back with the first refund, except that
//     an entry's debits must equal its voucher's amount (the ledger's voucher rule), so a
//     refund smaller than the fee returns its own amount and the next refunds return the
//     rest.
//
// Because each refund returns the growth of T, the returned fees of all refunds of a payment
// sum to T(total refunded): never more than the fee, exactly the fee once the payment is fully
// refunded (T(amount) = fee for every policy but none), and each refund returns between zero
// and its own amount. The result does not depend on how the refunds are split, only on the
// cumulative sums, so a refund posted again computes the same figure.
func FeeReturned(policy channel.FeeRefund, amount, fee, before, returnedBefore, refund money.Amount) (money.Amount, error) {
	cur := amount.Currency()
	for _, a := range []money.Amount{fee, before, returnedBefore, refund} {
		if a.Currency() != cur {
			return money.Amount{}, fmt.Errorf("posting: fee returned: %s is not in the payment's currency %s", a, cur)
		}
	}
	A, F, B, RB, R := amount.Minor(), fee.Minor(), before.Minor(), returnedBefore.Minor(), refund.Minor()
	switch {
	case A <= 0:
		return money.Amount{}, fmt.Errorf("posting: fee returned: payment amount %s is not positive", amount)
	case F < 0 || F > A:
		return money.Amount{}, fmt.Errorf("posting: fee returned: fee %s is not within [0, %s]", fee, amount)
	case R <= 0:
		return money.Amount{}, fmt.Errorf("posting: fee returned: refund amount %s is not positive", refund)
	case B < 0 || B > A-R:
		return money.Amount{}, fmt.Errorf("posting: fee returned: earlier refunds %s plus this refund %s exceed the payment's %s", before, refund, amount)
	case RB < 0 || RB > F:
		return money.Amount{}, fmt.Errorf("posting: fee returned: fee returned before %s is not within [0, %s]", returnedBefore, fee)
	}
	var target int64
	switch policy {
	case channel.FeeRefundNone:
		target = 0
	case channel.FeeRefundFull:
		target = min(F, B+R)
	case channel.FeeRefundProportional:
		parts, err := fee.Split([]int64{B + R, A - B - R})
		if err != nil {
			return money.Amount{}, fmt.Errorf("posting: fee returned: %w", err)
		}
		target = parts[0].Minor()
	default:
		return money.Amount{}, fmt.Errorf("posting: fee returned: unknown fee-refund policy %q", policy)
	}
	// Earlier refunds posted under another rule (a changed policy) may have returned more
	// than T says by now: this one then returns nothing rather than a negative figure.
	f := max(0, min(target-RB, R))
	return money.New(f, cur), nil
}
