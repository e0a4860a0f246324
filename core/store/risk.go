package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/risk"
)

var _ risk.CaseLog = (*DB)(nil)

// RecordCase implements risk.CaseLog: one row in risk_cases per assessment.
func (d *DB) RecordCase(ctx context.Context, c *risk.Case) error {
	hits, err := json.Marshal(c.Hits)
	if err != nil {
		return err
	}
	if c.Hits == nil {
		hits = []byte("[]")
	}
	_, err = d.w.ExecContext(ctx, d.q(`INSERT INTO risk_cases (id, at, merchant_id, order_no, method, amount, currency, payer,
		card_fingerprint, device_id, client_ip, verdict, rule, hits) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`),
		c.ID, micros(c.At), c.MerchantID, c.OrderNo, c.Method, c.Amount.Minor(), string(c.Amount.Currency()), c.User,
		c.CardFingerprint, c.DeviceID, c.ClientIP, string(c.Verdict), c.Rule, string(hits))
	if err != nil {
		return fmt.Errorf("store: record risk case: %w", err)
	}
	return nil
}

// Cases implements risk.CaseLog, newest first.
func (d *DB) Cases(ctx context.Context, q risk.CaseQuery) ([]risk.Case, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := d.reads().QueryContext(ctx, d.q(`SELECT id, at, merchant_id, order_no, method, amount, currency, payer, card_fingerprint,
		device_id, client_ip, verdict, rule, hits FROM risk_cases
		WHERE (? = '' OR merchant_id = ?) AND (? = '' OR order_no = ?) AND (? = '' OR verdict = ?)
		ORDER BY seq DESC LIMIT ?`), q.MerchantID, q.MerchantID, q.OrderNo, q.OrderNo, string(q.Verdict), string(q.Verdict), limit)
	if err != nil {
		return nil, fmt.Errorf("store: risk cases: %w", err)
	}
	defer rows.Close()
	var out []risk.Case
	for rows.Next() {
		var c risk.Case
		var at, amount int64
		var cur, verdict, hits string
		if err := rows.Scan(&c.ID, &at, &c.MerchantID, &c.OrderNo, &c.Method, &amount, &cur, &c.User, &c.CardFingerprint,
			&c.DeviceID, &c.ClientIP, &verdict, &c.Rule, &hits); err != nil {
			return nil, fmt.Errorf("store: risk cases: %w", err)
		}
		c.At, c.Amount, c.Verdict = fromMicros(at), money.New(amount, money.Currency(cur)), gateway.Verdict(verdict)
		if err := json.Unmarshal([]byte(hits), &c.Hits); err != nil {
			return nil, fmt.Errorf("store: risk case %s: hits: %w", c.ID, err)
		}
		if len(c.Hits) == 0 {
			c.Hits = nil
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
