package audit_test

import (
	"context"
	"errors"
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
