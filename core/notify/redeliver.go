package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/order"
)

// RedeliverStore is what redelivery needs (core/store's *DB has it).
type RedeliverStore interface {
	EventByID(ctx context.Context, id string) (*order.Event, error)
	Redeliver(ctx context.Context, consumer string, seq int64, now time.Time) error
}

// ErrNotRedeliverable: the event has no done or dead delivery for the consumer — it is
// still pending (it will go out by itself) or was never queued for that consumer.
var ErrNotRedeliverable = errors.New("notify: nothing to redeliver: the delivery is still pending or was never queued")

// Redeliver makes the event with id eventID (evt_…) due again at now for consumer ("webhook"
// or "nats"), whether it was delivered or dead-lettered. The resent webhook carries the same
// event id, so a merchant that de-duplicates by it is safe. It returns the event; an unknown
// id matches order.ErrNotFound, a pending delivery ErrNotRedeliverable. A failed redelivery
// continues the retry schedule where the delivery left it (a dead letter's is spent, so one
// more failure dead-letters it again).
func Redeliver(ctx context.Context, s RedeliverStore, consumer, eventID string, now time.Time) (*order.Event, error) {
	if consumer == "" {
		consumer = Consumer
	}
	ev, err := s.EventByID(ctx, eventID)
	if err != nil {
		return nil, fmt.Errorf("notify: redeliver %s: %w", eventID, err)
	}
	if err := s.Redeliver(ctx, consumer, ev.Seq, now); err != nil {
		if errors.Is(err, order.ErrNotFound) {
			return ev, fmt.Errorf("notify: redeliver %s to %s: %w", eventID, consumer, ErrNotRedeliverable)
		}
		return ev, fmt.Errorf("notify: redeliver %s: %w", eventID, err)
	}
	return ev, nil
}

// Redeliver is the package's Redeliver on the Notifier's outbox, consumer and clock; the
// outbox must implement RedeliverStore.
func (n *Notifier) Redeliver(ctx context.Context, eventID string) (*order.Event, error) {
	s, ok := n.cfg.Outbox.(RedeliverStore)
	if !ok {
		return nil, fmt.Errorf("notify: redeliver: the outbox (%T) cannot look events up by id", n.cfg.Outbox)
	}
	return Redeliver(ctx, s, n.cfg.Consumer, eventID, n.cfg.Clock.Now())
}
