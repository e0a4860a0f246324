package channel

import "time"

// BindRequest starts a card binding: the channel checks the card's elements and sends an
// SMS code to the bank-reserved mobile.
type BindRequest struct {
	BindNo    string // merchant binding request number: the binding's idempotency key
	BindTime  time.Time
	UserID    string // the merchant's id for the cardholder
	Card      Card
	NotifyURL string
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

// BindChallenge says the SMS was sent.
type BindChallenge struct {
	BindNo    string
	ExpiresAt time.Time // when the SMS code stops working, if known
}

// BindConfirmRequest completes a binding with the SMS code.
type BindConfirmRequest struct {
	BindNo   string
	BindTime time.Time
	UserID   string
	SMSCode  string
	Card     Card // channels that re-send the elements on confirm (UnionPay back open) need it
}

// UnbindRequest removes a binding.
type UnbindRequest struct {
	UnbindNo string // a new operation number where the channel needs one
	UserID   string
	Token    string
}

// BindingQuery looks up bindings: one by Token or BindNo, or all of UserID.
type BindingQuery struct {
	UserID string
	Token  string
	BindNo string
}

// Binding is a bound card.
type Binding struct {
	// Status is Succeeded (bound), Closed (unbound), Processing, Failed or Unknown.
	Status     Status
	BindNo     string
	UserID     string
	Token      string // token or agreement number for MethodToken payments
	CardMasked string // first 6 + last 4
	CardType   string // "debit" or "credit" where known
	BankCode   string
	BoundAt    time.Time
}
