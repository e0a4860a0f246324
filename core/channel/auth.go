package channel

import (
	"time"

	"github.com/tongdao/tongdao/core/money"
)

// AuthRequest is an operation on an existing pre-authorisation (undo, capture, capture
// undo). Each operation has its own number.
type AuthRequest struct {
	OpNo             string // new operation number: this operation's idempotency key
	OpTime           time.Time
	OrigOrderNo      string // the pre-authorisation (or capture, for UndoCapture)
	OrigOrderTime    time.Time
	OrigChannelTxnID string
	Amount           money.Amount // capture amount; the full amount for the undos
	NotifyURL        string
}

// Validate checks the fields every channel needs.
func (r *AuthRequest) Validate(channelName, op string) error {
	switch {
	case r == nil:
		return invalid(channelName, op, "request", "is nil")
	case r.OpNo == "":
		return invalid(channelName, op, "OpNo", "is empty")
	case r.OrigOrderNo == "" && r.OrigChannelTxnID == "":
		return invalid(channelName, op, "OrigOrderNo", "is empty and so is OrigChannelTxnID")
	}
	return positive(channelName, op, "Amount", r.Amount)
}
