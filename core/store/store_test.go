package store_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

func TestOpen_RejectsUnknownDSNs(t *testing.T) {
	for _, dsn := range []string{"", "mysql://x", "sqlite:", "postgres"} {
		if _, err := store.Open(context.Background(), dsn); err == nil || !strings.Contains(err.Error(), "dsn") {
			t.Errorf("Open(%q) = %v, want a dsn error", dsn, err)
		}
	}
}

func TestOpen_RedactsPasswordsInErrors(t *testing.T) {
	_, err := store.Open(context.Background(), "postgres://u:secret@127.0.0.1:1/x?connect_timeout=1")
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("err = %v", err)
	}
}

func TestOpen_MigrationsApplyOnceAndDataSurvivesReopen(t *testing.T) {
	dsn := storetest.SQLiteDSN(t)
	db := storetest.Open(t, dsn)
	l := openLedger(t, db, clock.NewVirtual(start))
	b := setupBooks(t, l, 1)
	if _, err := l.Post(context.Background(), b.payment("k", 0, 500)); err != nil {
		t.Fatal(err)
	}
	_ = l.Close()
	_ = db.Close()
	db2 := storetest.Open(t, dsn)
	files, err := os.ReadDir("migrations/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db2.SQL().QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
		t.Fatalf("migrations recorded %d, want one per file (%d) (%v)", n, len(files), err)
	}
	l2 := openLedger(t, db2, clock.NewVirtual(start))
	bal, err := l2.Balance(context.Background(), b.hot)
	if err != nil || bal.Posted.Minor() != 499 {
		t.Fatalf("after reopen: %+v %v", bal, err)
	}
}

func TestOpen_MemoryDatabasesArePrivate(t *testing.T) {
	a := storetest.Open(t, "sqlite::memory:")
	b := storetest.Open(t, "sqlite::memory:")
	if _, err := a.SQL().Exec(`INSERT INTO chart (code, parent, name, type, normal) VALUES ('1', '', 'x', 'asset', 'D')`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.SQL().QueryRow(`SELECT COUNT(*) FROM chart`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("second memory db sees %d rows (%v)", n, err)
	}
}
