package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/order"
)

// OutboxEntry is one delivery of the outbox as operators see it (tongdao webhooks list).
type OutboxEntry struct {
	Event    *order.Event
	Consumer string
	State    string    // "pending" (including leased), "done" or "dead"
	Attempts int       // failed attempts so far
	NextAt   time.Time // when a pending delivery is due (UTC)
	LastErr  string
}

// OutboxFilter selects outbox entries; zero fields select everything.
type OutboxFilter struct {
	Consumer   string // required
	State      string // "pending", "done", "dead" or "" for all
	MerchantID string
	PaymentID  string
	Limit      int // 0 = 100
}

var outboxStateNames = map[int]string{outboxPending: "pending", outboxDone: "done", outboxDead: "dead"}

func outboxStateCode(name string) (int, bool) {
	for k, v := range outboxStateNames {
		if v == name {
			return k, true
		}
	}
	return 0, false
}

// EventByID returns the order event with id evt_…; order.ErrNotFound when there is none.
func (d *DB) EventByID(ctx context.Context, id string) (*order.Event, error) {
	evs, err := d.events(ctx, `SELECT `+eventCols+` FROM order_events WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, fmt.Errorf("store: event %q: %w", id, order.ErrNotFound)
	}
	return evs[0], nil
}

const outboxEntryCols = `o.state, o.attempts, o.next_at, o.last_error, e.seq, e.id, e.type, e.order_kind, e.order_id, e.payment_id,
	e.merchant_id, e.from_state, e.to_state, e.cause, e.ref, e.at, e.version`

func scanOutboxEntry(s scanner, consumer string) (OutboxEntry, error) {
	var en OutboxEntry
	var e order.Event
	var state int
	var next, at int64
	var from, to, cause string
	if err := s.Scan(&state, &en.Attempts, &next, &en.LastErr, &e.Seq, &e.ID, &e.Type, &e.OrderKind, &e.OrderID, &e.PaymentID,
		&e.MerchantID, &from, &to, &cause, &e.Ref, &at, &e.Version); err != nil {
		return en, err
	}
	e.From, e.To, e.Cause, e.At = order.State(from), order.State(to), order.Cause(cause), fromMicros(at)
	en.Event, en.Consumer, en.State, en.NextAt = &e, consumer, outboxStateNames[state], fromMicros(next)
	return en, nil
}

// OutboxEntry returns the delivery of event seq to consumer; order.ErrNotFound when there is
// none.
func (d *DB) OutboxEntry(ctx context.Context, consumer string, seq int64) (OutboxEntry, error) {
	row := d.reads().QueryRowContext(ctx, d.q(`SELECT `+outboxEntryCols+` FROM order_outbox o JOIN order_events e ON e.seq = o.event_seq
		WHERE o.consumer = ? AND o.event_seq = ?`), consumer, seq)
	en, err := scanOutboxEntry(row, consumer)
	if errors.Is(err, sql.ErrNoRows) {
		return en, fmt.Errorf("store: %s delivery of event %d: %w", consumer, seq, order.ErrNotFound)
	}
	if err != nil {
		return en, fmt.Errorf("store: read outbox entry: %w", err)
	}
	return en, nil
}

// OutboxEntries lists the deliveries f selects, newest event first.
func (d *DB) OutboxEntries(ctx context.Context, f OutboxFilter) ([]OutboxEntry, error) {
	if f.Consumer == "" {
		return nil, fmt.Errorf("store: list outbox: consumer is required")
	}
	where := []string{"o.consumer = ?"}
	args := []any{f.Consumer}
	if f.State != "" {
		code, ok := outboxStateCode(f.State)
		if !ok {
			return nil, fmt.Errorf("store: list outbox: state %q is not pending, done or dead", f.State)
		}
		where, args = append(where, "o.state = ?"), append(args, code)
	}
	if f.MerchantID != "" {
		where, args = append(where, "e.merchant_id = ?"), append(args, f.MerchantID)
	}
	if f.PaymentID != "" {
		where, args = append(where, "o.payment_id = ?"), append(args, f.PaymentID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	rows, err := d.reads().QueryContext(ctx, d.q(`SELECT `+outboxEntryCols+` FROM order_outbox o JOIN order_events e ON e.seq = o.event_seq
		WHERE `+strings.Join(where, " AND ")+` ORDER BY o.event_seq DESC LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxEntry
	for rows.Next() {
		en, err := scanOutboxEntry(rows, f.Consumer)
		if err != nil {
			return nil, fmt.Errorf("store: list outbox: %w", err)
		}
		out = append(out, en)
	}
	return out, rows.Err()
}

// ReleaseDelivery gives back a claimed, still pending delivery without counting an attempt:
// it becomes due again at next (a consumer that claimed more than it can start now, e.g.
// because the merchant's host is at its concurrency limit). A delivery that is no longer
// pending is left alone (order.ErrNotFound).
func (d *DB) ReleaseDelivery(ctx context.Context, consumer string, seq int64, next time.Time) error {
	return d.outboxUpdate(ctx, "release delivery", `UPDATE order_outbox SET next_at = ?, lease_until = 0 WHERE consumer = ? AND event_seq = ? AND state = 0`,
		micros(next), consumer, seq)
}
