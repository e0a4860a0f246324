package audit_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

var t0 = time.Date(2026, 12, 6, 8, 0, 0, 123456789, time.UTC)

func rec(i int) audit.Record {
	return audit.Record{At: t0.Add(time.Duration(i) * time.Millisecond), Actor: fmt.Sprintf("u%d", i%7), Action: "balance.query",
		Account: fmt.Sprintf("acct-%d", i%3), IP: "203.0.113.9", Result: "ok"}
}

func openLog(t *testing.T, dsn string) (*audit.Log, *store.DB) {
	t.Helper()
	db := storetest.Open(t, dsn)
	l, err := audit.New(context.Background(), audit.Config{Store: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l, db
}

// fill appends n records from n goroutines at once, so they are group-committed.
func fill(t *testing.T, l *audit.Log, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := l.Append(context.Background(), rec(i)); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestLog_ConcurrentAppendsFormOneGaplessChain(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		l, db := openLog(t, dsn)
		// Verify while the log is being appended to: it reads one snapshot, so it is clean.
		done := make(chan error, 1)
		go func() {
			for i := 0; i < 5; i++ {
				rp, err := audit.Verify(ctx, db, audit.VerifyOptions{})
				if err == nil && !rp.OK() {
					err = fmt.Errorf("verify during appends: %v", rp.Problems)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		fill(t, l, 300)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		r, err := l.Append(ctx, rec(1000))
		if err != nil {
			t.Fatal(err)
		}
		if r.Seq != 301 || len(r.Hash) != 32 {
			t.Fatalf("last append: seq %d hash %x, want seq 301", r.Seq, r.Hash)
		}
		rp, err := audit.Verify(ctx, db, audit.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !rp.OK() || rp.Records != 301 || rp.Head.Seq != 301 {
			t.Fatalf("verify: records %d head %d problems %v", rp.Records, rp.Head.Seq, rp.Problems)
		}
		// The record read back is the record appended, nanoseconds included.
		var got *audit.Record
		if err := db.AuditRecords(ctx, audit.Filter{After: 300}, func(x *audit.Record) error { got = x; return nil }); err != nil {
			t.Fatal(err)
		}
		if got == nil || !got.At.Equal(r.At) || got.Actor != r.Actor || got.Account != r.Account || got.IP != r.IP || string(got.Hash) != string(r.Hash) {
			t.Fatalf("read back %+v, appended %+v", got, r)
		}
		// A second Log on the same database continues the chain where the first left it.
		l2, err := audit.New(ctx, audit.Config{Store: db})
		if err != nil {
			t.Fatal(err)
		}
		defer l2.Close()
		r2, err := l2.Append(ctx, rec(1001))
		if err != nil || r2.Seq != 302 || string(r2.PrevHash) != string(r.Hash) {
			t.Fatalf("second log: seq %d prev %x err %v; want 302 after %x", r2.Seq, r2.PrevHash, err, r.Hash)
		}
	})
}

func TestLog_TwoWritersOnOneDatabaseKeepOneChain(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		la, db := openLog(t, dsn)
		lb, err := audit.New(ctx, audit.Config{Store: storetest.Open(t, dsn)})
		if err != nil {
			t.Fatal(err)
		}
		defer lb.Close()
		var wg sync.WaitGroup
		for _, l := range []*audit.Log{la, lb} {
			wg.Add(1)
			go func(l *audit.Log) {
				defer wg.Done()
				fill(t, l, 60)
			}(l)
		}
		wg.Wait()
		rp, err := audit.Verify(ctx, db, audit.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !rp.OK() || rp.Records != 120 {
			t.Fatalf("verify: records %d problems %v", rp.Records, rp.Problems)
		}
	})
}

func TestAppend_InvalidRecordWritesNothing(t *testing.T) {
	l, db := openLog(t, storetest.SQLiteDSN(t))
	ctx := context.Background()
	long := strings.Repeat("x", audit.MaxField+1)
	for _, tc := range []struct {
		name string
		edit func(*audit.Record)
		want string
	}{
		{"no actor", func(r *audit.Record) { r.Actor = "" }, "actor is empty"},
		{"no action", func(r *audit.Record) { r.Action = "" }, "action is empty"},
		{"no result", func(r *audit.Record) { r.Result = "" }, "result is empty"},
		{"no time", func(r *audit.Record) { r.At = time.Time{} }, "at is zero"},
		{"long account", func(r *audit.Record) { r.Account = long }, "account is 257 bytes"},
		{"newline in ip", func(r *audit.Record) { r.IP = "1.2.3.4\nforged line" }, "ip has invalid"},
		{"bad utf-8", func(r *audit.Record) { r.Actor = "\xff" }, "actor has invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rec(1)
			tc.edit(&r)
			_, err := l.Append(ctx, r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
	h, err := db.AuditHead(ctx)
	if err != nil || h.Seq != 0 {
		t.Fatalf("head after refused records: %+v %v", h, err)
	}
}
