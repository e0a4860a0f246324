package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
)

// DB implements order.PayoutStore in the payouts table (migration 0110). A payout's events
// share order_events and the outbox with payments (order_kind "payout", payment_id = the
// payout's id, so they are delivered in order per payout), and its query-back task shares
// order_queries (order_kind "payout").
var _ order.PayoutStore = (*DB)(nil)

const payoutCols = `id, merchant_id, payout_no, channel, account, channel_payout_no, channel_payout_time, channel_txn_id,
	amount, currency, card_masked, holder_name, purpose, state, unresolved, fail_code, fail_msg, return_no, alert,
	completed_at, returned_at, created_at, updated_at, version`

func scanPayout(s scanner) (*order.Payout, error) {
	var p order.Payout
	var cpt, completed, returned, created, updated, amount int64
	var cur, state string
	var unresolved int
	err := s.Scan(&p.ID, &p.MerchantID, &p.PayoutNo, &p.Channel, &p.Account, &p.ChannelPayoutNo, &cpt, &p.ChannelTxnID,
		&amount, &cur, &p.CardMasked, &p.HolderName, &p.Purpose, &state, &unresolved, &p.FailCode, &p.FailMsg, &p.ReturnNo, &p.Alert,
		&completed, &returned, &created, &updated, &p.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, order.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: read payout: %w", err)
	}
	c := money.Currency(cur)
	if !c.Valid() {
		return nil, fmt.Errorf("store: payout %s: stored currency %q is not valid", p.ID, cur)
	}
	p.Amount, p.State, p.Unresolved = money.New(amount, c), order.State(state), unresolved != 0
	p.ChannelPayoutTime, p.CompletedAt, p.ReturnedAt = fromMicros(cpt), fromMicros(completed), fromMicros(returned)
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &p, nil
}

// PayoutFirstQueryAfter is when a new payout's query-back task first falls due, unless the
// channel's answer (recorded by TransitionPayout) reschedules it: long enough for the call
// that creates it to finish.
const PayoutFirstQueryAfter = 2 * time.Minute

// CreatePayout implements order.PayoutStore.
func (d *DB) CreatePayout(ctx context.Context, p *order.Payout) (*order.Event, error) {
	if p.ID == "" || p.MerchantID == "" || p.PayoutNo == "" || p.Account == "" || p.ChannelPayoutNo == "" {
		return nil, fmt.Errorf("store: payout needs ID, MerchantID, PayoutNo, Account and ChannelPayoutNo")
	}
	if !p.Amount.IsPositive() || !p.Amount.Currency().Valid() {
		return nil, fmt.Errorf("store: payout %s: amount %s must be positive with a valid currency", p.ID, p.Amount)
	}
	p.State, p.Version = order.Created, 1
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	ev := &order.Event{Type: "payout.created", OrderKind: "payout", OrderID: p.ID, PaymentID: p.ID, MerchantID: p.MerchantID,
		To: order.Created, Cause: order.CauseAPI, At: p.CreatedAt, Version: 1}
	err := d.orderTx(ctx, func(tx *otx) error {
		q := d.q(`INSERT INTO payouts (` + payoutCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
		_, err := tx.ExecContext(ctx, q, p.ID, p.MerchantID, p.PayoutNo, p.Channel, p.Account, p.ChannelPayoutNo, micros(p.ChannelPayoutTime),
			p.ChannelTxnID, p.Amount.Minor(), string(p.Amount.Currency()), p.CardMasked, p.HolderName, p.Purpose, string(p.State),
			boolInt(p.Unresolved), p.FailCode, p.FailMsg, p.ReturnNo, p.Alert, micros(p.CompletedAt), micros(p.ReturnedAt),
			micros(p.CreatedAt), micros(p.UpdatedAt), p.Version)
		if isUnique(err) {
			return order.ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("store: insert payout: %w", err)
		}
		if err := d.insertEvent(ctx, tx, ev); err != nil {
			return err
		}
		// Queued from the start: a process that stops between this insert and recording the
		// channel's answer leaves a payout whose fate only a query can tell.
		return d.syncWatch(ctx, tx, "payout", p.ID, true, false, p.CreatedAt.Add(PayoutFirstQueryAfter))
	})
	if err != nil {
		return nil, err
	}
	return ev, nil
}

func (d *DB) payoutWhere(ctx context.Context, q rowQuerier, where string, args ...any) (*order.Payout, error) {
	return scanPayout(q.QueryRowContext(ctx, d.q(`SELECT `+payoutCols+` FROM payouts WHERE `+where), args...))
}

// Payout implements order.PayoutStore.
func (d *DB) Payout(ctx context.Context, id string) (*order.Payout, error) {
	return d.payoutWhere(ctx, d.r, `id = ?`, id)
}

// PayoutByNo implements order.PayoutStore.
func (d *DB) PayoutByNo(ctx context.Context, merchantID, payoutNo string) (*order.Payout, error) {
	return d.payoutWhere(ctx, d.r, `merchant_id = ? AND payout_no = ?`, merchantID, payoutNo)
}

// PayoutByChannelNo implements order.PayoutStore.
func (d *DB) PayoutByChannelNo(ctx context.Context, account, channelPayoutNo string) (*order.Payout, error) {
	return d.payoutWhere(ctx, d.r, `account = ? AND channel_payout_no = ?`, account, channelPayoutNo)
}

// Payouts implements order.PayoutStore.
func (d *DB) Payouts(ctx context.Context, merchantID string, from, to time.Time, limit int) ([]*order.Payout, error) {
	rows, err := d.r.QueryContext(ctx, d.q(`SELECT `+payoutCols+` FROM payouts WHERE merchant_id = ? AND created_at >= ? AND created_at < ?
		ORDER BY created_at, id LIMIT ?`), merchantID, micros(from), micros(to), limit)
	if err != nil {
		return nil, fmt.Errorf("store: list payouts: %w", err)
	}
	defer rows.Close()
	var out []*order.Payout
	for rows.Next() {
		p, err := scanPayout(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// TransitionPayout implements order.PayoutStore.
func (d *DB) TransitionPayout(ctx context.Context, id string, version int64, t order.PayoutTransition, queryAt time.Time) (*order.Payout, *order.Event, error) {
	var out *order.Payout
	var ev *order.Event
	err := d.orderTx(ctx, func(tx *otx) error {
		cur, err := d.payoutWhere(ctx, tx, `id = ?`+d.forUpdate(), id)
		if err != nil {
			return err
		}
		done, err := d.refApplied(ctx, tx, id, t.Ref)
		if err != nil {
			return err
		}
		if done || (cur.State == t.To && t.To != order.PayoutProcessing) {
			out = cur // applied before: idempotent
			return nil
		}
		if cur.Version != version {
			return order.ErrConflict
		}
		n, err := order.ApplyPayout(cur, t)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, d.q(`UPDATE payouts SET state = ?, unresolved = ?, channel_txn_id = ?, fail_code = ?, fail_msg = ?,
			return_no = ?, alert = ?, completed_at = ?, returned_at = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?`),
			string(n.State), boolInt(n.Unresolved), n.ChannelTxnID, n.FailCode, n.FailMsg, n.ReturnNo, n.Alert,
			micros(n.CompletedAt), micros(n.ReturnedAt), micros(n.UpdatedAt), n.Version, id, version)
		if err != nil {
			return fmt.Errorf("store: update payout: %w", err)
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return order.ErrConflict
		}
		// A processing payout that stays processing writes no event: the history records
		// changes of state (and of the unknown flag), not every query.
		if cur.State != n.State || cur.Unresolved != n.Unresolved {
			ev = &order.Event{Type: "payout." + string(n.State), OrderKind: "payout", OrderID: id, PaymentID: id, MerchantID: n.MerchantID,
				From: cur.State, To: n.State, Cause: t.Cause, Ref: t.Ref, At: t.At, Version: n.Version}
			if err := d.insertEvent(ctx, tx, ev); err != nil {
				if isUnique(err) {
					return order.ErrConflict
				}
				return err
			}
		}
		if err := d.syncWatch(ctx, tx, "payout", id, n.State == order.PayoutProcessing || n.State == order.Succeeded, cur.State != n.State, queryAt); err != nil {
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

// syncWatch keeps a query-back task of kind for id: queued (due at next) when want, else
// removed. reset moves an existing task's due time to next and its attempts to 0 (the
// order entered a new state that is watched differently).
func (d *DB) syncWatch(ctx context.Context, tx *otx, kind, id string, want, reset bool, next time.Time) error {
	if !want {
		if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM order_queries WHERE order_id = ?`), id); err != nil {
			return fmt.Errorf("store: dequeue query of %s: %w", id, err)
		}
		return nil
	}
	q := `INSERT INTO order_queries (order_id, order_kind, attempts, next_at, lease_until) VALUES (?,?,0,?,0) ON CONFLICT (order_id) DO NOTHING`
	if reset {
		q = `INSERT INTO order_queries (order_id, order_kind, attempts, next_at, lease_until) VALUES (?,?,0,?,0)
			ON CONFLICT (order_id) DO UPDATE SET next_at = excluded.next_at, attempts = 0, lease_until = 0`
	}
	if _, err := tx.ExecContext(ctx, d.q(q), id, kind, micros(next)); err != nil {
		return fmt.Errorf("store: queue query of %s: %w", id, err)
	}
	return nil
}

// StopQuery removes order id's query-back task (a succeeded payout past the window in which
// its bank can still return it). It is a no-op when there is none.
func (d *DB) StopQuery(ctx context.Context, id string) error {
	if _, err := d.w.ExecContext(ctx, d.q(`DELETE FROM order_queries WHERE order_id = ?`), id); err != nil {
		return fmt.Errorf("store: stop query of %s: %w", id, err)
	}
	return nil
}
