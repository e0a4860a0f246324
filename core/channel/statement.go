package channel

import (
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// StatementType selects which records to download.
type StatementType string

const (
	StatementAll      StatementType = "all"      // payments and refunds (the default when empty)
	StatementPayments StatementType = "payments" // successful payments only
	StatementRefunds  StatementType = "refunds"  // refunds only
)

// StatementRequest asks for one accounting day's statement.
type StatementRequest struct {
	// Date is the channel's accounting day (natural Beijing day for WeChat and Alipay, the
	// 23:00-to-23:00 clearing day for UnionPay).
	Date clock.Date
	Type StatementType
}

// RecordType classifies a statement record.
type RecordType string

const (
	RecordPayment  RecordType = "payment"  // money in from the payer
	RecordRefund   RecordType = "refund"   // money back to the payer
	RecordReversal RecordType = "reversal" // a same-day cancel/undo of a payment
	RecordPayout   RecordType = "payout"   // money out to a card
	RecordOther    RecordType = "other"    // anything else the statement lists; see ChannelType
)

// StatementRecord is one line of a channel statement in normalised form. Amounts are
// positive; the direction comes from Type.
type StatementRecord struct {
	Channel         string
	Type            RecordType
	ChannelType     string // the channel's own classification (WeChat 交易状态, UnionPay txnType)
	ChannelTxnID    string // the payment's channel id; for refunds, the original payment's
	ChannelRefundID string // refunds: the channel's refund id
	OrderNo         string // merchant order number (for refunds: of the original payment)
	RefundNo        string // refunds: merchant refund number
	Amount          money.Amount
	// Fee is the channel's fee on this record in minor units, rounded half-up when the
	// statement prints more decimals (WeChat prints 5); positive = charged to the merchant,
	// negative = returned to it. FeeExact keeps the statement's text when it had more
	// precision than Fee can hold ("" otherwise).
	Fee      money.Amount
	FeeExact string
	// Status is the record's outcome as normalised: Succeeded for payments, Succeeded /
	// Processing / Failed for refunds as the statement says.
	Status        Status
	ChannelStatus string    // the channel's own status text
	ChannelTime   time.Time // payment success or refund time on the channel, Beijing time
	// SettlementDate is the accounting day the channel put the record in.
	SettlementDate clock.Date
	// Line is the 1-based line (or record) number in the statement file, for diagnosis.
	Line int
}

// StatementTotals are the totals a statement states about itself, for cross-checking the
// records. Fields the channel does not state are zero.
type StatementTotals struct {
	Count         int64        // number of records (all types) the statement claims
	PaymentCount  int64        // number of payment records, where stated separately
	RefundCount   int64        // number of refund records, where stated separately
	PaymentAmount money.Amount // sum of payments
	RefundAmount  money.Amount // sum of refunds (positive)
	FeeAmount     money.Amount // sum of fees
}

// StatementReader streams a statement's records without holding the day in memory.
type StatementReader interface {
	// Next fills rec with the next record. It returns io.EOF after the last one, and an
	// *Error (KindInvalidRequest, naming the line) for a malformed line; the reader is then
	// unusable. rec is overwritten on each call; copy what you keep.
	Next(rec *StatementRecord) error
	// Totals returns the statement's own totals once Next has returned io.EOF, or nil when
	// the format has none (or Next has not reached the end).
	Totals() *StatementTotals
	// Close releases the underlying stream. Safe to call more than once.
	Close() error
}
