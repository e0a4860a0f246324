package store

import (
	"context"
	"fmt"
	"strings"
)

// CompleteDeliveries marks the deliveries of consumer with the given event sequence numbers
// done in one transaction (one commit instead of one per delivery: the ledger poster
// completes a whole claimed batch at once). Sequence numbers that name no delivery are
// ignored; it is idempotent.
func (d *DB) CompleteDeliveries(ctx context.Context, consumer string, seqs []int64) error {
	const chunk = 500
	if len(seqs) == 0 {
		return nil
	}
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: complete deliveries: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for len(seqs) > 0 {
		n := min(chunk, len(seqs))
		args := make([]any, 0, n+1)
		args = append(args, consumer)
		for _, s := range seqs[:n] {
			args = append(args, s)
		}
		q := `UPDATE order_outbox SET state = 1, lease_until = 0 WHERE consumer = ? AND event_seq IN (?` + strings.Repeat(",?", n-1) + `)`
		if _, err := tx.ExecContext(ctx, d.q(q), args...); err != nil {
			return fmt.Errorf("store: complete deliveries: %w", err)
		}
		seqs = seqs[n:]
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: complete deliveries: commit: %w", err)
	}
	return nil
}
