package recon

import (
	"context"
	"fmt"
	"strconv"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
)

// History is what LedgerAdjuster needs of the order store: an order's events, whose ids are
// the idempotency keys of the entries the posting consumer made.
type History interface {
	History(ctx context.Context, paymentID string) ([]*order.Event, error)
	Refund(ctx context.Context, id string) (*order.Refund, error)
}

// LedgerAdjuster is the Adjuster over the ledger the posting package books to. For an item of
// a payment the core booked, it reverses that entry and, where the statement's figure stands
// (amount or fee differs), posts a correction entry with the statement's amount and fee (Dr
// 应收待清算 amount − fee, Dr 渠道手续费 fee, Cr 应付商户款 amount), voucher
// adjustment/recon-item-<id>. A local-only payment (the channel never took the money) is
// reversed only. Both entries are keyed by the item, so a retried adjustment posts nothing
// new. Channel-only items (no order, no merchant to credit) and refunds other than local-only
// are refused: accept those as exceptions and correct them by hand.
type LedgerAdjuster struct {
	Ledger *ledger.Ledger
	Store  ledger.Store
	Orders History
}

// Adjust implements Adjuster.
func (a LedgerAdjuster) Adjust(ctx context.Context, it *Item) (string, error) {
	if a.Ledger == nil || a.Store == nil || a.Orders == nil {
		return "", fmt.Errorf("%w: the ledger adjuster is not configured", ErrResolution)
	}
	if it.LocalID == "" {
		return "", fmt.Errorf("%w: item %d has no order in the core; nothing was booked to adjust", ErrResolution, it.ID)
	}
	correct := false
	switch {
	case it.Kind == KindPayment && (it.Class == AmountDiffers || it.Class == FeeDiffers):
		correct = true
	case it.Class == LocalOnly, it.Class == StatusDiffers && it.ChannelStatus != "" && it.ChannelStatus != "succeeded":
	default:
		return "", fmt.Errorf("%w: a %s %s item is not adjusted in the ledger; accept it as an exception", ErrResolution, it.Kind, it.Class)
	}
	paymentID, evType := it.LocalID, "payment.succeeded"
	if it.Kind == KindRefund {
		evType = "refund.succeeded"
		rf, err := a.Orders.Refund(ctx, it.LocalID)
		if err != nil {
			return "", err
		}
		paymentID = rf.PaymentID
	}
	evs, err := a.Orders.History(ctx, paymentID)
	if err != nil {
		return "", err
	}
	key := ""
	for _, e := range evs {
		if e.Type == evType && e.OrderID == it.LocalID {
			key = e.ID
		}
	}
	if key == "" {
		return "", fmt.Errorf("%w: %s %s has no %s event to find its entry by", ErrResolution, it.Kind, it.LocalID, evType)
	}
	var booked *ledger.Entry
	accts := map[ledger.AccountID]ledger.Account{}
	if err := a.Store.Read(ctx, func(tx ledger.ReadTx) error {
		m, err := tx.EntriesByKey(ctx, []string{key})
		if err != nil {
			return err
		}
		booked = m[key]
		if booked == nil {
			return nil
		}
		ids := make([]ledger.AccountID, 0, len(booked.Lines))
		for _, l := range booked.Lines {
			ids = append(ids, l.Account)
		}
		accts, err = tx.AccountsByID(ctx, ids)
		return err
	}); err != nil {
		return "", err
	}
	if booked == nil {
		return "", fmt.Errorf("%w: the entry of %s %s is not posted yet (event %s); try again after posting", ErrResolution, it.Kind, it.LocalID, key)
	}
	item := strconv.FormatInt(it.ID, 10)
	rev, err := a.Ledger.Reverse(ctx, ledger.ReverseRequest{Key: "recon-reverse-" + item, Entry: booked.Seq,
		Memo: fmt.Sprintf("recon item %s: %s %s %s", item, it.Class, it.Kind, it.No)})
	if err != nil {
		return "", fmt.Errorf("recon: reverse entry %d: %w", booked.Seq, err)
	}
	detail := fmt.Sprintf("entry %d reversed by entry %d", booked.Seq, rev.Seq)
	if !correct {
		return detail, nil
	}
	var recv, fees, payable ledger.AccountID
	for _, l := range booked.Lines {
		switch accts[l.Account].Code {
		case posting.CodeReceivable:
			recv = l.Account
		case posting.CodeFees:
			fees = l.Account
		case posting.CodePayable:
			payable = l.Account
		}
	}
	cur := it.Currency
	amount := it.LocalAmount
	if it.Class == AmountDiffers {
		amount = it.ChannelAmount
	}
	fee := it.ChannelFee
	if recv == 0 || payable == 0 || (fee != 0 && fees == 0) || fee < 0 || fee > amount {
		return detail, fmt.Errorf("recon: entry %d was reversed, but its accounts (receivable, fees, payable) or the statement's fee %d do not allow a correction: post it by hand", booked.Seq, fee)
	}
	lines := []ledger.Line{{Account: recv, Side: ledger.Debit, Amount: money.New(amount-fee, cur)}}
	if fee > 0 {
		lines = append(lines, ledger.Line{Account: fees, Side: ledger.Debit, Amount: money.New(fee, cur)})
	}
	lines = append(lines, ledger.Line{Account: payable, Side: ledger.Credit, Amount: money.New(amount, cur)})
	if amount-fee == 0 {
		lines = lines[1:]
	}
	corr, err := a.Ledger.Post(ctx, ledger.Posting{Key: "recon-correct-" + item,
		Voucher: ledger.Voucher{Kind: ledger.VoucherAdjustment, ID: "recon-item-" + item, Amount: money.New(amount, cur)},
		Lines:   lines, Memo: fmt.Sprintf("recon item %s: %s %s as the statement says", item, it.Kind, it.No)})
	if err != nil {
		return detail, fmt.Errorf("recon: %s; the correction entry failed: %w", detail, err)
	}
	return fmt.Sprintf("%s; correction entry %d (%s, fee %s)", detail, corr.Seq, money.New(amount, cur), money.New(fee, cur)), nil
}
