package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

const entryCols = `seq, idem_key, kind, day, late_for, posted_at, ref, v_kind, v_id, v_amount, v_cur, memo, fp, prev_hash, hash, lines`

// entriesChunk is how many entries Entries reads per query.
const entriesChunk = 20000

// scanEntry reads a row of entryCols. intern (may be nil) shares the strings of sides and
// currencies between entries.
func scanEntry(s interface{ Scan(...any) error }, intern map[string]string) (*ledger.Entry, error) {
	var e ledger.Entry
	var day, late, vcur string
	var at, vamt int64
	var lines sql.RawBytes
	if err := s.Scan(&e.Seq, &e.Key, &e.Kind, &day, &late, &at, &e.Ref, &e.Voucher.Kind, &e.Voucher.ID, &vamt, &vcur, &e.Memo, &e.Fingerprint, &e.PrevHash, &e.Hash, &lines); err != nil {
		// A column edited into a value of the wrong type: name the entry by its raw values.
		if rows, ok := s.(*sql.Rows); ok {
			if vals, rerr := rawRow(rows); rerr == nil && len(vals) == 16 {
				if seq, ok := vals[0].(int64); ok {
					return nil, &ledger.UnreadableEntryError{Seq: seq, PrevHash: rawBytes(vals[13]), Hash: rawBytes(vals[14]), Err: err}
				}
			}
		}
		return nil, fmt.Errorf("store: scan entry: %w", err)
	}
	unreadable := func(what string, err error) error {
		return &ledger.UnreadableEntryError{Seq: e.Seq, PrevHash: e.PrevHash, Hash: e.Hash, Err: fmt.Errorf("%s: %w", what, err)}
	}
	var err error
	if e.Lines, err = parseLines(lines, nil, intern); err != nil {
		return nil, unreadable("lines", err)
	}
	if e.Day, err = parseDay(day); err != nil {
		return nil, unreadable("day", err)
	}
	if e.LateFor, err = parseDay(late); err != nil {
		return nil, unreadable("late_for", err)
	}
	e.PostedAt = time.Unix(0, at).UTC()
	e.Voucher.Amount = money.New(vamt, money.Currency(vcur))
	return &e, nil
}

func (t *ltx) EntriesByKey(ctx context.Context, keys []string) (map[string]*ledger.Entry, error) {
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	out := map[string]*ledger.Entry{}
	err := chunks(len(args), 1000, func(lo, hi int) error {
		q, qargs := t.in(`SELECT `+entryCols+` FROM entries WHERE idem_key`, "text", args[lo:hi])
		rows, err := t.query(ctx, q, qargs...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEntry(rows, nil)
			if err != nil {
				return err
			}
			out[e.Key] = e
		}
		return rows.Err()
	})
	return out, err
}

func (t *ltx) Entry(ctx context.Context, seq int64) (*ledger.Entry, error) {
	rows, err := t.query(ctx, `SELECT `+entryCols+` FROM entries WHERE seq = ?`, seq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: read entry %d: %w", seq, err)
		}
		return nil, fmt.Errorf("%w: entry %d", ledger.ErrNotFound, seq)
	}
	return scanEntry(rows, nil)
}

func (t *ltx) Entries(ctx context.Context, after int64, fn func(*ledger.Entry) error) error {
	buf := make([]*ledger.Entry, 0, entriesChunk)
	intern := map[string]string{}
	for {
		buf = buf[:0]
		rows, err := t.query(ctx, `SELECT `+entryCols+` FROM entries WHERE seq > ? ORDER BY seq LIMIT ?`, after, entriesChunk)
		if err != nil {
			return err
		}
		var bad error // an unreadable entry: deliver the ones before it, then report it
		for bad == nil && rows.Next() {
			e, err := scanEntry(rows, intern)
			var ue *ledger.UnreadableEntryError
			switch {
			case errors.As(err, &ue):
				bad = err
			case err != nil:
				rows.Close()
				return err
			default:
				buf = append(buf, e)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: read entries: %w", err)
		}
		for _, e := range buf {
			if err := fn(e); err != nil {
				return err
			}
		}
		if bad != nil {
			return bad
		}
		if len(buf) == 0 {
			return nil
		}
		hi := buf[len(buf)-1].Seq
		after = hi
		if len(buf) < entriesChunk {
			return nil
		}
	}
}
