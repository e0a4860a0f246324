package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrations embed.FS

// goSteps are the parts of migrations that SQL cannot do, run after the version's SQL in
// its transaction: 0003 hashes the existing chart and accounts into the change log.
var goSteps = map[int]func(ctx context.Context, d *DB, tx *sql.Tx) error{
	3: adoptControl,
}

// migrate applies, in order and each in its own transaction, the embedded migrations of the
// dialect that schema_migrations does not list yet. On PostgreSQL an advisory lock keeps two
// processes from migrating at once. upTo > 0 stops after that version (tests of a migration).
func (d *DB) migrate(ctx context.Context, upTo int) error {
	dir := "migrations/" + string(d.dialect)
	names, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil {
		return fmt.Errorf("store: list migrations: %w", err)
	}
	sort.Strings(names)
	if _, err := d.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	for _, name := range names {
		base := name[strings.LastIndex(name, "/")+1:]
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("store: migration %s: version prefix: %w", base, err)
		}
		if upTo > 0 && v > upTo {
			break
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("store: read migration %s: %w", base, err)
		}
		tx, err := d.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", base, err)
		}
		if d.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7260511)`); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("store: migration lock: %w", err)
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, d.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), v).Scan(&n); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", base, err)
		}
		if n > 0 {
			_ = tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("store: apply migration %s: %w", base, err)
		}
		if step := goSteps[v]; step != nil {
			if err := step(ctx, d, tx); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("store: apply migration %s: %w", base, err)
			}
		}
		if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`), v, base); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("store: record migration %s: %w", base, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: commit migration %s: %w", base, err)
		}
	}
	return nil
}
