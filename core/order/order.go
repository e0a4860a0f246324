package order

import (
	"errors"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// State is the state of a payment or a refund.
type State string

// Payment states. Refunds use Created, Pending, Succeeded and Failed.
const (
	// Created: stored, the channel not called yet (or its answer not recorded yet).
	Created State = "created"
	// Pending: the channel accepted the order and the payer has not paid yet, or the
	// channel's answer was unknown (Payment.Unresolved) and the order is being queried.
	Pending State = "pending"
	// Succeeded: the money moved. For a refund, final.
	Succeeded State = "succeeded"
	// Failed: the channel definitively refused; no money moved. Final (a late success
	// notification can still move it to Succeeded, with an alert).
	Failed State = "failed"
	// Closed: an unpaid order was closed on the channel or expired. Final but for a late
	// success.
	Closed State = "closed"
	// PartiallyRefunded: succeeded, and refunds have returned part of the amount.
	PartiallyRefunded State = "partially_refunded"
	// Refunded: succeeded, and refunds have returned the whole amount. Final.
	Refunded State = "refunded"
)

// Paid reports whether the state means the payer's money reached the merchant.
func (s State) Paid() bool { return s == Succeeded || s == PartiallyRefunded || s == Refunded }

// Final reports whether nothing but a late success or a refund can change the state.
func (s State) Final() bool {
	switch s {
	case Succeeded, Failed, Closed, Refunded, PartiallyRefunded:
		return true
	}
	return false
}

// Cause says why a transition happened.
type Cause string

// Causes of transitions.
const (
	CauseAPI          Cause = "api"          // the merchant's API call
	CauseChannel      Cause = "channel"      // the channel's answer to our call
	CauseNotification Cause = "notification" // a verified, checked channel notification
	CauseQuery        Cause = "query"        // a query of the channel (query-back, recon)
	CauseExpiry       Cause = "expiry"       // the order's deadline passed
	CauseRefund       Cause = "refund"       // a refund of the payment succeeded
	CauseOperator     Cause = "operator"     // a person, through the operator tools
)

// Payment is a payment order.
type Payment struct {
	ID         string // the core's id (pay_…), unique
	MerchantID string // the merchant the order belongs to
	// OrderNo is the merchant's order number: unique per merchant; the payment's
	// idempotency key at the API.
	OrderNo string
	// Channel and Account name the channel adapter and the channel account (credentials)
	// the payment was routed to.
	Channel, Account string
	// ChannelOrderNo is the number sent to the channel (unique per channel account, within
	// the channel's NumberRule); ChannelOrderTime the time sent with it (UnionPay txnTime).
	ChannelOrderNo   string
	ChannelOrderTime time.Time
	ChannelTxnID     string // the channel's transaction id, once known
	Method           channel.Method
	Amount           money.Amount
	RefundedAmount   money.Amount // sum of succeeded refunds
	Subject          string
	NotifyURL        string // the merchant's webhook URL ("" = the merchant's default)
	State            State
	// Unresolved is set while the outcome of the last channel call is unknown: the order
	// is in the query-back queue and must not be failed except by a query or notification.
	Unresolved bool
	// Alert is a note for a person (late success, amount mismatch); empty when none.
	Alert     string
	ExpiresAt time.Time // when an unpaid order is closed (Beijing time)
	PaidAt    time.Time // when the channel says it succeeded
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version is the stored version; every transition increments it (compare-and-set).
	Version int64
}

// Refund is a refund order of a payment.
type Refund struct {
	ID         string // the core's id (ref_…)
	PaymentID  string
	MerchantID string
	// RefundNo is the merchant's refund number: unique per merchant; a retry with the same
	// number is the same refund.
	RefundNo string
	// ChannelRefundNo and ChannelRefundTime are what the channel was sent.
	ChannelRefundNo   string
	ChannelRefundTime time.Time
	ChannelRefundID   string
	Amount            money.Amount
	// FeeReturned is the part of the payment's channel fee the refund returns (from the
	// channel's fee-refund policy); zero when the fee is kept.
	FeeReturned money.Amount
	Reason      string
	State       State
	Unresolved  bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CompletedAt time.Time
	Version     int64
}

// Transition is a requested change of state.
type Transition struct {
	To    State
	Cause Cause
	// Ref makes the transition idempotent: a second transition with the same Ref on the
	// same order changes nothing (a duplicate notification, a retried API call). Empty for
	// transitions that are idempotent by their target state alone.
	Ref string
	At  time.Time
	// Unresolved sets Payment.Unresolved / Refund.Unresolved after the transition (true
	// when the channel's answer was unknown).
	Unresolved bool
	// ChannelTxnID, PaidAt and Alert update the payment when set.
	ChannelTxnID string
	PaidAt       time.Time
	Alert        string
}

// Errors a Store and the state machines return.
var (
	// ErrNotFound: no such order.
	ErrNotFound = errors.New("order: not found")
	// ErrDuplicate: the merchant already has an order (or refund) with this number.
	ErrDuplicate = errors.New("order: duplicate number")
	// ErrConflict: the order changed since it was read (compare-and-set lost); read it
	// again and decide again.
	ErrConflict = errors.New("order: changed concurrently")
	// ErrTransition: the transition is not in the table (e.g. failed after an unknown
	// outcome without a query, or closed after succeeded).
	ErrTransition = errors.New("order: transition not allowed")
)

// TransitionError says which transition was refused and why.
type TransitionError struct {
	Kind     string // "payment" or "refund"
	ID       string
	From, To State
	Cause    Cause
	Reason   string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("order: %s %s: %s -> %s by %s not allowed: %s", e.Kind, e.ID, e.From, e.To, e.Cause, e.Reason)
}

// Unwrap makes errors.Is(err, ErrTransition) hold.
func (e *TransitionError) Unwrap() error { return ErrTransition }

// Errors of CreateRefund.
var (
	// ErrRefundExceeds: the refund would take refunds past the payment's amount.
	ErrRefundExceeds = errors.New("order: refunds would exceed the paid amount")
	// ErrNotRefundable: the payment is not (or no longer) in a paid state.
	ErrNotRefundable = errors.New("order: payment is not refundable")
)
