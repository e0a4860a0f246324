package order

import (
	"context"
	"time"
)

// Event is one transition of an order, written in the same database transaction as the
// state change: it is the order's history and the outbox the ledger posting, the merchant's
// webhook and the optional event stream are fed from.
type Event struct {
	Seq        int64  // the store's sequence, increasing in commit order per store
	ID         string // evt_…, unique: the ledger's idempotency key and the webhook's id
	Type       string // "payment.created", "payment.succeeded", "refund.succeeded", …
	OrderKind  string // "payment" or "refund"
	OrderID    string
	PaymentID  string // the payment (the order itself, or the refund's payment): events of one payment are delivered in order
	MerchantID string
	From, To   State
	Cause      Cause
	Ref        string
	At         time.Time
	Version    int64 // the order's version after the transition
}

// QueryTask is an order whose outcome is unknown, due to be queried.
type QueryTask struct {
	OrderKind string // "payment" or "refund"
	OrderID   string
	Attempts  int       // queries made so far
	NextAt    time.Time // when the next query is due
}

// Store is the storage the order layer needs; core/store implements it on SQLite and
// PostgreSQL. Every method is safe for concurrent use by several processes on one database.
type Store interface {
	// CreatePayment stores p (State Created, Version 1) and its "payment.created" event.
	// ErrDuplicate when the merchant already has p.OrderNo (or the account p.ChannelOrderNo).
	CreatePayment(ctx context.Context, p *Payment) (*Event, error)
	// Payment returns a payment by id; PaymentByOrderNo by the merchant's number;
	// PaymentByChannelOrderNo by the channel account and the number sent to the channel.
	Payment(ctx context.Context, id string) (*Payment, error)
	PaymentByOrderNo(ctx context.Context, merchantID, orderNo string) (*Payment, error)
	PaymentByChannelOrderNo(ctx context.Context, account, channelOrderNo string) (*Payment, error)
	// TransitionPayment applies t to the payment at version (compare-and-set) with its
	// history/outbox event, and keeps the query-back queue in step (an unresolved pending
	// order is queued, any other state is dequeued). It returns ErrConflict when the
	// version moved, the *TransitionError of CheckPayment when t is not allowed, and the
	// unchanged payment with a nil event when t.Ref was already applied to this order or the
	// order already is in the final state t.To (idempotent).
	TransitionPayment(ctx context.Context, id string, version int64, t Transition) (*Payment, *Event, error)

	// CreateRefund stores r (State Created) and its event, after checking in the same
	// transaction that the payment is paid and that its non-failed refunds plus r.Amount do
	// not exceed the payment's amount. ErrDuplicate when the merchant already has
	// r.RefundNo; ErrRefundExceeds when the amount is too large; ErrNotRefundable when the
	// payment is not paid.
	CreateRefund(ctx context.Context, r *Refund) (*Event, error)
	Refund(ctx context.Context, id string) (*Refund, error)
	RefundByNo(ctx context.Context, merchantID, refundNo string) (*Refund, error)
	Refunds(ctx context.Context, paymentID string) ([]*Refund, error)
	// TransitionRefund is TransitionPayment for refunds. When the refund succeeds, the
	// payment's RefundedAmount grows by its amount and the payment moves to
	// PartiallyRefunded or Refunded (cause CauseRefund) in the same transaction; that
	// payment (or nil) and every event written are returned.
	TransitionRefund(ctx context.Context, id string, version int64, t Transition) (*Refund, *Payment, []*Event, error)

	// History returns the events of an order (a payment's include its refunds'), oldest
	// first.
	History(ctx context.Context, paymentID string) ([]*Event, error)
	// EventsAfter returns up to limit events with Seq > after, in Seq order.
	EventsAfter(ctx context.Context, after int64, limit int) ([]*Event, error)

	// DueQueries claims up to limit query-back tasks due at now: each is hidden from other
	// claimers until now+lease (another process, or this one after a crash, takes it after
	// that). RescheduleQuery records a query that left the outcome unknown.
	DueQueries(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]QueryTask, error)
	RescheduleQuery(ctx context.Context, task QueryTask, next time.Time) error
}

// Delivery is one event waiting for one consumer of the outbox ("ledger", "webhook",
// "nats"): every event is written with one delivery per consumer the store was opened with,
// in the transaction of its state change.
type Delivery struct {
	Event    *Event
	Consumer string
	Attempts int    // failed attempts so far
	LastErr  string // the last failure, for operators
}

// Outbox is the delivery side of the events: at-least-once, in order per payment and
// consumer, safe with several processes on one database (a claimed delivery is leased).
type Outbox interface {
	// ClaimDeliveries leases up to limit deliveries of consumer that are due at now and whose
	// payment has no earlier delivery of the same consumer still pending (events of one
	// payment go out in order). Another claimer sees them again after now+lease.
	ClaimDeliveries(ctx context.Context, consumer string, now time.Time, limit int, lease time.Duration) ([]Delivery, error)
	// CompleteDelivery marks a delivery done; RetryDelivery records a failure and makes it
	// due again at next; DeadLetter records a failure and stops trying (it no longer holds
	// back later events of its payment). Redeliver makes a done or dead delivery due again
	// now (operators).
	CompleteDelivery(ctx context.Context, consumer string, seq int64) error
	RetryDelivery(ctx context.Context, consumer string, seq int64, next time.Time, errMsg string) error
	DeadLetter(ctx context.Context, consumer string, seq int64, errMsg string) error
	Redeliver(ctx context.Context, consumer string, seq int64, now time.Time) error
	// OutboxStats counts deliveries of consumer by state: pending (including leased),
	// done and dead, and the time of the oldest pending one (zero when none).
	OutboxStats(ctx context.Context, consumer string) (OutboxStats, error)
}

// OutboxStats summarises one consumer's deliveries.
type OutboxStats struct {
	Pending, Done, Dead int64
	OldestPending       time.Time // when the oldest pending event happened (outbox lag)
}

// Lookups the gateway's workers need beyond Store.
type Lookups interface {
	// RefundByChannelNo returns the refund sent to the channel under channelRefundNo.
	RefundByChannelNo(ctx context.Context, channelRefundNo string) (*Refund, error)
	// ExpiredPayments returns up to limit payments still Created or Pending whose ExpiresAt
	// is at or before now, oldest deadline first.
	ExpiredPayments(ctx context.Context, now time.Time, limit int) ([]*Payment, error)
	// StaleCreated returns up to limit payments still Created that were created before
	// before: a process stopped between storing them and recording the channel's answer, so
	// whether the channel has them is unknown.
	StaleCreated(ctx context.Context, before time.Time, limit int) ([]*Payment, error)
}

// Counter counts orders for monitoring.
type Counter interface {
	// CountPayments returns how many payments are in each state.
	CountPayments(ctx context.Context) (map[State]int64, error)
}
