package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

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
	entryInsertCols   = []string{"seq", "idem_key", "kind", "day", "late_for", "posted_at", "ref", "v_kind", "v_id", "v_amount", "v_cur", "memo", "fp", "prev_hash", "hash", "lines"}
	voucherInsertCols = []string{"kind", "id", "amount", "currency"}
	holdInsertCols    = []string{"seq", "debit", "credit", "amount", "currency", "remaining"}
	dayBalInsertCols  = []string{"day", "account_id", "o_dp", "o_cp", "o_dh", "o_ch", "m_dp", "m_cp", "m_dh", "m_ch", "c_dp", "c_cp", "c_dh", "c_ch"}

	// PostgreSQL array types of the columns above, for INSERT … SELECT FROM unnest(…).
	pgTypes = map[string][]string{
		"entries":      strings.Fields("bigint text text text text bigint bigint text text bigint text text bytea bytea bytea text"),
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

// appendParts lays out the rows a batch inserts: an entry is one row with its lines in it
// (linecodec.go).
func appendParts(b *ledger.Batch) ([]insertPart, error) {
	es := b.Entries
	lines := make([]string, len(es))
	var buf []byte
	for i, e := range es {
		var err error
		if buf, err = appendLines(buf[:0], e.Lines); err != nil {
			return nil, fmt.Errorf("store: entry %d: %w", e.Seq, err)
		}
		lines[i] = string(buf)
	}
	vs, hs := b.NewVouchers, b.NewHolds
	return []insertPart{
		{"entries", entryInsertCols, len(es), func(i int, dst []any) []any {
			e := es[i]
			return append(dst, e.Seq, e.Key, string(e.Kind), dayText(e.Day), dayText(e.LateFor), e.PostedAt.UnixNano(), e.Ref,
				string(e.Voucher.Kind), e.Voucher.ID, e.Voucher.Amount.Minor(), string(e.Voucher.Amount.Currency()), e.Memo,
				e.Fingerprint, e.PrevHash, e.Hash, lines[i])
		}},
		{"vouchers", voucherInsertCols, len(vs), func(i int, dst []any) []any {
			return append(dst, string(vs[i].Kind), vs[i].ID, vs[i].Amount.Minor(), string(vs[i].Amount.Currency()))
		}},
		{"holds", holdInsertCols, len(hs), func(i int, dst []any) []any {
			h := hs[i]
			return append(dst, h.Seq, int64(h.Debit), int64(h.Credit), h.Amount.Minor(), string(h.Amount.Currency()), h.Remaining.Minor())
		}},
	}, nil
}

// Append implements ledger.WriteTx with a handful of multi-row statements per batch
// (SQLite), or one statement of data-modifying CTEs (PostgreSQL: one round trip).
func (t *ltx) Append(ctx context.Context, b *ledger.Batch) error {
	if !t.write {
		return errReadOnly
	}
	parts, err := appendParts(b)
	if err != nil {
		return err
	}
	ck, err := t.checkpoint(ctx, b)
	if err != nil {
		return err
	}
	b.Head.Checkpoint = ck.balSeq
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
	return t.sqliteAppend(ctx, b, parts, ck, nil)
}

// sqliteAppend is Append on SQLite: a few multi-row statements. With prev (AppendAt), the
// vouchers already stored are skipped (and must have the batch's amounts) and the head
// moves only if it is still prev; otherwise ErrStale, and the caller rolls back.
func (t *ltx) sqliteAppend(ctx context.Context, b *ledger.Batch, parts []insertPart, ck checkpointPlan, prev *ledger.Head) error {
	for _, p := range parts {
		suffix := ""
		if prev != nil && p.table == "vouchers" {
			suffix = "ON CONFLICT (kind, id) DO NOTHING"
		}
		n, err := t.bulkInsert(ctx, p.table, p.cols, p.n, suffix, p.row)
		if err != nil {
			return err
		}
		if suffix != "" && n < int64(p.n) {
			if err := t.storedVouchersMatch(ctx, b.NewVouchers); err != nil {
				return err
			}
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
	if prev == nil {
		return t.exec(ctx, `UPDATE ledger_head SET seq = ?, hash = ?, gen = ?, bal_seq = ? WHERE id = 1`, b.Head.Seq, b.Head.Hash, b.Head.Gen, ck.balSeq)
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE ledger_head SET seq = ?, hash = ?, gen = ?, bal_seq = ? WHERE id = 1 AND seq = ? AND gen = ? AND hash = ?`,
		b.Head.Seq, b.Head.Hash, b.Head.Gen, ck.balSeq, prev.Seq, prev.Gen, prev.Hash)
	if err != nil {
		return fmt.Errorf("store: move head: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return ledger.ErrStale
	}
	return nil
}

// storedVouchersMatch is ErrStale unless every stored voucher among vs has vs's amount.
func (t *ltx) storedVouchersMatch(ctx context.Context, vs []ledger.Voucher) error {
	refs := make([]ledger.VoucherRef, len(vs))
	for i, v := range vs {
		refs[i] = v.Ref()
	}
	stored, err := t.Vouchers(ctx, refs)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if a, ok := stored[v.Ref()]; ok && a != v.Amount {
			return ledger.ErrStale
		}
	}
	return nil
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
	q, args, err := pgAppendStatement(b, parts, ck, nil)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("store: append batch: %w", err)
	}
	return nil
}

// pgAppendStatement builds the one statement of a batch. With prev, every write is
// conditional on a first CTE, h, that moves the head only if it is still prev and no stored
// voucher among b.NewVouchers has another amount; vouchers already stored are skipped; the
// statement then returns how many rows h moved (1 applied, 0 nothing written).
func pgAppendStatement(b *ledger.Batch, parts []insertPart, ck checkpointPlan, prev *ledger.Head) (string, []any, error) {
	var ctes []string
	var args []any
	cond, and := "", ""
	if prev != nil {
		kinds, ids, amts, curs := make([]string, len(b.NewVouchers)), make([]string, len(b.NewVouchers)), make([]int64, len(b.NewVouchers)), make([]string, len(b.NewVouchers))
		for i, v := range b.NewVouchers {
			kinds[i], ids[i], amts[i], curs[i] = string(v.Kind), v.ID, v.Amount.Minor(), string(v.Amount.Currency())
		}
		ctes = append(ctes, `h AS (UPDATE ledger_head SET seq = $1, hash = $2, gen = $3, bal_seq = $4
			WHERE id = 1 AND seq = $5 AND gen = $6 AND hash = $7 AND NOT EXISTS (
				SELECT 1 FROM vouchers v JOIN unnest($8::text[], $9::text[], $10::bigint[], $11::text[]) AS n(kind, id, amount, currency)
				ON v.kind = n.kind AND v.id = n.id WHERE v.amount <> n.amount OR v.currency <> n.currency)
			RETURNING 1)`)
		args = append(args, b.Head.Seq, b.Head.Hash, b.Head.Gen, ck.balSeq, prev.Seq, prev.Gen, prev.Hash, kinds, ids, amts, curs)
		cond, and = ` WHERE EXISTS (SELECT 1 FROM h)`, ` AND EXISTS (SELECT 1 FROM h)`
	}
	for _, p := range parts {
		if p.n == 0 {
			continue
		}
		frag, arrays, err := unnestPart(p.table, p.cols, p.n, len(args), p.row)
		if err != nil {
			return "", nil, err
		}
		frag += cond
		if prev != nil && p.table == "vouchers" {
			frag += ` ON CONFLICT (kind, id) DO NOTHING`
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
		ctes = append(ctes, fmt.Sprintf(`UPDATE holds SET remaining = v.r FROM unnest($%d::bigint[], $%d::bigint[]) AS v(seq, r) WHERE holds.seq = v.seq`, n+1, n+2)+and)
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
			WHERE accounts.id = v.id`, n+1, n+2, n+3, n+4, n+5)+and)
		args = append(args, cols[0], cols[1], cols[2], cols[3], cols[4])
	}
	if prev == nil {
		n := len(args)
		ctes = append(ctes, fmt.Sprintf(`UPDATE ledger_head SET seq = $%d, hash = $%d, gen = $%d, bal_seq = $%d WHERE id = 1`, n+1, n+2, n+3, n+4))
		args = append(args, b.Head.Seq, b.Head.Hash, b.Head.Gen, ck.balSeq)
	}
	var q strings.Builder
	q.WriteString("WITH ")
	for i, c := range ctes {
		if i > 0 {
			q.WriteString(",\n")
		}
		if prev != nil && i == 0 {
			q.WriteString(c) // h AS (…)
			continue
		}
		fmt.Fprintf(&q, "w%d AS (%s)", i, c)
	}
	if prev != nil {
		q.WriteString(" SELECT count(*) FROM h")
	} else {
		q.WriteString(" SELECT 1")
	}
	return q.String(), args, nil
}

// AppendAt implements ledger.HeadAppender. PostgreSQL: one statement outside any explicit
// transaction (pgAppendStatement with prev); SQLite: one transaction that checks the head
// and the vouchers and appends, without the writer's look-ups. A counter fold due in this
// batch (see checkpointEvery) is left to the ordinary path: ErrStale.
func (d *DB) AppendAt(ctx context.Context, prev ledger.Head, b *ledger.Batch) error {
	ck := checkpointPlan{from: prev.Checkpoint, balSeq: prev.Checkpoint}
	switch {
	case b.Checkpoint != nil:
		ck.balSeq = b.Head.Seq
	case b.Head.Seq-prev.Checkpoint >= d.checkpointEvery:
		return ledger.ErrStale
	}
	if d.dialect == Postgres {
		return d.pgAppendAt(ctx, prev, b, ck)
	}
	parts, err := appendParts(b)
	if err != nil {
		return err
	}
	err = d.Write(ctx, func(wt ledger.WriteTx) error {
		return wt.(sqliteLookup).sqliteAppend(ctx, b, parts, ck, &prev)
	})
	if err == nil {
		b.Head.Checkpoint = ck.balSeq
	}
	return err
}

func (d *DB) pgAppendAt(ctx context.Context, prev ledger.Head, b *ledger.Batch, ck checkpointPlan) error {
	parts, err := appendParts(b)
	if err != nil {
		return err
	}
	q, args, err := pgAppendStatement(b, parts, ck, &prev)
	if err != nil {
		return err
	}
	var n int
	if err := d.w.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		if statementNotApplied(err) {
			return fmt.Errorf("store: append batch at head %d: %w", prev.Seq, err)
		}
		return fmt.Errorf("store: append batch at head %d: %w: %w", prev.Seq, ledger.ErrUnknownOutcome, err)
	}
	if n != 1 {
		return ledger.ErrStale
	}
	b.Head.Checkpoint = ck.balSeq
	return nil
}

// statementNotApplied tells whether a failed autocommit statement certainly changed nothing:
// the server answered with an error (the statement, its own transaction, rolled back), or
// pgx sent nothing (pgconn.SafeToRetry). Anything else — a connection lost after sending, a
// context cancelled while the server worked — may have committed.
func statementNotApplied(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) || pgconn.SafeToRetry(err)
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

func (t *ltx) PutDayClose(ctx context.Context, s ledger.Seal, rows []ledger.DayBalance) error {
	if !t.write {
		return errReadOnly
	}
	day := dayText(s.Day)
	if _, err := t.bulkInsert(ctx, "day_balances", dayBalInsertCols, len(rows), "", func(i int, dst []any) []any {
		b := rows[i]
		o, m, c := b.Opening, b.Movement, b.Closing
		return append(dst, day, int64(b.Account), o.DebitPosted, o.CreditPosted, o.DebitPending, o.CreditPending,
			m.DebitPosted, m.CreditPosted, m.DebitPending, m.CreditPending,
			c.DebitPosted, c.CreditPosted, c.DebitPending, c.CreditPending)
	}); err != nil {
		return err
	}
	if err := t.exec(ctx, `INSERT INTO day_closes (day, head_seq, head_hash, closed_at, key_id, signature, prev_day, rows_digest, control_seq, control_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		day, s.HeadSeq, s.HeadHash, s.ClosedAt.UnixNano(), s.KeyID, s.Signature, dayText(s.PrevDay), s.Rows, s.ControlSeq, s.ControlHash); err != nil {
		return err
	}
	return t.exec(ctx, `UPDATE ledger_head SET last_closed = ?, gen = gen + 1 WHERE id = 1`, day)
}

// PipelineAppends implements ledger.Pipeliner: yes for SQLite, where the writer's staging
// then overlaps the append and its fsync (measured +5-15% postings/s); no for PostgreSQL,
// where the one-statement append already keeps the server busy and two smaller batches in
// flight cost more server time than they save (measured -5%; docs/benchmarks/ledger.md).
func (d *DB) PipelineAppends() bool { return d.dialect == SQLite }
