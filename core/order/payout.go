package order

import (
	"context"
	"time"

	"github.com/tongdao/tongdao/core/money"
)

// Payout states. A payout starts Created, is Processing while the bank works on it (or
// while its outcome is unknown: Unresolved), and ends Failed, or Succeeded — which is not
// final for a payout: the receiving bank can return it days later (退票), and the payout
// becomes Returned.
const (
	// PayoutProcessing: the channel accepted the payout and has not finished it, or the
	// answer was unknown (Payout.Unresolved) and the payout is being queried.
	PayoutProcessing State = "processing"
	// PayoutReturned: the payout succeeded and the receiving bank later returned it; the
	// money is back with the merchant. Final.
	PayoutReturned State = "returned"
)

// Payout is a payout order: money paid from the merchant's balance to a card.
type Payout struct {
	ID         string // the core's id (po_…), unique
	MerchantID string // the merchant the payout belongs to
	// PayoutNo is the merchant's payout number: unique per merchant; the payout's
	// idempotency key at the API.
	PayoutNo string
	// Channel and Account name the channel adapter and the channel account paying it.
	Channel, Account string
	// ChannelPayoutNo and ChannelPayoutTime are what the channel was sent.
	ChannelPayoutNo   string
	ChannelPayoutTime time.Time
	ChannelTxnID      string // the channel's id of the payout, once known
	Amount            money.Amount
	// CardMasked is the receiving card, first 6 + last 4. The full number is never stored.
	CardMasked string
	// HolderName is the receiving card holder's name as the merchant gave it (it is shown
	// on the merchant's own statements).
	HolderName string
	Purpose    string
	State      State
	// Unresolved is set while the outcome of the last channel call is unknown.
	Unresolved bool
	FailCode   string // the channel's reason code for failed or returned
	FailMsg    string // the channel's reason text
	ReturnNo   string // the channel's id of the return (returned)
	Alert      string // a note for a person, empty when none
	// CompletedAt is when it succeeded; ReturnedAt when it was returned (Beijing time per the
	// channel; zero while not).
	CompletedAt time.Time
	ReturnedAt  time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
}

// PayoutTransition is a requested change of a payout's state. Ref makes it idempotent as
// Transition.Ref does; the other fields update the payout when set.
type PayoutTransition struct {
	To           State
	Cause        Cause
	Ref          string
	At           time.Time
	Unresolved   bool
	ChannelTxnID string
	CompletedAt  time.Time // succeeded: when
	ReturnedAt   time.Time // returned: when
	ReturnNo     string
	FailCode     string
	FailMsg      string
	Alert        string
}

var payoutEdges = []edge{
	{Created, PayoutProcessing, []Cause{CauseChannel, CauseQuery}},             // accepted, or unknown
	{Created, Succeeded, []Cause{CauseChannel, CauseQuery, CauseNotification}}, // paid at once
	{Created, Failed, []Cause{CauseChannel, CauseQuery}},                       // refused: nothing moved
	{PayoutProcessing, PayoutProcessing, []Cause{CauseChannel, CauseQuery}},    // still working / still unknown
	{PayoutProcessing, Succeeded, []Cause{CauseChannel, CauseQuery, CauseNotification, CauseOperator}},
	{PayoutProcessing, Failed, []Cause{CauseChannel, CauseQuery, CauseNotification, CauseOperator}},
	// A query after a long outage can find the payout returned already.
	{Created, PayoutReturned, []Cause{CauseQuery, CauseNotification}},
	{PayoutProcessing, PayoutReturned, []Cause{CauseQuery, CauseNotification, CauseOperator}},
	// The receiving bank bounced it (退票).
	{Succeeded, PayoutReturned, []Cause{CauseQuery, CauseNotification, CauseOperator}},
	// A late success is a success (the channel's word after we recorded a failure), with an
	// alert: the money moved.
	{Failed, Succeeded, []Cause{CauseQuery, CauseNotification, CauseOperator}},
}

// PayoutTransitions returns the payout table: from -> to -> causes.
func PayoutTransitions() map[State]map[State][]Cause { return table(payoutEdges) }

// PayoutFinal reports whether a payout in state s can no longer change: failed or returned.
// Succeeded is not final for a payout.
func PayoutFinal(s State) bool { return s == Failed || s == PayoutReturned }

// CheckPayout reports whether t may be applied to p: the edge is in the table, and a payout
// whose outcome is unknown is failed only on the channel's word (a query or notification).
func CheckPayout(p *Payout, t PayoutTransition) error {
	return checkCommon("payout", p.ID, payoutEdges, p.State, p.Unresolved, t.To, t.Cause, t.Unresolved, PayoutProcessing)
}

// ApplyPayout returns a copy of p after t, or the *TransitionError of CheckPayout.
func ApplyPayout(p *Payout, t PayoutTransition) (*Payout, error) {
	if err := CheckPayout(p, t); err != nil {
		return nil, err
	}
	n := *p
	n.State, n.Unresolved = t.To, t.Unresolved
	if t.ChannelTxnID != "" {
		n.ChannelTxnID = t.ChannelTxnID
	}
	if t.To == Succeeded {
		n.CompletedAt = t.At
		if !t.CompletedAt.IsZero() {
			n.CompletedAt = t.CompletedAt
		}
	}
	if t.To == PayoutReturned {
		n.ReturnedAt = t.At
		if !t.ReturnedAt.IsZero() {
			n.ReturnedAt = t.ReturnedAt
		}
		n.ReturnNo = t.ReturnNo
	}
	if t.FailCode != "" || t.FailMsg != "" {
		n.FailCode, n.FailMsg = t.FailCode, t.FailMsg
	}
	if t.To == Succeeded && p.State == Failed && t.Alert == "" {
		t.Alert = "late success: the payout was paid after it was recorded failed"
	}
	if t.Alert != "" {
		n.Alert = t.Alert
	}
	n.UpdatedAt = t.At
	n.Version++
	return &n, nil
}

// PayoutStore keeps payouts. Their events go to the same history and outbox as payments'
// (Event.OrderKind "payout", Event.PaymentID = the payout's id, so a payout's events are
// delivered in order), and a payout still processing or succeeded is in the query-back queue
// (kind "payout"): processing until the channel says how it ended, succeeded while the
// receiving bank can still return it.
type PayoutStore interface {
	// CreatePayout stores p (State Created, Version 1) and its "payout.created" event, and
	// queues a query-back task due shortly after (so a payout whose creating process stopped
	// before recording the channel's answer is still settled). ErrDuplicate when the merchant
	// already has p.PayoutNo.
	CreatePayout(ctx context.Context, p *Payout) (*Event, error)
	Payout(ctx context.Context, id string) (*Payout, error)
	PayoutByNo(ctx context.Context, merchantID, payoutNo string) (*Payout, error)
	PayoutByChannelNo(ctx context.Context, account, channelPayoutNo string) (*Payout, error)
	// TransitionPayout applies t at version (compare-and-set) with its event
	// ("payout.<state>"), keeping the query-back queue in step: queued (due at
	// queryAt) while processing or succeeded, dequeued once final. It returns ErrConflict,
	// the *TransitionError of CheckPayout, or the unchanged payout and a nil event when t.Ref
	// was applied already or the payout is in t.To already (idempotent).
	TransitionPayout(ctx context.Context, id string, version int64, t PayoutTransition, queryAt time.Time) (*Payout, *Event, error)
	// Payouts returns the merchant's payouts created in [from, to), oldest first, at most limit.
	Payouts(ctx context.Context, merchantID string, from, to time.Time, limit int) ([]*Payout, error)
}
