package store

import (
	"context"
	"fmt"
)

// QueryQueueDepth returns how many orders wait in the query-back queue (their outcome is
// unknown), for monitoring.
func (d *DB) QueryQueueDepth(ctx context.Context) (int64, error) {
	var n int64
	if err := d.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_queries`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: query queue depth: %w", err)
	}
	return n, nil
}
