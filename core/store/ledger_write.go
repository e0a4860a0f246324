package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
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
		if err := t.pgAppend(ctx, b, parts, ck); err != nil {
			return err
		}
		if ck.fold {
			// A separate statement: a CTE of the batch's statement would not see its lines.
			return t.exec(ctx, checkpointSQL, ck.from, b.Head.Seq)
		}
		return nil
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
	if b.Checkpoint != nil {
		if err := t.updateCounters(ctx, b.Checkpoint); err != nil {
			return err
		}
	}
	if ck.fold {
		if err := t.exec(ctx, checkpointSQL, ck.from, b.Head.Seq); err != nil {
			return err
		}
	}
	return t.exec(ctx, `UPDATE ledger_head SET seq = ?, hash = ?, gen = ?, bal_seq = ? WHERE id = 1`, b.Head.Seq, b.Head.Hash, b.Head.Gen, ck.balSeq)
}

// checkpointEvery is how many entries' lines may accumulate after bal_seq before Append
// folds them into the counters itself because no writer handed over its own
// (Batch.Checkpoint; the ledger's writer normally does, see ledger.CheckpointEvery). It
// bounds what an account read has to sum.
const checkpointEvery = 2048

// checkpointSQL adds the lines of entries in (?, ?] to the stored counters: the fallback
// when the writer did not hand over its own counters (it has not been the only writer since
// the last checkpoint, e.g. after a restart or another process's write).
const checkpointSQL = `UPDATE accounts SET dp = accounts.dp + t.dp, cp = accounts.cp + t.cp, dh = accounts.dh + t.dh, ch = accounts.ch + t.ch
	FROM (` + tailSums + ` WHERE seq > ? AND seq <= ? GROUP BY account_id) AS t WHERE accounts.id = t.account_id`

// checkpointPlan is what an Append does to the counters: nothing, write the writer's
// (Batch.Checkpoint), or fold the stored tail (from, Head.Seq] into them; balSeq is the
// checkpoint the head gets.
type checkpointPlan struct {
	fold   bool
	from   int64
	balSeq int64
}

func (t *ltx) checkpoint(ctx context.Context, b *ledger.Batch) (checkpointPlan, error) {
	if !t.haveBal {
		if err := t.tx.QueryRowContext(ctx, `SELECT bal_seq FROM ledger_head WHERE id = 1`).Scan(&t.balSeq); err != nil {
			return checkpointPlan{}, fmt.Errorf("store: read bal_seq: %w", err)
		}
		t.haveBal = true
	}
	ck := checkpointPlan{from: t.balSeq, balSeq: t.balSeq}
	switch {
	case b.Checkpoint != nil:
		ck.balSeq = b.Head.Seq
	case b.Head.Seq-t.balSeq >= t.d.checkpointEvery:
		ck.fold, ck.balSeq = true, b.Head.Seq
	}
	t.balSeq = ck.balSeq
	return ck, nil
}

// updateCounters writes the new counters of the touched accounts, many per statement:
// UPDATE … FROM a VALUES list, which SQLite plans as a scan of the list with a rowid look-up
// per row (EXPLAIN QUERY PLAN: "SCAN v", "SEARCH accounts USING INTEGER PRIMARY KEY"). One
// statement instead of one per account saves database/sql's per-statement work (a checkpoint
// writes up to every account).
func (t *ltx) updateCounters(ctx context.Context, accts []ledger.Account) error {
	sort.Slice(accts, func(i, j int) bool { return accts[i].ID < accts[j].ID }) // stable lock order
	per := rowsPerStmt(5)
	args := make([]any, 0, 5*min(len(accts), per))
	return chunks(len(accts), per, func(lo, hi int) error {
		args = args[:0]
		for _, a := range accts[lo:hi] {
			args = append(args, int64(a.ID), a.DebitPosted, a.CreditPosted, a.DebitPending, a.CreditPending)
		}
		if err := t.execW(ctx, t.d.counterText(hi-lo), args...); err != nil {
			return fmt.Errorf("store: update counters: %w", err)
		}
		return nil
	})
}

// counterText returns (and remembers) the UPDATE of rows accounts' counters.
func (d *DB) counterText(rows int) string {
	key := fmt.Sprintf("counters/%d", rows)
	d.mu.Lock()
	q, ok := d.texts[key]
	d.mu.Unlock()
	if ok {
		return q
	}
	q = `UPDATE accounts SET dp = v.column2, cp = v.column3, dh = v.column4, ch = v.column5 FROM (VALUES ` +
		d.values(rows, 5, nil) + `) AS v WHERE accounts.id = v.column1`
	d.mu.Lock()
	if len(d.texts) < maxCachedStmts {
		d.texts[key] = q
	}
	d.mu.Unlock()
	return q
}

// pgAppend writes a whole batch in one statement: every insert and update is a
// data-modifying CTE, so a batch costs one round trip however many tables it touches.
func (t *ltx) pgAppend(ctx context.Context, b *ledger.Batch, parts []insertPart, ck checkpointPlan) error {
	var ctes []string
	var args []any

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
	if len(b.Checkpoint) > 0 {
		cols := make([][]int64, 5)
		for _, a := range b.Checkpoint {
			for c, v := range []int64{int64(a.ID), a.DebitPosted, a.CreditPosted, a.DebitPending, a.CreditPending} {
				cols[c] = append(cols[c], v)
			}
		}
		n := len(args)
		ctes = append(ctes, fmt.Sprintf(`UPDATE accounts SET dp = v.dp, cp = v.cp, dh = v.dh, ch = v.ch
			FROM unnest($%d::bigint[], $%d::bigint[], $%d::bigint[], $%d::bigint[], $%d::bigint[]) AS v(id, dp, cp, dh, ch)
			WHERE accounts.id = v.id`, n+1, n+2, n+3, n+4, n+5))
		args = append(args, cols[0], cols[1], cols[2], cols[3], cols[4])
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
