package store

import (
	"context"
	"fmt"
)

// CompleteDeliveries marks the deliveries of consumer with the given event sequence numbers
// done in one transaction (one commit instead of one per delivery: the ledger poster
// completes a whole claimed batch at once). Sequence numbers that name no delivery are
// ignored; it is idempotent.
func (d *DB) CompleteDeliveries(ctx context.Context, consumer string, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	if d.dialect == Postgres {
		// One statement, one round trip: the sequence numbers as an array.
		if _, err := d.w.ExecContext(ctx, `UPDATE order_outbox SET state = 1, lease_until = 0 WHERE consumer = $1 AND event_seq = ANY($2)`,
			consumer, seqs); err != nil {
			return fmt.Errorf("store: complete deliveries: %w", err)
		}
		return nil
	}
	// SQLite: a statement per row inside one group-committed transaction (in-process, so
	// rows cost microseconds; the prepared statement is the same for every batch size).
	q := d.q(`UPDATE order_outbox SET state = 1, lease_until = 0 WHERE consumer = ? AND event_seq = ?`)
	return d.orderTx(ctx, func(tx *otx) error {
		for _, s := range seqs {
			if _, err := tx.ExecContext(ctx, q, consumer, s); err != nil {
				return fmt.Errorf("store: complete deliveries: %w", err)
			}
		}
		return nil
	})
}
