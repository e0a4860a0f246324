package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestSQLiteDSN_SyncOption(t *testing.T) {
	tests := []struct {
		in, path, sync, err string
	}{
		{in: "tongdao.db", path: "tongdao.db", sync: "FULL"},
		{in: "/var/lib/t.db?sync=normal", path: "/var/lib/t.db", sync: "NORMAL"},
		{in: "t.db?sync=FULL", path: "t.db", sync: "FULL"},
		{in: ":memory:", path: ":memory:", sync: "FULL"},
		{in: "", err: "empty sqlite path"},
		{in: "t.db?sync=off", err: `sync="off"`},
		{in: "t.db?journal=delete", err: `unknown sqlite option "journal"`},
	}
	for _, tc := range tests {
		path, sync, err := sqliteDSN(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("sqliteDSN(%q) error = %v, want one mentioning %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || path != tc.path || sync != tc.sync {
			t.Errorf("sqliteDSN(%q) = %q, %q, %v; want %q, %q", tc.in, path, sync, err, tc.path, tc.sync)
		}
	}
}

func TestOpen_SQLiteRunsWithTheRequestedSynchronousMode(t *testing.T) {
	for dsnSuffix, want := range map[string]int{"": 2, "?sync=normal": 1} { // PRAGMA synchronous: 1 NORMAL, 2 FULL
		db, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "l.db")+dsnSuffix)
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := db.w.QueryRowContext(context.Background(), "PRAGMA synchronous").Scan(&got); err != nil {
			t.Fatal(err)
		}
		_ = db.Close()
		if got != want {
			t.Errorf("dsn suffix %q: PRAGMA synchronous = %d, want %d", dsnSuffix, got, want)
		}
	}
}
