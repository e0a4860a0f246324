package audit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/store"
)

// Append records, then verify the chain; a row deleted behind the log's back is named.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "audit-example")
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "audit.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	log, err := audit.New(ctx, audit.Config{Store: db})
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	for _, result := range []string{"ok", "ok", "rate_limited", "ok"} {
		r, err := log.Append(ctx, audit.Record{At: at, Actor: "u-alice", Action: "balance.query", Account: "w-alice", IP: "192.0.2.1", Result: result})
		if err != nil {
			panic(err)
		}
		fmt.Println(r.String())
	}
	_ = log.Close()

	rp, _ := audit.Verify(ctx, db, audit.VerifyOptions{})
	fmt.Println("ok:", rp.OK())

	_, _ = db.SQL().Exec(`DELETE FROM audit_log WHERE seq = 3`) // an insider hides the refusal
	rp, _ = audit.Verify(ctx, db, audit.VerifyOptions{})
	first, _ := rp.First()
	fmt.Println(first)
	// Output:
	// #1 2026-12-06T09:00:00Z u-alice balance.query w-alice from 192.0.2.1: ok
	// #2 2026-12-06T09:00:00Z u-alice balance.query w-alice from 192.0.2.1: ok
	// #3 2026-12-06T09:00:00Z u-alice balance.query w-alice from 192.0.2.1: rate_limited
	// #4 2026-12-06T09:00:00Z u-alice balance.query w-alice from 192.0.2.1: ok
	// ok: true
	// record 3: missing: record 3 is missing (deleted); record 4 follows record 2
}
