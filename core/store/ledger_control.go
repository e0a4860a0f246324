package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

// The change log of control data (ledger.Change) is the table control_log: one row per
// change, the chart code or account attributes after it as JSON in body. The chain hash
// covers the fields (ledger.ChangeHash), not this text.

type chartBody struct {
	Code   string `json:"code"`
	Parent string `json:"parent"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Normal string `json:"normal"`
}

type accountBody struct {
	ID        int64  `json:"id"`
	Code      string `json:"code"`
	OwnerKind string `json:"owner_kind"`
	OwnerID   string `json:"owner_id"`
	Currency  string `json:"currency"`
	Name      string `json:"name"`
	Flags     int64  `json:"flags"`
	AgeLimitS int64  `json:"age_limit_s"`
}

func changeBody(c *ledger.Change) (subject string, body []byte, err error) {
	switch {
	case c.Chart != nil:
		x := c.Chart
		body, err = json.Marshal(chartBody{x.Code, x.Parent, x.Name, string(x.Type), string(x.Normal)})
		return "chart", body, err
	case c.Account != nil:
		a := c.Account
		body, err = json.Marshal(accountBody{int64(a.ID), a.Code, string(a.OwnerKind), a.OwnerID, string(a.Currency), a.Name, int64(a.Flags), a.AgeLimitSeconds})
		return "account", body, err
	}
	return "", nil, errors.New("store: change of nothing")
}

func parseChange(c *ledger.Change, subject string, body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	switch subject {
	case "chart":
		var x chartBody
		if err := dec.Decode(&x); err != nil {
			return fmt.Errorf("body: %w", err)
		}
		c.Chart = &ledger.ChartAccount{Code: x.Code, Parent: x.Parent, Name: x.Name, Type: ledger.AccountType(x.Type), Normal: ledger.Side(x.Normal)}
	case "account":
		var x accountBody
		if err := dec.Decode(&x); err != nil {
			return fmt.Errorf("body: %w", err)
		}
		c.Account = &ledger.AccountAttrs{ID: ledger.AccountID(x.ID), AccountSpec: ledger.AccountSpec{Code: x.Code, OwnerKind: ledger.OwnerKind(x.OwnerKind),
			OwnerID: x.OwnerID, Currency: money.Currency(x.Currency), Name: x.Name, Flags: ledger.Flags(x.Flags), AgeLimitSeconds: x.AgeLimitS}}
	default:
		return fmt.Errorf("subject %q: want chart or account", subject)
	}
	return nil
}

func (t *ltx) ControlHead(ctx context.Context) (int64, []byte, error) {
	var seq int64
	var hash []byte
	err := t.tx.QueryRowContext(ctx, `SELECT seq, hash FROM control_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("store: read change log head: %w", err)
	}
	return seq, hash, nil
}

func (t *ltx) Changes(ctx context.Context, fn func(*ledger.Change) error) error {
	rows, err := t.query(ctx, `SELECT seq, at, subject, body, memo, prev_hash, hash FROM control_log ORDER BY seq`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		c := &ledger.Change{}
		var at int64
		var subject string
		var body []byte
		err := rows.Scan(&c.Seq, &at, &subject, &body, &c.Memo, &c.PrevHash, &c.Hash)
		if err == nil {
			err = parseChange(c, subject, body)
		}
		if err != nil {
			if err := t.unreadable(rows, err, func(v []any) string { return "change " + rawText(v[0]) }); err != nil {
				return err
			}
			continue
		}
		if at != 0 {
			c.At = time.Unix(0, at).UTC()
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *ltx) AppendChange(ctx context.Context, c *ledger.Change) error {
	subject, body, err := changeBody(c)
	if err != nil {
		return err
	}
	var at int64
	if !c.At.IsZero() {
		at = c.At.UnixNano()
	}
	return t.exec(ctx, `INSERT INTO control_log (seq, at, subject, body, memo, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.Seq, at, subject, string(body), c.Memo, c.PrevHash, c.Hash)
}

func (t *ltx) SetAttrs(ctx context.Context, id ledger.AccountID, f ledger.Flags, ageLimitSeconds int64) error {
	if err := t.bumpGen(ctx); err != nil {
		return err
	}
	return t.exec(ctx, `UPDATE accounts SET flags = ?, age_limit_s = ? WHERE id = ?`, int64(f), ageLimitSeconds, int64(id))
}

// adoptControl runs in migration 0003's transaction: it records the chart and the accounts
// that exist as the change log's first changes, so the log starts from the state found at
// the upgrade (which nothing before it could prove) and everything after is evidence.
func adoptControl(ctx context.Context, d *DB, tx *sql.Tx) error {
	var cs []*ledger.Change
	rows, err := tx.QueryContext(ctx, `SELECT code, parent, name, type, normal FROM chart ORDER BY code`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c ledger.ChartAccount
		if err := rows.Scan(&c.Code, &c.Parent, &c.Name, &c.Type, &c.Normal); err != nil {
			rows.Close()
			return fmt.Errorf("chart: %w", err)
		}
		cs = append(cs, &ledger.Change{Chart: &c, Memo: "adopted at upgrade"})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = tx.QueryContext(ctx, `SELECT id, code, owner_kind, owner_id, currency, name, flags, age_limit_s FROM accounts ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		a := &ledger.AccountAttrs{}
		if err := rows.Scan(&a.ID, &a.Code, &a.OwnerKind, &a.OwnerID, &a.Currency, &a.Name, &a.Flags, &a.AgeLimitSeconds); err != nil {
			rows.Close()
			return fmt.Errorf("accounts: %w", err)
		}
		cs = append(cs, &ledger.Change{Account: a, Memo: "adopted at upgrade"})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	ledger.ChainChanges(0, nil, cs)
	for _, c := range cs {
		subject, body, err := changeBody(c)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO control_log (seq, at, subject, body, memo, prev_hash, hash) VALUES (?, 0, ?, ?, ?, ?, ?)`),
			c.Seq, subject, string(body), c.Memo, c.PrevHash, c.Hash); err != nil {
			return err
		}
	}
	return nil
}
