package recon

import (
	"context"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Class is what reconciliation found for one record.
type Class string

// The classes. Matched records are only counted; every other class is an Item.
const (
	Matched       Class = "matched"        // both sides agree on number, amount, status and fee
	AmountDiffers Class = "amount_differs" // same number, different amounts
	// StatusDiffers: the channel says succeeded and the core does not (confirmed by query
	// and completed when the channel's Query agrees), or the core says succeeded and the
	// channel's record says failed or processing.
	StatusDiffers Class = "status_differs"
	LocalOnly     Class = "local_only"     // the core has it paid (refunded) on the day; the statement does not
	ChannelOnly   Class = "channel_only"   // the statement has it; the core has no such order
	FeeDiffers    Class = "fee_differs"    // amounts agree; the channel's fee is not the contract's
	TxnIDDiffers  Class = "txn_id_differs" // number and amount agree; the channel's transaction id does not
)

// Classes lists every class in report order.
var Classes = []Class{Matched, AmountDiffers, StatusDiffers, LocalOnly, ChannelOnly, FeeDiffers, TxnIDDiffers}

// Kind is the kind of record: a payment or a refund.
type Kind string

// The kinds reconciled. Statement records of other types (reversals, payouts, pre-auths,
// disputes) are counted in Report.Skipped, not matched.
const (
	KindPayment Kind = "payment"
	KindRefund  Kind = "refund"
)

// ItemStatus is where an item stands in the resolution workflow.
type ItemStatus string

// Item statuses.
const (
	// ItemOpen: an exception for a person; `recon run` exits non-zero while any is open.
	ItemOpen ItemStatus = "open"
	// ItemWaiting: unmatched within the window before the end of the day; the next day's run
	// matches it or opens it.
	ItemWaiting ItemStatus = "waiting"
	// ItemResolved: confirmed by query, matched on the next day, accepted or adjusted.
	ItemResolved ItemStatus = "resolved"
)

// Item is one difference between the statement and the core.
type Item struct {
	ID      int64      `json:"id"`      // the store's id (0 until stored)
	Account string     `json:"account"` // the channel account
	Channel string     `json:"channel"` // the channel (adapter) name
	Day     clock.Date `json:"day"`     // the accounting day of the run that found it
	Class   Class      `json:"class"`
	Kind    Kind       `json:"kind"`
	// No is the number sent to the channel: the payment's channel order number or the
	// refund's channel refund number (the statement's OrderNo / RefundNo).
	No       string         `json:"no"`
	OrderNo  string         `json:"order_no,omitempty"` // the merchant's order or refund number, when the core has the order
	LocalID  string         `json:"local_id,omitempty"` // the core's id (pay_…, ref_…), when the core has the order
	TxnID    string         `json:"txn_id,omitempty"`   // the channel's transaction (refund) id, from either side
	Currency money.Currency `json:"currency"`
	// LocalAmount and ChannelAmount are the amounts on each side in minor units (0 when that
	// side has none); LocalFee is the contract's fee, ChannelFee the statement's.
	LocalAmount   int64      `json:"local_amount"`
	ChannelAmount int64      `json:"channel_amount"`
	LocalFee      int64      `json:"local_fee"`
	ChannelFee    int64      `json:"channel_fee"`
	LocalState    string     `json:"local_state,omitempty"`    // the order's state, "" when none
	ChannelStatus string     `json:"channel_status,omitempty"` // the record's status, "" when none
	At            time.Time  `json:"at"`                       // the channel's time, else the core's
	Status        ItemStatus `json:"status"`
	Note          string     `json:"note"` // what was found or done, for the person reading it
}

// Local is one payment or refund as the core has it, as Source streams it. No, TxnID, Amount
// and At are what matching needs; OrderNo, ID and State may be left empty by a Source (the
// Runner looks them up for the rows that become items).
type Local struct {
	Kind    Kind
	No      string // channel order number (payment) or channel refund number (refund)
	OrderNo string // the merchant's number
	ID      string
	TxnID   string // payment: channel transaction id; refund: channel refund id
	Amount  money.Amount
	State   string
	At      time.Time // paid (completed) time
}

// Source streams the core's side of one channel account's accounting day: the payments paid
// in [from, to) and the refunds completed in it. fn gets a Local that is overwritten after
// it returns (copy what you keep); an error from fn stops the stream and is returned.
// Reconcile calls it on a goroutine of its own (reading overlaps matching) and cancels ctx
// when matching fails.
type Source interface {
	ReconLocal(ctx context.Context, account string, from, to time.Time, fn func(*Local) error) error
}

// FeeFunc returns the contract's fee on a payment of amount on a channel account (the shape
// of a clearing fee contract's Fee method).
type FeeFunc func(account string, amount money.Amount) (money.Amount, error)
