package recon

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

// Vouchers is a ledger.VoucherSource for the correction entries of resolutions (adjust.go):
// voucher adjustment/recon-item-N exists when item N was resolved by adjusting, for the
// amount the correction booked (the statement's amount where the amounts differed, else the
// local one). Other vouchers are left to the other sources. Give it to
// ledger.VerifyOptions.Vouchers beside the order and clearing sources, so 账证核对 finds a
// correction's cause instead of reporting it missing.
type Vouchers struct{ Store Store }

var _ ledger.VoucherSource = Vouchers{}

const adjustVoucherPrefix = "recon-item-"

// Vouchers implements ledger.VoucherSource; a record that does not exist is left out.
func (v Vouchers) Vouchers(ctx context.Context, refs []ledger.VoucherRef) (map[ledger.VoucherRef]money.Amount, error) {
	out := map[ledger.VoucherRef]money.Amount{}
	for _, r := range refs {
		if r.Kind != ledger.VoucherAdjustment || !strings.HasPrefix(r.ID, adjustVoucherPrefix) {
			continue
		}
		id, err := strconv.ParseInt(strings.TrimPrefix(r.ID, adjustVoucherPrefix), 10, 64)
		if err != nil || id <= 0 {
			continue // not one of ours: no such record
		}
		it, err := v.Store.ReconItem(ctx, id)
		if errors.Is(err, ErrNoItem) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("recon: voucher %s %s: %w", r.Kind, r.ID, err)
		}
		rs, err := v.Store.ReconResolutions(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("recon: voucher %s %s: %w", r.Kind, r.ID, err)
		}
		adjusted := false
		for _, x := range rs {
			adjusted = adjusted || x.Action == ActionAdjust
		}
		if !adjusted {
			continue
		}
		amount := it.LocalAmount
		if it.Class == AmountDiffers {
			amount = it.ChannelAmount
		}
		out[r] = money.New(amount, it.Currency)
	}
	return out, nil
}
