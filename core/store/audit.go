package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/audit"
)

var _ audit.Store = (*DB)(nil)

var auditCols = []string{"seq", "at", "actor", "action", "account", "ip", "result", "prev_hash", "hash"}

// AuditHead implements audit.Store.
func (d *DB) AuditHead(ctx context.Context) (audit.Head, error) {
	var h audit.Head
	err := d.w.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return audit.Head{}, audit.ErrNoHead
	}
	if err != nil {
		return audit.Head{}, fmt.Errorf("store: audit head: %w", err)
	}
	return h, nil
}

// AppendAudit implements audit.Store: one transaction that moves the head from `from` to
// the last record (conditional on the stored head being from, which also serialises
// writers of several processes: SQLite's BEGIN IMMEDIATE, PostgreSQL's row lock) and
// inserts the records in one multi-row statement.
func (d *DB) AppendAudit(ctx context.Context, from audit.Head, recs []*audit.Record) error {
	if len(recs) == 0 {
		return nil
	}
	for i, r := range recs {
		if r.Seq != from.Seq+int64(i)+1 {
			return fmt.Errorf("store: audit append: record %d of the batch has seq %d, want %d", i, r.Seq, from.Seq+int64(i)+1)
		}
	}
	last := recs[len(recs)-1]
	if d.dialect == Postgres {
		return auditAppendPG(ctx, d, from, last, recs)
	}
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	t := &ltx{d: d, tx: tx, write: true}
	res, err := t.execR(ctx, d.q(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1 AND seq = ? AND hash = ?`), last.Seq, last.Hash, from.Seq, from.Hash)
	if err != nil {
		return fmt.Errorf("store: audit head: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: audit head: %w", err)
	} else if n != 1 {
		return audit.ErrHeadMoved
	}
	_, err = t.bulkInsert(ctx, "audit_log", auditCols, len(recs), "", func(i int, dst []any) []any {
		r := recs[i]
		return append(dst, r.Seq, r.At.UnixNano(), r.Actor, r.Action, r.Account, r.IP, r.Result, r.PrevHash, r.Hash)
	})
	if err != nil {
		return fmt.Errorf("store: audit append: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: audit commit: %w", err)
	}
	return nil
}

// auditAppendPG is AppendAudit on PostgreSQL in one statement (one round trip, its own
// transaction): the head moves only from `from`, and the records, one array parameter per
// column, are inserted only if it moved. The statement's text is the same for every batch
// size, so pgx prepares it once.
func auditAppendPG(ctx context.Context, d *DB, from audit.Head, last *audit.Record, recs []*audit.Record) error {
	n := len(recs)
	seq, at := make([]int64, n), make([]int64, n)
	actor, action, account, ip, result := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	prev, hash := make([][]byte, n), make([][]byte, n)
	for i, r := range recs {
		seq[i], at[i] = r.Seq, r.At.UnixNano()
		actor[i], action[i], account[i], ip[i], result[i] = r.Actor, r.Action, r.Account, r.IP, r.Result
		prev[i], hash[i] = r.PrevHash, r.Hash
	}
	res, err := d.w.ExecContext(ctx, `WITH h AS (
		UPDATE audit_head SET seq = $10, hash = $11 WHERE id = 1 AND seq = $12 AND hash = $13 RETURNING 1)
		INSERT INTO audit_log (`+strings.Join(auditCols, ", ")+`) SELECT * FROM unnest(
		$1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::bytea[])
		WHERE EXISTS (SELECT 1 FROM h)`,
		seq, at, actor, action, account, ip, result, prev, hash, last.Seq, last.Hash, from.Seq, from.Hash)
	if err != nil {
		return fmt.Errorf("store: audit append: %w", err)
	}
	if k, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: audit append: %w", err)
	} else if k == 0 {
		return audit.ErrHeadMoved
	}
	return nil
}

// AuditScan implements audit.Store: one read transaction (SQLite: a WAL snapshot;
// PostgreSQL: REPEATABLE READ) for the records and the head.
func (d *DB) AuditScan(ctx context.Context, fn func(*audit.Record) error) (audit.Head, error) {
	opts := &sql.TxOptions{}
	if d.dialect == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := d.r.BeginTx(ctx, opts)
	if err != nil {
		return audit.Head{}, fmt.Errorf("store: begin read: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var h audit.Head
	herr := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&h.Seq, &h.Hash)
	if errors.Is(herr, sql.ErrNoRows) {
		herr = audit.ErrNoHead
	} else if herr != nil {
		return audit.Head{}, fmt.Errorf("store: audit head: %w", herr)
	}
	if err := auditQuery(ctx, tx, d.q(`SELECT `+strings.Join(auditCols, ", ")+` FROM audit_log ORDER BY seq`), nil, fn); err != nil {
		return audit.Head{}, err
	}
	return h, herr
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func auditQuery(ctx context.Context, db querier, q string, args []any, fn func(*audit.Record) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: audit records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := &audit.Record{}
		var at int64
		if err := rows.Scan(&r.Seq, &at, &r.Actor, &r.Action, &r.Account, &r.IP, &r.Result, &r.PrevHash, &r.Hash); err != nil {
			return fmt.Errorf("store: audit records: %w", err)
		}
		r.At = time.Unix(0, at).UTC()
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: audit records: %w", err)
	}
	return nil
}

// AuditRecords implements audit.Store.
func (d *DB) AuditRecords(ctx context.Context, f audit.Filter, fn func(*audit.Record) error) error {
	q := `SELECT ` + strings.Join(auditCols, ", ") + ` FROM audit_log WHERE seq > ?`
	args := []any{f.After}
	if f.Actor != "" {
		q += ` AND actor = ?`
		args = append(args, f.Actor)
	}
	if f.Account != "" {
		q += ` AND account = ?`
		args = append(args, f.Account)
	}
	if f.Newest {
		q += ` ORDER BY seq DESC`
	} else {
		q += ` ORDER BY seq`
	}
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	return auditQuery(ctx, d.r, d.q(q), args, fn)
}
