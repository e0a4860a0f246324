package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/gateway"
)

var _ gateway.Store = (*DB)(nil)

// RememberNonce implements gateway.Store.
func (d *DB) RememberNonce(ctx context.Context, merchantID, nonce string, now, expires time.Time) (bool, error) {
	fresh := false
	err := d.orderTx(ctx, func(tx *otx) error {
		var exp int64
		err := tx.QueryRowContext(ctx, d.q(`SELECT expires_at FROM api_nonces WHERE merchant_id = ? AND nonce = ?`+d.forUpdate()), merchantID, nonce).Scan(&exp)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, d.q(`INSERT INTO api_nonces (merchant_id, nonce, expires_at) VALUES (?,?,?)`), merchantID, nonce, micros(expires))
			if isUnique(err) {
				return nil // a concurrent request with the same nonce won: this one is the replay
			}
			fresh = err == nil
			return err
		case err != nil:
			return err
		case exp > micros(now):
			return nil // seen and still remembered: a replay
		}
		_, err = tx.ExecContext(ctx, d.q(`UPDATE api_nonces SET expires_at = ? WHERE merchant_id = ? AND nonce = ?`), micros(expires), merchantID, nonce)
		fresh = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: remember nonce: %w", err)
	}
	return fresh, nil
}

// BeginIdempotent implements gateway.Store.
func (d *DB) BeginIdempotent(ctx context.Context, merchantID, key, hash string, now, expires time.Time) (gateway.IdemRecord, bool, error) {
	var rec gateway.IdemRecord
	created := false
	err := d.orderTx(ctx, func(tx *otx) error {
		var state, status int
		var resp string
		var exp int64
		err := tx.QueryRowContext(ctx, d.q(`SELECT request_hash, state, status, response, expires_at FROM api_idempotency
			WHERE merchant_id = ? AND idem_key = ?`+d.forUpdate()), merchantID, key).Scan(&rec.Hash, &state, &status, &resp, &exp)
		switch {
		case err == nil && exp > micros(now):
			rec.Done, rec.Status, rec.Response = state == 1, status, []byte(resp)
			return nil
		case err == nil: // expired: start over
			_, err = tx.ExecContext(ctx, d.q(`DELETE FROM api_idempotency WHERE merchant_id = ? AND idem_key = ?`), merchantID, key)
			if err != nil {
				return err
			}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, d.q(`INSERT INTO api_idempotency (merchant_id, idem_key, request_hash, created_at, expires_at) VALUES (?,?,?,?,?)`),
			merchantID, key, hash, micros(now), micros(expires))
		if isUnique(err) {
			// A concurrent first request: report it as in flight.
			rec = gateway.IdemRecord{Hash: hash}
			return nil
		}
		if err != nil {
			return err
		}
		rec, created = gateway.IdemRecord{Hash: hash}, true
		return nil
	})
	if err != nil {
		return gateway.IdemRecord{}, false, fmt.Errorf("store: idempotency key: %w", err)
	}
	return rec, created, nil
}

// FinishIdempotent implements gateway.Store.
func (d *DB) FinishIdempotent(ctx context.Context, merchantID, key string, status int, response []byte) error {
	_, err := d.w.ExecContext(ctx, d.q(`UPDATE api_idempotency SET state = 1, status = ?, response = ? WHERE merchant_id = ? AND idem_key = ?`),
		status, string(response), merchantID, key)
	if err != nil {
		return fmt.Errorf("store: finish idempotency key: %w", err)
	}
	return nil
}

// AbandonIdempotent implements gateway.Store.
func (d *DB) AbandonIdempotent(ctx context.Context, merchantID, key string) error {
	_, err := d.w.ExecContext(ctx, d.q(`DELETE FROM api_idempotency WHERE merchant_id = ? AND idem_key = ? AND state = 0`), merchantID, key)
	if err != nil {
		return fmt.Errorf("store: abandon idempotency key: %w", err)
	}
	return nil
}

// PurgeAPI implements gateway.Store.
func (d *DB) PurgeAPI(ctx context.Context, now time.Time) error {
	for _, q := range []string{`DELETE FROM api_nonces WHERE expires_at <= ?`, `DELETE FROM api_idempotency WHERE expires_at <= ?`} {
		if _, err := d.w.ExecContext(ctx, d.q(q), micros(now)); err != nil {
			return fmt.Errorf("store: purge: %w", err)
		}
	}
	return nil
}
