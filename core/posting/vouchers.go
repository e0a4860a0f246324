package posting

import (
	"context"
	"errors"
	"fmt"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
)

// Vouchers is a ledger.VoucherSource over the order store: the amount of voucher order/<id>
// is payment <id>'s amount, that of refund/<id> refund <id>'s amount. Given to
// ledger.VerifyOptions.Vouchers, it makes the voucher check (账证核对) compare every entry
// with the real order, so an amount edited in either table is reported as
// "voucher order <id>" or "voucher refund <id>".
//
// Verify calls it while holding its read snapshot of the ledger, so the store needs a second
// connection: on an in-memory SQLite store (sqlite::memory:, one connection) it would wait for
// ever. A SQLite file or PostgreSQL is fine.
//
// Vouchers of other kinds (settlement, adjustment) are not orders: it does not return them,
// so Verify reports them as records that do not exist. Point Verify at a source that knows
// them all when the ledger holds more than order postings.
type Vouchers struct {
	Orders order.Store
}

var _ ledger.VoucherSource = Vouchers{}

// AmountLookup is optionally implemented by an order.Store that can read many orders' amounts
// in one query (core/store's *store.DB does): kind is "payment", "refund" or "payout"; ids that do not
// exist are left out. Vouchers then reads a batch of references with two queries instead of
// one per reference.
type AmountLookup interface {
	OrderAmounts(ctx context.Context, kind string, ids []string) (map[string]money.Amount, error)
}

// Vouchers implements ledger.VoucherSource. A missing order is left out of the map, any other
// read failure is an error.
func (v Vouchers) Vouchers(ctx context.Context, refs []ledger.VoucherRef) (map[ledger.VoucherRef]money.Amount, error) {
	if v.Orders == nil {
		return nil, errors.New("posting: Vouchers.Orders is nil")
	}
	out := make(map[ledger.VoucherRef]money.Amount, len(refs))
	if al, ok := v.Orders.(AmountLookup); ok {
		for _, k := range []struct {
			voucher ledger.VoucherKind
			order   string
		}{{ledger.VoucherOrder, "payment"}, {ledger.VoucherRefund, "refund"}, {VoucherPayout, "payout"}} {
			var ids []string
			for _, r := range refs {
				if r.Kind == k.voucher {
					ids = append(ids, r.ID)
				}
			}
			if len(ids) == 0 {
				continue
			}
			got, err := al.OrderAmounts(ctx, k.order, ids)
			if err != nil {
				return nil, fmt.Errorf("posting: vouchers: %w", err)
			}
			for id, amt := range got {
				out[ledger.VoucherRef{Kind: k.voucher, ID: id}] = amt
			}
		}
		return out, nil
	}
	for _, ref := range refs {
		var amt money.Amount
		var err error
		switch ref.Kind {
		case ledger.VoucherOrder:
			var p *order.Payment
			if p, err = v.Orders.Payment(ctx, ref.ID); err == nil {
				amt = p.Amount
			}
		case ledger.VoucherRefund:
			var r *order.Refund
			if r, err = v.Orders.Refund(ctx, ref.ID); err == nil {
				amt = r.Amount
			}
		case VoucherPayout:
			pr, ok := v.Orders.(PayoutReader)
			if !ok {
				continue
			}
			var po *order.Payout
			if po, err = pr.Payout(ctx, ref.ID); err == nil {
				amt = po.Amount
			}
		default:
			continue
		}
		if errors.Is(err, order.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("posting: voucher %s %s: %w", ref.Kind, ref.ID, err)
		}
		out[ref] = amt
	}
	return out, nil
}
