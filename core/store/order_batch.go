package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
)

// OrderAmounts returns the amounts of the payments (kind "payment") or refunds (kind
// "refund") among ids that exist, one query per 500 ids: the batch form of Payment and Refund
// that a voucher check over a whole ledger needs (posting.Vouchers uses it when the store has
// it).
func (d *DB) OrderAmounts(ctx context.Context, kind string, ids []string) (map[string]money.Amount, error) {
	table := map[string]string{"payment": "payments", "refund": "refunds", "payout": "payouts"}[kind]
	if table == "" {
		return nil, fmt.Errorf("store: order amounts: kind %q is not payment, refund or payout", kind)
	}
	out := make(map[string]money.Amount, len(ids))
	for i := 0; i < len(ids); i += 500 {
		part := ids[i:min(i+500, len(ids))]
		args := make([]any, len(part))
		for k, id := range part {
			args[k] = id
		}
		rows, err := d.reads().QueryContext(ctx, d.q(`SELECT id, amount, currency FROM `+table+` WHERE id IN (?`+strings.Repeat(",?", len(part)-1)+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("store: order amounts: %w", err)
		}
		for rows.Next() {
			var id, cur string
			var amt int64
			if err := rows.Scan(&id, &amt, &cur); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: order amounts: %w", err)
			}
			c := money.Currency(cur)
			if !c.Valid() {
				rows.Close()
				return nil, fmt.Errorf("store: %s %s: stored currency %q is not valid", kind, id, cur)
			}
			out[id] = money.New(amt, c)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("store: order amounts: %w", err)
		}
	}
	return out, nil
}

// PaymentsByID returns the payments among ids that exist, one query per 500 ids: the batch
// form of Payment (the ledger poster reads a claimed batch's payments with it).
func (d *DB) PaymentsByID(ctx context.Context, ids []string) (map[string]*order.Payment, error) {
	out := make(map[string]*order.Payment, len(ids))
	for i := 0; i < len(ids); i += 500 {
		part := ids[i:min(i+500, len(ids))]
		args := make([]any, len(part))
		for k, id := range part {
			args[k] = id
		}
		rows, err := d.reads().QueryContext(ctx, d.q(`SELECT `+paymentCols+` FROM payments WHERE id IN (?`+strings.Repeat(",?", len(part)-1)+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("store: read payments: %w", err)
		}
		for rows.Next() {
			p, err := scanPayment(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[p.ID] = p
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("store: read payments: %w", err)
		}
	}
	return out, nil
}
