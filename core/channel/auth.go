package channel

import (
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// AuthRequest is an operation on an existing pre-authorisation (undo, capture, capture
// undo). Each operation has its own number.
type AuthRequest struct {
	// OpNo is this operation's new number: its idempotency key (UnionPay orderId of the
	// undo or capture).
	OpNo string
	// OpTime is when the merchant created the operation (UnionPay txnTime); required where
	// Info.OrderTimeRequired, and echoed in the result. Pass it again to QueryAuth.
	OpTime time.Time
	// OrigOrderNo is the operation this one acts on: the pre-authorisation's number for
	// UndoPreAuth and Capture, the capture's OpNo for UndoCapture.
	OrigOrderNo      string
	OrigOrderTime    time.Time // the original operation's time, where the channel needs it
	OrigChannelTxnID string    // the original operation's channel id (UnionPay origQryId)
	// Amount is the capture amount (≤ the frozen amount); the full amount for the undos.
	Amount    money.Amount
	NotifyURL string // where the channel notifies this operation's result, if it does
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

// AuthOp names a pre-authorisation operation.
type AuthOp string

const (
	AuthPreAuth     AuthOp = "preauth"      // freeze funds on the card (UnionPay txnType 02)
	AuthUndo        AuthOp = "preauth_undo" // release a pre-authorisation (32)
	AuthCapture     AuthOp = "capture"      // complete it: take the money (03)
	AuthCaptureUndo AuthOp = "capture_undo" // cancel a capture on the same clearing day (33)
)

// AuthQuery identifies a pre-authorisation operation to query.
type AuthQuery struct {
	OpNo         string    // the operation's number (the PayRequest.OrderNo for PreAuth)
	OpTime       time.Time // its time, where Info.OrderTimeRequired
	ChannelTxnID string    // the channel's id of the operation, if known
}

// Validate checks that the operation is identified.
func (r *AuthQuery) Validate(channelName string) error {
	if r == nil || (r.OpNo == "" && r.ChannelTxnID == "") {
		return invalid(channelName, "query auth", "OpNo", "is empty and so is ChannelTxnID")
	}
	return nil
}

// AuthResult is the state of one pre-authorisation operation. The amounts let a ledger tell
// a hold from a capture: after a succeeded PreAuth, FrozenAmount is held and nothing is
// captured; after a succeeded Capture, CapturedAmount moved and the hold is gone
// (FrozenAmount zero); the undos bring the respective amount back to zero.
type AuthResult struct {
	Op AuthOp // which operation this is
	// Status is the operation's state: Processing (accepted, asynchronous), Succeeded,
	// Failed or Unknown. A succeeded undo is Succeeded (the undo happened), not Reversed.
	Status        Status
	ChannelStatus string    // the channel's own state (UnionPay origRespCode)
	OpNo          string    // this operation's number
	OpTime        time.Time // the time the adapter sent with it (echoed for QueryAuth)
	ChannelTxnID  string    // the channel's id of this operation (UnionPay queryId)
	// OrigOrderNo and OrigChannelTxnID name the operation this one acted on (empty for
	// PreAuth).
	OrigOrderNo      string
	OrigChannelTxnID string // the channel id of the operation acted on
	// Amount is this operation's amount.
	Amount money.Amount
	// FrozenAmount is what stays frozen on the card after this operation (where known);
	// CapturedAmount is what has been taken by captures (where known).
	FrozenAmount   money.Amount
	CapturedAmount money.Amount // taken by captures so far, where known
	// CompletedAt is when the operation succeeded on the channel (Beijing time); zero
	// unless Succeeded.
	CompletedAt time.Time
	// SettlementDate is the clearing day the channel put the operation in, where reported.
	SettlementDate clock.Date
}
