package store

import (
	"context"
	"database/sql"
)

// reader runs read-pool queries. On SQLite it prepares each statement text once and reuses
// it (database/sql keeps one prepared copy per connection): parsing a statement costs more
// than running a primary-key look-up, and the payment look-ups on every API call were a
// fifth of the gateway's CPU before this. Texts past maxCachedStmts are run unprepared.
type reader struct{ d *DB }

func (d *DB) reads() reader { return reader{d} }

func (r reader) stmt(ctx context.Context, q string) *sql.Stmt {
	if !r.d.cacheStmts {
		return nil
	}
	st, err := r.d.prepareOnce(ctx, r.d.r, &r.d.rstmts, q)
	if err != nil {
		return nil // the unprepared query reports the error
	}
	return st
}

func (r reader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := r.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.d.r.QueryRowContext(ctx, q, args...)
}

func (r reader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := r.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.d.r.QueryContext(ctx, q, args...)
}
