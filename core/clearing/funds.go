package clearing

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/posting"
)

// VoucherFunds is the voucher kind of a funds arrival: its id is "<channel>/<day>/<ref>".
const VoucherFunds ledger.VoucherKind = "funds"

// Arrival is money a channel paid into the platform's bank account for one clearing day, as a
// bank statement line or an operator reports it.
type Arrival struct {
	Channel string       // the channel's name, e.g. "wechat"
	Day     clock.Date   // the clearing day the money settles
	Amount  money.Amount // what arrived; positive
	Ref     string       // the statement line's or operator's reference: one arrival, one Ref
}

// ArrivalResult is what FundsArrived posted and what the day's items say was due.
type ArrivalResult struct {
	Entry *ledger.Entry
	// Due is what the channel owes for the day by the order store: its payments less their
	// fees, less its refunds net of the fees they return, in Amount's currency.
	Due money.Amount
	// Difference is Amount − Due: not zero means the channel paid more or less than the
	// day's business; the difference stays on 1122 (and ages) until reconciliation explains it.
	Difference money.Amount
}

// FundsArrived posts a channel's funds arriving at the bank:
//
//	Dr 1002 bank deposit                  Amount
//	Cr 1122 receivable from the channel   Amount
//
// keyed by channel, day and Ref, so reporting the same arrival again posts nothing new (the
// same Ref with another amount is refused with ledger.ErrIdempotencyConflict). It also
// computes what the day's items say was due and the difference.
func (s *Settler) FundsArrived(ctx context.Context, a Arrival) (*ArrivalResult, error) {
	_, ok := s.cfg.Channels[a.Channel]
	switch {
	case !ok:
		return nil, fmt.Errorf("clearing: funds arrived: channel %q is not configured", a.Channel)
	case !a.Day.Valid():
		return nil, fmt.Errorf("clearing: funds arrived: day %v is not a calendar day", a.Day)
	case !a.Amount.IsPositive() || !a.Amount.Currency().Valid():
		return nil, fmt.Errorf("clearing: funds arrived: amount %s must be positive", a.Amount)
	case a.Ref == "" || len(a.Ref) > 100 || strings.ContainsAny(a.Ref, "/\n"):
		return nil, errors.New("clearing: funds arrived: ref is required (1–100 characters, no '/'): the bank statement line or operator reference")
	}
	due, err := s.Due(ctx, a.Channel, a.Day, a.Amount.Currency())
	if err != nil {
		return nil, err
	}
	cur := a.Amount.Currency()
	bank, err := s.accs.id(ctx, BankSpec(s.cfg.Bank, cur))
	if err != nil {
		return nil, err
	}
	recv, err := s.accs.id(ctx, posting.ReceivableSpec(a.Channel, cur))
	if err != nil {
		return nil, err
	}
	id := a.Channel + "/" + a.Day.String() + "/" + a.Ref
	if err := s.cfg.Store.PutClearingRecord(ctx, VoucherFunds, id, a.Amount, s.cfg.Clock.Now()); err != nil {
		return nil, fmt.Errorf("clearing: funds %s: %w", id, err)
	}
	e, err := s.cfg.Ledger.Post(ctx, ledger.Posting{
		Key:     "funds/" + id,
		Voucher: ledger.Voucher{Kind: VoucherFunds, ID: id, Amount: a.Amount},
		Lines: []ledger.Line{
			{Account: bank, Side: ledger.Debit, Amount: a.Amount},
			{Account: recv, Side: ledger.Credit, Amount: a.Amount},
		},
		Memo: fmt.Sprintf("funds arrived from %s for clearing day %s: %s (ref %s)", a.Channel, a.Day, a.Amount.Decimal(), a.Ref),
	})
	if err != nil {
		return nil, fmt.Errorf("clearing: post funds %s: %w", id, err)
	}
	diff, _ := a.Amount.Sub(due)
	return &ArrivalResult{Entry: e, Due: due, Difference: diff}, nil
}

// Due returns what channel ch owes for clearing day (its cut-off cut) in cur by the order
// store: payments less fees, less refunds net of the fees they return — the day's movement of
// the channel's 1122 receivable as the ledger poster books it.
func (s *Settler) Due(ctx context.Context, ch string, day clock.Date, cur money.Currency) (money.Amount, error) {
	cut, ok := s.cfg.Channels[ch]
	if !ok {
		return money.Amount{}, fmt.Errorf("clearing: channel %q is not configured", ch)
	}
	from, to, err := DayWindow(day, cut)
	if err != nil {
		return money.Amount{}, err
	}
	var due int64
	err = s.cfg.Store.ClearingItems(ctx, ch, from, to, func(it *Item) error {
		if it.Amount.Currency() != cur {
			return nil
		}
		c, err := s.cfg.Contracts.For(it.Account)
		if err != nil {
			return fmt.Errorf("%w (%s)", err, it.ID)
		}
		if !it.Refund {
			fee, err := c.Fee(it.Amount)
			if err != nil {
				return err
			}
			due += it.Amount.Minor() - fee.Minor()
			return nil
		}
		ret, err := refundFee(c, it)
		if err != nil {
			return err
		}
		due -= it.Amount.Minor() - ret.Minor()
		return nil
	})
	if err != nil {
		return money.Amount{}, fmt.Errorf("clearing: what %s owes for %s: %w", ch, day, err)
	}
	return money.New(due, cur), nil
}
