package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/store"
)

func TestAuditCommands_VerifyNamesTamperingAndAnchorsCatchARewrittenTail(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "a.db")
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.New(ctx, audit.Config{Store: db})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 6, 1, 2, 3, 0, time.UTC)
	for i := 0; i < 10; i++ {
		if _, err := l.Append(ctx, audit.Record{At: at, Actor: "u-alice", Action: "balance.query", Account: "w-alice", IP: "192.0.2.1", Result: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	_ = l.Close()
	cli := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(ctx, args, &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := cli("audit", "verify", "--db", dsn); code != 0 || !strings.Contains(out, "10 records") {
		t.Fatalf("verify: %d %s", code, out)
	}
	code, out := cli("audit", "head", "--db", dsn)
	if code != 0 {
		t.Fatalf("head: %d %s", code, out)
	}
	anchors := filepath.Join(dir, "heads.jsonl")
	if err := os.WriteFile(anchors, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := cli("audit", "list", "--db", dsn, "--limit", "2"); code != 0 || strings.Count(out, "\n") != 2 || !strings.HasPrefix(out, "#10 2026-12-06T01:02:03Z u-alice balance.query w-alice from 192.0.2.1: ok") {
		t.Fatalf("list: %d %q", code, out)
	}
	// An insider cuts the tail and moves the head back: only the exported head shows it.
	var h []byte
	if err := db.SQL().QueryRow(`SELECT hash FROM audit_log WHERE seq = 7`).Scan(&h); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`DELETE FROM audit_log WHERE seq > 7`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`UPDATE audit_head SET seq = 7, hash = ?`, h); err != nil {
		t.Fatal(err)
	}
	if code, out := cli("audit", "verify", "--db", dsn); code != 0 {
		t.Fatalf("without the anchor the rewrite is invisible, yet verify said %d %s", code, out)
	}
	if code, out := cli("audit", "verify", "--db", dsn, "--anchor", anchors); code != 1 || !strings.Contains(out, "first untrustworthy record is 10 (anchor)") {
		t.Fatalf("verify --anchor: %d %s", code, out)
	}
	// A deleted row in the middle is named without any anchor.
	if _, err := db.SQL().Exec(`DELETE FROM audit_log WHERE seq = 4`); err != nil {
		t.Fatal(err)
	}
	if code, out := cli("audit", "verify", "--db", dsn); code != 1 || !strings.Contains(out, "first untrustworthy record is 4 (missing)") {
		t.Fatalf("verify after delete: %d %s", code, out)
	}
	if code, out := cli("audit", "verify", "--db", filepath.Join(dir, "nope.db")); code != 2 && code != 1 {
		t.Fatalf("bad dsn: %d %s", code, out)
	}
	_ = db.Close()
}

func TestBalanceLoad_SmallRunAnswersEveryQueryAndVerifies(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"balance", "load", "--rate", "200", "--duration", "1s", "--users", "50", "--workers", "16"}, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "answers map[200:200]") || !strings.Contains(out.String(), "audit verify: 250 records, ok=true") {
		t.Fatalf("balance load: %d\n%s\n%s", code, out.String(), errb.String())
	}
}
