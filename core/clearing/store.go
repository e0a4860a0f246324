package clearing

import (
	"context"
	"errors"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

// Item is one money movement of a clearing day, as the order store holds it: a succeeded
// payment (by the time the channel says it was paid) or a succeeded refund (by the time it
// completed).
type Item struct {
	Refund     bool   // false: a payment
	ID         string // the payment's or refund's id
	MerchantID string
	Account    string // the payment's channel account (whose fee contract applies)
	Amount     money.Amount
	At         time.Time
	// For a refund: its payment's amount, and the sum of that payment's succeeded refunds
	// that completed before this one (ties by id), from which the fee it returns follows.
	PaymentAmount  money.Amount
	RefundedBefore money.Amount
}

// Store is the storage clearing needs; core/store implements it on SQLite and PostgreSQL.
type Store interface {
	// ClearingItems calls fn for every succeeded payment of channel ch (channel name, e.g.
	// "wechat") paid in [from, to) — or, for a payment the channel gave no paid time,
	// created in it — and every succeeded refund of its payments completed in
	// [from, to), streaming (never the whole day in memory). fn must not keep the Item after
	// it returns: a store may reuse it for the next row.
	ClearingItems(ctx context.Context, ch string, from, to time.Time, fn func(*Item) error) error
	// SettlementBatches returns the batches of clearing day, in id order.
	SettlementBatches(ctx context.Context, day clock.Date) ([]Batch, error)
	// InsertSettlementBatches stores new batches (EntrySeq 0) in one transaction; a batch
	// whose merchant, day, currency and sequence exist already fails the whole call with
	// ErrBatchExists and stores none.
	InsertSettlementBatches(ctx context.Context, bs []Batch) error
	// MarkSettlementPosted records the ledger entry of each batch (id → entry seq).
	MarkSettlementPosted(ctx context.Context, posted map[string]int64) error
	// PutClearingRecord stores the business record of a funds arrival or a split (kind
	// VoucherFunds or VoucherSplit) unless it exists; one that exists with another amount is
	// ErrRecordConflict and changes nothing.
	PutClearingRecord(ctx context.Context, kind ledger.VoucherKind, id string, amount money.Amount, at time.Time) error
	// ClearingVouchers returns the amounts of the settlement batches, funds arrivals and
	// splits among refs that exist (a batch's amount is BatchVoucher's).
	ClearingVouchers(ctx context.Context, refs []ledger.VoucherRef) (map[ledger.VoucherRef]money.Amount, error)
}

// ErrRecordConflict is returned by PutClearingRecord for an id stored with another amount.
var ErrRecordConflict = errors.New("clearing: record exists with another amount")

// BatchVoucher is the voucher amount of a batch's ledger entry: the sum of its debits.
func BatchVoucher(b Batch) money.Amount {
	_, d := signedLines(b.Currency, signed{1, b.Gross.Minor() - b.Refunded.Minor()}, signed{2, -b.Net.Minor()}, signed{3, -b.Fees.Minor()})
	return d
}

// Vouchers is a ledger.VoucherSource for clearing's vouchers (settlement, funds, split) over
// a Store. Combine it with posting.Vouchers (orders and refunds) for `ledger verify`.
type Vouchers struct{ Store Store }

// Vouchers implements ledger.VoucherSource.
func (v Vouchers) Vouchers(ctx context.Context, refs []ledger.VoucherRef) (map[ledger.VoucherRef]money.Amount, error) {
	var mine []ledger.VoucherRef
	for _, r := range refs {
		if r.Kind == ledger.VoucherSettlement || r.Kind == VoucherFunds || r.Kind == VoucherSplit {
			mine = append(mine, r)
		}
	}
	if len(mine) == 0 {
		return map[ledger.VoucherRef]money.Amount{}, nil
	}
	return v.Store.ClearingVouchers(ctx, mine)
}

// ErrBatchExists is returned by InsertSettlementBatches when another run stored a batch of
// the same merchant, day, currency and sequence first.
var ErrBatchExists = errors.New("clearing: settlement batch exists")
