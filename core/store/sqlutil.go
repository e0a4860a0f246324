package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// q rewrites the ? placeholders of a query for the dialect (PostgreSQL wants $1, $2, …). Our
// queries never contain a literal '?'.
func (d *DB) q(query string) string {
	if d.dialect != Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// maxParams keeps every statement under both databases' limits on bound parameters
// (SQLite 32766, PostgreSQL 65535).
const maxParams = 30000

// rowsPerStmt is how many rows of ncols fit in one multi-row statement.
func rowsPerStmt(ncols int) int {
	n := maxParams / ncols
	if n > 1000 {
		n = 1000
	}
	return n
}

// values returns "(?,?,?),(?,?,?)…" for rows rows of ncols, with casts[i] (e.g. "::bigint")
// appended to column i's placeholder on PostgreSQL, where a VALUES list has no column types.
func (d *DB) values(rows, ncols int, casts []string) string {
	var b strings.Builder
	b.Grow(rows * ncols * 3)
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := 0; c < ncols; c++ {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
			if d.dialect == Postgres && casts != nil {
				b.WriteString(casts[c])
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// bulkInsert inserts n rows into table in multi-row statements and returns how many rows it
// inserted. row(i, dst) appends row i's len(cols) values to dst. suffix (e.g. "ON CONFLICT
// DO NOTHING", SQLite only) ends each statement.
func (t *ltx) bulkInsert(ctx context.Context, table string, cols []string, n int, suffix string, row func(i int, dst []any) []any) (int64, error) {
	if n == 0 {
		return 0, nil
	}
	if t.d.dialect == Postgres {
		if suffix != "" {
			return 0, fmt.Errorf("store: insert %s: suffix %q unsupported on PostgreSQL", table, suffix)
		}
		return int64(n), t.unnestInsert(ctx, table, cols, n, row)
	}
	per := rowsPerStmt(len(cols))
	args := make([]any, 0, min(n, per)*len(cols))
	var inserted int64
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = row(i, args)
		}
		res, err := t.execR(ctx, t.d.insertText(table, cols, end-start, suffix), args...)
		if err != nil {
			return inserted, fmt.Errorf("store: insert %s: %w", table, err)
		}
		if suffix == "" {
			inserted += int64(end - start)
		} else if k, err := res.RowsAffected(); err != nil {
			return inserted, fmt.Errorf("store: insert %s: %w", table, err)
		} else {
			inserted += k
		}
	}
	return inserted, nil
}

// insertText returns (and remembers) the multi-row INSERT for rows rows of table.
func (d *DB) insertText(table string, cols []string, rows int, suffix string) string {
	key := fmt.Sprintf("%s/%d/%s", table, rows, suffix)
	d.mu.Lock()
	q, ok := d.texts[key]
	d.mu.Unlock()
	if ok {
		return q
	}
	q = d.q("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + d.values(rows, len(cols), nil) + " " + suffix)
	d.mu.Lock()
	if len(d.texts) < maxCachedStmts {
		d.texts[key] = q
	}
	d.mu.Unlock()
	return q
}

// inList returns "?,?,…" with n placeholders.
func inList(n int) string {
	if n == 0 {
		return "NULL"
	}
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// chunks calls fn for consecutive index ranges of at most size.
func chunks(n, size int, fn func(lo, hi int) error) error {
	for lo := 0; lo < n; lo += size {
		if err := fn(lo, min(lo+size, n)); err != nil {
			return err
		}
	}
	return nil
}

// maxCachedStmts bounds the statement cache (statement texts differ by row count).
const maxCachedStmts = 2048

// execW runs a (rebound) statement in the write transaction, from the statement cache where
// the dialect benefits.
func (t *ltx) execW(ctx context.Context, q string, args ...any) error {
	_, err := t.execR(ctx, q, args...)
	return err
}

// execR is execW returning the statement's result.
func (t *ltx) execR(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := t.cached(ctx, q)
	if err != nil {
		return nil, err
	}
	if st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

// queryW is execW for queries.
func (t *ltx) queryW(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := t.cached(ctx, q)
	if err != nil {
		return nil, err
	}
	if st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

// cached returns the transaction's handle on the prepared statement q, or nil if this store
// or transaction does not cache statements.
func (t *ltx) cached(ctx context.Context, q string) (*sql.Stmt, error) {
	if !t.write || !t.d.cacheStmts {
		return nil, nil
	}
	st, err := t.d.prepareOnce(ctx, t.d.w, &t.d.stmts, q)
	if st == nil || err != nil {
		return nil, err
	}
	return t.tx.StmtContext(ctx, st), nil
}

// prepareOnce returns q prepared on pool, from *cache or prepared now and kept there
// (database/sql re-prepares it per connection as needed). It returns nil, nil when the cache
// is full (maxCachedStmts) or closed: the caller runs q unprepared.
func (d *DB) prepareOnce(ctx context.Context, pool *sql.DB, cache *map[string]*sql.Stmt, q string) (*sql.Stmt, error) {
	d.mu.Lock()
	st := (*cache)[q]
	full := *cache == nil || len(*cache) >= maxCachedStmts
	d.mu.Unlock()
	if st != nil {
		return st, nil
	}
	if full {
		return nil, nil
	}
	st, err := pool.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: prepare: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if old := (*cache)[q]; old != nil {
		_ = st.Close()
		return old, nil
	}
	if *cache == nil { // closed meanwhile
		_ = st.Close()
		return nil, nil
	}
	(*cache)[q] = st
	return st, nil
}

// unnestInsert is bulkInsert for PostgreSQL: one statement whose parameters are one array per
// column, so its text (and pgx's prepared statement) is the same for every batch size.
func (t *ltx) unnestInsert(ctx context.Context, table string, cols []string, n int, row func(i int, dst []any) []any) error {
	frag, arrays, err := unnestPart(table, cols, n, 0, row)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, frag, arrays...); err != nil {
		return fmt.Errorf("store: insert %s: %w", table, err)
	}
	return nil
}

// unnestPart builds "INSERT INTO table (cols) SELECT * FROM unnest($off+1::type[], …)" and
// its column arrays.
func unnestPart(table string, cols []string, n, off int, row func(i int, dst []any) []any) (string, []any, error) {
	types := pgTypes[table]
	if len(types) != len(cols) {
		return "", nil, fmt.Errorf("store: no column types for %s", table)
	}
	arrays := make([]any, len(cols))
	for c, ty := range types {
		switch ty {
		case "bigint":
			arrays[c] = make([]int64, 0, n)
		case "text":
			arrays[c] = make([]string, 0, n)
		case "bytea":
			arrays[c] = make([][]byte, 0, n)
		}
	}
	vals := make([]any, 0, len(cols))
	for i := 0; i < n; i++ {
		vals = row(i, vals[:0])
		for c, v := range vals {
			switch a := arrays[c].(type) {
			case []int64:
				arrays[c] = append(a, v.(int64))
			case []string:
				arrays[c] = append(a, v.(string))
			case [][]byte:
				arrays[c] = append(a, v.([]byte))
			}
		}
	}
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") SELECT * FROM unnest(")
	for c, ty := range types {
		if c > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d::%s[]", off+c+1, ty)
	}
	b.WriteString(")")
	return b.String(), arrays, nil
}
