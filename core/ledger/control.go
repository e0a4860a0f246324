package ledger

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"
)

// Control data is what gives balances and checks their meaning without being a balance: the
// chart's types and normal sides, and each account's attributes (code, owner, currency,
// name, flags, age limit). A normal side flipped in place turns a balance's sign; an age
// limit set to 0 silences the ageing check. So every change to control data is recorded in
// the change log, a hash chain of its own written in the same transaction as the change, and
// every day close seals the log's head (Seal.ControlSeq, Seal.ControlHash). Verify replays
// the log and reports any chart code or account whose stored attributes differ from it.

// Change is one change of control data: the new state of one chart code (Chart) or of one
// account's attributes (Account). Exactly one of the two is set.
type Change struct {
	Seq      int64         // position in the change log, from 1, gapless
	At       time.Time     // when the ledger applied it (UTC); zero for records adopted at upgrade
	Chart    *ChartAccount // the chart code as put
	Account  *AccountAttrs // the account's attributes as created or set
	Memo     string        // why, e.g. "opened", "flags", "age limit", "adopted at upgrade"
	PrevHash []byte        // Hash of change Seq-1 (32 zero bytes for the first)
	Hash     []byte        // SHA-256 over PrevHash and the content; see ChangeHash
}

// AccountAttrs are an account's attributes: its ID and spec, without counters.
type AccountAttrs struct {
	ID AccountID
	AccountSpec
}

// Subject names what c changes: "chart CODE" or "account ID".
func (c *Change) Subject() string {
	switch {
	case c.Chart != nil:
		return "chart " + c.Chart.Code
	case c.Account != nil:
		return fmt.Sprintf("account %d", c.Account.ID)
	}
	return "nothing"
}

// ChangeHash computes the chain hash of c: SHA-256 over a version tag, c.PrevHash and every
// field of c except Hash.
func ChangeHash(c *Change) []byte {
	x := enc{B: make([]byte, 0, 192)}
	x.Str("tongdao-ledger-change-v1")
	x.Bytes(c.PrevHash)
	x.I64(c.Seq)
	x.I64(unixNano(c.At))
	x.Str(c.Memo)
	switch {
	case c.Chart != nil:
		x.Str("chart")
		x.Str(c.Chart.Code)
		x.Str(c.Chart.Parent)
		x.Str(c.Chart.Name)
		x.Str(string(c.Chart.Type))
		x.Str(string(c.Chart.Normal))
	case c.Account != nil:
		a := c.Account
		x.Str("account")
		x.I64(int64(a.ID))
		x.Str(a.Code)
		x.Str(string(a.OwnerKind))
		x.Str(a.OwnerID)
		x.Str(string(a.Currency))
		x.Str(a.Name)
		x.I64(int64(a.Flags))
		x.I64(a.AgeLimitSeconds)
	default:
		x.Str("")
	}
	s := sha256.Sum256(x.B)
	return s[:]
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// ChainChanges fills in Seq, PrevHash and Hash of cs, which follow the log's head (seq,
// hash; hash may be empty for an empty log). Stores use it to adopt control data that
// predates the log.
func ChainChanges(seq int64, hash []byte, cs []*Change) {
	if len(hash) == 0 {
		hash = zeroHash
	}
	for _, c := range cs {
		seq++
		c.Seq, c.PrevHash = seq, hash
		c.Hash = ChangeHash(c)
		hash = c.Hash
	}
}

// logChange appends c to the change log in tx, after the log's current head.
func logChange(ctx context.Context, tx WriteTx, at time.Time, c *Change) error {
	seq, hash, err := tx.ControlHead(ctx)
	if err != nil {
		return err
	}
	c.At = at.UTC()
	ChainChanges(seq, hash, []*Change{c})
	return tx.AppendChange(ctx, c)
}

// SetAgeLimit sets how long a balance may stay outstanding on account id before Verify's
// ageing check reports it (账龄); 0 turns the check off for the account. The change is
// recorded in the change log. Setting the limit it already has changes nothing.
func (l *Ledger) SetAgeLimit(ctx context.Context, id AccountID, limit time.Duration) error {
	if limit < 0 || limit%time.Second != 0 {
		return fmt.Errorf("%w: age limit %v: want whole seconds, 0 or more", ErrInvalidAccount, limit)
	}
	return l.setAttrs(ctx, id, "age limit", func(a *AccountSpec) { a.AgeLimitSeconds = int64(limit / time.Second) })
}

// setAttrs changes account id's attributes with set, stores them and logs the change.
func (l *Ledger) setAttrs(ctx context.Context, id AccountID, memo string, set func(*AccountSpec)) error {
	return l.do(ctx, func(ctx context.Context, tx WriteTx) error {
		m, err := tx.AccountsByID(ctx, []AccountID{id})
		if err != nil {
			return err
		}
		a, ok := m[id]
		if !ok {
			return fmt.Errorf("%w: %d", ErrUnknownAccount, id)
		}
		spec := a.AccountSpec
		set(&spec)
		if spec == a.AccountSpec {
			return nil
		}
		if err := tx.SetAttrs(ctx, id, spec.Flags, spec.AgeLimitSeconds); err != nil {
			return err
		}
		return logChange(ctx, tx, l.cfg.Clock.Now(), &Change{Account: &AccountAttrs{ID: id, AccountSpec: spec}, Memo: memo})
	})
}

// Changes returns the change log of control data in order, for review.
func (l *Ledger) Changes(ctx context.Context) ([]*Change, error) {
	var out []*Change
	err := l.cfg.Store.Read(ctx, func(tx ReadTx) error {
		return tx.Changes(ctx, func(c *Change) error {
			out = append(out, c)
			return nil
		})
	})
	return out, err
}
