package posting

import (
	"context"
	"errors"
	"fmt"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
)

// VoucherPayout is the voucher kind of payout postings: the payout order is the voucher.
const VoucherPayout ledger.VoucherKind = "payout"

// CodeBankDeposit is 银行存款: the merchant-funds account the core holds at a paying bank or
// channel (asset). A payout is paid out of it; a channel's settlement of payments pays into
// it (clearing).
const CodeBankDeposit = "1002"

// BankDepositSpec is the deposit account of channel ch (one per channel and currency). It may
// go negative: payouts can be posted before the settlements that fund them are.
func BankDepositSpec(ch string, cur money.Currency) ledger.AccountSpec {
	return ledger.AccountSpec{Code: CodeBankDeposit, OwnerKind: ledger.OwnerChannel, OwnerID: ch, Currency: cur,
		Name: "银行存款-" + ch, Flags: ledger.AllowNegative}
}

// PayoutReader is what the Poster needs of a store to post payouts; core/store's *DB has it.
// A Store without it leaves payout events unposted (their deliveries are retried).
type PayoutReader interface {
	Payout(ctx context.Context, id string) (*order.Payout, error)
}

func (p *Poster) payoutOf(ctx context.Context, ev *order.Event) (*order.Payout, error) {
	pr, ok := p.cfg.Store.(PayoutReader)
	if !ok {
		return nil, fmt.Errorf("posting: event %s of payout %s: the store cannot read payouts", ev.ID, ev.OrderID)
	}
	po, err := pr.Payout(ctx, ev.OrderID)
	if err != nil {
		return nil, fmt.Errorf("posting: payout %s of event %s: %w", ev.OrderID, ev.ID, err)
	}
	if !po.Amount.IsPositive() {
		return nil, fmt.Errorf("posting: payout %s: amount %s is not positive", po.ID, po.Amount)
	}
	return po, nil
}

// postPayout posts a succeeded payout: the merchant's payable down by the amount, the
// channel's deposit account down by the same (Dr 2202 应付商户款, Cr 1002 银行存款-<channel>).
// Payout fees are not posted: no channel fee contract covers payouts yet.
func (p *Poster) postPayout(ctx context.Context, ev *order.Event) error {
	po, err := p.payoutOf(ctx, ev)
	if err != nil {
		return err
	}
	cur := po.Amount.Currency()
	payable, err := p.accs.id(ctx, PayableSpec(po.MerchantID, cur))
	if err != nil {
		return err
	}
	deposit, err := p.accs.id(ctx, BankDepositSpec(po.Channel, cur))
	if err != nil {
		return err
	}
	return p.post(ctx, ev, ledger.Posting{
		Key:     ev.ID,
		Voucher: ledger.Voucher{Kind: VoucherPayout, ID: po.ID, Amount: po.Amount},
		Lines: []ledger.Line{
			{Account: payable, Side: ledger.Debit, Amount: po.Amount},
			{Account: deposit, Side: ledger.Credit, Amount: po.Amount},
		},
		Memo: fmt.Sprintf("payout.succeeded %s merchant %s channel %s", po.ID, po.MerchantID, po.Channel),
	})
}

// reversePayout posts a returned payout as a reversal of its succeeded entry (a new entry
// that mirrors it, never an edit). A payout returned without a recorded success (a query
// found it returned already) had nothing posted and gets nothing: it reports false then.
func (p *Poster) reversePayout(ctx context.Context, ev *order.Event) (bool, error) {
	po, err := p.payoutOf(ctx, ev)
	if err != nil {
		return false, err
	}
	hist, err := p.cfg.Store.History(ctx, po.ID)
	if err != nil {
		return false, fmt.Errorf("posting: history of payout %s: %w", po.ID, err)
	}
	var succeeded string
	for _, e := range hist {
		if e.OrderKind == "payout" && e.Type == "payout.succeeded" {
			succeeded = e.ID
		}
	}
	if succeeded == "" {
		return false, nil
	}
	var posted map[string]*ledger.Entry
	if err := p.cfg.Store.Read(ctx, func(tx ledger.ReadTx) error {
		posted, err = tx.EntriesByKey(ctx, []string{succeeded, ev.ID})
		return err
	}); err != nil {
		return false, fmt.Errorf("posting: read the entries of payout %s: %w", po.ID, err)
	}
	if _, ok := posted[ev.ID]; ok {
		return true, nil // reversed by an earlier attempt
	}
	orig, ok := posted[succeeded]
	if !ok {
		// Events of one payout are delivered in order, so its success is not posted yet
		// (failed, retrying): wait for it.
		return false, fmt.Errorf("posting: returned payout %s: its success (event %s) is not posted yet", po.ID, succeeded)
	}
	_, err = p.cfg.Ledger.Reverse(ctx, ledger.ReverseRequest{Key: ev.ID, Entry: orig.Seq,
		Memo: fmt.Sprintf("payout.returned %s merchant %s channel %s return %s", po.ID, po.MerchantID, po.Channel, po.ReturnNo)})
	if errors.Is(err, ledger.ErrIdempotencyConflict) {
		p.cfg.Logger.Warn("posting: payout return already posted with other figures; the first posting stands", "event", ev.ID, "err", err)
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("posting: payout.returned %s (event %s): %w", po.ID, ev.ID, err)
	}
	return true, nil
}
