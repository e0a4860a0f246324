package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

const entryCols = `seq, idem_key, kind, day, late_for, posted_at, ref, v_kind, v_id, v_amount, v_cur, memo, fp, prev_hash, hash`

// entriesChunk is how many entries Entries reads per pair of queries. Two cursors cannot be
// open at once on one PostgreSQL connection, so entries and lines are read range by range.
const entriesChunk = 20000

func scanEntry(s interface{ Scan(...any) error }) (*ledger.Entry, error) {
	var e ledger.Entry
	var day, late, vcur string
	var at, vamt int64
	if err := s.Scan(&e.Seq, &e.Key, &e.Kind, &day, &late, &at, &e.Ref, &e.Voucher.Kind, &e.Voucher.ID, &vamt, &vcur, &e.Memo, &e.Fingerprint, &e.PrevHash, &e.Hash); err != nil {
		return nil, fmt.Errorf("store: scan entry: %w", err)
	}
	var err error
	if e.Day, err = parseDay(day); err != nil {
		return nil, err
	}
	if e.LateFor, err = parseDay(late); err != nil {
		return nil, err
	}
	e.PostedAt = time.Unix(0, at).UTC()
	e.Voucher.Amount = money.New(vamt, money.Currency(vcur))
	return &e, nil
}

// linesFor loads the lines of the given entries (seq -> entry).
func (t *ltx) linesFor(ctx context.Context, bySeq map[int64]*ledger.Entry) error {
	seqs := make([]any, 0, len(bySeq))
	for s := range bySeq {
		seqs = append(seqs, s)
	}
	return chunks(len(seqs), 1000, func(lo, hi int) error {
		rows, err := t.query(ctx, `SELECT seq, account_id, side, effect, amount, currency FROM lines WHERE seq IN (`+inList(hi-lo)+`) ORDER BY seq, idx`, seqs[lo:hi]...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var seq int64
			ln, err := scanLine(rows, &seq)
			if err != nil {
				return err
			}
			e := bySeq[seq]
			e.Lines = append(e.Lines, ln)
		}
		return rows.Err()
	})
}

func scanLine(rows *sql.Rows, seq *int64) (ledger.Line, error) {
	var ln ledger.Line
	var amt int64
	var cur string
	if err := rows.Scan(seq, &ln.Account, &ln.Side, &ln.Effect, &amt, &cur); err != nil {
		return ln, fmt.Errorf("store: scan line: %w", err)
	}
	ln.Amount = money.New(amt, money.Currency(cur))
	return ln, nil
}

func (t *ltx) EntriesByKey(ctx context.Context, keys []string) (map[string]*ledger.Entry, error) {
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	out := map[string]*ledger.Entry{}
	bySeq := map[int64]*ledger.Entry{}
	err := chunks(len(args), 1000, func(lo, hi int) error {
		q, qargs := t.in(`SELECT `+entryCols+` FROM entries WHERE idem_key`, "text", args[lo:hi])
		rows, err := t.query(ctx, q, qargs...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil {
				return err
			}
			out[e.Key], bySeq[e.Seq] = e, e
		}
		return rows.Err()
	})
	if err != nil || len(bySeq) == 0 {
		return out, err
	}
	return out, t.linesFor(ctx, bySeq)
}

func (t *ltx) Entry(ctx context.Context, seq int64) (*ledger.Entry, error) {
	e, err := scanEntry(t.tx.QueryRowContext(ctx, t.d.q(`SELECT `+entryCols+` FROM entries WHERE seq = ?`), seq))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: entry %d", ledger.ErrNotFound, seq)
	}
	if err != nil {
		return nil, err
	}
	return e, t.linesFor(ctx, map[int64]*ledger.Entry{seq: e})
}

func (t *ltx) Entries(ctx context.Context, after int64, fn func(*ledger.Entry) error) error {
	buf := make([]*ledger.Entry, 0, entriesChunk)
	for {
		buf = buf[:0]
		rows, err := t.query(ctx, `SELECT `+entryCols+` FROM entries WHERE seq > ? ORDER BY seq LIMIT ?`, after, entriesChunk)
		if err != nil {
			return err
		}
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil {
				rows.Close()
				return err
			}
			buf = append(buf, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: read entries: %w", err)
		}
		if len(buf) == 0 {
			return nil
		}
		lo, hi := buf[0].Seq, buf[len(buf)-1].Seq
		if err := t.attachLines(ctx, buf, lo, hi); err != nil {
			return err
		}
		for _, e := range buf {
			if err := fn(e); err != nil {
				return err
			}
		}
		after = hi
		if len(buf) < entriesChunk {
			return nil
		}
	}
}

// attachLines loads the lines of entries lo..hi into buf (sorted by seq). On SQLite the lines
// of each entry come back as one text row: a row per line costs more in the driver than the
// aggregation does in SQLite.
func (t *ltx) attachLines(ctx context.Context, buf []*ledger.Entry, lo, hi int64) error {
	i := 0
	find := func(seq int64) *ledger.Entry {
		for i < len(buf) && buf[i].Seq < seq {
			i++
		}
		if i < len(buf) && buf[i].Seq == seq {
			return buf[i]
		}
		// A line whose entry is missing is left out; the chain check reports the entry's
		// sequence gap or changed content.
		return nil
	}
	if t.d.dialect == SQLite {
		// No ORDER BY inside group_concat: it would sort every group; the scan is in (seq, idx)
		// order already, and parseLines checks idx and restores the order if ever needed.
		rows, err := t.query(ctx, `SELECT seq, group_concat(idx || ' ' || account_id || ' ' || side || ' ' || effect || ' ' || amount || ' ' || currency, ';')
			FROM lines WHERE seq >= ? AND seq <= ? GROUP BY seq ORDER BY seq`, lo, hi)
		if err != nil {
			return err
		}
		defer rows.Close()
		intern := map[string]string{}
		var txt sql.RawBytes
		for rows.Next() {
			var seq int64
			if err := rows.Scan(&seq, &txt); err != nil {
				return fmt.Errorf("store: scan lines: %w", err)
			}
			e := find(seq)
			if e == nil {
				continue
			}
			if e.Lines, err = parseLines(txt, e.Lines[:0], intern); err != nil {
				return fmt.Errorf("store: lines of entry %d: %w", seq, err)
			}
		}
		return rows.Err()
	}
	rows, err := t.query(ctx, `SELECT seq, account_id, side, effect, amount, currency FROM lines WHERE seq >= ? AND seq <= ? ORDER BY seq, idx`, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		ln, err := scanLine(rows, &seq)
		if err != nil {
			return err
		}
		if e := find(seq); e != nil {
			e.Lines = append(e.Lines, ln)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: read lines: %w", err)
	}
	return nil
}

// parseLines decodes "idx account side effect amount currency;…" as built by attachLines and
// returns the lines in idx order.
func parseLines(b []byte, dst []ledger.Line, intern map[string]string) ([]ledger.Line, error) {
	var idxs []int64
	sorted := true
	for len(b) > 0 {
		end := bytes.IndexByte(b, ';')
		if end < 0 {
			end = len(b)
		}
		f := bytes.Fields(b[:end])
		if len(f) != 6 {
			return nil, fmt.Errorf("line %q: want 6 fields", b[:end])
		}
		idx, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return nil, err
		}
		if len(idxs) > 0 && idx < idxs[len(idxs)-1] {
			sorted = false
		}
		idxs = append(idxs, idx)
		f = f[1:]
		acct, err1 := strconv.ParseInt(string(f[0]), 10, 64)
		eff, err2 := strconv.ParseInt(string(f[2]), 10, 64)
		amt, err3 := strconv.ParseInt(string(f[3]), 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, err
		}
		side, ok := intern[string(f[1])]
		if !ok {
			side = string(f[1])
			intern[side] = side
		}
		cur, ok := intern[string(f[4])]
		if !ok {
			cur = string(f[4])
			intern[cur] = cur
		}
		dst = append(dst, ledger.Line{Account: ledger.AccountID(acct), Side: ledger.Side(side), Effect: ledger.Effect(eff), Amount: money.New(amt, money.Currency(cur))})
		if end == len(b) {
			break
		}
		b = b[end+1:]
	}
	if !sorted {
		order := make([]int, len(idxs))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(i, j int) bool { return idxs[order[i]] < idxs[order[j]] })
		out := make([]ledger.Line, len(dst))
		for i, o := range order {
			out[i] = dst[o]
		}
		dst = out
	}
	return dst, nil
}
