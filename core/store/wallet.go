package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/wallet"
)

var _ wallet.Store = (*DB)(nil)

func walletErr(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: %s: %w", what, wallet.ErrNotFound)
	case isUnique(err):
		return fmt.Errorf("store: %s: %w", what, wallet.ErrDuplicate)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// wexec runs one write statement as its own transaction through orderTx, so on SQLite it
// joins the group commit instead of contending for the write lock on its own.
func (d *DB) wexec(ctx context.Context, q string, args ...any) (n int64, err error) {
	err = d.orderTx(ctx, func(tx *otx) error {
		res, err := tx.ExecContext(ctx, d.q(q), args...)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// rrow runs a one-row read on the read pool (on SQLite through a statement prepared once
// per text; reader.go).
func (d *DB) rrow(ctx context.Context, q string, args ...any) *sql.Row {
	return d.reads().QueryRowContext(ctx, d.q(q), args...)
}

const customerCols = `id, merchant_id, customer_no, kind, name, id_no_sealed, id_no_fp, level, level_note, created_at, updated_at`

// CreateCustomer implements wallet.Store.
func (d *DB) CreateCustomer(ctx context.Context, c *wallet.Customer) error {
	_, err := d.wexec(ctx, `INSERT INTO wallet_customers (`+customerCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		c.ID, c.MerchantID, c.CustomerNo, string(c.Kind), c.Name, c.IDNoSealed, c.IDNoFP, int(c.Level), c.LevelNote, micros(c.CreatedAt), micros(c.UpdatedAt))
	return walletErr("create customer", err)
}

func (d *DB) customerWhere(ctx context.Context, where string, args ...any) (*wallet.Customer, error) {
	var c wallet.Customer
	var kind string
	var level int
	var created, updated int64
	err := d.rrow(ctx, `SELECT `+customerCols+` FROM wallet_customers WHERE `+where, args...).Scan(
		&c.ID, &c.MerchantID, &c.CustomerNo, &kind, &c.Name, &c.IDNoSealed, &c.IDNoFP, &level, &c.LevelNote, &created, &updated)
	if err != nil {
		return nil, walletErr("customer", err)
	}
	c.Kind, c.Level, c.CreatedAt, c.UpdatedAt = wallet.CustomerKind(kind), wallet.Level(level), fromMicros(created), fromMicros(updated)
	return &c, nil
}

// Customer implements wallet.Store.
func (d *DB) Customer(ctx context.Context, id string) (*wallet.Customer, error) {
	return d.customerWhere(ctx, `id = ?`, id)
}

// CustomerByNo implements wallet.Store.
func (d *DB) CustomerByNo(ctx context.Context, merchantID, no string) (*wallet.Customer, error) {
	return d.customerWhere(ctx, `merchant_id = ? AND customer_no = ?`, merchantID, no)
}

// RaiseCustomerLevel implements wallet.Store: the level only goes up.
func (d *DB) RaiseCustomerLevel(ctx context.Context, id string, l wallet.Level, note string, at time.Time) error {
	n, err := d.wexec(ctx, `UPDATE wallet_customers SET level = ?, level_note = ?, updated_at = ? WHERE id = ? AND level < ?`,
		int(l), note, micros(at), id, int(l))
	if err != nil {
		return walletErr("set level", err)
	}
	if n == 0 {
		if _, err := d.Customer(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// CreateWalletUser implements wallet.Store.
func (d *DB) CreateWalletUser(ctx context.Context, u *wallet.User) error {
	_, err := d.wexec(ctx, `INSERT INTO wallet_users (id, customer_id, merchant_id, business_line, login, created_at) VALUES (?,?,?,?,?,?)`,
		u.ID, u.CustomerID, u.MerchantID, u.BusinessLine, u.Login, micros(u.CreatedAt))
	return walletErr("create user", err)
}

// WalletUser implements wallet.Store.
func (d *DB) WalletUser(ctx context.Context, id string) (*wallet.User, error) {
	var u wallet.User
	var at int64
	err := d.rrow(ctx, `SELECT id, customer_id, merchant_id, business_line, login, created_at FROM wallet_users WHERE id = ?`, id).Scan(
		&u.ID, &u.CustomerID, &u.MerchantID, &u.BusinessLine, &u.Login, &at)
	if err != nil {
		return nil, walletErr("user", err)
	}
	u.CreatedAt = fromMicros(at)
	return &u, nil
}

const walletAccountCols = `id, customer_id, kind, currency, ledger_id, frozen_ledger_id, created_at`

// CreatePaymentAccount implements wallet.Store.
func (d *DB) CreatePaymentAccount(ctx context.Context, a *wallet.Account) error {
	_, err := d.wexec(ctx, `INSERT INTO wallet_accounts (`+walletAccountCols+`) VALUES (?,?,?,?,?,?,?)`,
		a.ID, a.CustomerID, string(a.Kind), string(a.Currency), a.LedgerID, a.FrozenLedgerID, micros(a.CreatedAt))
	return walletErr("create account", err)
}

func scanWalletAccount(s interface{ Scan(...any) error }) (*wallet.Account, error) {
	var a wallet.Account
	var kind, cur string
	var at int64
	if err := s.Scan(&a.ID, &a.CustomerID, &kind, &cur, &a.LedgerID, &a.FrozenLedgerID, &at); err != nil {
		return nil, err
	}
	a.Kind, a.Currency, a.CreatedAt = wallet.AccountKind(kind), money.Currency(cur), fromMicros(at)
	return &a, nil
}

// PaymentAccount implements wallet.Store.
func (d *DB) PaymentAccount(ctx context.Context, id string) (*wallet.Account, error) {
	a, err := scanWalletAccount(d.rrow(ctx, `SELECT `+walletAccountCols+` FROM wallet_accounts WHERE id = ?`, id))
	if err != nil {
		return nil, walletErr("account", err)
	}
	return a, nil
}

// PaymentAccounts implements wallet.Store.
func (d *DB) PaymentAccounts(ctx context.Context, customerID string) ([]*wallet.Account, error) {
	rows, err := d.r.QueryContext(ctx, d.q(`SELECT `+walletAccountCols+` FROM wallet_accounts WHERE customer_id = ? ORDER BY id`), customerID)
	if err != nil {
		return nil, walletErr("accounts", err)
	}
	defer rows.Close()
	var out []*wallet.Account
	for rows.Next() {
		a, err := scanWalletAccount(rows)
		if err != nil {
			return nil, walletErr("accounts", err)
		}
		out = append(out, a)
	}
	return out, walletErr("accounts", rows.Err())
}

// SetPaymentPassword implements wallet.Store.
func (d *DB) SetPaymentPassword(ctx context.Context, customerID, hash string) error {
	n, err := d.wexec(ctx, `UPDATE wallet_customers SET pw_hash = ?, pw_failures = 0, pw_locked_until = 0 WHERE id = ?`, hash, customerID)
	if err != nil {
		return walletErr("set password", err)
	}
	if n == 0 {
		return fmt.Errorf("store: set password: customer %s: %w", customerID, wallet.ErrNotFound)
	}
	return nil
}

// PaymentPassword implements wallet.Store.
func (d *DB) PaymentPassword(ctx context.Context, customerID string) (wallet.PasswordState, error) {
	return d.password(ctx, d.r, customerID)
}

func (d *DB) password(ctx context.Context, db *sql.DB, customerID string) (wallet.PasswordState, error) {
	var p wallet.PasswordState
	var until int64
	err := db.QueryRowContext(ctx, d.q(`SELECT pw_hash, pw_failures, pw_locked_until FROM wallet_customers WHERE id = ?`), customerID).Scan(&p.Hash, &p.Failures, &until)
	if err != nil {
		return p, walletErr("password", err)
	}
	p.LockedUntil = fromMicros(until)
	return p, nil
}

// PaymentPasswordFailed implements wallet.Store: one statement, so concurrent wrong tries each count.
func (d *DB) PaymentPasswordFailed(ctx context.Context, customerID string, max int, lockUntil time.Time) (wallet.PasswordState, error) {
	_, err := d.wexec(ctx, `UPDATE wallet_customers SET pw_failures = pw_failures + 1,
		pw_locked_until = CASE WHEN pw_failures + 1 >= ? THEN ? ELSE pw_locked_until END WHERE id = ?`, max, micros(lockUntil), customerID)
	if err != nil {
		return wallet.PasswordState{}, walletErr("password failed", err)
	}
	return d.password(ctx, d.r, customerID)
}

// PaymentPasswordOK implements wallet.Store.
func (d *DB) PaymentPasswordOK(ctx context.Context, customerID string) error {
	_, err := d.wexec(ctx, `UPDATE wallet_customers SET pw_failures = 0, pw_locked_until = 0 WHERE id = ? AND (pw_failures <> 0 OR pw_locked_until <> 0)`, customerID)
	return walletErr("password ok", err)
}

const cardCols = `id, customer_id, channel, state, pan_sealed, pan_fp, masked, phone_sealed, holder, token, bank_code, card_type, created_at, updated_at`

// PutBoundCard implements wallet.Store.
func (d *DB) PutBoundCard(ctx context.Context, c *wallet.Card) error {
	args := []any{c.ID, c.CustomerID, c.Channel, string(c.State), c.PANSealed, c.PANFP, c.Masked, c.PhoneSealed, c.Holder, c.Token,
		c.BankCode, c.CardType, micros(c.CreatedAt), micros(c.UpdatedAt)}
	_, err := d.wexec(ctx, `INSERT INTO wallet_cards (`+cardCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, token = excluded.token, bank_code = excluded.bank_code,
		card_type = excluded.card_type, updated_at = excluded.updated_at`, args...)
	return walletErr("put card", err)
}

func scanCard(s interface{ Scan(...any) error }) (*wallet.Card, error) {
	var c wallet.Card
	var state string
	var created, updated int64
	if err := s.Scan(&c.ID, &c.CustomerID, &c.Channel, &state, &c.PANSealed, &c.PANFP, &c.Masked, &c.PhoneSealed, &c.Holder, &c.Token,
		&c.BankCode, &c.CardType, &created, &updated); err != nil {
		return nil, err
	}
	c.State, c.CreatedAt, c.UpdatedAt = wallet.CardState(state), fromMicros(created), fromMicros(updated)
	return &c, nil
}

// BoundCard implements wallet.Store.
func (d *DB) BoundCard(ctx context.Context, id string) (*wallet.Card, error) {
	c, err := scanCard(d.rrow(ctx, `SELECT `+cardCols+` FROM wallet_cards WHERE id = ?`, id))
	if err != nil {
		return nil, walletErr("card", err)
	}
	return c, nil
}

// BoundCards implements wallet.Store.
func (d *DB) BoundCards(ctx context.Context, customerID string) ([]*wallet.Card, error) {
	rows, err := d.r.QueryContext(ctx, d.q(`SELECT `+cardCols+` FROM wallet_cards WHERE customer_id = ? ORDER BY created_at, id`), customerID)
	if err != nil {
		return nil, walletErr("cards", err)
	}
	defer rows.Close()
	var out []*wallet.Card
	for rows.Next() {
		c, err := scanCard(rows)
		if err != nil {
			return nil, walletErr("cards", err)
		}
		out = append(out, c)
	}
	return out, walletErr("cards", rows.Err())
}

const opCols = `id, merchant_id, kind, request_no, customer_id, account_id, to_account, payee, card_id, payment_id, ref, amount, currency,
	state, reason, operator, fingerprint, hold_seq, entry_seq, reverse_seq, attempts, next_at, limit_day, created_at, updated_at, version`

func opArgs(o *wallet.Op) []any {
	return []any{o.ID, o.MerchantID, string(o.Kind), o.RequestNo, o.CustomerID, o.AccountID, o.ToAccount, o.Payee, o.CardID, o.PaymentID, o.Ref,
		o.Amount.Minor(), string(o.Amount.Currency()), string(o.State), o.Reason, o.Operator, o.Fingerprint, o.HoldSeq, o.EntrySeq, o.ReverseSeq,
		o.Attempts, micros(o.NextAt), o.LimitDay, micros(o.CreatedAt), micros(o.UpdatedAt), o.Version}
}

func scanOp(s interface{ Scan(...any) error }) (*wallet.Op, error) {
	var o wallet.Op
	var kind, cur, state string
	var amount, next, created, updated int64
	if err := s.Scan(&o.ID, &o.MerchantID, &kind, &o.RequestNo, &o.CustomerID, &o.AccountID, &o.ToAccount, &o.Payee, &o.CardID, &o.PaymentID, &o.Ref,
		&amount, &cur, &state, &o.Reason, &o.Operator, &o.Fingerprint, &o.HoldSeq, &o.EntrySeq, &o.ReverseSeq, &o.Attempts, &next, &o.LimitDay, &created, &updated, &o.Version); err != nil {
		return nil, err
	}
	o.Kind, o.State, o.Amount = wallet.OpKind(kind), wallet.OpState(state), money.New(amount, money.Currency(cur))
	o.NextAt, o.CreatedAt, o.UpdatedAt = fromMicros(next), fromMicros(created), fromMicros(updated)
	return &o, nil
}

// InsertWalletOp implements wallet.Store.
func (d *DB) InsertWalletOp(ctx context.Context, o *wallet.Op, limit *wallet.DayLimit) (*wallet.Op, bool, error) {
	if o.Version == 0 {
		o.Version = 1
	}
	if d.dialect == Postgres && limit != nil {
		return d.pgInsertWalletOp(ctx, o, limit)
	}
	var got *wallet.Op
	created := false
	err := d.orderTx(ctx, func(tx *otx) error {
		cp := *o
		if limit != nil {
			cp.LimitDay = limit.Day
		}
		res, err := tx.ExecContext(ctx, d.q(`INSERT INTO wallet_ops (`+opCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (merchant_id, kind, request_no) DO NOTHING`), opArgs(&cp)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			if limit != nil {
				var total int64
				if err := tx.QueryRowContext(ctx, d.q(`INSERT INTO wallet_day_totals (customer_id, day, total) VALUES (?,?,?)
					ON CONFLICT (customer_id, day) DO UPDATE SET total = wallet_day_totals.total + excluded.total RETURNING total`),
					o.CustomerID, limit.Day, o.Amount.Minor()).Scan(&total); err != nil {
					return err
				}
				if total > limit.Max {
					return wallet.ErrLimit // rolls the op and the total back
				}
			}
			got, created = &cp, true
			return nil
		}
		got, err = scanOp(tx.QueryRowContext(ctx, d.q(`SELECT `+opCols+` FROM wallet_ops WHERE merchant_id = ? AND kind = ? AND request_no = ?`),
			o.MerchantID, string(o.Kind), o.RequestNo))
		return err
	})
	if err != nil {
		return nil, false, walletErr("insert op", err)
	}
	return got, created, nil
}

// pgInsertWalletOp is InsertWalletOp with a day limit on PostgreSQL in one statement, one
// round trip instead of four (BEGIN, insert, total, COMMIT). The day total is raised first,
// only while it stays within limit.Max (ON CONFLICT DO UPDATE re-checks its WHERE on the row's
// latest version, under its row lock, so concurrent requests cannot pass the limit together),
// and the op is inserted only if the total was raised. The total is not raised for a request
// number already stored; two first requests with one number racing may both raise it, and
// the one whose op insert then meets the other's takes its amount off again.
func (d *DB) pgInsertWalletOp(ctx context.Context, o *wallet.Op, limit *wallet.DayLimit) (*wallet.Op, bool, error) {
	cp := *o
	cp.LimitDay = limit.Day
	args := opArgs(&cp)
	n := len(args)
	ph := make([]string, n)
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	// $2 merchant, $3 kind, $4 request no, $5 customer, $12 amount; then the day and the max.
	q := fmt.Sprintf(`WITH tot AS (
		INSERT INTO wallet_day_totals AS t (customer_id, day, total)
		SELECT $5, $%d, $12::bigint WHERE $12::bigint <= $%d::bigint
			AND NOT EXISTS (SELECT 1 FROM wallet_ops WHERE merchant_id = $2 AND kind = $3 AND request_no = $4)
		ON CONFLICT (customer_id, day) DO UPDATE SET total = t.total + excluded.total WHERE t.total + excluded.total <= $%d::bigint
		RETURNING total
	), ins AS (
		INSERT INTO wallet_ops (`+opCols+`) SELECT %s FROM tot
		ON CONFLICT (merchant_id, kind, request_no) DO NOTHING RETURNING id
	)
	SELECT (SELECT COUNT(*) FROM tot), (SELECT COUNT(*) FROM ins)`, n+1, n+2, n+2, strings.Join(ph, ","))
	args = append(args, limit.Day, limit.Max)
	// A second try only when the first found neither room nor a stored op: the op it saw was
	// removed meanwhile (a refused request's), so the answer is not yet "over the limit".
	for try := 0; ; try++ {
		var raised, inserted int
		if err := d.w.QueryRowContext(ctx, q, args...).Scan(&raised, &inserted); err != nil {
			return nil, false, walletErr("insert op", err)
		}
		if inserted == 1 {
			return &cp, true, nil
		}
		if raised == 1 { // lost the race for the number: its amount leaves the total again
			if _, err := d.w.ExecContext(ctx, `UPDATE wallet_day_totals SET total = total - $1 WHERE customer_id = $2 AND day = $3`,
				o.Amount.Minor(), o.CustomerID, limit.Day); err != nil {
				return nil, false, walletErr("insert op", err)
			}
		}
		got, err := d.WalletOpByRequest(ctx, o.MerchantID, o.Kind, o.RequestNo)
		switch {
		case err == nil:
			return got, false, nil
		case !errors.Is(err, wallet.ErrNotFound):
			return nil, false, err
		case try == 1:
			return nil, false, fmt.Errorf("store: insert op: %w", wallet.ErrLimit)
		}
	}
}

// WalletOp implements wallet.Store (read from the write pool: callers read what they just wrote).
func (d *DB) WalletOp(ctx context.Context, id string) (*wallet.Op, error) {
	o, err := scanOp(d.rrow(ctx, `SELECT `+opCols+` FROM wallet_ops WHERE id = ?`, id))
	if err != nil {
		return nil, walletErr("op", err)
	}
	return o, nil
}

// WalletOpByRequest implements wallet.Store.
func (d *DB) WalletOpByRequest(ctx context.Context, merchantID string, kind wallet.OpKind, requestNo string) (*wallet.Op, error) {
	o, err := scanOp(d.rrow(ctx, `SELECT `+opCols+` FROM wallet_ops WHERE merchant_id = ? AND kind = ? AND request_no = ?`,
		merchantID, string(kind), requestNo))
	if err != nil {
		return nil, walletErr("op", err)
	}
	return o, nil
}

// UpdateWalletOp implements wallet.Store.
func (d *DB) UpdateWalletOp(ctx context.Context, o *wallet.Op, lines []wallet.Line) error {
	var n int64
	err := d.orderTx(ctx, func(tx *otx) error {
		var before string
		if o.State == wallet.OpFailed && o.LimitDay != "" {
			if err := tx.QueryRowContext(ctx, d.q(`SELECT state FROM wallet_ops WHERE id = ? AND version = ?`+d.forUpdate()), o.ID, o.Version).Scan(&before); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, d.q(`UPDATE wallet_ops SET state = ?, reason = ?, payment_id = ?, hold_seq = ?, entry_seq = ?, reverse_seq = ?,
		attempts = ?, next_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`),
			string(o.State), o.Reason, o.PaymentID, o.HoldSeq, o.EntrySeq, o.ReverseSeq, o.Attempts, micros(o.NextAt), micros(o.UpdatedAt), o.ID, o.Version)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		if n == 1 {
			if err := d.addLines(ctx, tx, lines); err != nil {
				return err
			}
		}
		if n == 1 && before != "" && before != string(wallet.OpFailed) {
			return d.uncount(ctx, tx, o) // a failed withdrawal moved no money: it leaves the day's total
		}
		return nil
	})
	if err != nil {
		return walletErr("update op", err)
	}
	if n == 0 {
		return fmt.Errorf("store: update op %s: %w", o.ID, wallet.ErrStale)
	}
	o.Version++
	return nil
}

// FinishWalletOps implements wallet.Store: one transaction (on SQLite one member of a
// group commit) for a whole batch of final states.
func (d *DB) FinishWalletOps(ctx context.Context, ops []*wallet.Op, lines []wallet.Line) error {
	if d.dialect == Postgres && len(ops) > 0 && (len(ops)+len(lines))*11 <= maxParams {
		return d.pgFinishWalletOps(ctx, ops, lines)
	}
	err := d.orderTx(ctx, func(tx *otx) error {
		q := d.q(`UPDATE wallet_ops SET state = ?, reason = ?, payment_id = ?, hold_seq = ?, entry_seq = ?, reverse_seq = ?,
		attempts = ?, next_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`)
		for _, o := range ops {
			if _, err := tx.ExecContext(ctx, q, string(o.State), o.Reason, o.PaymentID, o.HoldSeq, o.EntrySeq, o.ReverseSeq, o.Attempts,
				micros(o.NextAt), micros(o.UpdatedAt), o.ID, o.Version); err != nil {
				return err
			}
		}
		for len(lines) > 0 {
			n := min(len(lines), rowsPerStmt(11))
			if err := d.addLines(ctx, tx, lines[:n]); err != nil {
				return err
			}
			lines = lines[n:]
		}
		return nil
	})
	return walletErr("finish ops", err)
}

// pgFinishWalletOps is FinishWalletOps on PostgreSQL in one statement (one round trip, not
// one per op): a multi-row UPDATE … FROM (VALUES …) with the lines' INSERT.
func (d *DB) pgFinishWalletOps(ctx context.Context, ops []*wallet.Op, lines []wallet.Line) error {
	var b strings.Builder
	args := make([]any, 0, 11*(len(ops)+len(lines)))
	b.WriteString(`WITH u AS (UPDATE wallet_ops AS o SET state = v.state, reason = v.reason, payment_id = v.payment_id, hold_seq = v.hold_seq,
		entry_seq = v.entry_seq, reverse_seq = v.reverse_seq, attempts = v.attempts, next_at = v.next_at, updated_at = v.updated_at,
		version = o.version + 1 FROM (VALUES `)
	casts := []string{"text", "bigint", "text", "text", "text", "bigint", "bigint", "bigint", "int", "bigint", "bigint"}
	row := func(vals ...any) {
		b.WriteByte('(')
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			args = append(args, v)
			fmt.Fprintf(&b, "$%d::%s", len(args), casts[i])
		}
		b.WriteByte(')')
	}
	for i, o := range ops {
		if i > 0 {
			b.WriteByte(',')
		}
		row(o.ID, o.Version, string(o.State), o.Reason, o.PaymentID, o.HoldSeq, o.EntrySeq, o.ReverseSeq, o.Attempts, micros(o.NextAt), micros(o.UpdatedAt))
	}
	b.WriteString(`) AS v (id, version, state, reason, payment_id, hold_seq, entry_seq, reverse_seq, attempts, next_at, updated_at)
		WHERE o.id = v.id AND o.version = v.version RETURNING 1) `)
	if len(lines) == 0 {
		b.WriteString(`SELECT COUNT(*) FROM u`)
	} else {
		b.WriteString(`INSERT INTO wallet_lines (account_id, entry_seq, side, amount, currency, op_id, op_kind, voucher_kind, voucher_id, memo, at) VALUES `)
		for i, l := range lines {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(")
			for j, v := range []any{l.AccountID, l.EntrySeq, l.Side, l.Amount.Minor(), string(l.Amount.Currency()), l.OpID, string(l.OpKind),
				l.VoucherKind, l.VoucherID, l.Memo, micros(l.At)} {
				if j > 0 {
					b.WriteByte(',')
				}
				args = append(args, v)
				fmt.Fprintf(&b, "$%d", len(args))
			}
			b.WriteString(")")
		}
		b.WriteString(` ON CONFLICT (account_id, entry_seq, side) DO NOTHING`)
	}
	_, err := d.w.ExecContext(ctx, b.String(), args...)
	return walletErr("finish ops", err)
}

// DeleteWalletOp implements wallet.Store.
func (d *DB) DeleteWalletOp(ctx context.Context, id string) error {
	err := d.orderTx(ctx, func(tx *otx) error {
		o, err := scanOp(tx.QueryRowContext(ctx, d.q(`SELECT `+opCols+` FROM wallet_ops WHERE id = ? AND state = ?`+d.forUpdate()), id, string(wallet.OpPending)))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM wallet_ops WHERE id = ?`), id); err != nil {
			return err
		}
		return d.uncount(ctx, tx, o)
	})
	return walletErr("delete op", err)
}

// uncount takes o's amount off its day's total.
func (d *DB) uncount(ctx context.Context, tx *otx, o *wallet.Op) error {
	if o.LimitDay == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, d.q(`UPDATE wallet_day_totals SET total = total - ? WHERE customer_id = ? AND day = ?`), o.Amount.Minor(), o.CustomerID, o.LimitDay)
	return err
}

// DueWalletOps implements wallet.Store: each op is leased by a compare-and-set of its version.
func (d *DB) DueWalletOps(ctx context.Context, kind wallet.OpKind, states []wallet.OpState, now time.Time, limit int, lease time.Duration) ([]*wallet.Op, error) {
	args := []any{string(kind), micros(now)}
	for _, s := range states {
		args = append(args, string(s))
	}
	args = append(args, limit)
	rows, err := d.r.QueryContext(ctx, d.q(`SELECT `+opCols+` FROM wallet_ops WHERE kind = ? AND next_at > 0 AND next_at <= ?
		AND state IN (`+inList(len(states))+`) ORDER BY next_at LIMIT ?`), args...)
	if err != nil {
		return nil, walletErr("due ops", err)
	}
	var due []*wallet.Op
	for rows.Next() {
		o, err := scanOp(rows)
		if err != nil {
			rows.Close()
			return nil, walletErr("due ops", err)
		}
		due = append(due, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, walletErr("due ops", err)
	}
	var out []*wallet.Op
	for _, o := range due {
		n, err := d.wexec(ctx, `UPDATE wallet_ops SET next_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			micros(now.Add(lease)), o.ID, o.Version)
		if err != nil {
			return out, walletErr("lease op", err)
		}
		if n == 1 {
			o.Version++
			o.NextAt = now.Add(lease)
			out = append(out, o)
		}
	}
	return out, nil
}

// addLines stores statement lines in tx; one already stored is skipped.
func (d *DB) addLines(ctx context.Context, tx *otx, ls []wallet.Line) error {
	if len(ls) == 0 {
		return nil
	}
	var b strings.Builder
	args := make([]any, 0, len(ls)*11)
	b.WriteString(`INSERT INTO wallet_lines (account_id, entry_seq, side, amount, currency, op_id, op_kind, voucher_kind, voucher_id, memo, at) VALUES `)
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?,?,?,?,?,?,?,?,?)`)
		args = append(args, l.AccountID, l.EntrySeq, l.Side, l.Amount.Minor(), string(l.Amount.Currency()), l.OpID, string(l.OpKind),
			l.VoucherKind, l.VoucherID, l.Memo, micros(l.At))
	}
	b.WriteString(` ON CONFLICT (account_id, entry_seq, side) DO NOTHING`)
	_, err := tx.ExecContext(ctx, d.q(b.String()), args...)
	return err
}

// StatementLines implements wallet.Store.
func (d *DB) StatementLines(ctx context.Context, accountID string, after int64, limit int) ([]wallet.Line, error) {
	rows, err := d.r.QueryContext(ctx, d.q(`SELECT seq, account_id, entry_seq, side, amount, currency, op_id, op_kind, voucher_kind, voucher_id, memo, at
		FROM wallet_lines WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?`), accountID, after, limit)
	if err != nil {
		return nil, walletErr("statement", err)
	}
	defer rows.Close()
	var out []wallet.Line
	for rows.Next() {
		var l wallet.Line
		var amount, at int64
		var cur, kind string
		if err := rows.Scan(&l.Seq, &l.AccountID, &l.EntrySeq, &l.Side, &amount, &cur, &l.OpID, &kind, &l.VoucherKind, &l.VoucherID, &l.Memo, &at); err != nil {
			return nil, walletErr("statement", err)
		}
		l.Amount, l.OpKind, l.At = money.New(amount, money.Currency(cur)), wallet.OpKind(kind), fromMicros(at)
		out = append(out, l)
	}
	return out, walletErr("statement", rows.Err())
}
