package audit_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// sqlExec runs SQL written with ? placeholders on db, as an insider with database access would.
func sqlExec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if db.Dialect() == store.Postgres {
		n := 0
		var b strings.Builder
		for _, c := range q {
			if c == '?' {
				n++
				b.WriteString("$" + string(rune('0'+n)))
				continue
			}
			b.WriteRune(c)
		}
		q = b.String()
	}
	if _, err := db.SQL().Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestVerify_NamesTheFirstTamperedRecord(t *testing.T) {
	// Each case tampers with a log of 20 records behind the log's back; Verify must name the
	// first record that cannot be trusted, and the kind of change.
	tests := []struct {
		name     string
		tamper   func(t *testing.T, db *store.DB)
		anchor   bool // verify with the head exported before tampering
		wantSeq  int64
		wantKind string
		wantText string
	}{
		{"edit a row's result", func(t *testing.T, db *store.DB) {
			sqlExec(t, db, `UPDATE audit_log SET result = 'ok' , actor = 'someone-else' WHERE seq = 7`)
		}, false, 7, audit.Edited, "was edited"},
		{"edit a row and recompute its hash", func(t *testing.T, db *store.DB) {
			rewrite(t, db, 9, func(r *audit.Record) { r.IP = "198.51.100.1" })
		}, false, 9, audit.Broken, "record 9 was rewritten"},
		{"delete a row", func(t *testing.T, db *store.DB) {
			sqlExec(t, db, `DELETE FROM audit_log WHERE seq = 12`)
		}, false, 12, audit.Missing, "record 12 is missing"},
		{"delete three rows", func(t *testing.T, db *store.DB) {
			sqlExec(t, db, `DELETE FROM audit_log WHERE seq BETWEEN 4 AND 6`)
		}, false, 4, audit.Missing, "records 4–6 are missing"},
		{"swap two rows", func(t *testing.T, db *store.DB) {
			sqlExec(t, db, `UPDATE audit_log SET seq = -1 WHERE seq = 5`)
			sqlExec(t, db, `UPDATE audit_log SET seq = 5 WHERE seq = 11`)
			sqlExec(t, db, `UPDATE audit_log SET seq = 11 WHERE seq = -1`)
		}, false, 5, audit.Reordered, "record 11 moved here"},
		{"truncate the tail", func(t *testing.T, db *store.DB) {
			sqlExec(t, db, `DELETE FROM audit_log WHERE seq > 16`)
		}, false, 17, audit.Truncated, "ends at record 20, the last record is 16"},
		{"truncate the tail and move the head back", func(t *testing.T, db *store.DB) {
			var h []byte
			if err := db.SQL().QueryRow(`SELECT hash FROM audit_log WHERE seq = 16`).Scan(&h); err != nil {
				t.Fatal(err)
			}
			sqlExec(t, db, `DELETE FROM audit_log WHERE seq > 16`)
			sqlExec(t, db, `UPDATE audit_head SET seq = 16, hash = ? WHERE id = 1`, h)
		}, true, 20, audit.Anchor, "the tail was cut off"},
		{"delete the head row", func(t *testing.T, db *store.DB) {
			sqlExec(t, db, `DELETE FROM audit_head`)
		}, false, 21, audit.Unheaded, "head row is missing"},
		{"append behind the log's back", func(t *testing.T, db *store.DB) {
			var last *audit.Record
			if err := db.AuditRecords(context.Background(), audit.Filter{Newest: true, Limit: 1}, func(x *audit.Record) error { last = x; return nil }); err != nil {
				t.Fatal(err)
			}
			r := rec(21)
			r.Seq, r.PrevHash = 21, last.Hash
			r.Hash = audit.Hash(&r)
			sqlExec(t, db, `INSERT INTO audit_log (seq, at, actor, action, account, ip, result, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				r.Seq, r.At.UnixNano(), r.Actor, r.Action, r.Account, r.IP, r.Result, r.PrevHash, r.Hash)
		}, false, 21, audit.Unheaded, "written behind the log's back"},
	}
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		if strings.HasPrefix(dsn, "sqlite:") {
			dsn += "?sync=normal" // these tests tamper with the file, they do not cut the power
		}
		db := storetest.Open(t, dsn)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				// A fresh log in the same database: faster than migrating a new one per case.
				sqlExec(t, db, `DELETE FROM audit_log`)
				sqlExec(t, db, `DELETE FROM audit_head`)
				sqlExec(t, db, `INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, ?)`, audit.Zero())
				l, err := audit.New(ctx, audit.Config{Store: db})
				if err != nil {
					t.Fatal(err)
				}
				fill(t, l, 20)
				_ = l.Close()
				exported, err := db.AuditHead(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if rp, err := audit.Verify(ctx, db, audit.VerifyOptions{Anchors: []audit.Head{exported}}); err != nil || !rp.OK() {
					t.Fatalf("before tampering: %v %v", rp.Problems, err)
				}
				tc.tamper(t, db)
				var opts audit.VerifyOptions
				if tc.anchor {
					opts.Anchors = []audit.Head{exported}
				} else if rp, err := audit.Verify(ctx, db, opts); err != nil || rp.OK() {
					t.Fatalf("without anchor, tampering not caught: %v", err)
				}
				rp, err := audit.Verify(ctx, db, opts)
				if err != nil {
					t.Fatal(err)
				}
				first, ok := rp.First()
				if !ok {
					t.Fatal("tampering not caught")
				}
				if first.Seq != tc.wantSeq || first.Kind != tc.wantKind || !strings.Contains(first.Message, tc.wantText) {
					t.Fatalf("first problem %v, want record %d %s %q; all: %v", first, tc.wantSeq, tc.wantKind, tc.wantText, rp.Problems)
				}
			})
		}
	})
}

// rewrite edits record seq and stores it with a recomputed hash, as an insider who knows the
// hash function would.
func rewrite(t *testing.T, db *store.DB, seq int64, edit func(*audit.Record)) {
	t.Helper()
	var r *audit.Record
	if err := db.AuditRecords(context.Background(), audit.Filter{After: seq - 1, Limit: 1}, func(x *audit.Record) error { r = x; return nil }); err != nil || r == nil {
		t.Fatalf("read record %d: %v", seq, err)
	}
	edit(r)
	r.Hash = audit.Hash(r)
	sqlExec(t, db, `UPDATE audit_log SET ip = ?, hash = ? WHERE seq = ?`, r.IP, r.Hash, seq)
}
