package channel

import "fmt"

// Status is the state of a payment, refund, cancellation, binding or payout as the channel
// reported it. The zero value is StatusUnknown, so a result whose outcome was never
// established reads as unknown, not as failed.
type Status uint8

const (
	// StatusUnknown: the outcome cannot be known yet (timeout, dropped connection,
	// unverifiable response, "system busy"). The money may have moved. The caller must query
	// until the status is final and must not retry elsewhere.
	StatusUnknown Status = iota
	// StatusPending: accepted by the channel and waiting for the payer (an unpaid QR code,
	// an order awaiting the cashier). Not final: it can still succeed, close or expire.
	StatusPending
	// StatusProcessing: the payer or the bank is acting (a barcode payment waiting for the
	// payer's password, an asynchronous refund accepted but not completed). Not final; query.
	StatusProcessing
	// StatusSucceeded: the money moved. Final (a later refund does not undo the payment).
	StatusSucceeded
	// StatusFailed: the channel definitively refused or the attempt failed; no money moved.
	// Final. A new attempt needs a new order (or refund) number.
	StatusFailed
	// StatusClosed: an unpaid order was closed or expired; it can no longer be paid. Final.
	StatusClosed
	// StatusRefunded: the payment succeeded and has since been refunded in part or in full
	// (WeChat trade_state REFUND, Alipay TRADE_CLOSED after a full refund). For the payment
	// state machine it counts as paid. Final.
	StatusRefunded
	// StatusReversed: a payment was cancelled on the same day (reverse/undo/cancel); if the
	// payer had paid, the money went back in full. Final.
	StatusReversed
)

var statusNames = [...]string{
	StatusUnknown:    "UNKNOWN",
	StatusPending:    "PENDING",
	StatusProcessing: "PROCESSING",
	StatusSucceeded:  "SUCCEEDED",
	StatusFailed:     "FAILED",
	StatusClosed:     "CLOSED",
	StatusRefunded:   "REFUNDED",
	StatusReversed:   "REVERSED",
}

// String returns the upper-case name, e.g. "SUCCEEDED".
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Final reports whether the status can no longer change by itself: Succeeded, Failed,
// Closed, Refunded and Reversed. Unknown, Pending and Processing are not final.
func (s Status) Final() bool {
	switch s {
	case StatusSucceeded, StatusFailed, StatusClosed, StatusRefunded, StatusReversed:
		return true
	}
	return false
}

// Paid reports whether the status means the payer's money reached the merchant at some
// point (Succeeded or Refunded).
func (s Status) Paid() bool { return s == StatusSucceeded || s == StatusRefunded }

// MarshalText encodes the status as its name.
func (s Status) MarshalText() ([]byte, error) {
	if int(s) >= len(statusNames) {
		return nil, fmt.Errorf("channel: invalid status %d", uint8(s))
	}
	return []byte(statusNames[s]), nil
}

// UnmarshalText decodes a status name as written by MarshalText.
func (s *Status) UnmarshalText(b []byte) error {
	for i, n := range statusNames {
		if n == string(b) {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("channel: unknown status %q", b)
}
