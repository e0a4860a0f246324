package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/order"
)

// DB implements order.BindingStore in the bindings table (migration 0110). A binding whose
// confirm or unbind had an unknown outcome has a query-back task in order_queries
// (order_kind "binding").
var _ order.BindingStore = (*DB)(nil)

const bindingCols = `id, merchant_id, bind_no, user_id, channel_user_id, channel, account, channel_bind_no, channel_bind_time,
	token, card_masked, card_type, bank_code, mobile_masked, pan_fingerprint, state, unresolved, fail_code, fail_msg,
	sms_expires_at, sms_sends, bound_at, token_expires, pending_pan, pending_phone, pending_id_no, pending_holder, pending_id_type,
	created_at, updated_at, version`

func scanBinding(s scanner) (*order.Binding, error) {
	var b order.Binding
	var cbt, smsExp, bound, tokExp, created, updated int64
	var state string
	var unresolved int
	err := s.Scan(&b.ID, &b.MerchantID, &b.BindNo, &b.UserID, &b.ChannelUserID, &b.Channel, &b.Account, &b.ChannelBindNo, &cbt,
		&b.Token, &b.CardMasked, &b.CardType, &b.BankCode, &b.MobileMasked, &b.PANFingerprint, &state, &unresolved, &b.FailCode, &b.FailMsg,
		&smsExp, &b.SMSSends, &bound, &tokExp, &b.Pending.PAN, &b.Pending.Phone, &b.Pending.IDNo, &b.Pending.HolderName, &b.Pending.IDType,
		&created, &updated, &b.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, order.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: read binding: %w", err)
	}
	b.State, b.Unresolved = order.State(state), unresolved != 0
	b.ChannelBindTime, b.SMSExpiresAt, b.BoundAt, b.TokenExpires = fromMicros(cbt), fromMicros(smsExp), fromMicros(bound), fromMicros(tokExp)
	b.CreatedAt, b.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &b, nil
}

func bindingArgs(b *order.Binding) []any {
	return []any{b.ID, b.MerchantID, b.BindNo, b.UserID, b.ChannelUserID, b.Channel, b.Account, b.ChannelBindNo, micros(b.ChannelBindTime),
		b.Token, b.CardMasked, b.CardType, b.BankCode, b.MobileMasked, b.PANFingerprint, string(b.State), boolInt(b.Unresolved), b.FailCode, b.FailMsg,
		micros(b.SMSExpiresAt), b.SMSSends, micros(b.BoundAt), micros(b.TokenExpires), b.Pending.PAN, b.Pending.Phone, b.Pending.IDNo,
		b.Pending.HolderName, b.Pending.IDType, micros(b.CreatedAt), micros(b.UpdatedAt), b.Version}
}

// CreateBinding implements order.BindingStore.
func (d *DB) CreateBinding(ctx context.Context, b *order.Binding) error {
	if b.ID == "" || b.MerchantID == "" || b.BindNo == "" || b.Account == "" || b.ChannelBindNo == "" || b.CardMasked == "" {
		return fmt.Errorf("store: binding needs ID, MerchantID, BindNo, Account, ChannelBindNo and CardMasked")
	}
	b.State, b.Version = order.Created, 1
	if b.UpdatedAt.IsZero() {
		b.UpdatedAt = b.CreatedAt
	}
	return d.orderTx(ctx, func(tx *otx) error {
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO bindings (`+bindingCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`),
			bindingArgs(b)...)
		if isUnique(err) {
			return order.ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("store: insert binding: %w", err)
		}
		return nil
	})
}

func (d *DB) bindingWhere(ctx context.Context, q rowQuerier, where string, args ...any) (*order.Binding, error) {
	return scanBinding(q.QueryRowContext(ctx, d.q(`SELECT `+bindingCols+` FROM bindings WHERE `+where), args...))
}

// Binding implements order.BindingStore.
func (d *DB) Binding(ctx context.Context, id string) (*order.Binding, error) {
	return d.bindingWhere(ctx, d.r, `id = ?`, id)
}

// BindingByNo implements order.BindingStore.
func (d *DB) BindingByNo(ctx context.Context, merchantID, bindNo string) (*order.Binding, error) {
	return d.bindingWhere(ctx, d.r, `merchant_id = ? AND bind_no = ?`, merchantID, bindNo)
}

// BindingByToken implements order.BindingStore.
func (d *DB) BindingByToken(ctx context.Context, merchantID, account, token string) (*order.Binding, error) {
	if token == "" {
		return nil, order.ErrNotFound
	}
	return d.bindingWhere(ctx, d.r, `account = ? AND token = ? AND merchant_id = ? ORDER BY bound_at DESC, id LIMIT 1`, account, token, merchantID)
}

// AbandonedBindings implements order.BindingStore.
func (d *DB) AbandonedBindings(ctx context.Context, before time.Time, limit int) ([]*order.Binding, error) {
	rows, err := d.r.QueryContext(ctx, d.q(`SELECT `+bindingCols+` FROM bindings WHERE state IN (?, ?) AND unresolved = 0 AND updated_at < ?
		ORDER BY updated_at, id LIMIT ?`), string(order.Created), string(order.BindSMSSent), micros(before), limit)
	if err != nil {
		return nil, fmt.Errorf("store: abandoned bindings: %w", err)
	}
	defer rows.Close()
	var out []*order.Binding
	for rows.Next() {
		b, err := scanBinding(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// TransitionBinding implements order.BindingStore.
func (d *DB) TransitionBinding(ctx context.Context, id string, version int64, t order.BindingTransition, queryAt time.Time) (*order.Binding, error) {
	var out *order.Binding
	err := d.orderTx(ctx, func(tx *otx) error {
		cur, err := d.bindingWhere(ctx, tx, `id = ?`+d.forUpdate(), id)
		if err != nil {
			return err
		}
		if cur.Version != version {
			return order.ErrConflict
		}
		n, err := order.ApplyBinding(cur, t)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, d.q(`UPDATE bindings SET token = ?, card_type = ?, bank_code = ?, mobile_masked = ?, state = ?,
			unresolved = ?, fail_code = ?, fail_msg = ?, sms_expires_at = ?, sms_sends = ?, bound_at = ?, token_expires = ?,
			pending_pan = ?, pending_phone = ?, pending_id_no = ?, pending_holder = ?, pending_id_type = ?, updated_at = ?, version = ?
			WHERE id = ? AND version = ?`),
			n.Token, n.CardType, n.BankCode, n.MobileMasked, string(n.State), boolInt(n.Unresolved), n.FailCode, n.FailMsg,
			micros(n.SMSExpiresAt), n.SMSSends, micros(n.BoundAt), micros(n.TokenExpires), n.Pending.PAN, n.Pending.Phone,
			n.Pending.IDNo, n.Pending.HolderName, n.Pending.IDType, micros(n.UpdatedAt), n.Version, id, version)
		if err != nil {
			return fmt.Errorf("store: update binding: %w", err)
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return order.ErrConflict
		}
		if err := d.syncWatch(ctx, tx, "binding", id, n.Unresolved, cur.State != n.State || !cur.Unresolved, queryAt); err != nil {
			return err
		}
		out = n
		return nil
	})
	return out, err
}
