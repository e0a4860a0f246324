package scenarios

import (
	"context"
	"fmt"

	"github.com/tongdao/tongdao/simulator"
)

// waitAcks advances the clock from one due timer to the next until the simulator has
// recorded count acknowledged callbacks (for the order), or `within` has passed: the
// merchant's side of notifications, whatever the target.
func (r *run) waitAcks(ctx context.Context, st *Step) (outcome, error) {
	if err := r.flush(ctx); err != nil {
		return outcome{}, err
	}
	deadline := r.now(ctx).Add(st.Duration)
	count := func() (int, error) {
		recs, err := r.drv.Records(ctx, simulator.RecordFilter{Channel: st.Channel, OutTradeNo: st.Order, Kind: simulator.RecordCallback})
		if err != nil {
			return 0, err
		}
		n := 0
		for i := range recs {
			// A forged or tampered attempt's acknowledgement is the merchant's mistake, not
			// an acknowledgement of the notification.
			if recs[i].Acked && (st.NotifyOf == "" || recs[i].Op == string(st.NotifyOf)) &&
				!hasFault(recs[i].Faults, string(simulator.FaultForgedCallback)) && !hasFault(recs[i].Faults, string(simulator.FaultTamperedCallback)) {
				n++
			}
		}
		return n, nil
	}
	const maxSteps = 100_000
	for i := 0; i < maxSteps; i++ {
		n, err := count()
		if err != nil {
			return outcome{}, err
		}
		if n >= st.Count {
			return outcome{summary: fmt.Sprintf("%d acknowledged callback(s) by %s", n, fmtTime(r.now(ctx)))}, nil
		}
		if err := ctx.Err(); err != nil {
			return outcome{}, err
		}
		next, ok, err := r.drv.NextDue(ctx)
		if err != nil {
			return outcome{}, fmt.Errorf("wait_acks: %w", err)
		}
		if !ok || next.After(deadline) {
			if err := r.drv.SetTime(ctx, deadline); err != nil {
				return outcome{}, err
			}
			_ = r.syncClock(ctx)
			if n, _ = count(); n >= st.Count {
				continue
			}
			what := st.Channel + " callback(s)"
			if st.Order != "" {
				what += " for order " + st.Order
			}
			return outcome{}, fmt.Errorf("wait_acks: %d of %d %s acknowledged by the merchant within %s (until %s)", n, st.Count, what, st.Duration, fmtTime(deadline))
		}
		if next.After(r.now(ctx)) {
			if err := r.drv.SetTime(ctx, next); err != nil {
				return outcome{}, err
			}
		} else if err := r.drv.Advance(ctx, 0); err != nil {
			return outcome{}, err
		}
		_ = r.syncClock(ctx)
	}
	return outcome{}, fmt.Errorf("wait_acks: the simulator kept scheduling timers (%d clock steps) without the acknowledgements", maxSteps)
}

// copyHooks appends the webhooks the merchant endpoint received since the last copy.
func (r *run) copyHooks() {
	if r.tgt == nil || r.tgt.hooks == nil {
		return
	}
	all := r.tgt.hooks.all()
	for i := r.tgt.hooksSeen; i < len(all); i++ {
		r.logf("  [%s] %s", fmtTime(all[i].Time), fmtHook(&all[i]))
	}
	r.tgt.hooksSeen = len(all)
}
