package audit_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

const envKillDSN = "TONGDAO_AUDIT_KILL_DSN"

// TestKillChild is the process TestLog_SIGKILLLosesNoAcknowledgedRecord kills: 16
// goroutines append until killed, printing "ack SEQ" for every record Append returned.
func TestKillChild(t *testing.T) {
	dsn := os.Getenv(envKillDSN)
	if dsn == "" {
		t.Skip("run by TestLog_SIGKILLLosesNoAcknowledgedRecord")
	}
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.New(context.Background(), audit.Config{Store: db})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				r, err := l.Append(context.Background(), rec(w*1_000_000+i))
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					return
				}
				mu.Lock()
				fmt.Fprintf(out, "ack %d\n", r.Seq)
				_ = out.Flush()
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
}

// TestLog_SIGKILLLosesNoAcknowledgedRecord kills an appending process three times; after
// each kill the log verifies, and every record an Append returned is in it.
func TestLog_SIGKILLLosesNoAcknowledgedRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dsn := storetest.SQLiteDSN(t)
	var maxAck int64
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), envKillDSN+"="+dsn)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		acks := 0
		for sc.Scan() {
			seq, ok := strings.CutPrefix(sc.Text(), "ack ")
			if !ok {
				continue
			}
			n, err := strconv.ParseInt(seq, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			maxAck = max(maxAck, n)
			if acks++; acks == 200 {
				_ = cmd.Process.Kill() // SIGKILL, mid-commit or not
				break
			}
		}
		_ = cmd.Wait()
		if acks < 200 {
			t.Fatalf("round %d: the child acknowledged only %d records", round, acks)
		}
		db := storetest.Open(t, dsn)
		rp, err := audit.Verify(context.Background(), db, audit.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !rp.OK() || rp.Head.Seq < maxAck {
			t.Fatalf("round %d after SIGKILL: head %d, highest acknowledged %d, problems %v", round, rp.Head.Seq, maxAck, rp.Problems)
		}
		_ = db.Close()
	}
}
