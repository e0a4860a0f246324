package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
)

// DB implements order.Store: payments, refunds, their events (history and outbox in one
// table, order_events) and the query-back queue, in the tables of migration 0100_orders.
// Every change is one database transaction: a transition's compare-and-set on the order's
// version, its event row and the queue row commit together or not at all.
var _ order.Store = (*DB)(nil)

const paymentCols = `id, merchant_id, order_no, channel, account, channel_order_no, channel_order_time, channel_txn_id,
	method, amount, currency, refunded, subject, notify_url, state, unresolved, alert, expires_at, paid_at,
	created_at, updated_at, version`

const refundCols = `id, payment_id, merchant_id, refund_no, channel_refund_no, channel_refund_time, channel_refund_id,
	amount, currency, fee_returned, reason, state, unresolved, created_at, updated_at, completed_at, version`

const eventCols = `seq, id, type, order_kind, order_id, payment_id, merchant_id, from_state, to_state, cause, ref, at, version`

// micros stores a time as Unix microseconds (0 for the zero time); fromMicros reads it back
// in UTC.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// newEventID returns "evt_" and 24 hex digits, later ids sorting later (order.NewID).
func newEventID() string { return order.NewID("evt_") }

// isUnique reports a unique-constraint violation on either database.
func isUnique(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

type scanner interface{ Scan(dest ...any) error }

func scanPayment(s scanner) (*order.Payment, error) {
	var p order.Payment
	var cot, exp, paid, created, updated int64
	var amount, refunded int64
	var cur, method, state string
	var unresolved int
	err := s.Scan(&p.ID, &p.MerchantID, &p.OrderNo, &p.Channel, &p.Account, &p.ChannelOrderNo, &cot, &p.ChannelTxnID,
		&method, &amount, &cur, &refunded, &p.Subject, &p.NotifyURL, &state, &unresolved, &p.Alert, &exp, &paid,
		&created, &updated, &p.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, order.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: read payment: %w", err)
	}
	c := money.Currency(cur)
	if !c.Valid() {
		return nil, fmt.Errorf("store: payment %s: stored currency %q is not valid", p.ID, cur)
	}
	p.Method, p.State, p.Unresolved = channel.Method(method), order.State(state), unresolved != 0
	p.Amount, p.RefundedAmount = money.New(amount, c), money.New(refunded, c)
	p.ChannelOrderTime, p.ExpiresAt, p.PaidAt = fromMicros(cot), fromMicros(exp), fromMicros(paid)
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &p, nil
}

func scanRefund(s scanner) (*order.Refund, error) {
	var r order.Refund
	var crt, created, updated, completed, amount, fee int64
	var cur, state string
	var unresolved int
	err := s.Scan(&r.ID, &r.PaymentID, &r.MerchantID, &r.RefundNo, &r.ChannelRefundNo, &crt, &r.ChannelRefundID,
		&amount, &cur, &fee, &r.Reason, &state, &unresolved, &created, &updated, &completed, &r.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, order.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: read refund: %w", err)
	}
	c := money.Currency(cur)
	if !c.Valid() {
		return nil, fmt.Errorf("store: refund %s: stored currency %q is not valid", r.ID, cur)
	}
	r.Amount, r.FeeReturned = money.New(amount, c), money.New(fee, c)
	r.State, r.Unresolved = order.State(state), unresolved != 0
	r.ChannelRefundTime, r.CreatedAt, r.UpdatedAt, r.CompletedAt = fromMicros(crt), fromMicros(created), fromMicros(updated), fromMicros(completed)
	return &r, nil
}

func scanEvent(s scanner) (*order.Event, error) {
	var e order.Event
	var from, to, cause string
	var at int64
	if err := s.Scan(&e.Seq, &e.ID, &e.Type, &e.OrderKind, &e.OrderID, &e.PaymentID, &e.MerchantID, &from, &to, &cause, &e.Ref, &at, &e.Version); err != nil {
		return nil, fmt.Errorf("store: read event: %w", err)
	}
	e.From, e.To, e.Cause, e.At = order.State(from), order.State(to), order.Cause(cause), fromMicros(at)
	return &e, nil
}

// otx is an order-side write transaction. On SQLite its statements are prepared once per
// store and reused (parsing costs more than running them); PostgreSQL's driver caches them.
type otx struct {
	l  *ltx
	tx *sql.Tx
}

func (t *otx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := t.l.cached(ctx, q)
	if err != nil {
		return nil, err
	}
	if st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

func (t *otx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := t.l.cached(ctx, q)
	if err != nil {
		return nil, err
	}
	if st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

func (t *otx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st, err := t.l.cached(ctx, q); err == nil && st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

// orderTx runs fn in one write transaction (BEGIN IMMEDIATE on SQLite, so compare-and-set
// and the refund sum check see no interleaved writer; row locks on PostgreSQL).
//
// On SQLite the transactions of concurrent callers share one commit (group.go).
func (d *DB) orderTx(ctx context.Context, fn func(tx *otx) error) error {
	if d.dialect == SQLite {
		return d.groupTx(ctx, fn)
	}
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(&otx{l: &ltx{d: d, tx: tx, write: true}, tx: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// forUpdate is the row-lock suffix for reads that precede a write in the same transaction.
func (d *DB) forUpdate() string {
	if d.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

func (d *DB) insertEvent(ctx context.Context, tx *otx, e *order.Event) error {
	if e.ID == "" {
		e.ID = newEventID()
	}
	q := d.q(`INSERT INTO order_events (id, type, order_kind, order_id, payment_id, merchant_id, from_state, to_state, cause, ref, at, version)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING seq`)
	err := tx.QueryRowContext(ctx, q, e.ID, e.Type, e.OrderKind, e.OrderID, e.PaymentID, e.MerchantID,
		string(e.From), string(e.To), string(e.Cause), e.Ref, micros(e.At), e.Version).Scan(&e.Seq)
	if err != nil {
		return fmt.Errorf("store: insert event: %w", err)
	}
	for _, c := range d.outboxConsumers() {
		if !d.outboxWants(c, e.Type) {
			continue
		}
		if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO order_outbox (event_seq, consumer, payment_id, next_at, event_at) VALUES (?,?,?,?,?)`),
			e.Seq, c, e.PaymentID, micros(e.At), micros(e.At)); err != nil {
			return fmt.Errorf("store: queue event for %s: %w", c, err)
		}
	}
	return nil
}

// refApplied reports whether order id already has an event with reference ref.
func (d *DB) refApplied(ctx context.Context, tx *otx, id, ref string) (bool, error) {
	if ref == "" {
		return false, nil
	}
	var n int
	// "ref <> ''" lets the planner use the partial unique index order_events_ref; without
	// it the look-up scanned every event (a third of the gateway's CPU at a few thousand
	// payments).
	if err := tx.QueryRowContext(ctx, d.q(`SELECT COUNT(*) FROM order_events WHERE order_id = ? AND ref = ? AND ref <> ''`), id, ref).Scan(&n); err != nil {
		return false, fmt.Errorf("store: look up event reference: %w", err)
	}
	return n > 0, nil
}

// syncQueue keeps the query-back queue in step with an order: queued while pending and
// unresolved (due at next), dequeued otherwise.
func (d *DB) syncQueue(ctx context.Context, tx *otx, kind, id string, state order.State, unresolved bool, next time.Time) error {
	if state == order.Pending && unresolved {
		q := d.q(`INSERT INTO order_queries (order_id, order_kind, attempts, next_at, lease_until) VALUES (?,?,0,?,0)
			ON CONFLICT (order_id) DO NOTHING`)
		if _, err := tx.ExecContext(ctx, q, id, kind, micros(next)); err != nil {
			return fmt.Errorf("store: queue query of %s: %w", id, err)
		}
		return nil
	}
	if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM order_queries WHERE order_id = ?`), id); err != nil {
		return fmt.Errorf("store: dequeue query of %s: %w", id, err)
	}
	return nil
}

// CreatePayment implements order.Store.
func (d *DB) CreatePayment(ctx context.Context, p *order.Payment) (*order.Event, error) {
	if p.ID == "" || p.MerchantID == "" || p.OrderNo == "" || p.Account == "" || p.ChannelOrderNo == "" {
		return nil, fmt.Errorf("store: payment needs ID, MerchantID, OrderNo, Account and ChannelOrderNo")
	}
	if !p.Amount.IsPositive() || !p.Amount.Currency().Valid() {
		return nil, fmt.Errorf("store: payment %s: amount %s must be positive with a valid currency", p.ID, p.Amount)
	}
	p.State, p.Version = order.Created, 1
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	ev := &order.Event{Type: "payment.created", OrderKind: "payment", OrderID: p.ID, PaymentID: p.ID, MerchantID: p.MerchantID,
		To: order.Created, Cause: order.CauseAPI, At: p.CreatedAt, Version: 1}
	err := d.orderTx(ctx, func(tx *otx) error {
		q := d.q(`INSERT INTO payments (` + paymentCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
		_, err := tx.ExecContext(ctx, q, p.ID, p.MerchantID, p.OrderNo, p.Channel, p.Account, p.ChannelOrderNo, micros(p.ChannelOrderTime),
			p.ChannelTxnID, string(p.Method), p.Amount.Minor(), string(p.Amount.Currency()), int64(0), p.Subject, p.NotifyURL,
			string(p.State), boolInt(p.Unresolved), p.Alert, micros(p.ExpiresAt), micros(p.PaidAt), micros(p.CreatedAt), micros(p.UpdatedAt), p.Version)
		if isUnique(err) {
			return order.ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("store: insert payment: %w", err)
		}
		return d.insertEvent(ctx, tx, ev)
	})
	if err != nil {
		return nil, err
	}
	p.RefundedAmount = money.New(0, p.Amount.Currency())
	return ev, nil
}

// rowQuerier is what the single-row look-ups read through: the read pool or a write
// transaction.
type rowQuerier interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

func (d *DB) paymentWhere(ctx context.Context, q rowQuerier, where string, args ...any) (*order.Payment, error) {
	return scanPayment(q.QueryRowContext(ctx, d.q(`SELECT `+paymentCols+` FROM payments WHERE `+where), args...))
}

// Payment implements order.Store.
func (d *DB) Payment(ctx context.Context, id string) (*order.Payment, error) {
	return d.paymentWhere(ctx, d.reads(), `id = ?`, id)
}

// PaymentByOrderNo implements order.Store.
func (d *DB) PaymentByOrderNo(ctx context.Context, merchantID, orderNo string) (*order.Payment, error) {
	return d.paymentWhere(ctx, d.reads(), `merchant_id = ? AND order_no = ?`, merchantID, orderNo)
}

// PaymentByChannelOrderNo implements order.Store.
func (d *DB) PaymentByChannelOrderNo(ctx context.Context, account, channelOrderNo string) (*order.Payment, error) {
	return d.paymentWhere(ctx, d.reads(), `account = ? AND channel_order_no = ?`, account, channelOrderNo)
}

// paymentEventType names the event of a payment entering state s.
func paymentEventType(s order.State) string { return "payment." + string(s) }

// TransitionPayment implements order.Store.
func (d *DB) TransitionPayment(ctx context.Context, id string, version int64, t order.Transition) (*order.Payment, *order.Event, error) {
	var out *order.Payment
	var ev *order.Event
	err := d.orderTx(ctx, func(tx *otx) error {
		cur, err := d.paymentWhere(ctx, tx, `id = ?`+d.forUpdate(), id)
		if err != nil {
			return err
		}
		done, err := d.refApplied(ctx, tx, id, t.Ref)
		if err != nil {
			return err
		}
		if done || (cur.State == t.To && t.To.Final() && t.To != order.PartiallyRefunded) {
			out = cur // applied before: idempotent
			return nil
		}
		if cur.Version != version {
			return order.ErrConflict
		}
		n, err := order.ApplyPayment(cur, t)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, d.q(`UPDATE payments SET state = ?, unresolved = ?, channel_txn_id = ?, paid_at = ?, alert = ?,
			updated_at = ?, version = ? WHERE id = ? AND version = ?`),
			string(n.State), boolInt(n.Unresolved), n.ChannelTxnID, micros(n.PaidAt), n.Alert, micros(n.UpdatedAt), n.Version, id, version)
		if err != nil {
			return fmt.Errorf("store: update payment: %w", err)
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return order.ErrConflict
		}
		ev = &order.Event{Type: paymentEventType(n.State), OrderKind: "payment", OrderID: id, PaymentID: id, MerchantID: n.MerchantID,
			From: cur.State, To: n.State, Cause: t.Cause, Ref: t.Ref, At: t.At, Version: n.Version}
		if err := d.insertEvent(ctx, tx, ev); err != nil {
			if isUnique(err) {
				return order.ErrConflict // the same reference raced us: read again
			}
			return err
		}
		if err := d.syncQueue(ctx, tx, "payment", id, n.State, n.Unresolved, t.At); err != nil {
			return err
		}
		out = n
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, ev, nil
}

// CreateRefund implements order.Store.
func (d *DB) CreateRefund(ctx context.Context, r *order.Refund) (*order.Event, error) {
	if r.ID == "" || r.PaymentID == "" || r.MerchantID == "" || r.RefundNo == "" || r.ChannelRefundNo == "" {
		return nil, fmt.Errorf("store: refund needs ID, PaymentID, MerchantID, RefundNo and ChannelRefundNo")
	}
	if !r.Amount.IsPositive() {
		return nil, fmt.Errorf("store: refund %s: amount %s must be positive", r.ID, r.Amount)
	}
	r.State, r.Version = order.Created, 1
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	var ev *order.Event
	err := d.orderTx(ctx, func(tx *otx) error {
		p, err := d.paymentWhere(ctx, tx, `id = ?`+d.forUpdate(), r.PaymentID)
		if err != nil {
			return err
		}
		if p.MerchantID != r.MerchantID {
			return order.ErrNotFound // another merchant's payment does not exist for this one
		}
		if p.State != order.Succeeded && p.State != order.PartiallyRefunded {
			return order.ErrNotRefundable
		}
		if p.Amount.Currency() != r.Amount.Currency() {
			return fmt.Errorf("store: refund %s in %s of a payment in %s", r.ID, r.Amount.Currency(), p.Amount.Currency())
		}
		var open int64
		if err := tx.QueryRowContext(ctx, d.q(`SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE payment_id = ? AND state <> ?`),
			r.PaymentID, string(order.Failed)).Scan(&open); err != nil {
			return fmt.Errorf("store: sum refunds: %w", err)
		}
		if open+r.Amount.Minor() > p.Amount.Minor() {
			return order.ErrRefundExceeds
		}
		q := d.q(`INSERT INTO refunds (` + refundCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
		_, err = tx.ExecContext(ctx, q, r.ID, r.PaymentID, r.MerchantID, r.RefundNo, r.ChannelRefundNo, micros(r.ChannelRefundTime),
			r.ChannelRefundID, r.Amount.Minor(), string(r.Amount.Currency()), r.FeeReturned.Minor(), r.Reason, string(r.State),
			boolInt(r.Unresolved), micros(r.CreatedAt), micros(r.UpdatedAt), micros(r.CompletedAt), r.Version)
		if isUnique(err) {
			return order.ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("store: insert refund: %w", err)
		}
		ev = &order.Event{Type: "refund.created", OrderKind: "refund", OrderID: r.ID, PaymentID: r.PaymentID, MerchantID: r.MerchantID,
			To: order.Created, Cause: order.CauseAPI, At: r.CreatedAt, Version: 1}
		return d.insertEvent(ctx, tx, ev)
	})
	if err != nil {
		return nil, err
	}
	return ev, nil
}

func (d *DB) refundWhere(ctx context.Context, q rowQuerier, where string, args ...any) (*order.Refund, error) {
	return scanRefund(q.QueryRowContext(ctx, d.q(`SELECT `+refundCols+` FROM refunds WHERE `+where), args...))
}

// Refund implements order.Store.
func (d *DB) Refund(ctx context.Context, id string) (*order.Refund, error) {
	return d.refundWhere(ctx, d.reads(), `id = ?`, id)
}

// RefundByNo implements order.Store.
func (d *DB) RefundByNo(ctx context.Context, merchantID, refundNo string) (*order.Refund, error) {
	return d.refundWhere(ctx, d.reads(), `merchant_id = ? AND refund_no = ?`, merchantID, refundNo)
}

// Refunds implements order.Store.
func (d *DB) Refunds(ctx context.Context, paymentID string) ([]*order.Refund, error) {
	rows, err := d.reads().QueryContext(ctx, d.q(`SELECT `+refundCols+` FROM refunds WHERE payment_id = ? ORDER BY created_at, id`), paymentID)
	if err != nil {
		return nil, fmt.Errorf("store: list refunds: %w", err)
	}
	defer rows.Close()
	var out []*order.Refund
	for rows.Next() {
		r, err := scanRefund(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// TransitionRefund implements order.Store.
func (d *DB) TransitionRefund(ctx context.Context, id string, version int64, t order.Transition) (*order.Refund, *order.Payment, []*order.Event, error) {
	var out *order.Refund
	var pay *order.Payment
	var evs []*order.Event
	err := d.orderTx(ctx, func(tx *otx) error {
		cur, err := d.refundWhere(ctx, tx, `id = ?`+d.forUpdate(), id)
		if err != nil {
			return err
		}
		// Lock the payment before any event is written: on PostgreSQL an event's sequence
		// number is drawn at insert, so two refunds of one payment must not interleave, or
		// their events could become visible out of order (and per-payment delivery order
		// with them).
		p, err := d.paymentWhere(ctx, tx, `id = ?`+d.forUpdate(), cur.PaymentID)
		if err != nil {
			return err
		}
		done, err := d.refApplied(ctx, tx, id, t.Ref)
		if err != nil {
			return err
		}
		if done || (cur.State == t.To && t.To.Final()) {
			out = cur
			return nil
		}
		if cur.Version != version {
			return order.ErrConflict
		}
		n, err := order.ApplyRefund(cur, t)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, d.q(`UPDATE refunds SET state = ?, unresolved = ?, channel_refund_id = ?, completed_at = ?,
			updated_at = ?, version = ? WHERE id = ? AND version = ?`),
			string(n.State), boolInt(n.Unresolved), n.ChannelRefundID, micros(n.CompletedAt), micros(n.UpdatedAt), n.Version, id, version)
		if err != nil {
			return fmt.Errorf("store: update refund: %w", err)
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return order.ErrConflict
		}
		ev := &order.Event{Type: "refund." + string(n.State), OrderKind: "refund", OrderID: id, PaymentID: n.PaymentID, MerchantID: n.MerchantID,
			From: cur.State, To: n.State, Cause: t.Cause, Ref: t.Ref, At: t.At, Version: n.Version}
		if err := d.insertEvent(ctx, tx, ev); err != nil {
			if isUnique(err) {
				return order.ErrConflict
			}
			return err
		}
		evs = append(evs, ev)
		if err := d.syncQueue(ctx, tx, "refund", id, n.State, n.Unresolved, t.At); err != nil {
			return err
		}
		out = n
		if n.State != order.Succeeded {
			return nil
		}
		// The refund moved money back: the payment's refunded amount and state follow, in
		// this same transaction (p is locked above).
		refunded, err := p.RefundedAmount.Add(n.Amount)
		if err != nil {
			return fmt.Errorf("store: refunded amount of %s: %w", p.ID, err)
		}
		if refunded.Minor() > p.Amount.Minor() {
			return fmt.Errorf("store: refund %s would take payment %s to %s refunded of %s: %w", id, p.ID, refunded, p.Amount, order.ErrRefundExceeds)
		}
		to := order.PartiallyRefunded
		if refunded.Minor() == p.Amount.Minor() {
			to = order.Refunded
		}
		np, err := order.ApplyPayment(p, order.Transition{To: to, Cause: order.CauseRefund, Ref: "refund:" + id, At: t.At})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, d.q(`UPDATE payments SET state = ?, refunded = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?`),
			string(np.State), refunded.Minor(), micros(np.UpdatedAt), np.Version, p.ID, p.Version); err != nil {
			return fmt.Errorf("store: update payment: %w", err)
		}
		np.RefundedAmount = refunded
		pev := &order.Event{Type: paymentEventType(np.State), OrderKind: "payment", OrderID: p.ID, PaymentID: p.ID, MerchantID: p.MerchantID,
			From: p.State, To: np.State, Cause: order.CauseRefund, Ref: "refund:" + id, At: t.At, Version: np.Version}
		if err := d.insertEvent(ctx, tx, pev); err != nil {
			return err
		}
		evs = append(evs, pev)
		pay = np
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return out, pay, evs, nil
}

// History implements order.Store.
func (d *DB) History(ctx context.Context, paymentID string) ([]*order.Event, error) {
	return d.events(ctx, `SELECT `+eventCols+` FROM order_events WHERE payment_id = ? ORDER BY seq`, paymentID)
}

// EventsAfter implements order.Store. On PostgreSQL a sequence number is drawn before its
// transaction commits, so an event with a lower Seq can become visible after one with a
// higher Seq; consumers that must not miss one track delivery per event, not by a cursor.
func (d *DB) EventsAfter(ctx context.Context, after int64, limit int) ([]*order.Event, error) {
	return d.events(ctx, `SELECT `+eventCols+` FROM order_events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
}

func (d *DB) events(ctx context.Context, q string, args ...any) ([]*order.Event, error) {
	rows, err := d.reads().QueryContext(ctx, d.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("store: read events: %w", err)
	}
	defer rows.Close()
	var out []*order.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DueQueries implements order.Store: it claims due tasks by setting their lease in one
// statement (FOR UPDATE SKIP LOCKED on PostgreSQL, so two gateway processes never claim the
// same task; SQLite has one writer at a time).
func (d *DB) DueQueries(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]order.QueryTask, error) {
	skip := ""
	if d.dialect == Postgres {
		skip = " FOR UPDATE SKIP LOCKED"
	}
	q := d.q(`UPDATE order_queries SET lease_until = ? WHERE order_id IN (
		SELECT order_id FROM order_queries WHERE next_at <= ? AND lease_until <= ? ORDER BY next_at LIMIT ?` + skip + `)
		RETURNING order_id, order_kind, attempts, next_at`)
	var out []order.QueryTask
	err := d.orderTx(ctx, func(tx *otx) error {
		rows, err := tx.QueryContext(ctx, q, micros(now.Add(lease)), micros(now), micros(now), limit)
		if err != nil {
			return fmt.Errorf("store: claim queries: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var t order.QueryTask
			var next int64
			if err := rows.Scan(&t.OrderID, &t.OrderKind, &t.Attempts, &next); err != nil {
				return fmt.Errorf("store: claim queries: %w", err)
			}
			t.NextAt = fromMicros(next)
			out = append(out, t)
		}
		return rows.Err()
	})
	// RETURNING gives no order: oldest due first, as the subquery chose them.
	sort.Slice(out, func(i, j int) bool {
		if !out[i].NextAt.Equal(out[j].NextAt) {
			return out[i].NextAt.Before(out[j].NextAt)
		}
		return out[i].OrderID < out[j].OrderID
	})
	return out, err
}

// RescheduleQuery implements order.Store: one more attempt, due at next, lease released.
func (d *DB) RescheduleQuery(ctx context.Context, task order.QueryTask, next time.Time) error {
	_, err := d.w.ExecContext(ctx, d.q(`UPDATE order_queries SET attempts = attempts + 1, next_at = ?, lease_until = 0 WHERE order_id = ?`),
		micros(next), task.OrderID)
	if err != nil {
		return fmt.Errorf("store: reschedule query of %s: %w", task.OrderID, err)
	}
	return nil
}

var _ order.Lookups = (*DB)(nil)

// RefundByChannelNo implements order.Lookups.
func (d *DB) RefundByChannelNo(ctx context.Context, channelRefundNo string) (*order.Refund, error) {
	return d.refundWhere(ctx, d.reads(), `channel_refund_no = ?`, channelRefundNo)
}

// ExpiredPayments implements order.Lookups.
func (d *DB) ExpiredPayments(ctx context.Context, now time.Time, limit int) ([]*order.Payment, error) {
	return d.paymentsWhere(ctx, "expired payments", `state IN (?, ?) AND expires_at > 0 AND expires_at <= ? ORDER BY expires_at, id LIMIT ?`,
		string(order.Created), string(order.Pending), micros(now), limit)
}

// paymentsWhere reads the payments a condition (with its ORDER BY and LIMIT) selects.
func (d *DB) paymentsWhere(ctx context.Context, what, where string, args ...any) ([]*order.Payment, error) {
	rows, err := d.reads().QueryContext(ctx, d.q(`SELECT `+paymentCols+` FROM payments WHERE `+where), args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []*order.Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

var _ order.Counter = (*DB)(nil)

// CountPayments implements order.Counter.
func (d *DB) CountPayments(ctx context.Context) (map[order.State]int64, error) {
	rows, err := d.r.QueryContext(ctx, `SELECT state, COUNT(*) FROM payments GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store: count payments: %w", err)
	}
	defer rows.Close()
	out := map[order.State]int64{}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("store: count payments: %w", err)
		}
		out[order.State(s)] = n
	}
	return out, rows.Err()
}

// StaleCreated implements order.Lookups.
func (d *DB) StaleCreated(ctx context.Context, before time.Time, limit int) ([]*order.Payment, error) {
	return d.paymentsWhere(ctx, "stale payments", `state = ? AND created_at < ? ORDER BY created_at, id LIMIT ?`,
		string(order.Created), micros(before), limit)
}
