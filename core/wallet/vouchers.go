package wallet

import (
	"context"
	"errors"
	"fmt"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
)

// Vouchers is a ledger.VoucherSource over the wallet's operations and the payment orders:
// wallet_transfer, wallet_payment, wallet_freeze and wallet_withdrawal vouchers are looked up
// as wallet ops (their amount), the rest (order, refund — top-ups are orders) as
// posting.Vouchers does. Given to ledger.VerifyOptions.Vouchers, it makes 账证核对 compare
// every wallet entry with the operation that caused it.
type Vouchers struct {
	Wallet Store
	Orders order.Store
}

var _ ledger.VoucherSource = Vouchers{}

// Vouchers implements ledger.VoucherSource; a record that does not exist is left out.
func (v Vouchers) Vouchers(ctx context.Context, refs []ledger.VoucherRef) (map[ledger.VoucherRef]money.Amount, error) {
	out := map[ledger.VoucherRef]money.Amount{}
	var rest []ledger.VoucherRef
	for _, r := range refs {
		switch r.Kind {
		case VoucherTransfer, VoucherPayment, VoucherFreeze, VoucherWithdrawal:
			o, err := v.Wallet.WalletOp(ctx, r.ID)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("wallet: voucher %s %s: %w", r.Kind, r.ID, err)
			}
			out[r] = o.Amount
		default:
			rest = append(rest, r)
		}
	}
	if len(rest) > 0 && v.Orders != nil {
		m, err := posting.Vouchers{Orders: v.Orders}.Vouchers(ctx, rest)
		if err != nil {
			return nil, err
		}
		for k, a := range m {
			out[k] = a
		}
	}
	return out, nil
}
