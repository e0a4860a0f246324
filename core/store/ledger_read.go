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

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

// ltx is a ledger transaction on either dialect.
type ltx struct {
	d     *DB
	tx    *sql.Tx
	write bool
}

func (t *ltx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	rows, err := t.queryW(ctx, t.d.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return rows, nil
}

// in completes "… WHERE col" with a membership test on vals: IN (?, …) on SQLite, = ANY(?)
// with one array parameter on PostgreSQL (one statement text for every list length).
func (t *ltx) in(prefix, pgType string, vals []any) (string, []any) {
	if t.d.dialect != Postgres {
		return prefix + ` IN (` + inList(len(vals)) + `)`, vals
	}
	var arr any
	switch pgType {
	case "bigint":
		a := make([]int64, len(vals))
		for i, v := range vals {
			a[i] = v.(int64)
		}
		arr = a
	default:
		a := make([]string, len(vals))
		for i, v := range vals {
			a[i] = v.(string)
		}
		arr = a
	}
	return prefix + ` = ANY(?::` + pgType + `[])`, []any{arr}
}

func parseDay(s string) (clock.Date, error) {
	if s == "" {
		return clock.Date{}, nil
	}
	d, err := clock.ParseDate(s)
	if err != nil {
		return clock.Date{}, fmt.Errorf("store: stored day %q: %w", s, err)
	}
	return d, nil
}

func dayText(d clock.Date) string {
	if d == (clock.Date{}) {
		return ""
	}
	return d.String()
}

func (t *ltx) Head(ctx context.Context) (ledger.Head, error) {
	q := `SELECT seq, hash, last_closed, gen FROM ledger_head WHERE id = 1`
	if t.write && t.d.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var h ledger.Head
	var lc string
	if err := t.tx.QueryRowContext(ctx, q).Scan(&h.Seq, &h.Hash, &lc, &h.Gen); err != nil {
		return h, fmt.Errorf("store: read head: %w", err)
	}
	var err error
	h.LastClosed, err = parseDay(lc)
	return h, err
}

func (t *ltx) Chart(ctx context.Context) ([]ledger.ChartAccount, error) {
	rows, err := t.query(ctx, `SELECT code, parent, name, type, normal FROM chart ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ledger.ChartAccount
	for rows.Next() {
		var c ledger.ChartAccount
		if err := rows.Scan(&c.Code, &c.Parent, &c.Name, &c.Type, &c.Normal); err != nil {
			return nil, fmt.Errorf("store: scan chart: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

const accountCols = `a.id, a.code, a.owner_kind, a.owner_id, a.currency, a.name, a.flags, a.age_limit_s, a.dp, a.cp, a.dh, a.ch, c.type, c.normal`
const accountFrom = ` FROM accounts a JOIN chart c ON c.code = a.code`

func scanAccount(s interface{ Scan(...any) error }) (ledger.Account, error) {
	var a ledger.Account
	err := s.Scan(&a.ID, &a.Code, &a.OwnerKind, &a.OwnerID, &a.Currency, &a.Name, &a.Flags, &a.AgeLimitSeconds,
		&a.DebitPosted, &a.CreditPosted, &a.DebitPending, &a.CreditPending, &a.Type, &a.Normal)
	if err != nil {
		return a, fmt.Errorf("store: scan account: %w", err)
	}
	return a, nil
}

func (t *ltx) AccountsByID(ctx context.Context, ids []ledger.AccountID) (map[ledger.AccountID]ledger.Account, error) {
	uniq := make([]any, 0, len(ids))
	seen := make(map[ledger.AccountID]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, int64(id))
		}
	}
	out := make(map[ledger.AccountID]ledger.Account, len(uniq))
	err := chunks(len(uniq), 1000, func(lo, hi int) error {
		q, args := t.in(`SELECT `+accountCols+accountFrom+` WHERE a.id`, "bigint", uniq[lo:hi])
		rows, err := t.query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAccount(rows)
			if err != nil {
				return err
			}
			out[a.ID] = a
		}
		return rows.Err()
	})
	return out, err
}

func (t *ltx) FindAccount(ctx context.Context, code string, kind ledger.OwnerKind, owner string, cur money.Currency) (ledger.Account, error) {
	row := t.tx.QueryRowContext(ctx, t.d.q(`SELECT `+accountCols+accountFrom+` WHERE a.code = ? AND a.owner_kind = ? AND a.owner_id = ? AND a.currency = ?`),
		code, string(kind), owner, string(cur))
	a, err := scanAccount(row)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("%w: account %s/%s/%s/%s", ledger.ErrNotFound, code, kind, owner, cur)
	}
	return a, err
}

func (t *ltx) Accounts(ctx context.Context, fn func(ledger.Account) error) error {
	rows, err := t.query(ctx, `SELECT `+accountCols+accountFrom+` ORDER BY a.id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
}

const entryCols = `seq, idem_key, kind, day, late_for, posted_at, ref, v_kind, v_id, v_amount, v_cur, memo, fp, prev_hash, hash`

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

// entriesChunk is how many entries Entries reads per pair of queries. Two cursors cannot be
// open at once on one PostgreSQL connection, so entries and lines are read range by range.
const entriesChunk = 20000

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

func (t *ltx) Reversal(ctx context.Context, seq int64) (int64, error) {
	var by int64
	err := t.tx.QueryRowContext(ctx, t.d.q(`SELECT seq FROM entries WHERE kind = 'reverse' AND ref = ?`), seq).Scan(&by)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: reversal of %d: %w", seq, err)
	}
	return by, nil
}

func (t *ltx) Vouchers(ctx context.Context, refs []ledger.VoucherRef) (map[ledger.VoucherRef]money.Amount, error) {
	byKind := map[ledger.VoucherKind][]any{}
	seen := map[ledger.VoucherRef]bool{}
	for _, r := range refs {
		if !seen[r] {
			seen[r] = true
			byKind[r.Kind] = append(byKind[r.Kind], r.ID)
		}
	}
	out := map[ledger.VoucherRef]money.Amount{}
	for kind, ids := range byKind {
		err := chunks(len(ids), 1000, func(lo, hi int) error {
			q, args := t.in(`SELECT id, amount, currency FROM vouchers WHERE kind = ? AND id`, "text", ids[lo:hi])
			rows, err := t.query(ctx, q, append([]any{string(kind)}, args...)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id, cur string
				var amt int64
				if err := rows.Scan(&id, &amt, &cur); err != nil {
					return fmt.Errorf("store: scan voucher: %w", err)
				}
				out[ledger.VoucherRef{Kind: kind, ID: id}] = money.New(amt, money.Currency(cur))
			}
			return rows.Err()
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *ltx) AllVouchers(ctx context.Context, fn func(ledger.Voucher) error) error {
	rows, err := t.query(ctx, `SELECT kind, id, amount, currency FROM vouchers ORDER BY kind, id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v ledger.Voucher
		var amt int64
		var cur string
		if err := rows.Scan(&v.Kind, &v.ID, &amt, &cur); err != nil {
			return fmt.Errorf("store: scan voucher: %w", err)
		}
		v.Amount = money.New(amt, money.Currency(cur))
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *ltx) VoucherProblems(ctx context.Context, limit int) ([]ledger.VoucherProblem, error) {
	rows, err := t.query(ctx, `SELECT e.seq, e.v_kind, e.v_id, e.v_amount, e.v_cur, v.amount, v.currency
		FROM entries e LEFT JOIN vouchers v ON v.kind = e.v_kind AND v.id = e.v_id
		WHERE v.kind IS NULL OR v.amount <> e.v_amount OR v.currency <> e.v_cur
		ORDER BY e.seq LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ledger.VoucherProblem
	for rows.Next() {
		var p ledger.VoucherProblem
		var amt int64
		var cur string
		var samt sql.NullInt64
		var scur sql.NullString
		if err := rows.Scan(&p.Seq, &p.Voucher.Kind, &p.Voucher.ID, &amt, &cur, &samt, &scur); err != nil {
			return nil, fmt.Errorf("store: scan voucher problem: %w", err)
		}
		p.Voucher.Amount = money.New(amt, money.Currency(cur))
		if samt.Valid {
			a := money.New(samt.Int64, money.Currency(scur.String))
			p.Stored = &a
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (t *ltx) Hold(ctx context.Context, seq int64) (ledger.HoldState, error) {
	var h ledger.HoldState
	var amt, rem int64
	var cur string
	err := t.tx.QueryRowContext(ctx, t.d.q(`SELECT seq, debit, credit, amount, currency, remaining FROM holds WHERE seq = ?`), seq).
		Scan(&h.Seq, &h.Debit, &h.Credit, &amt, &cur, &rem)
	if errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("%w: hold %d", ledger.ErrNotFound, seq)
	}
	if err != nil {
		return h, fmt.Errorf("store: hold %d: %w", seq, err)
	}
	h.Amount, h.Remaining = money.New(amt, money.Currency(cur)), money.New(rem, money.Currency(cur))
	return h, nil
}

func (t *ltx) Holds(ctx context.Context, fn func(ledger.HoldState) error) error {
	rows, err := t.query(ctx, `SELECT seq, debit, credit, amount, currency, remaining FROM holds ORDER BY seq`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var h ledger.HoldState
		var amt, rem int64
		var cur string
		if err := rows.Scan(&h.Seq, &h.Debit, &h.Credit, &amt, &cur, &rem); err != nil {
			return fmt.Errorf("store: scan hold: %w", err)
		}
		h.Amount, h.Remaining = money.New(amt, money.Currency(cur)), money.New(rem, money.Currency(cur))
		if err := fn(h); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *ltx) Seals(ctx context.Context) ([]ledger.Seal, error) {
	rows, err := t.query(ctx, `SELECT day, head_seq, head_hash, closed_at, key_id, signature FROM day_closes ORDER BY day`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ledger.Seal
	for rows.Next() {
		var s ledger.Seal
		var day string
		var at int64
		if err := rows.Scan(&day, &s.HeadSeq, &s.HeadHash, &at, &s.KeyID, &s.Signature); err != nil {
			return nil, fmt.Errorf("store: scan seal: %w", err)
		}
		if s.Day, err = parseDay(day); err != nil {
			return nil, err
		}
		s.ClosedAt = time.Unix(0, at).UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

const dayBalanceCols = `account_id, o_dp, o_cp, o_dh, o_ch, m_dp, m_cp, m_dh, m_ch, c_dp, c_cp, c_dh, c_ch`

func (t *ltx) DayBalances(ctx context.Context, day clock.Date, fn func(ledger.DayBalance) error) error {
	rows, err := t.query(ctx, `SELECT `+dayBalanceCols+` FROM day_balances WHERE day = ? ORDER BY account_id`, dayText(day))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		b := ledger.DayBalance{Day: day}
		o, m, c := &b.Opening, &b.Movement, &b.Closing
		if err := rows.Scan(&b.Account, &o.DebitPosted, &o.CreditPosted, &o.DebitPending, &o.CreditPending,
			&m.DebitPosted, &m.CreditPosted, &m.DebitPending, &m.CreditPending,
			&c.DebitPosted, &c.CreditPosted, &c.DebitPending, &c.CreditPending); err != nil {
			return fmt.Errorf("store: scan day balance: %w", err)
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *ltx) Movements(ctx context.Context, after, through clock.Date) (map[ledger.AccountID]ledger.Counters, error) {
	rows, err := t.query(ctx, `SELECT l.account_id, l.side, l.effect, CAST(SUM(l.amount) AS BIGINT)
		FROM lines l JOIN entries e ON e.seq = l.seq
		WHERE e.day > ? AND e.day <= ?
		GROUP BY l.account_id, l.side, l.effect`, dayText(after), dayText(through))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[ledger.AccountID]ledger.Counters{}
	for rows.Next() {
		var id ledger.AccountID
		var side ledger.Side
		var eff ledger.Effect
		var sum int64
		if err := rows.Scan(&id, &side, &eff, &sum); err != nil {
			return nil, fmt.Errorf("store: scan movements: %w", err)
		}
		c := out[id]
		switch {
		case eff == ledger.EffectPost && side == ledger.Debit:
			c.DebitPosted += sum
		case eff == ledger.EffectPost:
			c.CreditPosted += sum
		case eff == ledger.EffectHold && side == ledger.Debit:
			c.DebitPending += sum
		case eff == ledger.EffectHold:
			c.CreditPending += sum
		case side == ledger.Debit:
			c.DebitPending -= sum
		default:
			c.CreditPending -= sum
		}
		out[id] = c
	}
	return out, rows.Err()
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
