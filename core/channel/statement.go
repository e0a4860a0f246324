package channel

import (
	"time"

	"github.com/shopspring/decimal"

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
	// 23:00-to-23:00 clearing day for UnionPay; see Info.DayCutoff).
	Date clock.Date
	// Type selects the records (empty = StatementAll).
	Type StatementType
}

// RecordType classifies a statement record.
type RecordType string

const (
	RecordPayment  RecordType = "payment"  // money in from the payer
	RecordRefund   RecordType = "refund"   // money back to the payer
	RecordReversal RecordType = "reversal" // a same-day cancel/undo of a payment
	RecordPayout   RecordType = "payout"   // money out to a card
	// RecordPayoutReturn: a payout the receiving bank returned; the money is back with the
	// merchant (PayoutNo and ReturnNo name it).
	RecordPayoutReturn RecordType = "payout_return"
	RecordPreAuth      RecordType = "preauth" // funds frozen by a pre-authorisation (no money moved)
	RecordCapture      RecordType = "capture" // a pre-authorisation completed: money in
	// RecordDispute: a record the channel flags as an error or dispute (UnionPay's ZME
	// file): to be resolved by a person.
	RecordDispute RecordType = "dispute"
	RecordOther   RecordType = "other" // anything else the statement lists; see ChannelType
)

// StatementRecord is one line of a channel statement in normalised form. Amounts are
// positive; the direction comes from Type.
type StatementRecord struct {
	Channel         string     // the adapter's name
	Type            RecordType // what the record is
	ChannelType     string     // the channel's own classification (WeChat 交易状态, UnionPay txnType)
	ChannelTxnID    string     // the payment's channel id; for refunds, the original payment's
	ChannelRefundID string     // refunds: the channel's refund id
	OrderNo         string     // merchant order number (for refunds: of the original payment)
	RefundNo        string     // refunds: merchant refund number
	// CancelNo is the undo's own merchant number for reversals where the channel has one
	// (UnionPay consume undo).
	CancelNo string
	// PayoutNo is the merchant payout number (payouts and payout returns); ReturnNo the
	// channel's id of a return.
	PayoutNo string
	ReturnNo string // the channel's id of a payout return
	// Amount is the record's amount (the order amount for payments, this refund's amount
	// for refunds), positive.
	Amount money.Amount
	// Discount is the part of Amount paid by coupons or channel discounts rather than by
	// the payer (WeChat 代金券金额, Alipay 支付宝优惠), where stated; zero otherwise.
	Discount money.Amount
	// SettleAmount is the amount the channel settles for this record (WeChat 应结订单金额,
	// UnionPay settleAmt), where stated; zero otherwise.
	SettleAmount money.Amount
	// Fee is the channel's fee on this record in minor units: positive = charged to the
	// merchant, negative = returned to it (refunds under FeeRefundProportional). It is
	// ExactFee rounded half away from zero to the currency's minor unit; statement totals
	// (StatementTotals.FeeAmount) are the sum of these rounded row fees, so records and
	// totals always add up.
	Fee money.Amount
	// FeeUnits and FeeScale hold the fee exactly as the statement prints it, in major
	// units (yuan) with the same sign as Fee, as the integer FeeUnits × 10^-FeeScale, when the
	// statement prints more precision than minor units (WeChat: 5 decimals, 0.00738 is
	// FeeUnits 738, FeeScale 5); both zero otherwise. They are kept as integers so a reader
	// streaming millions of rows allocates nothing for them; ExactFee returns the value as
	// a decimal.Decimal and always answers.
	FeeUnits int64
	FeeScale int8 // decimal places of FeeUnits (0 = not set)
	// CardMasked is the payer's card as the statement shows it, masked 6+4 (UnionPay,
	// bank); never a full number.
	CardMasked string
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

// ExactFee returns the fee exactly as the statement printed it, in major units (yuan):
// FeeUnits × 10^-FeeScale when FeeScale is set, else Fee as a decimal.
func (r *StatementRecord) ExactFee() decimal.Decimal {
	if r.FeeScale > 0 {
		return decimal.New(r.FeeUnits, -int32(r.FeeScale))
	}
	return decimal.New(r.Fee.Minor(), -int32(r.Fee.Currency().Exponent()))
}

// NetAmount returns what the record moves for the merchant, from the rounded Fee: Amount −
// Fee for money in (payments, captures, payout returns), Amount + Fee for money out
// (refunds, reversals, payouts), where a returned fee (negative Fee) lowers the outflow.
func (r *StatementRecord) NetAmount() (money.Amount, error) {
	switch r.Type {
	case RecordRefund, RecordReversal, RecordPayout:
		return r.Amount.Add(r.Fee)
	}
	return r.Amount.Sub(r.Fee)
}

// StatementTotals are a statement's totals, for cross-checking the records: counts and
// amounts as the statement states them (zero where it states none), except FeeAmount (below).
//
// FeeAmount is always the sum of the records' rounded Fee, so totals add up row by row;
// StatedFeeAmount keeps the statement's own fee total, exact, for cross-checking (WeChat
// prints the 5-decimal sum, which can differ from the sum of rounded rows by a few fen).
type StatementTotals struct {
	Count         int64        // number of records (all types) the statement claims
	PaymentCount  int64        // number of payment records, where stated separately
	RefundCount   int64        // number of refund records, where stated separately
	PaymentAmount money.Amount // sum of payments
	RefundAmount  money.Amount // sum of refunds (positive)
	FeeAmount     money.Amount // sum of the records' rounded Fee
	// StatedFeeAmount is the fee total as the statement prints it (exact, major units);
	// zero when the statement states none.
	StatedFeeAmount decimal.Decimal
	PayoutCount     int64        // number of payout records, where stated
	PayoutAmount    money.Amount // sum of payouts (positive)
	ReturnCount     int64        // number of payout-return records, where stated
	ReturnAmount    money.Amount // sum of payout returns (positive)
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
