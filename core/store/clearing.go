package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

var _ clearing.Store = (*DB)(nil)

// ClearingItems implements clearing.Store: the succeeded payments of channel ch paid in
// [from, to) (created in it, for one without a paid time), then the succeeded refunds of its payments completed in [from, to), each with
// its payment's amount and the refunds of that payment completed before it. Rows stream
// from the database; fn must not keep the Item it is given (it is reused).
func (d *DB) ClearingItems(ctx context.Context, ch string, from, to time.Time, fn func(*clearing.Item) error) error {
	rows, err := d.r.QueryContext(ctx, d.q(`SELECT id, merchant_id, account, amount, currency, paid_at FROM payments
		WHERE channel = ? AND paid_at >= ? AND paid_at < ? AND state IN ('succeeded', 'partially_refunded', 'refunded')`),
		ch, micros(from), micros(to))
	if err != nil {
		return fmt.Errorf("store: clearing payments: %w", err)
	}
	err = scanItems(rows, false, fn)
	if err != nil {
		return err
	}
	// A success whose channel gave no paid time (paid_at 0) counts on the day it was created,
	// so that it is settled once rather than never.
	rows, err = d.r.QueryContext(ctx, d.q(`SELECT id, merchant_id, account, amount, currency, created_at FROM payments
		WHERE channel = ? AND paid_at = 0 AND created_at >= ? AND created_at < ? AND state IN ('succeeded', 'partially_refunded', 'refunded')`),
		ch, micros(from), micros(to))
	if err != nil {
		return fmt.Errorf("store: clearing payments: %w", err)
	}
	if err := scanItems(rows, false, fn); err != nil {
		return err
	}
	// CROSS JOIN keeps SQLite's planner from walking every payment of the channel (all
	// history) to find the day's refunds: the day's refunds come first (refunds_completed),
	// then each one's payment by primary key. PostgreSQL plans it as an inner join.
	rows, err = d.r.QueryContext(ctx, d.q(`SELECT r.id, r.merchant_id, p.account, r.amount, r.currency, r.completed_at, p.amount,
		(SELECT COALESCE(SUM(r2.amount), 0) FROM refunds r2 WHERE r2.payment_id = r.payment_id AND r2.state = 'succeeded'
			AND (r2.completed_at < r.completed_at OR (r2.completed_at = r.completed_at AND r2.id < r.id)))
		FROM refunds r CROSS JOIN payments p
		WHERE p.id = r.payment_id AND p.channel = ? AND r.state = 'succeeded' AND r.completed_at >= ? AND r.completed_at < ?`),
		ch, micros(from), micros(to))
	if err != nil {
		return fmt.Errorf("store: clearing refunds: %w", err)
	}
	return scanItems(rows, true, fn)
}

func scanItems(rows *sql.Rows, refund bool, fn func(*clearing.Item) error) error {
	defer rows.Close()
	// A day can hold millions of rows: the text columns are read into reused buffers and the
	// few distinct merchants, accounts and currencies are interned, so a row costs one
	// string (its id) instead of four.
	var id, merchant, account, cur sql.RawBytes
	var amount, at, payAmount, before int64
	dst := []any{&id, &merchant, &account, &amount, &cur, &at}
	if refund {
		dst = append(dst, &payAmount, &before)
	}
	intern := map[string]string{}
	str := func(b []byte) string {
		if s, ok := intern[string(b)]; ok {
			return s
		}
		s := string(b)
		if len(intern) < 1<<20 {
			intern[s] = s
		}
		return s
	}
	var it clearing.Item
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return fmt.Errorf("store: clearing items: %w", err)
		}
		c := money.Currency(str(cur))
		if !c.Valid() {
			return fmt.Errorf("store: clearing items: order %s: stored currency %q is not valid", id, cur)
		}
		it = clearing.Item{Refund: refund, ID: string(id), MerchantID: str(merchant), Account: str(account), Amount: money.New(amount, c), At: fromMicros(at)}
		if refund {
			it.PaymentAmount, it.RefundedBefore = money.New(payAmount, c), money.New(before, c)
		}
		if err := fn(&it); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: clearing items: %w", err)
	}
	return nil
}

const batchCols = `id, merchant_id, day, seq, currency, pay_on, payments, refunds, gross, refunded, fees, net, entry_seq, created_at`

// SettlementBatches implements clearing.Store.
func (d *DB) SettlementBatches(ctx context.Context, day clock.Date) ([]clearing.Batch, error) {
	rows, err := d.r.QueryContext(ctx, d.q(`SELECT `+batchCols+` FROM settlement_batches WHERE day = ? ORDER BY id`), day.String())
	if err != nil {
		return nil, fmt.Errorf("store: settlement batches: %w", err)
	}
	defer rows.Close()
	var out []clearing.Batch
	for rows.Next() {
		var b clearing.Batch
		var dayS, payOn, cur string
		var gross, refunded, fees, net, created int64
		if err := rows.Scan(&b.ID, &b.MerchantID, &dayS, &b.Seq, &cur, &payOn, &b.Payments, &b.Refunds, &gross, &refunded, &fees, &net,
			&b.EntrySeq, &created); err != nil {
			return nil, fmt.Errorf("store: settlement batches: %w", err)
		}
		c := money.Currency(cur)
		if !c.Valid() {
			return nil, fmt.Errorf("store: settlement batch %s: stored currency %q is not valid", b.ID, cur)
		}
		if b.Day, err = clock.ParseDate(dayS); err != nil {
			return nil, fmt.Errorf("store: settlement batch %s: %w", b.ID, err)
		}
		if b.PayOn, err = clock.ParseDate(payOn); err != nil {
			return nil, fmt.Errorf("store: settlement batch %s: %w", b.ID, err)
		}
		b.Currency = c
		b.Gross, b.Refunded, b.Fees, b.Net = money.New(gross, c), money.New(refunded, c), money.New(fees, c), money.New(net, c)
		b.CreatedAt = fromMicros(created)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: settlement batches: %w", err)
	}
	return out, nil
}

// InsertSettlementBatches implements clearing.Store: all in one transaction, 500 rows per
// statement.
func (d *DB) InsertSettlementBatches(ctx context.Context, bs []clearing.Batch) error {
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: insert settlement batches: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	const ncols = 14
	for lo := 0; lo < len(bs); lo += 500 {
		part := bs[lo:min(lo+500, len(bs))]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO settlement_batches (` + batchCols + `) VALUES `)
		args := make([]any, 0, len(part)*ncols)
		for i, b := range part {
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("(?" + strings.Repeat(",?", ncols-1) + ")")
			args = append(args, b.ID, b.MerchantID, b.Day.String(), b.Seq, string(b.Currency), b.PayOn.String(), b.Payments, b.Refunds,
				b.Gross.Minor(), b.Refunded.Minor(), b.Fees.Minor(), b.Net.Minor(), b.EntrySeq, micros(b.CreatedAt))
		}
		if _, err := tx.ExecContext(ctx, d.q(sb.String()), args...); err != nil {
			if isUnique(err) {
				return fmt.Errorf("%w: %v", clearing.ErrBatchExists, err)
			}
			return fmt.Errorf("store: insert settlement batches: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: insert settlement batches: commit: %w", err)
	}
	return nil
}

// MarkSettlementPosted implements clearing.Store.
func (d *DB) MarkSettlementPosted(ctx context.Context, posted map[string]int64) error {
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: mark settlement batches: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	stmt, err := tx.PrepareContext(ctx, d.q(`UPDATE settlement_batches SET entry_seq = ? WHERE id = ?`))
	if err != nil {
		return fmt.Errorf("store: mark settlement batches: %w", err)
	}
	defer stmt.Close()
	for id, seq := range posted {
		if _, err := stmt.ExecContext(ctx, seq, id); err != nil {
			return fmt.Errorf("store: mark settlement batch %s: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: mark settlement batches: commit: %w", err)
	}
	return nil
}

// PutClearingRecord implements clearing.Store.
func (d *DB) PutClearingRecord(ctx context.Context, kind ledger.VoucherKind, id string, amount money.Amount, at time.Time) error {
	_, err := d.w.ExecContext(ctx, d.q(`INSERT INTO clearing_records (kind, id, amount, currency, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (kind, id) DO NOTHING`), string(kind), id, amount.Minor(), string(amount.Currency()), micros(at))
	if err != nil {
		return fmt.Errorf("store: clearing record %s %s: %w", kind, id, err)
	}
	var have int64
	var cur string
	if err := d.w.QueryRowContext(ctx, d.q(`SELECT amount, currency FROM clearing_records WHERE kind = ? AND id = ?`), string(kind), id).Scan(&have, &cur); err != nil {
		return fmt.Errorf("store: clearing record %s %s: %w", kind, id, err)
	}
	if have != amount.Minor() || cur != string(amount.Currency()) {
		return fmt.Errorf("%w: %s %s is %d %s, not %s", clearing.ErrRecordConflict, kind, id, have, cur, amount)
	}
	return nil
}

// ClearingVouchers implements clearing.Store.
func (d *DB) ClearingVouchers(ctx context.Context, refs []ledger.VoucherRef) (map[ledger.VoucherRef]money.Amount, error) {
	out := make(map[ledger.VoucherRef]money.Amount, len(refs))
	var batches, others []ledger.VoucherRef
	for _, r := range refs {
		if r.Kind == ledger.VoucherSettlement {
			batches = append(batches, r)
		} else {
			others = append(others, r)
		}
	}
	for i := 0; i < len(batches); i += 500 {
		part := batches[i:min(i+500, len(batches))]
		args := make([]any, len(part))
		for k, r := range part {
			args[k] = r.ID
		}
		rows, err := d.r.QueryContext(ctx, d.q(`SELECT id, currency, gross, refunded, fees, net FROM settlement_batches WHERE id IN (?`+
			strings.Repeat(",?", len(part)-1)+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("store: settlement vouchers: %w", err)
		}
		for rows.Next() {
			var b clearing.Batch
			var cur string
			var g, r, f, n int64
			if err := rows.Scan(&b.ID, &cur, &g, &r, &f, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: settlement vouchers: %w", err)
			}
			c := money.Currency(cur)
			b.Currency, b.Gross, b.Refunded, b.Fees, b.Net = c, money.New(g, c), money.New(r, c), money.New(f, c), money.New(n, c)
			out[ledger.VoucherRef{Kind: ledger.VoucherSettlement, ID: b.ID}] = clearing.BatchVoucher(b)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("store: settlement vouchers: %w", err)
		}
	}
	for _, r := range others {
		var amt int64
		var cur string
		err := d.r.QueryRowContext(ctx, d.q(`SELECT amount, currency FROM clearing_records WHERE kind = ? AND id = ?`), string(r.Kind), r.ID).Scan(&amt, &cur)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: clearing vouchers: %w", err)
		}
		out[r] = money.New(amt, money.Currency(cur))
	}
	return out, nil
}
