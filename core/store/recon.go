package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/recon"
)

// DB implements recon.Store in the tables of migration 0130_recon.
var _ recon.Store = (*DB)(nil)

// ReconLocal implements recon.Source: the account's payments paid in [from, to) (in any paid
// state, so one refunded since still counts on its day) and its refunds that succeeded in
// [from, to), streamed row by row from the indexes on (account, paid_at) and completed_at.
// Only what matching needs is read (number, transaction id, amount, currency, time); the
// few rows that become items are looked up again for their merchant number and id.
func (d *DB) ReconLocal(ctx context.Context, account string, from, to time.Time, fn func(*recon.Local) error) error {
	var l recon.Local
	curs := map[string]money.Currency{}
	stream := func(kind recon.Kind, state order.State, what, q string, args ...any) error {
		rows, err := d.r.QueryContext(ctx, d.q(q), args...)
		if err != nil {
			return fmt.Errorf("store: recon %s: %w", what, err)
		}
		defer rows.Close()
		var amount, at int64
		var cur sql.RawBytes
		var nos string
		for rows.Next() {
			l = recon.Local{Kind: kind, State: string(state)}
			if err := rows.Scan(&nos, &amount, &cur, &at); err != nil {
				return fmt.Errorf("store: recon %s: %w", what, err)
			}
			// The number and the transaction id come as one column (one string, one
			// column call): "no" US "txn". Numbers never hold control characters.
			i := strings.IndexByte(nos, 0x1f)
			if i < 0 {
				return fmt.Errorf("store: recon %s: malformed row %q", what, nos)
			}
			l.No, l.TxnID = nos[:i], nos[i+1:]
			c, ok := curs[string(cur)]
			if !ok {
				c = money.Currency(string(cur))
				if !c.Valid() {
					return fmt.Errorf("store: recon %s %s: stored currency %q is not valid", what, l.No, cur)
				}
				curs[string(cur)] = c
			}
			l.Amount, l.At = money.New(amount, c), fromMicros(at)
			if err := fn(&l); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: recon %s: %w", what, err)
		}
		return nil
	}
	us := "char(31)" // the unit separator, by each dialect's function
	if d.dialect == Postgres {
		us = "chr(31)"
	}
	if err := stream(recon.KindPayment, "", "payments",
		`SELECT channel_order_no || `+us+` || channel_txn_id, amount, currency, paid_at FROM payments
		WHERE account = ? AND paid_at >= ? AND paid_at < ? AND state IN (?, ?, ?)`,
		account, micros(from), micros(to), string(order.Succeeded), string(order.PartiallyRefunded), string(order.Refunded)); err != nil {
		return err
	}
	return stream(recon.KindRefund, order.Succeeded, "refunds",
		`SELECT r.channel_refund_no || `+us+` || r.channel_refund_id, r.amount, r.currency, r.completed_at
		FROM refunds r JOIN payments p ON p.id = r.payment_id
		WHERE r.completed_at >= ? AND r.completed_at < ? AND r.state = ? AND p.account = ?`,
		micros(from), micros(to), string(order.Succeeded), account)
}

const reconItemCols = `id, account, channel, day, class, kind, no, order_no, local_id, txn_id, currency, local_amount,
	channel_amount, local_fee, channel_fee, local_state, channel_status, at, status, note`

func scanReconItem(s scanner) (recon.Item, error) {
	var it recon.Item
	var day, class, kind, cur, status string
	var at int64
	if err := s.Scan(&it.ID, &it.Account, &it.Channel, &day, &class, &kind, &it.No, &it.OrderNo, &it.LocalID, &it.TxnID, &cur,
		&it.LocalAmount, &it.ChannelAmount, &it.LocalFee, &it.ChannelFee, &it.LocalState, &it.ChannelStatus, &at, &status, &it.Note); err != nil {
		return it, err
	}
	var err error
	if it.Day, err = clock.ParseDate(day); err != nil {
		return it, fmt.Errorf("store: recon item %d: day %q: %w", it.ID, day, err)
	}
	it.Class, it.Kind, it.Currency, it.Status, it.At = recon.Class(class), recon.Kind(kind), money.Currency(cur), recon.ItemStatus(status), fromMicros(at)
	return it, nil
}

// During a run, the items a previous run of the day left open or waiting carry the status
// "stale_open" / "stale_waiting" until this run finds them again (ReconSaveItem gives them
// their new status); ReconFinish removes those still stale, ReconAbort restores them.
const stalePrefix = "stale_"

// ReconStart implements recon.Store.
func (d *DB) ReconStart(ctx context.Context, account string, day clock.Date) error {
	return d.orderTx(ctx, func(tx *otx) error {
		_, err := tx.ExecContext(ctx, d.q(`UPDATE recon_items SET status = CAST(? AS TEXT) || status WHERE account = ? AND day = ? AND status IN (?, ?)`),
			stalePrefix, account, day.String(), string(recon.ItemOpen), string(recon.ItemWaiting))
		if err != nil {
			return fmt.Errorf("store: recon start %s %s: %w", account, day, err)
		}
		return nil
	})
}

// ReconFinish implements recon.Store.
func (d *DB) ReconFinish(ctx context.Context, account string, day clock.Date) error {
	return d.orderTx(ctx, func(tx *otx) error {
		// An item with an audit row is kept whatever happens (the audit refers to it).
		_, err := tx.ExecContext(ctx, d.q(`DELETE FROM recon_items WHERE account = ? AND day = ? AND status IN (?, ?)
			AND NOT EXISTS (SELECT 1 FROM recon_resolutions r WHERE r.item_id = recon_items.id)`),
			account, day.String(), stalePrefix+string(recon.ItemOpen), stalePrefix+string(recon.ItemWaiting))
		if err != nil {
			return fmt.Errorf("store: recon finish %s %s: %w", account, day, err)
		}
		return d.restoreStale(ctx, tx, account, day)
	})
}

// ReconAbort implements recon.Store.
func (d *DB) ReconAbort(ctx context.Context, account string, day clock.Date) error {
	return d.orderTx(ctx, func(tx *otx) error { return d.restoreStale(ctx, tx, account, day) })
}

func (d *DB) restoreStale(ctx context.Context, tx *otx, account string, day clock.Date) error {
	for _, st := range []recon.ItemStatus{recon.ItemOpen, recon.ItemWaiting} {
		if _, err := tx.ExecContext(ctx, d.q(`UPDATE recon_items SET status = ? WHERE account = ? AND day = ? AND status = ?`),
			string(st), account, day.String(), stalePrefix+string(st)); err != nil {
			return fmt.Errorf("store: recon restore %s %s: %w", account, day, err)
		}
	}
	return nil
}

// ReconSaveItem implements recon.Store.
func (d *DB) ReconSaveItem(ctx context.Context, it *recon.Item, carriedTo clock.Date) error {
	carried := ""
	if carriedTo.Valid() {
		carried = carriedTo.String()
	}
	return d.orderTx(ctx, func(tx *otx) error {
		if it.ID != 0 {
			_, err := tx.ExecContext(ctx, d.q(`UPDATE recon_items SET status = ?, note = ?, carried_to = ? WHERE id = ?`),
				string(it.Status), it.Note, carried, it.ID)
			if err != nil {
				return fmt.Errorf("store: recon update item %d: %w", it.ID, err)
			}
			return nil
		}
		// A re-run finds the same difference again: it keeps its id (and a resolved item
		// stays resolved), its figures are refreshed.
		var status string
		err := tx.QueryRowContext(ctx, d.q(`INSERT INTO recon_items (account, channel, day, class, kind, no, order_no, local_id, txn_id,
			currency, local_amount, channel_amount, local_fee, channel_fee, local_state, channel_status, at, status, note, carried_to)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, day, kind, no, class) DO UPDATE SET
				order_no = excluded.order_no, local_id = excluded.local_id, txn_id = excluded.txn_id,
				local_amount = excluded.local_amount, channel_amount = excluded.channel_amount, local_fee = excluded.local_fee,
				channel_fee = excluded.channel_fee, local_state = excluded.local_state, channel_status = excluded.channel_status,
				status = CASE WHEN recon_items.status = ? THEN recon_items.status ELSE excluded.status END,
				note = CASE WHEN recon_items.status = ? THEN recon_items.note ELSE excluded.note END
			RETURNING id, status`),
			it.Account, it.Channel, it.Day.String(), string(it.Class), string(it.Kind), it.No, it.OrderNo, it.LocalID, it.TxnID,
			string(it.Currency), it.LocalAmount, it.ChannelAmount, it.LocalFee, it.ChannelFee, it.LocalState, it.ChannelStatus,
			micros(it.At), string(it.Status), it.Note, carried, string(recon.ItemResolved), string(recon.ItemResolved)).Scan(&it.ID, &status)
		if err == nil && recon.ItemStatus(status) == recon.ItemResolved {
			it.Status = recon.ItemResolved
		}
		if err != nil {
			return fmt.Errorf("store: recon save item %s %s: %w", it.Kind, it.No, err)
		}
		return nil
	})
}

func (d *DB) reconItems(ctx context.Context, q *sql.DB, where string, args ...any) ([]recon.Item, error) {
	rows, err := q.QueryContext(ctx, d.q(`SELECT `+reconItemCols+` FROM recon_items WHERE `+where), args...)
	if err != nil {
		return nil, fmt.Errorf("store: recon items: %w", err)
	}
	defer rows.Close()
	var out []recon.Item
	for rows.Next() {
		it, err := scanReconItem(rows)
		if err != nil {
			return nil, fmt.Errorf("store: recon items: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// ReconWaiting implements recon.Store.
func (d *DB) ReconWaiting(ctx context.Context, account string, day clock.Date) ([]recon.Item, error) {
	return d.reconItems(ctx, d.r, `account = ? AND day = ? AND (status = ? OR carried_to = ?) ORDER BY id`,
		account, day.AddDays(-1).String(), string(recon.ItemWaiting), day.String())
}

// ReconItems implements recon.Store.
func (d *DB) ReconItems(ctx context.Context, f recon.ItemFilter) ([]recon.Item, error) {
	where, args := `1 = 1`, []any{}
	if f.Account != "" {
		where, args = where+` AND account = ?`, append(args, f.Account)
	}
	if f.Day.Valid() {
		where, args = where+` AND day = ?`, append(args, f.Day.String())
	}
	if f.Status != "" {
		where, args = where+` AND status = ?`, append(args, string(f.Status))
	}
	where += ` ORDER BY day, account, id`
	if f.Limit > 0 {
		where, args = where+` LIMIT ?`, append(args, f.Limit)
	}
	return d.reconItems(ctx, d.r, where, args...)
}

// ReconItem implements recon.Store; recon.ErrNoItem when there is none.
func (d *DB) ReconItem(ctx context.Context, id int64) (*recon.Item, error) {
	its, err := d.reconItems(ctx, d.r, `id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(its) == 0 {
		return nil, fmt.Errorf("store: recon item %d: %w", id, recon.ErrNoItem)
	}
	return &its[0], nil
}

// ReconResolve implements recon.Store.
func (d *DB) ReconResolve(ctx context.Context, r recon.Resolution, status recon.ItemStatus, note string) error {
	return d.orderTx(ctx, func(tx *otx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE recon_items SET status = ?, note = ? WHERE id = ?`), string(status), note, r.ItemID)
		if err != nil {
			return fmt.Errorf("store: recon resolve %d: %w", r.ItemID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("store: recon resolve %d: %w", r.ItemID, recon.ErrNoItem)
		}
		if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO recon_resolutions (item_id, action, actor, reason, detail, at) VALUES (?, ?, ?, ?, ?, ?)`),
			r.ItemID, string(r.Action), r.Actor, r.Reason, r.Detail, micros(r.At)); err != nil {
			return fmt.Errorf("store: recon resolve %d: audit: %w", r.ItemID, err)
		}
		return nil
	})
}

// ReconResolutions implements recon.Store.
func (d *DB) ReconResolutions(ctx context.Context, itemID int64) ([]recon.Resolution, error) {
	rows, err := d.r.QueryContext(ctx, d.q(`SELECT id, item_id, action, actor, reason, detail, at FROM recon_resolutions WHERE item_id = ? ORDER BY id`), itemID)
	if err != nil {
		return nil, fmt.Errorf("store: recon resolutions: %w", err)
	}
	defer rows.Close()
	var out []recon.Resolution
	for rows.Next() {
		var r recon.Resolution
		var action string
		var at int64
		if err := rows.Scan(&r.ID, &r.ItemID, &action, &r.Actor, &r.Reason, &r.Detail, &at); err != nil {
			return nil, fmt.Errorf("store: recon resolutions: %w", err)
		}
		r.Action, r.At = recon.Action(action), fromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReconSaveRun implements recon.Store.
func (d *DB) ReconSaveRun(ctx context.Context, account string, day clock.Date, summary []byte, at time.Time) error {
	return d.orderTx(ctx, func(tx *otx) error {
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO recon_runs (account, day, result, at) VALUES (?, ?, ?, ?)
			ON CONFLICT (account, day) DO UPDATE SET result = excluded.result, at = excluded.at`), account, day.String(), string(summary), micros(at))
		if err != nil {
			return fmt.Errorf("store: recon save run: %w", err)
		}
		return nil
	})
}

// ReconRun implements recon.Store; recon.ErrNoItem when the day was never run.
func (d *DB) ReconRun(ctx context.Context, account string, day clock.Date) ([]byte, error) {
	var s string
	err := d.r.QueryRowContext(ctx, d.q(`SELECT result FROM recon_runs WHERE account = ? AND day = ?`), account, day.String()).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: recon run %s %s: %w", account, day, recon.ErrNoItem)
	}
	if err != nil {
		return nil, fmt.Errorf("store: recon run: %w", err)
	}
	return []byte(s), nil
}
