package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tongdao/tongdao/core/ledger"
)

var errReadOnly = errors.New("store: write in a read transaction")

func (t *ltx) exec(ctx context.Context, q string, args ...any) error {
	if !t.write {
		return errReadOnly
	}
	if err := t.execW(ctx, t.d.q(q), args...); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

var (
	entryInsertCols   = []string{"seq", "idem_key", "kind", "day", "late_for", "posted_at", "ref", "v_kind", "v_id", "v_amount", "v_cur", "memo", "fp", "prev_hash", "hash"}
	lineInsertCols    = []string{"seq", "idx", "account_id", "side", "effect", "amount", "currency"}
	voucherInsertCols = []string{"kind", "id", "amount", "currency"}
	holdInsertCols    = []string{"seq", "debit", "credit", "amount", "currency", "remaining"}
	dayBalInsertCols  = []string{"day", "account_id", "o_dp", "o_cp", "o_dh", "o_ch", "m_dp", "m_cp", "m_dh", "m_ch", "c_dp", "c_cp", "c_dh", "c_ch"}

	// PostgreSQL array types of the columns above, for INSERT … SELECT FROM unnest(…).
	pgTypes = map[string][]string{
		"entries":      strings.Fields("bigint text text text text bigint bigint text text bigint text text bytea bytea bytea"),
		"lines":        strings.Fields("bigint bigint bigint text bigint bigint text"),
		"vouchers":     strings.Fields("text text bigint text"),
		"holds":        strings.Fields("bigint bigint bigint bigint text bigint"),
		"day_balances": strings.Fields("text bigint bigint bigint bigint bigint bigint bigint bigint bigint bigint bigint bigint bigint"),
	}
)

// insertPart is one table's rows of an Append.
type insertPart struct {
	table string
	cols  []string
	n     int
	row   func(i int, dst []any) []any
}

// appendParts lays out the rows a batch inserts.
func appendParts(b *ledger.Batch) []insertPart {
	es := b.Entries
	type lref struct {
		seq int64
		idx int64
		ln  ledger.Line
	}
	var lines []lref
	for _, e := range es {
		for i, ln := range e.Lines {
			lines = append(lines, lref{e.Seq, int64(i), ln})
		}
	}
	vs, hs := b.NewVouchers, b.NewHolds
	return []insertPart{
		{"entries", entryInsertCols, len(es), func(i int, dst []any) []any {
			e := es[i]
			return append(dst, e.Seq, e.Key, string(e.Kind), dayText(e.Day), dayText(e.LateFor), e.PostedAt.UnixNano(), e.Ref,
				string(e.Voucher.Kind), e.Voucher.ID, e.Voucher.Amount.Minor(), string(e.Voucher.Amount.Currency()), e.Memo,
				e.Fingerprint, e.PrevHash, e.Hash)
		}},
		{"lines", lineInsertCols, len(lines), func(i int, dst []any) []any {
			l := lines[i]
			return append(dst, l.seq, l.idx, int64(l.ln.Account), string(l.ln.Side), int64(l.ln.Effect), l.ln.Amount.Minor(), string(l.ln.Amount.Currency()))
		}},
		{"vouchers", voucherInsertCols, len(vs), func(i int, dst []any) []any {
			return append(dst, string(vs[i].Kind), vs[i].ID, vs[i].Amount.Minor(), string(vs[i].Amount.Currency()))
		}},
		{"holds", holdInsertCols, len(hs), func(i int, dst []any) []any {
			h := hs[i]
			return append(dst, h.Seq, int64(h.Debit), int64(h.Credit), h.Amount.Minor(), string(h.Amount.Currency()), h.Remaining.Minor())
		}},
	}
}

// Append implements ledger.WriteTx with a handful of multi-row statements per batch
// (SQLite), or one statement of data-modifying CTEs (PostgreSQL: one round trip).
func (t *ltx) Append(ctx context.Context, b *ledger.Batch) error {
	if !t.write {
		return errReadOnly
	}
	parts := appendParts(b)
	ck, err := t.checkpoint(ctx, b)
	if err != nil {
		return err
	}
	if t.d.dialect == Postgres {
		return t.pgAppend(ctx, b, parts, ck)
	}
	if ck.due {
		if err := t.exec(ctx, checkpointSQL, ck.from, ck.to); err != nil {
			return err
		}
	}
	for _, p := range parts {
		if err := t.bulkInsert(ctx, p.table, p.cols, p.n, "", p.row); err != nil {
			return err
		}
	}
	for _, h := range b.HoldUpdates {
		if err := t.exec(ctx, `UPDATE holds SET remaining = ? WHERE seq = ?`, h.Remaining.Minor(), h.Seq); err != nil {
			return err
		}
	}
	return t.exec(ctx, `UPDATE ledger_head SET seq = ?, hash = ?, gen = ?, bal_seq = ? WHERE id = 1`, b.Head.Seq, b.Head.Hash, b.Head.Gen, ck.balSeq)
}

// checkpointEvery is how many entries' lines may accumulate after bal_seq before Append
// folds them into the stored counters. A larger tail makes account reads sum more lines;
// a smaller one rewrites more accounts (each batch of ~43 entries touches ~100 of them, the
// tail of 2,048 entries ~all of 1,000 once).
const checkpointEvery = 2048

// checkpointSQL adds the lines of entries in (?, ?] to the stored counters. It runs before
// the batch's own rows are inserted (on PostgreSQL as a CTE of the same statement, which
// would not see them), so it covers the entries up to the previous batch.
const checkpointSQL = `UPDATE accounts SET dp = accounts.dp + t.dp, cp = accounts.cp + t.cp, dh = accounts.dh + t.dh, ch = accounts.ch + t.ch
	FROM (` + tailSums + ` WHERE seq > ? AND seq <= ? GROUP BY account_id) AS t WHERE accounts.id = t.account_id`

// checkpointPlan says whether this Append folds the tail (from, to] into the counters, and
// the bal_seq the head gets.
type checkpointPlan struct {
	due      bool
	from, to int64
	balSeq   int64
}

func (t *ltx) checkpoint(ctx context.Context, b *ledger.Batch) (checkpointPlan, error) {
	if !t.haveBal {
		if err := t.tx.QueryRowContext(ctx, `SELECT bal_seq FROM ledger_head WHERE id = 1`).Scan(&t.balSeq); err != nil {
			return checkpointPlan{}, fmt.Errorf("store: read bal_seq: %w", err)
		}
		t.haveBal = true
	}
	to := b.Head.Seq
	if len(b.Entries) > 0 {
		to = b.Entries[0].Seq - 1
	}
	ck := checkpointPlan{from: t.balSeq, to: to, balSeq: t.balSeq}
	if to-t.balSeq >= t.d.checkpointEvery {
		ck.due, ck.balSeq = true, to
	}
	t.balSeq = ck.balSeq
	return ck, nil
}

// pgAppend writes a whole batch in one statement: every insert and update is a
// data-modifying CTE, so a batch costs one round trip however many tables it touches.
func (t *ltx) pgAppend(ctx context.Context, b *ledger.Batch, parts []insertPart, ck checkpointPlan) error {
	var ctes []string
	var args []any
	if ck.due {
		ctes = append(ctes, t.d.q(checkpointSQL))
		args = append(args, ck.from, ck.to)
	}
	for _, p := range parts {
		if p.n == 0 {
			continue
		}
		frag, arrays, err := unnestPart(p.table, p.cols, p.n, len(args), p.row)
		if err != nil {
			return err
		}
		ctes = append(ctes, frag)
		args = append(args, arrays...)
	}
	if len(b.HoldUpdates) > 0 {
		seqs, rem := make([]int64, len(b.HoldUpdates)), make([]int64, len(b.HoldUpdates))
		for i, h := range b.HoldUpdates {
			seqs[i], rem[i] = h.Seq, h.Remaining.Minor()
		}
		n := len(args)
		ctes = append(ctes, fmt.Sprintf(`UPDATE holds SET remaining = v.r FROM unnest($%d::bigint[], $%d::bigint[]) AS v(seq, r) WHERE holds.seq = v.seq`, n+1, n+2))
		args = append(args, seqs, rem)
	}
	n := len(args)
	ctes = append(ctes, fmt.Sprintf(`UPDATE ledger_head SET seq = $%d, hash = $%d, gen = $%d, bal_seq = $%d WHERE id = 1`, n+1, n+2, n+3, n+4))
	args = append(args, b.Head.Seq, b.Head.Hash, b.Head.Gen, ck.balSeq)
	var q strings.Builder
	q.WriteString("WITH ")
	for i, c := range ctes {
		if i > 0 {
			q.WriteString(",\n")
		}
		fmt.Fprintf(&q, "w%d AS (%s)", i, c)
	}
	q.WriteString(" SELECT 1")
	if _, err := t.tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("store: append batch: %w", err)
	}
	return nil
}

// bumpGen marks a write other than Append, invalidating writers' cached accounts.
func (t *ltx) bumpGen(ctx context.Context) error {
	return t.exec(ctx, `UPDATE ledger_head SET gen = gen + 1 WHERE id = 1`)
}

func (t *ltx) PutChart(ctx context.Context, c ledger.ChartAccount) error {
	if err := t.bumpGen(ctx); err != nil {
		return err
	}
	return t.exec(ctx, `INSERT INTO chart (code, parent, name, type, normal) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET parent = excluded.parent, name = excluded.name, type = excluded.type, normal = excluded.normal`,
		c.Code, c.Parent, c.Name, string(c.Type), string(c.Normal))
}

func (t *ltx) CreateAccount(ctx context.Context, a ledger.Account) (ledger.AccountID, error) {
	if err := t.bumpGen(ctx); err != nil {
		return 0, err
	}
	var id int64
	err := t.tx.QueryRowContext(ctx, t.d.q(`INSERT INTO accounts (code, owner_kind, owner_id, currency, name, flags, age_limit_s)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		a.Code, string(a.OwnerKind), a.OwnerID, string(a.Currency), a.Name, int64(a.Flags), a.AgeLimitSeconds).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: create account: %w", err)
	}
	return ledger.AccountID(id), nil
}

func (t *ltx) SetFlags(ctx context.Context, id ledger.AccountID, f ledger.Flags) error {
	if err := t.bumpGen(ctx); err != nil {
		return err
	}
	return t.exec(ctx, `UPDATE accounts SET flags = ? WHERE id = ?`, int64(f), int64(id))
}

func (t *ltx) PutDayClose(ctx context.Context, s ledger.Seal, rows []ledger.DayBalance) error {
	if !t.write {
		return errReadOnly
	}
	day := dayText(s.Day)
	if err := t.bulkInsert(ctx, "day_balances", dayBalInsertCols, len(rows), "", func(i int, dst []any) []any {
		b := rows[i]
		o, m, c := b.Opening, b.Movement, b.Closing
		return append(dst, day, int64(b.Account), o.DebitPosted, o.CreditPosted, o.DebitPending, o.CreditPending,
			m.DebitPosted, m.CreditPosted, m.DebitPending, m.CreditPending,
			c.DebitPosted, c.CreditPosted, c.DebitPending, c.CreditPending)
	}); err != nil {
		return err
	}
	if err := t.exec(ctx, `INSERT INTO day_closes (day, head_seq, head_hash, closed_at, key_id, signature) VALUES (?, ?, ?, ?, ?, ?)`,
		day, s.HeadSeq, s.HeadHash, s.ClosedAt.UnixNano(), s.KeyID, s.Signature); err != nil {
		return err
	}
	return t.exec(ctx, `UPDATE ledger_head SET last_closed = ?, gen = gen + 1 WHERE id = 1`, day)
}
