package scenarios

import (
	"context"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/simulator"
)

// recordsOnly is a simDriver that only answers Records.
type recordsOnly struct {
	simDriver
	recs []simulator.Record
}

func (f recordsOnly) Records(_ context.Context, flt simulator.RecordFilter) ([]simulator.Record, error) {
	var out []simulator.Record
	for _, r := range f.recs {
		if (flt.Kind == "" || r.Kind == flt.Kind) && (flt.OutTradeNo == "" || r.OutTradeNo == flt.OutTradeNo) && r.Seq > flt.AfterSeq {
			out = append(out, r)
		}
	}
	return out, nil
}

// eightAttemptsAndGiveUp is what the simulator records for an Alipay callback never
// acknowledged: 8 attempts, then the "schedule exhausted" note (simulator/callback.go).
func eightAttemptsAndGiveUp() []simulator.Record {
	var recs []simulator.Record
	for i := 1; i <= 8; i++ {
		recs = append(recs, simulator.Record{Seq: int64(i), Kind: simulator.RecordCallback, Channel: "alipay", Op: "payment",
			OutTradeNo: "A1", Method: "POST", Status: 500, Attempt: i})
	}
	return append(recs, simulator.Record{Seq: 9, Kind: simulator.RecordCallback, Channel: "alipay", Op: "payment",
		OutTradeNo: "A1", Attempt: 8, Note: "callback d1: schedule exhausted, giving up"})
}

func TestRecords_CallbackCountLeavesOutTheGiveUpNote(t *testing.T) {
	r := &run{drv: recordsOnly{recs: eightAttemptsAndGiveUp()}}
	eight, nine := 8, 9
	if err := r.checkRecords(context.Background(), &RecordExpect{Kind: "callback", Order: "A1", Count: &eight}); err != nil {
		t.Errorf("8 attempts: %v", err)
	}
	if err := r.checkRecords(context.Background(), &RecordExpect{Kind: "callback", Order: "A1", Count: &nine}); err == nil || !strings.Contains(err.Error(), "got 8") {
		t.Errorf("9 attempts accepted: %v", err)
	}
}

func TestTranscript_GiveUpAndDuplicateCopiesAreLabelled(t *testing.T) {
	recs := eightAttemptsAndGiveUp()[7:]
	for i := 0; i < 3; i++ {
		recs = append(recs, simulator.Record{Seq: int64(10 + i), Kind: simulator.RecordCallback, Channel: "alipay", Op: "payment",
			OutTradeNo: "A1", Method: "POST", Status: 200, Acked: true, Attempt: 1, Faults: []string{"duplicate_callbacks:f1"}})
	}
	r := &run{drv: recordsOnly{recs: recs}}
	r.copyRecords(context.Background())
	got := strings.Join(r.res.Transcript, "\n")
	for _, want := range []string{
		"attempt=8 status=500",
		"(callback d1: schedule exhausted, giving up) gave_up_after=8",
		"faults=duplicate_callbacks:f1 duplicate_copy=1 of_attempt=1",
		"faults=duplicate_callbacks:f1 duplicate_copy=2 of_attempt=1",
		"faults=duplicate_callbacks:f1 duplicate_copy=3 of_attempt=1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("transcript lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "attempt=1 ") != 0 {
		t.Errorf("duplicate copies still read attempt=1:\n%s", got)
	}
}
