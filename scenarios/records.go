package scenarios

import (
	"fmt"
	"strings"

	"github.com/tongdao/tongdao/simulator"
)

// isGiveUp reports whether rec is the simulator's note that a callback's retry schedule
// ran out: a callback record that is not an attempt (nothing was sent), so it is not
// counted by `records: {kind: callback}` and shows as "gave up" in transcripts.
func isGiveUp(rec *simulator.Record) bool {
	return rec.Kind == simulator.RecordCallback && rec.Method == "" && rec.Status == 0 &&
		strings.Contains(rec.Note, "schedule exhausted")
}

// isDuplicateCopy reports whether rec is an extra copy sent by a duplicate_callbacks plan
// (the simulator numbers every copy as attempt 1 of its own delivery).
func isDuplicateCopy(rec *simulator.Record) bool {
	return rec.Kind == simulator.RecordCallback && hasFault(rec.Faults, string(simulator.FaultDuplicateCallbacks))
}

// recordLine renders a record for the transcript: fmtRecord, except that the give-up
// note is not dressed as another attempt and duplicate copies are numbered per order
// ("duplicate copy 2 of attempt 1") instead of all reading attempt=1.
func (r *run) recordLine(rec *simulator.Record) string {
	switch {
	case isGiveUp(rec):
		c := *rec
		c.Attempt = 0
		return fmt.Sprintf("%s gave_up_after=%d", fmtRecord(&c), rec.Attempt)
	case isDuplicateCopy(rec):
		if r.dupCopies == nil {
			r.dupCopies = map[string]int{}
		}
		key := rec.Channel + "\x00" + rec.Merchant + "\x00" + rec.Op + "\x00" + rec.OutTradeNo
		r.dupCopies[key]++
		c := *rec
		c.Attempt = 0
		return fmt.Sprintf("%s duplicate_copy=%d of_attempt=%d", fmtRecord(&c), r.dupCopies[key], rec.Attempt)
	}
	return fmtRecord(rec)
}
