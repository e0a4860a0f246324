package audit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// flaky wraps a real store; the next AppendAudit fails as told.
type flaky struct {
	audit.Store
	fail string // "after": commits, then reports an error (answer lost); "before": writes nothing
}

func (f *flaky) AppendAudit(ctx context.Context, from audit.Head, recs []*audit.Record) error {
	mode := f.fail
	f.fail = ""
	switch mode {
	case "before":
		return errors.New("connection reset")
	case "after":
		if err := f.Store.AppendAudit(ctx, from, recs); err != nil {
			return err
		}
		return errors.New("commit answer lost")
	}
	return f.Store.AppendAudit(ctx, from, recs)
}

func TestLog_FailedCommitsNeitherLoseNorInventRecords(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, storetest.SQLiteDSN(t))
	fs := &flaky{Store: db}
	l, err := audit.New(ctx, audit.Config{Store: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	steps := []struct {
		fail    string
		wantErr bool
		wantSeq int64
	}{
		{"", false, 1},
		{"after", false, 2}, // committed though the answer was lost: reported as stored
		{"before", true, 0}, // not stored: reported as failed, and the chain does not move
		{"", false, 3},
	}
	for i, s := range steps {
		fs.fail = s.fail
		r, err := l.Append(ctx, rec(i))
		if (err != nil) != s.wantErr || r.Seq != s.wantSeq {
			t.Fatalf("step %d (%q): seq %d err %v; want seq %d, error %v", i, s.fail, r.Seq, err, s.wantSeq, s.wantErr)
		}
	}
	rp, err := audit.Verify(ctx, db, audit.VerifyOptions{})
	if err != nil || !rp.OK() || rp.Records != 3 {
		t.Fatalf("verify: %d records, %v %v", rp.Records, rp.Problems, err)
	}
}

func TestLog_CloseWritesWhatWasQueuedThenRefuses(t *testing.T) {
	ctx := context.Background()
	l, db := openLog(t, storetest.SQLiteDSN(t))
	fill(t, l, 20)
	_ = l.Close()
	if _, err := l.Append(ctx, rec(1)); !errors.Is(err, audit.ErrClosed) {
		t.Fatalf("append after close: %v, want ErrClosed", err)
	}
	if h, _ := db.AuditHead(ctx); h.Seq != 20 {
		t.Fatalf("head %d, want 20", h.Seq)
	}
}

// TestLog_CloseDuringAppendsLeavesNoCallerWaiting: every Append racing with Close returns,
// stored or ErrClosed, and what it reported stored is in the log.
func TestLog_CloseDuringAppendsLeavesNoCallerWaiting(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, storetest.SQLiteDSN(t)+"?sync=normal")
	var stored atomic.Int64 // acknowledged over all rounds
	for round := 0; round < 5; round++ {
		l, err := audit.New(ctx, audit.Config{Store: db})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		started := make(chan struct{})
		for w := 0; w < 32; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; ; i++ {
					if w == 0 && i == 10 {
						close(started)
					}
					if _, err := l.Append(ctx, rec(i)); errors.Is(err, audit.ErrClosed) {
						return
					} else if err != nil {
						t.Error(err)
						return
					}
					stored.Add(1)
				}
			}(w)
		}
		<-started
		_ = l.Close()
		wg.Wait() // hangs (and the test times out) if a queued record was never answered
		rp, err := audit.Verify(ctx, db, audit.VerifyOptions{})
		if err != nil || !rp.OK() {
			t.Fatalf("round %d: %v %v", round, rp.Problems, err)
		}
		if rp.Records < stored.Load() {
			t.Fatalf("round %d: %d records stored, %d acknowledged", round, rp.Records, stored.Load())
		}
	}
}
