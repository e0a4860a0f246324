package clearing

import (
	"context"
	"errors"
	"time"

	"github.com/tongdao/tongdao/core/clock"
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
	// "wechat") paid in [from, to) and every succeeded refund of its payments completed in
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
}

// ErrBatchExists is returned by InsertSettlementBatches when another run stored a batch of
// the same merchant, day, currency and sequence first.
var ErrBatchExists = errors.New("clearing: settlement batch exists")
