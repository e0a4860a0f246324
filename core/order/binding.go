package order

import (
	"context"
	"errors"
	"time"
)

// Binding states.
const (
	// BindSMSSent: the channel checked the card's elements and sent the SMS code; waiting for
	// the cardholder's code (or, Unresolved, for a query to say what a confirm did).
	BindSMSSent State = "sms_sent"
	// Bound: the card is bound; Token pays with MethodToken.
	Bound State = "bound"
	// Unbound: the binding was removed. Final.
	Unbound State = "unbound"
	// Failed (shared with payments): the channel refused the card or the code for good (wrong
	// elements, too many wrong codes, the application expired). Final.
)

// Binding is a merchant's card binding (a UnionPay token, a bank agreement). It belongs to
// one merchant: every look-up by number is scoped to the merchant, so one merchant can never
// read, confirm or unbind another's.
//
// Card data: CardMasked (first 6 + last 4) and the issuer are kept in clear. While the
// binding waits for its SMS code, the elements a channel needs again on resend or confirm
// are kept sealed (SM4-GCM, core/card) in Pending; they are erased as soon as the binding
// leaves BindSMSSent. CVN2 and expiry are never stored.
type Binding struct {
	ID         string // the core's id (bnd_…)
	MerchantID string
	// BindNo is the merchant's binding number: unique per merchant, the idempotency key of
	// POST /v1/bindings.
	BindNo string
	// UserID is the merchant's id for the cardholder; ChannelUserID is what the channel is
	// sent (derived from merchant and user, so two merchants' users never share bindings on
	// one channel account).
	UserID, ChannelUserID string
	Channel, Account      string
	// ChannelBindNo and ChannelBindTime are what the channel was sent for the binding.
	ChannelBindNo   string
	ChannelBindTime time.Time
	Token           string // the channel's token or agreement number, once bound
	CardMasked      string
	CardType        string // "debit", "credit" or ""
	BankCode        string
	MobileMasked    string
	// PANFingerprint is a keyed hash of the card number (core/card), for "is this card bound
	// already" without decrypting anything.
	PANFingerprint string
	State          State
	// Unresolved is set while the outcome of a confirm (or unbind) is unknown: the binding
	// is in the query-back queue.
	Unresolved   bool
	FailCode     string
	FailMsg      string
	SMSExpiresAt time.Time
	SMSSends     int // SMS codes sent (the first and every resend)
	BoundAt      time.Time
	TokenExpires time.Time
	Pending      PendingCard // sealed elements while BindSMSSent; zero otherwise
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64
}

// PendingCard is what a binding keeps of the card while it waits for its SMS code: the
// number, mobile and ID number sealed (core/card's text form "v1:…"), the holder's name and
// ID type. Zero once the binding is bound, failed or unbound.
type PendingCard struct {
	PAN, Phone, IDNo string // sealed
	HolderName       string
	IDType           string
}

// IsZero reports whether nothing is kept.
func (p PendingCard) IsZero() bool { return p == PendingCard{} }

// BindingTransition is a requested change of a binding. The other fields update the binding
// when set.
type BindingTransition struct {
	To           State
	Cause        Cause
	At           time.Time
	Unresolved   bool
	Token        string
	CardType     string
	BankCode     string
	MobileMasked string
	SMSExpiresAt time.Time
	SMSSent      bool // one more SMS code was sent
	BoundAt      time.Time
	TokenExpires time.Time
	FailCode     string
	FailMsg      string
}

var bindingEdges = []edge{
	{Created, BindSMSSent, []Cause{CauseChannel}},
	{Created, Bound, []Cause{CauseChannel}},                       // the card was bound already: the existing binding
	{Created, Failed, []Cause{CauseChannel, CauseExpiry}},         // refused; or never sent and abandoned
	{BindSMSSent, BindSMSSent, []Cause{CauseChannel, CauseQuery}}, // a resend; a confirm whose outcome is unknown
	{BindSMSSent, Bound, []Cause{CauseChannel, CauseQuery, CauseNotification}},
	{BindSMSSent, Failed, []Cause{CauseChannel, CauseQuery, CauseExpiry}}, // refused; or the code was never confirmed
	{Bound, Bound, []Cause{CauseChannel, CauseQuery}},                     // an unbind whose outcome is unknown
	{Bound, Unbound, []Cause{CauseChannel, CauseQuery, CauseNotification}},
}

// BindingTransitions returns the binding table: from -> to -> causes.
func BindingTransitions() map[State]map[State][]Cause { return table(bindingEdges) }

// ApplyBinding returns a copy of b after t, or a *TransitionError. A binding leaving
// BindSMSSent loses its sealed card elements.
func ApplyBinding(b *Binding, t BindingTransition) (*Binding, error) {
	if !allowed(bindingEdges, b.State, t.To, t.Cause) {
		return nil, &TransitionError{Kind: "binding", ID: b.ID, From: b.State, To: t.To, Cause: t.Cause, Reason: "not in the binding transition table"}
	}
	if t.Unresolved && t.To != BindSMSSent && t.To != Bound {
		return nil, &TransitionError{Kind: "binding", ID: b.ID, From: b.State, To: t.To, Cause: t.Cause, Reason: "only a binding being confirmed or unbound can be unresolved"}
	}
	n := *b
	n.State, n.Unresolved = t.To, t.Unresolved
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&n.Token, t.Token)
	set(&n.CardType, t.CardType)
	set(&n.BankCode, t.BankCode)
	set(&n.MobileMasked, t.MobileMasked)
	set(&n.FailCode, t.FailCode)
	set(&n.FailMsg, t.FailMsg)
	if !t.SMSExpiresAt.IsZero() {
		n.SMSExpiresAt = t.SMSExpiresAt
	}
	if t.SMSSent {
		n.SMSSends++
	}
	if t.To == Bound && b.State != Bound {
		n.BoundAt = t.At
		if !t.BoundAt.IsZero() {
			n.BoundAt = t.BoundAt
		}
	}
	if !t.TokenExpires.IsZero() {
		n.TokenExpires = t.TokenExpires
	}
	if t.To != BindSMSSent {
		n.Pending = PendingCard{}
	}
	n.UpdatedAt = t.At
	n.Version++
	return &n, nil
}

// ErrBindingTaken is returned by CreateBinding when the channel account already has a
// binding under the same channel number (never for a fresh id).
var ErrBindingTaken = errors.New("order: channel binding number taken")

// BindingStore keeps bindings. A binding being confirmed or unbound with an unknown outcome
// is in the query-back queue (kind "binding").
type BindingStore interface {
	// CreateBinding stores b (State Created, Version 1). ErrDuplicate when the merchant
	// already has b.BindNo.
	CreateBinding(ctx context.Context, b *Binding) error
	Binding(ctx context.Context, id string) (*Binding, error)
	// BindingByNo finds merchantID's binding bindNo; ErrNotFound for another merchant's.
	BindingByNo(ctx context.Context, merchantID, bindNo string) (*Binding, error)
	// BindingByToken finds merchantID's binding of token on account (the most recently
	// bound when several); ErrNotFound when the merchant has none.
	BindingByToken(ctx context.Context, merchantID, account, token string) (*Binding, error)
	// AbandonedBindings returns up to limit bindings still created or waiting for their SMS
	// code (and not being queried) that last changed before before, oldest first: their
	// application has expired on the channel, and their sealed elements should go.
	AbandonedBindings(ctx context.Context, before time.Time, limit int) ([]*Binding, error)
	// TransitionBinding applies t at version (compare-and-set) and keeps the query-back
	// queue in step (queued, due at queryAt, while Unresolved). ErrConflict when the version
	// moved; the *TransitionError of ApplyBinding when t is not allowed.
	TransitionBinding(ctx context.Context, id string, version int64, t BindingTransition, queryAt time.Time) (*Binding, error)
}
