// Package store persists the payment core: one set of interfaces (ledger.Store today) with two
// implementations behind the same SQL, SQLite (modernc.org/sqlite, WAL mode; the embedded
// default) and PostgreSQL (jackc/pgx/v5 through database/sql). Schemas are embedded migrations
// applied by Open. The same suite (package storetest) runs against both.
//
// An entry is one row: its lines are stored in entries.lines as JSON
// ([[account_id,"side",effect,amount,"currency"],…], see linecodec.go), and a view named lines
// shows them as rows (seq, idx, account_id, side, effect, amount, currency, day) to SQL.
//
// Besides ledger.Store, a DB is a ledger.HeadAppender (PostgreSQL appends a batch in one
// statement conditional on the head; SQLite in one transaction without look-ups) and a
// ledger.Pipeliner (SQLite only: appends run beside the writer's staging of the next batch).
//
// Account counters are checkpointed: accounts.dp/cp/dh/ch sum the lines of entries up to
// ledger_head.bal_seq, and every account read adds the lines after it, so a read always
// includes every committed entry and an edited stored counter shows in Verify's balance
// check. The ledger's writer hands its own counters over (every batch by default, see
// ledger.CheckpointEvery); Append folds the stored lines into the counters itself only when
// 2,048 entries have accumulated without that.
//
// Durability: a write commits before the ledger answers its caller. SQLite runs with
// synchronous=FULL by default, so an acknowledged entry survives a power cut as well as a
// killed process; "sqlite:PATH?sync=normal" trades that for ~20% more postings per second
// (measured 29.0–29.8k vs 34.4–35.5k entries/s, docs/benchmarks/ledger.md) and then survives a
// killed process but may lose the last acknowledged entries on a power cut (never corrupting
// the file).
//
// Upgrading: Open applies each pending migration in a transaction of its own. Stop every
// process that uses the ledger with an older build first: 0002_lines_in_entries rewrites every
// entry row (on PostgreSQL holding an exclusive lock on entries until it commits) and replaces
// the lines table by a view, which an older writer cannot insert into.
// 0003_sealed_closes_and_control_log adds the fields of version-2 seals to day_closes (seals
// stored before stay version 1 and still verify) and the control_log table, and records the
// chart and accounts found at the upgrade as the log's first changes (memo "adopted at
// upgrade"): stop older builds first, or a chart code or account they add is reported by
// verify as changed behind the ledger's back.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	// Drivers: "pgx" for PostgreSQL, "sqlite" for SQLite.
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/tongdao/tongdao/core/ledger"
)

// DefaultDSN is the embedded ledger file used when no DSN is given.
const DefaultDSN = "sqlite:tongdao.db"

// Dialect names the SQL database behind a DB.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open store. It is safe for concurrent use; it implements ledger.Store.
type DB struct {
	dialect Dialect
	w       *sql.DB // writes; for SQLite BEGIN IMMEDIATE connections
	r       *sql.DB // reads; may be w
	// cacheStmts: SQLite parses every statement it runs, which costs more than running the
	// writer's multi-row inserts; they are prepared once and reused. PostgreSQL needs no
	// help: pgx caches prepared statements per connection by text.
	cacheStmts bool
	// checkpointEvery is how many entries' lines accumulate after bal_seq before Append
	// folds them into the stored counters (const checkpointEvery; tests lower it).
	checkpointEvery int64
	mu              sync.Mutex
	stmts           map[string]*sql.Stmt
	rstmts          map[string]*sql.Stmt       // the read pool's prepared statements (reader.go)
	texts           map[string]string          // generated INSERT texts by table/rows
	consumers       []string                   // outbox consumers of order events (nil = DefaultOutboxConsumers)
	outboxTypes     map[string]map[string]bool // consumer -> event types queued for it (absent = all)
	// group commits this process's order-side write transactions on SQLite (group.go).
	group committer
	// wal checkpoints the SQLite WAL off the writers' path ("?checkpoint=background";
	// walcheckpoint.go); nil otherwise.
	wal *walCheckpointer
	// wtx serializes this process's write transactions on SQLite (the ledger's, the group
	// commits): SQLite admits one writer, and a BEGIN IMMEDIATE that finds the lock taken
	// waits in SQLite's busy handler, which sleeps 1, 2, 5, 10… ms between tries. Two
	// goroutines of one process that both write (the ledger's writer and the order/wallet
	// committer) then lost milliseconds on every collision; waiting here hands the lock over
	// as soon as it is free. (Other processes on the file still meet the busy handler.)
	wtx sync.Mutex
}

// lockWrite takes the process's SQLite write turn (a no-op on PostgreSQL); the returned
// function gives it back.
func (d *DB) lockWrite() func() {
	if d.dialect != SQLite {
		return func() {}
	}
	d.wtx.Lock()
	return d.wtx.Unlock
}

var (
	_ ledger.Store        = (*DB)(nil)
	_ ledger.HeadAppender = (*DB)(nil)
	_ ledger.Pipeliner    = (*DB)(nil)
)

// Open opens (creating if needed) the store named by dsn and applies pending migrations.
//
//   - "sqlite:PATH" a SQLite file in WAL mode, synchronous=FULL (an acknowledged entry survives a
//     killed process and a power cut); "sqlite:PATH?sync=normal" for synchronous=NORMAL (a
//     killed process loses no committed transaction; a power cut may lose the last ones, never
//     corrupt the file); "&checkpoint=background" (or "?checkpoint=background") moves WAL
//     checkpoints off the committing writer into a goroutine (walcheckpoint.go);
//   - "sqlite::memory:" a private in-memory SQLite database (tests);
//   - "postgres://…" or "postgresql://…" a PostgreSQL database (pgx connection string; a
//     search_path parameter selects the schema).
func Open(ctx context.Context, dsn string) (*DB, error) {
	d, err := open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := d.migrate(ctx, 0); err != nil {
		_ = d.Close()
		return nil, err
	}
	return d, nil
}

// open connects without migrating.
func open(ctx context.Context, dsn string) (*DB, error) {
	var d *DB
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path, sync, err := sqliteDSN(strings.TrimPrefix(dsn, "sqlite:"))
		if err != nil {
			return nil, fmt.Errorf("store: dsn %q: %w", dsn, err)
		}
		bg, err := walCheckpointOption(strings.TrimPrefix(dsn, "sqlite:"))
		if err != nil {
			return nil, fmt.Errorf("store: dsn %q: %w", dsn, err)
		}
		if d, err = openSQLite(path, sync, bg && path != ":memory:"); err != nil {
			return nil, err
		}
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err := sql.Open("pgx", pgDSN(dsn))
		if err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		db.SetMaxOpenConns(8)
		d = &DB{dialect: Postgres, w: db, r: db, texts: map[string]string{}}
	default:
		return nil, fmt.Errorf("store: dsn %q: want sqlite:PATH, sqlite::memory: or postgres://…", redact(dsn))
	}
	d.checkpointEvery = checkpointEvery
	if err := d.w.PingContext(ctx); err != nil {
		_ = d.Close()
		return nil, fmt.Errorf("store: connect %s: %w", d.dialect, err)
	}
	return d, nil
}

// sqliteDSN splits "PATH[?sync=full|normal]" into the path and the synchronous mode
// (default FULL). Any other option is an error naming it.
func sqliteDSN(rest string) (path, sync string, err error) {
	path, query, _ := strings.Cut(rest, "?")
	if path == "" {
		return "", "", errors.New("empty sqlite path")
	}
	sync = "FULL"
	if query == "" {
		return path, sync, nil
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", "", fmt.Errorf("options %q: %w", query, err)
	}
	for k, v := range q {
		if k == "checkpoint" {
			continue // walCheckpointOption
		}
		if k != "sync" {
			return "", "", fmt.Errorf("unknown sqlite option %q (known: sync, checkpoint)", k)
		}
		switch strings.ToLower(v[len(v)-1]) {
		case "full":
			sync = "FULL"
		case "normal":
			sync = "NORMAL"
		default:
			return "", "", fmt.Errorf("option sync=%q: want full or normal", v[len(v)-1])
		}
	}
	return path, sync, nil
}

func openSQLite(path, sync string, bgCheckpoint bool) (*DB, error) {
	pragmas := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(" + sync + ")"
	if bgCheckpoint {
		pragmas += "&_pragma=wal_autocheckpoint(0)" // walcheckpoint.go checkpoints instead
	}
	if path == ":memory:" {
		// mode=memory without a shared cache is private to its one connection.
		name := "file:tongdao-mem?mode=memory&cache=private&" + pragmas + "&_txlock=immediate"
		db, err := sql.Open("sqlite", name)
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite memory: %w", err)
		}
		// One connection is the database: keep it for the DB's lifetime.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		return &DB{dialect: SQLite, w: db, r: db, texts: map[string]string{}}, nil
	}
	u := "file:" + (&url.URL{Path: path}).EscapedPath() + "?_pragma=journal_mode(WAL)&" + pragmas
	w, err := sql.Open("sqlite", u+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	// Several connections, although BEGIN IMMEDIATE admits one writer at a time: a writer's
	// transaction holds one while statements for the cache are prepared on another, and the
	// ledger's writer and the orders' group committer each hold one. With only two, a
	// writer holding the lock and waiting for a connection to prepare on, while the other
	// waits for the lock on the second connection, deadlocked until the busy timeout.
	w.SetMaxOpenConns(6)
	w.SetMaxIdleConns(6)
	r, err := sql.Open("sqlite", u)
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	// As many idle connections as open ones: a connection closed for want of an idle slot
	// and opened again re-reads the schema, and its prepared statements are lost.
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	d := &DB{dialect: SQLite, w: w, r: r, cacheStmts: true, stmts: map[string]*sql.Stmt{}, rstmts: map[string]*sql.Stmt{}, texts: map[string]string{}}
	if bgCheckpoint {
		d.startWALCheckpointer(path)
	}
	return d, nil
}

// pgDSN adds plan_cache_mode=force_custom_plan unless the DSN sets it: pgx prepares and
// caches every statement, and a generic plan made while a table was small (say, a sequential
// scan of an empty vouchers table) would otherwise stay in use as the table grows.
func pgDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	if q.Get("plan_cache_mode") == "" {
		q.Set("plan_cache_mode", "force_custom_plan")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// redact hides a password in a DSN before it goes into an error message.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxx")
			return u.String()
		}
	}
	return dsn
}

// Dialect returns which database this is.
func (d *DB) Dialect() Dialect { return d.dialect }

// SQL returns the write pool, for tools and for tests that tamper with the database directly.
func (d *DB) SQL() *sql.DB { return d.w }

// Close closes the pools.
func (d *DB) Close() error {
	d.stopWALCheckpointer()
	d.closeGroup()
	d.mu.Lock()
	for _, s := range d.stmts {
		_ = s.Close()
	}
	d.stmts = nil
	for _, s := range d.rstmts {
		_ = s.Close()
	}
	d.rstmts = nil
	d.mu.Unlock()
	err := d.w.Close()
	if d.r != d.w {
		err = errors.Join(err, d.r.Close())
	}
	return err
}

// Write implements ledger.Store: one transaction that holds the chain-head lock (SQLite:
// BEGIN IMMEDIATE; PostgreSQL: SELECT … FOR UPDATE on ledger_head) until commit.
func (d *DB) Write(ctx context.Context, fn func(ledger.WriteTx) error) error {
	defer d.lockWrite()()
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	var wt ledger.WriteTx = &ltx{d: d, tx: tx, write: true}
	if d.dialect == Postgres {
		wt = pgLookup{wt.(*ltx)}
	} else {
		wt = sqliteLookup{wt.(*ltx)}
	}
	if err := fn(wt); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w: %w", ledger.ErrUnknownOutcome, err)
	}
	return nil
}

// Read implements ledger.Store: a read-only snapshot (SQLite: a deferred transaction on a WAL
// reader; PostgreSQL: REPEATABLE READ READ ONLY).
func (d *DB) Read(ctx context.Context, fn func(ledger.ReadTx) error) error {
	opts := &sql.TxOptions{}
	if d.dialect == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := d.r.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("store: begin read: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	return fn(&ltx{d: d, tx: tx})
}
