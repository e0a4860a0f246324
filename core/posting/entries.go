package posting

import (
	"context"
	"fmt"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
)

// lines builds an entry's lines, leaving out those of zero.
func lines(ls ...ledger.Line) []ledger.Line {
	out := ls[:0]
	for _, l := range ls {
		if !l.Amount.IsZero() {
			out = append(out, l)
		}
	}
	return out
}

// postPayment posts a succeeded payment (a late success too): the receivable net of the fee,
// the fee, and the merchant's payable of the whole amount.
func (p *Poster) postPayment(ctx context.Context, ev *order.Event, pay *order.Payment) error {
	if pay == nil || pay.ID != ev.OrderID {
		var err error
		if pay, err = p.cfg.Store.Payment(ctx, ev.OrderID); err != nil {
			return fmt.Errorf("posting: payment %s of event %s: %w", ev.OrderID, ev.ID, err)
		}
	}
	amt := pay.Amount
	if !amt.IsPositive() {
		return fmt.Errorf("posting: payment %s: amount %s is not positive", pay.ID, amt)
	}
	fee, err := p.cfg.Fees(pay)
	if err != nil {
		return fmt.Errorf("posting: fee of payment %s: %w", pay.ID, err)
	}
	if fee.Currency() != amt.Currency() || fee.IsNegative() || fee.Minor() > amt.Minor() {
		return fmt.Errorf("posting: fee of payment %s is %s: want 0 to %s", pay.ID, fee, amt)
	}
	acc, err := p.accs.set(ctx, pay.Channel, pay.MerchantID, amt.Currency())
	if err != nil {
		return err
	}
	net := money.New(amt.Minor()-fee.Minor(), amt.Currency())
	return p.post(ctx, ev, ledger.Posting{
		Key:     ev.ID,
		Voucher: ledger.Voucher{Kind: ledger.VoucherOrder, ID: pay.ID, Amount: amt},
		Lines: lines(
			ledger.Line{Account: acc.recv, Side: ledger.Debit, Amount: net},
			ledger.Line{Account: acc.fees, Side: ledger.Debit, Amount: fee},
			ledger.Line{Account: acc.payable, Side: ledger.Credit, Amount: amt},
		),
		Memo: fmt.Sprintf("payment.succeeded %s merchant %s channel %s", pay.ID, pay.MerchantID, pay.Channel),
	})
}

// postRefund posts a succeeded refund: the merchant's payable back down by the refund, the
// receivable down by the refund less the fee it returns, the fee down by that part. The
// payment's fee and what earlier refunds returned are read from the ledger itself (the
// entries of the payment's earlier events), so the figures stay consistent with what was
// posted even if the fee configuration changed since.
func (p *Poster) postRefund(ctx context.Context, ev *order.Event) error {
	r, err := p.cfg.Store.Refund(ctx, ev.OrderID)
	if err != nil {
		return fmt.Errorf("posting: refund %s of event %s: %w", ev.OrderID, ev.ID, err)
	}
	pay, err := p.cfg.Store.Payment(ctx, r.PaymentID)
	if err != nil {
		return fmt.Errorf("posting: payment %s of refund %s: %w", r.PaymentID, r.ID, err)
	}
	policy, ok := p.cfg.FeeRefund[pay.Channel]
	if !ok {
		return fmt.Errorf("posting: refund %s: no fee-refund policy for channel %q in Config.FeeRefund", r.ID, pay.Channel)
	}
	if !r.Amount.IsPositive() || r.Amount.Currency() != pay.Amount.Currency() {
		return fmt.Errorf("posting: refund %s: amount %s of a payment in %s", r.ID, r.Amount, pay.Amount.Currency())
	}
	hist, err := p.cfg.Store.History(ctx, pay.ID)
	if err != nil {
		return fmt.Errorf("posting: history of payment %s: %w", pay.ID, err)
	}
	var keys []string
	for _, e := range hist {
		if (e.Type == "payment.succeeded" && e.OrderKind == "payment") || (e.Type == "refund.succeeded" && e.OrderKind == "refund") {
			keys = append(keys, e.ID)
		}
	}
	var posted map[string]*ledger.Entry
	if err := p.cfg.Store.Read(ctx, func(tx ledger.ReadTx) error {
		posted, err = tx.EntriesByKey(ctx, append(keys, ev.ID))
		return err
	}); err != nil {
		return fmt.Errorf("posting: read the entries of payment %s: %w", pay.ID, err)
	}
	if _, ok := posted[ev.ID]; ok {
		return nil // posted by an earlier attempt
	}
	cur := pay.Amount.Currency()
	acc, err := p.accs.set(ctx, pay.Channel, pay.MerchantID, cur)
	if err != nil {
		return err
	}
	var fee, before, returned int64
	paid := false
	for _, e := range posted {
		switch e.Voucher.Kind {
		case ledger.VoucherOrder:
			if e.Voucher.ID != pay.ID {
				continue
			}
			paid = true
			for _, l := range e.Lines {
				if l.Account == acc.fees && l.Side == ledger.Debit {
					fee += l.Amount.Minor()
				}
			}
		case ledger.VoucherRefund:
			before += e.Voucher.Amount.Minor()
			for _, l := range e.Lines {
				if l.Account == acc.fees && l.Side == ledger.Credit {
					returned += l.Amount.Minor()
				}
			}
		}
	}
	if !paid {
		// The outbox delivers a payment's events in order, so this means the payment's
		// posting failed or was dead-lettered: refunding what was never posted would leave
		// the books wrong, so wait for it.
		return fmt.Errorf("posting: refund %s: payment %s is not posted to the ledger yet", r.ID, pay.ID)
	}
	if before+r.Amount.Minor() > pay.Amount.Minor() {
		return fmt.Errorf("posting: refund %s of %s: refunds posted already come to %s of the payment's %s", r.ID, r.Amount,
			money.New(before, cur), pay.Amount)
	}
	f, err := FeeReturned(policy, pay.Amount, money.New(fee, cur), money.New(before, cur), money.New(returned, cur), r.Amount)
	if err != nil {
		return fmt.Errorf("posting: refund %s: %w", r.ID, err)
	}
	return p.post(ctx, ev, ledger.Posting{
		Key:     ev.ID,
		Voucher: ledger.Voucher{Kind: ledger.VoucherRefund, ID: r.ID, Amount: r.Amount},
		Lines: lines(
			ledger.Line{Account: acc.payable, Side: ledger.Debit, Amount: r.Amount},
			ledger.Line{Account: acc.recv, Side: ledger.Credit, Amount: money.New(r.Amount.Minor()-f.Minor(), cur)},
			ledger.Line{Account: acc.fees, Side: ledger.Credit, Amount: f},
		),
		Memo: fmt.Sprintf("refund.succeeded %s of payment %s merchant %s channel %s fee policy %s", r.ID, pay.ID, pay.MerchantID, pay.Channel, policy),
	})
}
