package scenarios

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
)

// fail records a failing expectation. The first is Result.Failure; every one (the
// first included) is in Result.Failures.
func (r *run) fail(pos Pos, step int, msg string) {
	r.logf("FAILED: %s", msg)
	r.res.Failures = append(r.res.Failures, Failure{Pos: pos, Step: step, Message: msg})
	if r.res.Failure == nil {
		r.res.Failure = &Failure{Pos: pos, Step: step, Message: msg}
	}
}

func (r *run) logf(format string, args ...any) {
	r.res.Transcript = append(r.res.Transcript, fmt.Sprintf(format, args...))
}

// finish copies the remaining simulator records and cuts the excerpt.
func (r *run) finish() Result {
	if r.drv != nil {
		r.copyRecords(context.Background())
		r.noteIdleFaults(context.Background())
	}
	if f := r.res.Failure; f != nil {
		from := 0
		if n := len(r.stepStart); n > 0 {
			i := n - 3 // the failing step and the two before it
			if i < 0 {
				i = 0
			}
			from = r.stepStart[i]
		}
		ex := r.res.Transcript[from:]
		const maxExcerpt = 40
		if len(ex) > maxExcerpt {
			ex = append(append([]string(nil), ex[:maxExcerpt/2]...), append([]string{"…"}, ex[len(ex)-maxExcerpt/2:]...)...)
		}
		f.Excerpt = ex
	}
	if r.teardown != nil {
		r.teardown()
		r.teardown = nil
	}
	return r.res
}

// noteIdleFaults adds a transcript line for every fault plan that never acted: usually a
// misspelt op or order number, which would otherwise make a scenario pass for the wrong
// reason.
func (r *run) noteIdleFaults(ctx context.Context) {
	if len(r.faults) == 0 {
		return
	}
	recs, err := r.drv.Records(ctx, simulator.RecordFilter{})
	if err != nil {
		return
	}
	acted := map[string]bool{}
	for i := range recs {
		for _, tag := range recs[i].Faults {
			if _, id, ok := strings.Cut(tag, ":"); ok {
				acted[id] = true
			}
		}
	}
	for _, f := range r.faults {
		if !acted[f.id] {
			r.logf("note: fault plan %s of step %d (%s) never acted", f.id, f.step, f.desc)
		}
	}
}

// copyRecords appends the simulator records made since the last copy to the transcript.
func (r *run) copyRecords(ctx context.Context) {
	defer r.copyHooks()
	recs, err := r.drv.Records(ctx, simulator.RecordFilter{AfterSeq: r.lastSeq})
	if err != nil {
		r.logf("  (simulator records unavailable: %v)", err)
		return
	}
	for i := range recs {
		r.logf("  %s", r.recordLine(&recs[i]))
		r.lastSeq = recs[i].Seq
	}
}

func fmtTime(t time.Time) string { return t.In(clock.Beijing()).Format("2006-01-02 15:04:05") }

// fmtRecord renders a simulator record on one line, without bodies.
func fmtRecord(rec *simulator.Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "sim#%d %s %s", rec.Seq, rec.Time.In(clock.Beijing()).Format("15:04:05"), rec.Kind)
	for _, s := range []string{rec.Channel, rec.Op, rec.OutTradeNo} {
		if s != "" {
			b.WriteString(" ")
			b.WriteString(s)
		}
	}
	if rec.Attempt != 0 {
		fmt.Fprintf(&b, " attempt=%d", rec.Attempt)
	}
	if rec.Status != 0 {
		fmt.Fprintf(&b, " status=%d", rec.Status)
	}
	if rec.Kind == simulator.RecordCallback && rec.Status != 0 {
		fmt.Fprintf(&b, " acked=%t", rec.Acked)
	}
	if len(rec.Faults) > 0 {
		fmt.Fprintf(&b, " faults=%s", strings.Join(rec.Faults, ","))
	}
	if rec.Note != "" {
		fmt.Fprintf(&b, " (%s)", rec.Note)
	}
	if rec.Error != "" {
		fmt.Fprintf(&b, " error=%q", clip(rec.Error, 160))
	}
	return b.String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
