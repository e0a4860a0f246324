package notify

import (
	"context"
	"fmt"
	"time"
)

// Stats are the Notifier's counters (this process, since New) and the outbox's state (all
// processes on the database), for metrics.
type Stats struct {
	Delivered    uint64 // tries the merchant answered 2xx
	Failed       uint64 // failed tries that will be retried
	DeadLettered uint64 // failed last tries
	Skipped      uint64 // deliveries completed without sending (type not sent, no URL)
	Pending      int64  // deliveries not yet done or dead
	Dead         int64  // dead letters waiting for an operator
	// Lag is how long ago the oldest pending event happened (0 when none is pending): the
	// outbox lag.
	Lag time.Duration
}

// Stats returns the counters and reads the outbox's pending and dead counts.
func (n *Notifier) Stats(ctx context.Context) (Stats, error) {
	s := Stats{Delivered: n.delivered.Load(), Failed: n.failed.Load(), DeadLettered: n.dead.Load(), Skipped: n.skipped.Load()}
	os, err := n.cfg.Outbox.OutboxStats(ctx, n.cfg.Consumer)
	if err != nil {
		return s, fmt.Errorf("notify: stats: %w", err)
	}
	s.Pending, s.Dead = os.Pending, os.Dead
	if !os.OldestPending.IsZero() {
		s.Lag = max(n.cfg.Clock.Since(os.OldestPending), 0)
	}
	return s, nil
}
