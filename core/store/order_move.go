package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/order"
)

// MovePayment moves a payment that is still Created (no channel has been asked to execute
// it) to another channel account: the gateway's failover after an attempt that surely did
// not reach its channel. It is a compare-and-set on version and on the Created state, so a
// payment that any channel may have seen can never be moved (order.ErrConflict).
func (d *DB) MovePayment(ctx context.Context, id string, version int64, account, channelName string, at time.Time) (*order.Payment, error) {
	var out *order.Payment
	err := d.orderTx(ctx, func(tx *otx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE payments SET account = ?, channel = ?, updated_at = ?, version = version + 1
			WHERE id = ? AND version = ? AND state = ?`), account, channelName, micros(at), id, version, string(order.Created))
		if err != nil {
			return fmt.Errorf("store: move payment: %w", err)
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return order.ErrConflict
		}
		out, err = d.paymentWhere(ctx, tx, `id = ?`, id)
		return err
	})
	return out, err
}
