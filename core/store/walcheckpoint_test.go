package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestWALCheckpointOption(t *testing.T) {
	for _, tc := range []struct {
		in   string
		bg   bool
		err  string
		sync string
	}{
		{in: "t.db", bg: false, sync: "FULL"},
		{in: "t.db?checkpoint=auto", bg: false, sync: "FULL"},
		{in: "t.db?checkpoint=background", bg: true, sync: "FULL"},
		{in: "t.db?sync=normal&checkpoint=BACKGROUND", bg: true, sync: "NORMAL"},
		{in: "t.db?checkpoint=never", err: `checkpoint="never"`},
	} {
		bg, err := walCheckpointOption(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("walCheckpointOption(%q) error %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		_, sync, serr := sqliteDSN(tc.in)
		if err != nil || serr != nil || bg != tc.bg || sync != tc.sync {
			t.Errorf("%q: background %v sync %q (%v, %v); want %v %q", tc.in, bg, sync, err, serr, tc.bg, tc.sync)
		}
	}
}

func TestOpen_BackgroundCheckpointTurnsOffTheWritersCheckpoints(t *testing.T) {
	for suffix, want := range map[string]int{"": 1000, "?checkpoint=background": 0} {
		db, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "w.db")+suffix)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.w.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&n); err != nil || n != want {
			t.Errorf("%q: writer's wal_autocheckpoint %d (%v), want %d", suffix, n, err, want)
		}
		if (db.wal != nil) != (want == 0) {
			t.Errorf("%q: checkpointer running %v", suffix, db.wal != nil)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
