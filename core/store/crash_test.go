package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// envCrashDSN tells the re-executed test binary to act as the writer that gets killed.
const envCrashDSN = "TONGDAO_TEST_CRASH_DSN"

// TestHelperProcess is the child of TestCrash_KilledWriterLeavesAVerifiableLedger: it posts
// forever from 16 goroutines and prints each acknowledged key.
func TestHelperProcess(t *testing.T) {
	dsn := os.Getenv(envCrashDSN)
	if dsn == "" {
		t.Skip("helper process for the crash test")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	l, err := ledger.New(ledger.Config{Store: db, Clock: clock.NewVirtual(start), MaxBatch: 32})
	if err != nil {
		os.Exit(3)
	}
	b := books{hot: 1, fees: 2, merchants: []ledger.AccountID{3, 4}}
	var next atomic.Int64
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := next.Add(1)
				key := fmt.Sprintf("k-%d", k)
				if _, err := l.Post(ctx, b.payment(key, int(k), 100)); err != nil {
					fmt.Fprintln(os.Stderr, key, err)
					os.Exit(4)
				}
				mu.Lock()
				fmt.Fprintln(out, "ok", key)
				_ = out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestCrash_KilledWriterLeavesAVerifiableLedger(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		l := openLedger(t, db, clock.NewVirtual(start))
		b := setupBooks(t, l, 2)
		if b.hot != 1 || b.fees != 2 || b.merchants[0] != 3 || b.merchants[1] != 4 {
			t.Fatalf("unexpected account ids %+v", b)
		}
		_ = l.Close()

		cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(cctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), envCrashDSN+"="+dsn)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := map[string]bool{}
		sc := bufio.NewScanner(stdout)
		for sc.Scan() && len(acked) < 400 {
			if k, ok := strings.CutPrefix(sc.Text(), "ok "); ok {
				acked[k] = true
			}
		}
		// SIGKILL mid-write: the child is still posting from 16 goroutines.
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if len(acked) < 400 {
			t.Fatalf("child acknowledged only %d keys; stderr: %s", len(acked), stderr.String())
		}

		db2 := storetest.Open(t, dsn)
		l2 := openLedger(t, db2, clock.NewVirtual(start))
		rep, err := l2.Verify(ctx, ledger.VerifyOptions{})
		if err != nil || !rep.OK() {
			t.Fatalf("verify after kill: %v %+v", err, rep)
		}
		var dups int
		if err := db2.SQL().QueryRow(`SELECT COUNT(*) FROM (SELECT idem_key FROM entries GROUP BY idem_key HAVING COUNT(*) > 1) d`).Scan(&dups); err != nil || dups != 0 {
			t.Fatalf("keys applied more than once: %d (%v)", dups, err)
		}
		// Every acknowledged key survived; retrying every key the child may have tried
		// applies each at most once.
		applied := rep.Entries
		maxKey := int64(len(acked)) + 1000
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := next.Add(1); k <= maxKey; k = next.Add(1) {
					key := fmt.Sprintf("k-%d", k)
					e, err := l2.Post(ctx, b.payment(key, int(k), 100))
					if err != nil {
						errs <- fmt.Errorf("retry %s: %w", key, err)
						return
					}
					if acked[key] && e.Seq > rep.Head {
						errs <- fmt.Errorf("acknowledged key %s was lost: re-applied as entry %d after head %d", key, e.Seq, rep.Head)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		rep2, err := l2.Verify(ctx, ledger.VerifyOptions{})
		if err != nil || !rep2.OK() || rep2.Entries != maxKey {
			t.Fatalf("after retries: entries %d (had %d), want %d: %v %+v", rep2.Entries, applied, maxKey, err, rep2.Checks)
		}
		bal, _ := l2.Balance(ctx, b.hot)
		if bal.Posted.Minor() != 99*maxKey {
			t.Fatalf("hot balance %s, want %d", bal.Posted, 99*maxKey)
		}
	})
}
