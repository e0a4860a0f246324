// Package storetest opens throw-away stores for tests, so one suite runs against SQLite and
// PostgreSQL alike (the fstest.TestFS pattern: call ForEach from your own test).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/tongdao/tongdao/core/store"
)

// EnvPG is the environment variable tests read for the PostgreSQL DSN (read by the _test.go
// files, never by this package). Unset means the PostgreSQL variant is skipped.
const EnvPG = "TONGDAO_TEST_PG_DSN"

// SQLiteDSN returns a DSN for a fresh SQLite file in t.TempDir().
func SQLiteDSN(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
}

// PostgresDSN creates a fresh schema in the database at base and returns a DSN whose
// search_path selects it; the schema is dropped when the test ends, so parallel runs never
// collide. It skips the test if base is empty.
func PostgresDSN(t testing.TB, base string) string {
	t.Helper()
	if base == "" {
		t.Skip("PostgreSQL variant skipped: set " + EnvPG + " (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	// A plain connection: store.Open would migrate the base schema, which tests never use.
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", EnvPG, err)
	}
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		_ = admin.Close()
		t.Fatalf("create schema (is %s reachable?): %v", EnvPG, err)
	}
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		_ = admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPG, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens dsn and closes the store when the test ends.
func Open(t testing.TB, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// ForEach runs fn as two subtests, "sqlite" on a fresh file and "postgres" on a fresh schema
// of pgBase (skipped when pgBase is empty).
func ForEach(t *testing.T, pgBase string, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLiteDSN(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, PostgresDSN(t, pgBase)) })
}
