package clearing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

// VoucherSplit is the voucher kind of a split (分账) entry; its id is the split's ID.
const VoucherSplit ledger.VoucherKind = "split"

// Receiver is one receiver of a split: either a fixed amount or a share by ratio (a positive
// decimal weight: "0.3", "30" and "30%" parsed with money.ParseRate are all fine, only the
// ratios between receivers matter).
type Receiver struct {
	ID    string          // the receiver (a merchant id: its settlement account is credited)
	Fixed money.Amount    // a fixed part; the zero Amount when the receiver takes a ratio
	Ratio decimal.Decimal // a share of what the fixed parts leave; zero when Fixed is set
}

// Part is what one receiver gets.
type Part struct {
	Receiver string
	Amount   money.Amount
}

// ErrInvalidSplit is wrapped by every error about a split's receivers.
var ErrInvalidSplit = errors.New("clearing: invalid split")

// Split divides whole among receivers: fixed parts first, exactly, then what is left by ratio
// with largest-remainder rounding (money.Amount.Split), so the parts always sum to whole and
// each ratio part is within one minor unit of its exact share. Parts come in the receivers'
// order. whole must be positive; the fixed parts must not exceed it; what they leave needs
// at least one ratio receiver; a receiver appears once.
func Split(whole money.Amount, receivers []Receiver) ([]Part, error) {
	if !whole.IsPositive() {
		return nil, fmt.Errorf("%w: amount %s is not positive", ErrInvalidSplit, whole)
	}
	if len(receivers) == 0 {
		return nil, fmt.Errorf("%w: no receivers", ErrInvalidSplit)
	}
	seen := map[string]bool{}
	rest := whole.Minor()
	var ratios []int
	for i, r := range receivers {
		switch {
		case r.ID == "":
			return nil, fmt.Errorf("%w: receiver %d has no id", ErrInvalidSplit, i)
		case seen[r.ID]:
			return nil, fmt.Errorf("%w: receiver %q appears twice", ErrInvalidSplit, r.ID)
		case r.Fixed != (money.Amount{}) && r.Ratio.Sign() != 0:
			return nil, fmt.Errorf("%w: receiver %q has both a fixed amount and a ratio", ErrInvalidSplit, r.ID)
		case r.Fixed != (money.Amount{}):
			if r.Fixed.Currency() != whole.Currency() || !r.Fixed.IsPositive() {
				return nil, fmt.Errorf("%w: receiver %q: fixed %s must be a positive %s amount", ErrInvalidSplit, r.ID, r.Fixed, whole.Currency())
			}
			if r.Fixed.Minor() > rest {
				return nil, fmt.Errorf("%w: fixed parts exceed the amount %s (at receiver %q)", ErrInvalidSplit, whole, r.ID)
			}
			rest -= r.Fixed.Minor()
		case r.Ratio.Sign() > 0:
			ratios = append(ratios, i)
		default:
			return nil, fmt.Errorf("%w: receiver %q needs a positive ratio or a fixed amount", ErrInvalidSplit, r.ID)
		}
		seen[r.ID] = true
	}
	if rest > 0 && len(ratios) == 0 {
		return nil, fmt.Errorf("%w: the fixed parts leave %s and no receiver takes a ratio", ErrInvalidSplit, money.New(rest, whole.Currency()))
	}
	out := make([]Part, len(receivers))
	for i, r := range receivers {
		out[i] = Part{Receiver: r.ID, Amount: money.New(r.Fixed.Minor(), whole.Currency())}
	}
	if len(ratios) == 0 {
		return out, nil
	}
	ws, err := weights(receivers, ratios)
	if err != nil {
		return nil, err
	}
	shares, err := money.New(rest, whole.Currency()).Split(ws)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSplit, err)
	}
	for k, i := range ratios {
		out[i].Amount = shares[k]
	}
	return out, nil
}

// weights turns the decimal ratios into integer weights of the same proportions: each is
// scaled by 10^(the most decimals among them).
func weights(rs []Receiver, idx []int) ([]int64, error) {
	var scale int32
	for _, i := range idx {
		if e := rs[i].Ratio.Exponent(); -e > scale {
			scale = -e
		}
	}
	if scale > 18 {
		return nil, fmt.Errorf("%w: ratios with more than 18 decimals", ErrInvalidSplit)
	}
	out := make([]int64, len(idx))
	for k, i := range idx {
		v := rs[i].Ratio.Shift(scale).BigInt()
		if !v.IsInt64() || v.Cmp(big.NewInt(math.MaxInt64/int64(len(idx)))) > 0 {
			return nil, fmt.Errorf("%w: ratio %s of receiver %q is too large", ErrInvalidSplit, rs[i].Ratio, rs[i].ID)
		}
		out[k] = v.Int64()
	}
	return out, nil
}

// SplitOrder is a split to post: ID names it (the payment or settlement batch being split;
// one split per ID), Payer is the merchant whose settlement account gives the amount.
type SplitOrder struct {
	ID        string
	Payer     string
	Amount    money.Amount
	Receivers []Receiver
	Memo      string
}

// PostSplit divides o.Amount (Split) and posts one entry with one debit and N credits:
//
//	Dr 2203 settlement of the payer      Amount
//	Cr 2203 settlement of receiver i     part i   (i = 1…N)
//
// keyed "split/<ID>" and vouchered (VoucherSplit, ID): posting the same split again returns
// the first entry; the same ID with other figures is ledger.ErrIdempotencyConflict. A
// receiver that is the payer keeps its part (its line nets out and is left off).
func (s *Settler) PostSplit(ctx context.Context, o SplitOrder) (*ledger.Entry, []Part, error) {
	if o.ID == "" || o.Payer == "" {
		return nil, nil, fmt.Errorf("%w: ID and Payer are required", ErrInvalidSplit)
	}
	parts, err := Split(o.Amount, o.Receivers)
	if err != nil {
		return nil, nil, err
	}
	cur := o.Amount.Currency()
	payer, err := s.accs.id(ctx, SettlementSpec(o.Payer, cur))
	if err != nil {
		return nil, nil, err
	}
	out := o.Amount.Minor()
	ls := []signed{}
	for _, p := range parts {
		if p.Receiver == o.Payer {
			out -= p.Amount.Minor()
			continue
		}
		id, err := s.accs.id(ctx, SettlementSpec(p.Receiver, cur))
		if err != nil {
			return nil, nil, err
		}
		ls = append(ls, signed{id, -p.Amount.Minor()})
	}
	ls = append([]signed{{payer, out}}, ls...)
	lines, debits := signedLines(cur, ls...)
	if len(lines) < 2 {
		return nil, parts, nil // the payer keeps everything: nothing moves
	}
	if err := s.cfg.Store.PutClearingRecord(ctx, VoucherSplit, o.ID, debits, s.cfg.Clock.Now()); err != nil {
		return nil, nil, fmt.Errorf("clearing: split %s: %w", o.ID, err)
	}
	memo := o.Memo
	if memo == "" {
		memo = fmt.Sprintf("split %s of %s from %s among %d receivers", o.ID, o.Amount.Decimal(), o.Payer, len(parts))
	}
	e, err := s.cfg.Ledger.Post(ctx, ledger.Posting{
		Key:     "split/" + o.ID,
		Voucher: ledger.Voucher{Kind: VoucherSplit, ID: o.ID, Amount: debits},
		Lines:   lines,
		Memo:    memo,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("clearing: post split %s: %w", o.ID, err)
	}
	return e, parts, nil
}
