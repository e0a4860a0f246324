// Package storetest opens throw-away stores for tests, so one suite runs against SQLite and
// PostgreSQL alike (the fstest.TestFS pattern: call ForEach from your own test).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
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

// EditLines rewrites the stored lines of entry seq behind the ledger's back, as someone with
// database access could: tamper tests use it. The lines live in entries.lines as JSON
// ([[account_id,"side",effect,amount,"currency"],…]); this reads them with encoding/json, lets
// edit change them, and writes them back in the same form — so it also checks that the
// stored text is plain JSON any tool can read.
func EditLines(t testing.TB, db *store.DB, seq int64, edit func([]ledger.Line) []ledger.Line) {
	t.Helper()
	ph := "?"
	if db.Dialect() == store.Postgres {
		ph = "$1"
	}
	var text string
	if err := db.SQL().QueryRow(`SELECT lines FROM entries WHERE seq = `+ph, seq).Scan(&text); err != nil {
		t.Fatalf("read lines of entry %d: %v", seq, err)
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var raw [][]any
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("lines of entry %d are not JSON: %v (%s)", seq, err, text)
	}
	num := func(v any) int64 {
		n, err := v.(json.Number).Int64()
		if err != nil {
			t.Fatalf("lines of entry %d: %v", seq, err)
		}
		return n
	}
	var lines []ledger.Line
	for _, r := range raw {
		if len(r) != 5 {
			t.Fatalf("lines of entry %d: line %v has %d fields", seq, r, len(r))
		}
		lines = append(lines, ledger.Line{Account: ledger.AccountID(num(r[0])), Side: ledger.Side(r[1].(string)),
			Effect: ledger.Effect(num(r[2])), Amount: money.New(num(r[3]), money.Currency(r[4].(string)))})
	}
	lines = edit(lines)
	out := make([][]any, 0, len(lines))
	for _, l := range lines {
		out = append(out, []any{int64(l.Account), string(l.Side), int64(l.Effect), l.Amount.Minor(), string(l.Amount.Currency())})
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	q := `UPDATE entries SET lines = ? WHERE seq = ?`
	if db.Dialect() == store.Postgres {
		q = `UPDATE entries SET lines = $1 WHERE seq = $2`
	}
	if _, err := db.SQL().Exec(q, string(b), seq); err != nil {
		t.Fatalf("write lines of entry %d: %v", seq, err)
	}
}
