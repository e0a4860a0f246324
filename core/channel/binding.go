package channel

import (
	"time"

	"github.com/tongdao/tongdao/core/money"
)

// BindRequest starts a card binding: the channel checks the card's elements and sends an
// SMS code to the bank-reserved mobile.
type BindRequest struct {
	// BindNo is the merchant's binding request number: the binding's idempotency key.
	BindNo string
	// BindTime is when the merchant created the request (UnionPay txnTime); required where
	// Info.OrderTimeRequired.
	BindTime time.Time
	// UserID is the merchant's id for the cardholder; bindings belong to it.
	UserID string
	// Card carries the elements to verify (number, holder name, ID, reserved mobile, and
	// CVN2/expiry for credit cards). Adapters encrypt them on the wire; Card never prints.
	Card      Card
	NotifyURL string // where the channel notifies the binding's result, if it does
}

// Validate checks the fields every channel needs.
func (r *BindRequest) Validate(channelName string) error {
	switch {
	case r == nil:
		return invalid(channelName, "bind", "request", "is nil")
	case r.BindNo == "":
		return invalid(channelName, "bind", "BindNo", "is empty")
	case r.Card.Number == "":
		return invalid(channelName, "bind", "Card.Number", "is empty")
	}
	return nil
}

// ResendSMSRequest asks for a new SMS code for a binding in progress.
type ResendSMSRequest struct {
	// SMSNo is this send's own number where the channel needs one (UnionPay refuses a
	// reused orderId); its idempotency key. Channels that resend under the binding's own
	// number ignore it.
	SMSNo   string
	SMSTime time.Time // when the merchant created the resend, where the channel needs it
	BindNo  string    // the binding started by SendBindSMS
	// BindTime is the original binding request's BindTime, where the channel needs it.
	BindTime time.Time
	UserID   string // the merchant's id for the cardholder
	// Card is needed by channels that re-send the card elements with every SMS request
	// (UnionPay); others ignore it.
	Card Card
}

// Validate checks the fields every channel needs.
func (r *ResendSMSRequest) Validate(channelName string) error {
	switch {
	case r == nil:
		return invalid(channelName, "resend bind sms", "request", "is nil")
	case r.BindNo == "":
		return invalid(channelName, "resend bind sms", "BindNo", "is empty")
	}
	return nil
}

// BindChallenge says the SMS was sent, or that the card is bound already.
type BindChallenge struct {
	BindNo string // the binding request number
	// SMSNo is the number of the SMS send this answers (the resend's own number, or BindNo).
	SMSNo string
	// ExpiresAt is when the SMS code stops working, if known.
	ExpiresAt time.Time
	// MobileMasked is the mobile the code went to, masked (138****0000), where reported.
	MobileMasked string
	// AlreadyBound is set, and no SMS was sent, when the card was already bound for the
	// user (bank code 3006, UnionPay's existing token): it is the existing binding, to use
	// as a successful bind.
	AlreadyBound *Binding
}

// BindConfirmRequest completes a binding with the SMS code.
type BindConfirmRequest struct {
	BindNo   string    // the binding request number from SendBindSMS
	BindTime time.Time // its BindTime, where the channel needs it
	UserID   string    // the merchant's id for the cardholder
	SMSCode  string    // the code the cardholder received
	Card     Card      // channels that re-send the elements on confirm (UnionPay back open) need it
}

// UnbindRequest removes a binding.
type UnbindRequest struct {
	UnbindNo   string    // a new operation number where the channel needs one
	UnbindTime time.Time // its time, where the channel needs it
	UserID     string    // the binding's owner
	Token      string    // the token or agreement number to remove
}

// BindingQuery looks up bindings: one by Token or BindNo, or all of UserID.
type BindingQuery struct {
	UserID string // the merchant's id for the cardholder
	Token  string // the token or agreement number
	BindNo string // the binding request number
}

// Binding is a bound card.
type Binding struct {
	// Status is Succeeded (bound), Closed (unbound), Processing, Failed or Unknown.
	Status        Status
	ChannelStatus string // the channel's own state, for diagnosis
	BindNo        string // the binding request number that created it
	UserID        string // the merchant's id for the cardholder
	Token         string // token or agreement number for MethodToken payments
	CardMasked    string // first 6 + last 4
	CardType      string // "debit" or "credit" where known
	BankCode      string // the issuer's code where reported (ICBC, CMB, …)
	// BoundAt is when the binding completed (Beijing time), where reported.
	BoundAt time.Time
	// ExpiresAt is when the token stops working, where the channel says (UnionPay token
	// period); zero otherwise.
	ExpiresAt time.Time
}

// PaySMSRequest asks the channel to send the SMS code that confirms a MethodToken payment.
type PaySMSRequest struct {
	// SMSNo is this send's own number where the channel needs one; its idempotency key.
	// Channels that send under the order's number ignore it.
	SMSNo   string
	SMSTime time.Time // when the merchant created the send, where the channel needs it
	// The payment the code confirms: the same OrderNo, OrderTime, Amount and Token as the
	// Pay that follows.
	OrderNo   string
	OrderTime time.Time    // the payment's OrderTime
	Amount    money.Amount // the payment's amount
	Token     string       // the token or agreement number
	UserID    string       // the merchant's id for the cardholder
}

// Validate checks the fields every channel needs.
func (r *PaySMSRequest) Validate(channelName string) error {
	switch {
	case r == nil:
		return invalid(channelName, "pay sms", "request", "is nil")
	case r.OrderNo == "":
		return invalid(channelName, "pay sms", "OrderNo", "is empty")
	case r.Token == "":
		return invalid(channelName, "pay sms", "Token", "is empty")
	}
	return positive(channelName, "pay sms", "Amount", r.Amount)
}

// SMSChallenge says a payment's SMS code was sent.
type SMSChallenge struct {
	SMSNo        string    // the send's number (or the OrderNo)
	OrderNo      string    // the payment it confirms
	ExpiresAt    time.Time // when the code stops working, if known
	MobileMasked string    // the mobile it went to, masked, where reported
}
