package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

// ltx is a ledger transaction on either dialect. It implements ledger.ReadTx and (when write
// is set) ledger.WriteTx; the methods are documented on those interfaces.
type ltx struct {
	d     *DB
	tx    *sql.Tx
	write bool
	// balSeq is ledger_head.bal_seq as read by Head (haveBal) in this transaction.
	balSeq  int64
	haveBal bool
	// skip, when set (SkipUnreadable), takes the records reads cannot read (unreadable.go).
	skip func(*ledger.UnreadableError)
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
	q := `SELECT seq, hash, last_closed, gen, bal_seq FROM ledger_head WHERE id = 1`
	if t.write && t.d.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var h ledger.Head
	var lc string
	rows, err := t.tx.QueryContext(ctx, q)
	if err != nil {
		return h, fmt.Errorf("store: read head: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return h, fmt.Errorf("store: read head: %w", err)
		}
		return h, fmt.Errorf("store: read head: %w", sql.ErrNoRows)
	}
	err = rows.Scan(&h.Seq, &h.Hash, &lc, &h.Gen, &t.balSeq)
	if err == nil {
		h.LastClosed, err = parseDay(lc)
	}
	if err != nil {
		if t.skip != nil {
			// Verify: a garbled head row is a finding, not the end of the report.
			return ledger.Head{}, &ledger.UnreadableError{Record: "head", Err: err}
		}
		return h, fmt.Errorf("store: read head: %w", err)
	}
	t.haveBal = true
	h.Checkpoint = t.balSeq
	return h, nil
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
			if err := t.unreadable(rows, err, func(v []any) string { return "chart " + rawText(v[0]) }); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// tailSums sums, per account, the lines of entries after ledger_head.bal_seq into the four
// counters (effect 0 post, 1 hold, 2 unhold; see ledger.Counters), or of entries in
// (?, ?] when used by the counter checkpoint. The stored counters plus these are the
// account's counters.
const tailSums = `SELECT account_id,
	CAST(SUM(CASE WHEN effect = 0 AND side = 'D' THEN amount ELSE 0 END) AS BIGINT) AS dp,
	CAST(SUM(CASE WHEN effect = 0 AND side = 'C' THEN amount ELSE 0 END) AS BIGINT) AS cp,
	CAST(SUM(CASE WHEN effect = 1 AND side = 'D' THEN amount WHEN effect = 2 AND side = 'D' THEN -amount ELSE 0 END) AS BIGINT) AS dh,
	CAST(SUM(CASE WHEN effect = 1 AND side = 'C' THEN amount WHEN effect = 2 AND side = 'C' THEN -amount ELSE 0 END) AS BIGINT) AS ch
	FROM lines`

// accountCols and accountFrom read accounts with their stored counters (as of bal_seq);
// withTail adds the lines after bal_seq, so every read includes every committed entry and
// an edited stored counter still shows in every balance and in Verify's balance check.
const accountCols = `a.id, a.code, a.owner_kind, a.owner_id, a.currency, a.name, a.flags, a.age_limit_s,
	a.dp, a.cp, a.dh, a.ch, c.type, c.normal`
const accountFrom = ` FROM accounts a JOIN chart c ON c.code = a.code`

// maxTailNeedles is up to how many accounts a read pre-filters the tail's entries by text
// (see tail); a longer list would cost more in substring tests than it saves.
const maxTailNeedles = 16

// tail sums, per account, the lines of the entries after bal_seq: of the accounts in want, or
// of all if want is nil. It reads the lines text and parses it here (~0.3 µs an entry) rather
// than through the lines view (the database's JSON functions, ~3.5 µs). For a few accounts
// it first narrows the entries by text: the writer stores lines in one form,
// [[account,…],…], so an entry with a line of account 12 contains "[12,". Text edited into
// another form behind the ledger's back may be missed by a balance read, never by Verify,
// which reads every line of every entry (and whose chain check reports the edit).
func (t *ltx) tail(ctx context.Context, want map[ledger.AccountID]bool) (map[ledger.AccountID]ledger.Counters, error) {
	q := `SELECT seq, lines FROM entries WHERE seq > (SELECT bal_seq FROM ledger_head WHERE id = 1)`
	var args []any
	if want != nil && len(want) <= maxTailNeedles {
		fn := "instr(lines, ?)"
		if t.d.dialect == Postgres {
			fn = "strpos(lines, ?)"
		}
		ids := make([]int64, 0, len(want))
		for id := range want {
			ids = append(ids, int64(id))
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] }) // one statement text per set size
		var b strings.Builder
		for i, id := range ids {
			if i > 0 {
				b.WriteString(" OR ")
			}
			b.WriteString(fn + " > 0")
			args = append(args, "["+strconv.FormatInt(id, 10)+",")
		}
		q += ` AND (` + b.String() + `)`
	}
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[ledger.AccountID]ledger.Counters{}
	var buf []ledger.Line
	var seq int64
	var text sql.RawBytes
	intern := map[string]string{}
	for rows.Next() {
		if err := rows.Scan(&seq, &text); err != nil {
			return nil, fmt.Errorf("store: scan tail: %w", err)
		}
		if buf, err = parseLines(text, buf[:0], intern); err != nil {
			if t.skip != nil {
				continue // Verify reads every entry and reports this one
			}
			return nil, fmt.Errorf("store: lines of entry %d: %w", seq, err)
		}
		for _, ln := range buf {
			if want != nil && !want[ln.Account] {
				continue
			}
			c := out[ln.Account]
			if err := c.Add(ln.Side, ln.Effect, ln.Amount.Minor()); err != nil {
				return nil, fmt.Errorf("store: account %d after entry %d: %w", ln.Account, seq, err)
			}
			out[ln.Account] = c
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read tail: %w", err)
	}
	return out, nil
}

// scanAccountWithTail is scanAccount plus the tail's counters.
func scanAccountWithTail(rows *sql.Rows, tail map[ledger.AccountID]ledger.Counters) (ledger.Account, error) {
	a, err := scanAccount(rows)
	if err != nil {
		return a, err
	}
	return withTail(a, tail)
}

// withTail adds the tail's counters to accounts read with accountCols.
func withTail(a ledger.Account, tail map[ledger.AccountID]ledger.Counters) (ledger.Account, error) {
	tc, ok := tail[a.ID]
	if !ok {
		return a, nil
	}
	for _, x := range []struct {
		side ledger.Side
		eff  ledger.Effect
		amt  int64
	}{{ledger.Debit, ledger.EffectPost, tc.DebitPosted}, {ledger.Credit, ledger.EffectPost, tc.CreditPosted},
		{ledger.Debit, ledger.EffectHold, tc.DebitPending}, {ledger.Credit, ledger.EffectHold, tc.CreditPending}} {
		if err := a.Counters.Add(x.side, x.eff, x.amt); err != nil {
			return a, fmt.Errorf("store: account %d: %w", a.ID, err)
		}
	}
	return a, nil
}

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
	want := make(map[ledger.AccountID]bool, len(ids))
	for _, id := range ids {
		if !want[id] {
			want[id] = true
			uniq = append(uniq, int64(id))
		}
	}
	out := make(map[ledger.AccountID]ledger.Account, len(uniq))
	if len(uniq) == 0 {
		return out, nil
	}
	tail, err := t.tail(ctx, want)
	if err != nil {
		return nil, err
	}
	err = chunks(len(uniq), 1000, func(lo, hi int) error {
		q, args := t.in(`SELECT `+accountCols+accountFrom+` WHERE a.id`, "bigint", uniq[lo:hi])
		rows, err := t.query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAccountWithTail(rows, tail)
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
	if err != nil {
		return a, err
	}
	tail, err := t.tail(ctx, map[ledger.AccountID]bool{a.ID: true})
	if err != nil {
		return a, err
	}
	return withTail(a, tail)
}

func (t *ltx) Accounts(ctx context.Context, fn func(ledger.Account) error) error {
	tail, err := t.tail(ctx, nil)
	if err != nil {
		return err
	}
	rows, err := t.query(ctx, `SELECT `+accountCols+accountFrom+` ORDER BY a.id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			if err := t.unreadable(rows, err, func(v []any) string { return "account " + rawText(v[0]) }); err != nil {
				return err
			}
			continue
		}
		if a, err = withTail(a, tail); err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
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
			if err := t.unreadable(rows, err, func(v []any) string { return "voucher " + rawText(v[0]) + " " + rawText(v[1]) }); err != nil {
				return err
			}
			continue
		}
		v.Amount = money.New(amt, money.Currency(cur))
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *ltx) VoucherProblems(ctx context.Context, limit int) ([]ledger.VoucherProblem, error) {
	// IS DISTINCT FROM: a voucher amount edited to NULL is a problem too, not a match.
	rows, err := t.query(ctx, `SELECT e.seq, e.v_kind, e.v_id, e.v_amount, e.v_cur, v.kind IS NOT NULL, v.amount, v.currency
		FROM entries e LEFT JOIN vouchers v ON v.kind = e.v_kind AND v.id = e.v_id
		WHERE v.kind IS NULL OR v.amount IS DISTINCT FROM e.v_amount OR v.currency IS DISTINCT FROM e.v_cur
		ORDER BY e.seq LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ledger.VoucherProblem
	told := map[string]bool{}
	// badVoucher reports the voucher row of entry vals as unreadable, once.
	badVoucher := func(kind, id string, cause error) error {
		rec := "voucher " + kind + " " + id
		if t.skip == nil {
			return &ledger.UnreadableError{Record: rec, Err: cause}
		}
		if !told[rec] {
			told[rec] = true
			t.skip(&ledger.UnreadableError{Record: rec, Err: cause})
		}
		return nil
	}
	for rows.Next() {
		var p ledger.VoucherProblem
		var amt int64
		var cur string
		var exists bool
		var samt sql.NullInt64
		var scur sql.NullString
		if err := rows.Scan(&p.Seq, &p.Voucher.Kind, &p.Voucher.ID, &amt, &cur, &exists, &samt, &scur); err != nil {
			vals, rerr := rawRow(rows)
			if rerr != nil || t.skip == nil || len(vals) != 8 {
				return nil, fmt.Errorf("store: scan voucher problem: %w", err)
			}
			if _, ok := vals[6].(int64); vals[6] != nil && !ok {
				if err := badVoucher(rawText(vals[1]), rawText(vals[2]), err); err != nil {
					return nil, err
				}
			}
			continue // otherwise an unreadable entry: Verify reports it from the journal scan
		}
		if exists && (!samt.Valid || !scur.Valid) {
			if err := badVoucher(string(p.Voucher.Kind), p.Voucher.ID, errors.New("amount or currency is NULL")); err != nil {
				return nil, err
			}
			continue
		}
		p.Voucher.Amount = money.New(amt, money.Currency(cur))
		if exists {
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
			if err := t.unreadable(rows, err, func(v []any) string { return "hold " + rawText(v[0]) }); err != nil {
				return err
			}
			continue
		}
		h.Amount, h.Remaining = money.New(amt, money.Currency(cur)), money.New(rem, money.Currency(cur))
		if err := fn(h); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *ltx) Seals(ctx context.Context) ([]ledger.Seal, error) {
	rows, err := t.query(ctx, `SELECT day, head_seq, head_hash, closed_at, key_id, signature, prev_day, rows_digest, control_seq, control_hash FROM day_closes ORDER BY day`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ledger.Seal
	for rows.Next() {
		var s ledger.Seal
		var day, prev string
		var at int64
		err := rows.Scan(&day, &s.HeadSeq, &s.HeadHash, &at, &s.KeyID, &s.Signature, &prev, &s.Rows, &s.ControlSeq, &s.ControlHash)
		if err == nil {
			if s.Day, err = parseDay(day); err == nil {
				s.PrevDay, err = parseDay(prev)
			}
		}
		if err != nil {
			if err := t.unreadable(rows, err, func(v []any) string { return "seal " + rawText(v[0]) }); err != nil {
				return nil, err
			}
			continue
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
			if err := t.unreadable(rows, err, func(v []any) string { return fmt.Sprintf("close %s account %s", day, rawText(v[0])) }); err != nil {
				return err
			}
			continue
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *ltx) Movements(ctx context.Context, after, through clock.Date) (map[ledger.AccountID]ledger.Counters, error) {
	rows, err := t.query(ctx, `SELECT l.account_id, l.side, l.effect, CAST(SUM(l.amount) AS BIGINT)
		FROM lines l WHERE l.day > ? AND l.day <= ?
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
		if err := c.Add(side, eff, sum); err != nil {
			return nil, fmt.Errorf("store: movements of account %d: %w", id, err)
		}
		out[id] = c
	}
	return out, rows.Err()
}
