package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/order"
)

var _ order.Outbox = (*DB)(nil)

// DefaultOutboxConsumers are the consumers every order event is queued for unless
// SetOutboxConsumers says otherwise: the ledger posting and the merchant's webhook.
var DefaultOutboxConsumers = []string{"ledger", "webhook"}

// SetOutboxConsumers sets the consumers each new order event is queued for (e.g. add "nats"
// when events are also published). Call it before the first write; every process writing to
// one database must use the same list, or events written by one are not queued for another's
// consumers.
func (d *DB) SetOutboxConsumers(names ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.consumers = append([]string(nil), names...)
}

// SetOutboxTypes limits which event types are queued for consumer (nil or empty = every
// type): the ledger poster needs only payment.succeeded and refund.succeeded, and a
// delivery that a consumer would only mark done costs a row, a claim and a completion. The
// event itself (the order's history) is always written. Call it before the first write,
// with the same setting in every process.
func (d *DB) SetOutboxTypes(consumer string, types ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.outboxTypes == nil {
		d.outboxTypes = map[string]map[string]bool{}
	}
	if len(types) == 0 {
		delete(d.outboxTypes, consumer)
		return
	}
	m := make(map[string]bool, len(types))
	for _, t := range types {
		m[t] = true
	}
	d.outboxTypes[consumer] = m
}

// outboxWants reports whether events of type t are queued for consumer c.
func (d *DB) outboxWants(c, t string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	m, ok := d.outboxTypes[c]
	return !ok || m[t]
}

func (d *DB) outboxConsumers() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.consumers == nil {
		return DefaultOutboxConsumers
	}
	return d.consumers
}

const (
	outboxPending = 0
	outboxDone    = 1
	outboxDead    = 2
)

// ClaimDeliveries implements order.Outbox. A delivery is claimable when it is pending, due,
// not leased, and no earlier pending delivery of the same consumer and payment exists (so a
// payment's events go out in order even when a retry is waiting).
func (d *DB) ClaimDeliveries(ctx context.Context, consumer string, now time.Time, limit int, lease time.Duration) ([]order.Delivery, error) {
	skip := ""
	if d.dialect == Postgres {
		skip = " FOR UPDATE SKIP LOCKED"
	}
	// "The payment's first pending delivery" is a correlated scalar subquery rather than NOT
	// EXISTS: without statistics (a new or fast-growing table, before autovacuum analyses it)
	// PostgreSQL plans the NOT EXISTS as a nested-loop anti join over every pending row —
	// 15 s per claim at 2,000 pending payments — while the subquery is always an index
	// lookup per candidate (order_outbox_payment); with statistics both take under a
	// millisecond.
	claim := d.q(`UPDATE order_outbox SET lease_until = ? WHERE consumer = ? AND event_seq IN (
		SELECT o.event_seq FROM order_outbox o
		WHERE o.consumer = ? AND o.state = 0 AND o.next_at <= ? AND o.lease_until <= ?
		  AND o.event_seq = (SELECT p.event_seq FROM order_outbox p WHERE p.consumer = o.consumer AND p.payment_id = o.payment_id
		                     AND p.state = 0 ORDER BY p.event_seq LIMIT 1)
		ORDER BY o.event_seq LIMIT ?` + skip + `)
		RETURNING event_seq, attempts, last_error`)
	type claimed struct {
		seq      int64
		attempts int
		lastErr  string
	}
	var got []claimed
	err := d.orderTx(ctx, func(tx *otx) error {
		rows, err := tx.QueryContext(ctx, claim, micros(now.Add(lease)), consumer, consumer, micros(now), micros(now), limit)
		if err != nil {
			return fmt.Errorf("store: claim %s deliveries: %w", consumer, err)
		}
		defer rows.Close()
		for rows.Next() {
			var c claimed
			if err := rows.Scan(&c.seq, &c.attempts, &c.lastErr); err != nil {
				return fmt.Errorf("store: claim %s deliveries: %w", consumer, err)
			}
			got = append(got, c)
		}
		return rows.Err()
	})
	if err != nil || len(got) == 0 {
		return nil, err
	}
	// The events of the whole claim in one query (a query per row cost more than the claim).
	bySeq := make(map[int64]*order.Event, len(got))
	for i := 0; i < len(got); i += 500 {
		part := got[i:min(i+500, len(got))]
		args := make([]any, len(part))
		for k, c := range part {
			args[k] = c.seq
		}
		evs, err := d.events(ctx, `SELECT `+eventCols+` FROM order_events WHERE seq IN (?`+strings.Repeat(",?", len(part)-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			bySeq[e.Seq] = e
		}
	}
	out := make([]order.Delivery, 0, len(got))
	for _, c := range got {
		e := bySeq[c.seq]
		if e == nil {
			return nil, fmt.Errorf("store: outbox row %d of %s has no event", c.seq, consumer)
		}
		out = append(out, order.Delivery{Event: e, Consumer: consumer, Attempts: c.attempts, LastErr: c.lastErr})
	}
	// RETURNING gives no order; deliver in event order.
	sort.Slice(out, func(i, j int) bool { return out[i].Event.Seq < out[j].Event.Seq })
	return out, nil
}

// outboxUpdate runs one outbox write as an order-side transaction: on SQLite it joins the
// group commit (prepared statement, one commit shared with concurrent writers) instead of
// many webhook workers completing deliveries at once colliding in SQLite's busy-wait sleeps.
// PostgreSQL runs it as one autocommitted statement (one round trip instead of three).
func (d *DB) outboxUpdate(ctx context.Context, what, q string, args ...any) error {
	exec := func(ctx context.Context, x interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}) error {
		res, err := x.ExecContext(ctx, d.q(q), args...)
		if err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return fmt.Errorf("store: %s: %w", what, order.ErrNotFound)
		}
		return nil
	}
	if d.dialect == Postgres {
		return exec(ctx, d.w)
	}
	return d.orderTx(ctx, func(tx *otx) error { return exec(ctx, tx) })
}

// CompleteDelivery implements order.Outbox.
func (d *DB) CompleteDelivery(ctx context.Context, consumer string, seq int64) error {
	return d.outboxUpdate(ctx, "complete delivery", `UPDATE order_outbox SET state = 1, lease_until = 0 WHERE consumer = ? AND event_seq = ?`, consumer, seq)
}

// RetryDelivery implements order.Outbox.
func (d *DB) RetryDelivery(ctx context.Context, consumer string, seq int64, next time.Time, errMsg string) error {
	return d.outboxUpdate(ctx, "retry delivery", `UPDATE order_outbox SET attempts = attempts + 1, next_at = ?, lease_until = 0, last_error = ?
		WHERE consumer = ? AND event_seq = ? AND state = 0`, micros(next), truncate(errMsg, 512), consumer, seq)
}

// DeadLetter implements order.Outbox.
func (d *DB) DeadLetter(ctx context.Context, consumer string, seq int64, errMsg string) error {
	return d.outboxUpdate(ctx, "dead-letter delivery", `UPDATE order_outbox SET state = 2, attempts = attempts + 1, lease_until = 0, last_error = ?
		WHERE consumer = ? AND event_seq = ?`, truncate(errMsg, 512), consumer, seq)
}

// Redeliver implements order.Outbox. A delivery still pending is left alone (order.ErrNotFound):
// resetting its lease would let a second claimer send it while the first still is.
func (d *DB) Redeliver(ctx context.Context, consumer string, seq int64, now time.Time) error {
	return d.outboxUpdate(ctx, "redeliver", `UPDATE order_outbox SET state = 0, next_at = ?, lease_until = 0 WHERE consumer = ? AND event_seq = ? AND state <> 0`,
		micros(now), consumer, seq)
}

// OutboxStats implements order.Outbox.
func (d *DB) OutboxStats(ctx context.Context, consumer string) (order.OutboxStats, error) {
	var s order.OutboxStats
	rows, err := d.reads().QueryContext(ctx, d.q(`SELECT state, COUNT(*), MIN(event_at) FROM order_outbox WHERE consumer = ? GROUP BY state`), consumer)
	if err != nil {
		return s, fmt.Errorf("store: outbox stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state int
		var n, oldest int64
		if err := rows.Scan(&state, &n, &oldest); err != nil {
			return s, fmt.Errorf("store: outbox stats: %w", err)
		}
		switch state {
		case outboxPending:
			s.Pending, s.OldestPending = n, fromMicros(oldest)
		case outboxDone:
			s.Done = n
		case outboxDead:
			s.Dead = n
		}
	}
	return s, rows.Err()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
