package ledger

import (
	"fmt"
	"strings"

	"github.com/tongdao/tongdao/core/money"
)

// AccountID identifies an account inside one ledger. IDs are assigned by the store, start at 1
// and never change.
type AccountID int64

// Side is the side of a line or the normal side of an account: Debit or Credit.
type Side string

// The two sides of double entry.
const (
	Debit  Side = "D"
	Credit Side = "C"
)

// Valid reports whether s is Debit or Credit.
func (s Side) Valid() bool { return s == Debit || s == Credit }

// Opposite returns the other side.
func (s Side) Opposite() Side {
	if s == Debit {
		return Credit
	}
	return Debit
}

// AccountType is the class of a chart-of-accounts code (Chinese GAAP classes: 资产, 负债,
// 所有者权益, 收入, 费用, 共同类).
type AccountType string

// The account types of the chart.
const (
	Asset     AccountType = "asset"
	Liability AccountType = "liability"
	Equity    AccountType = "equity"
	Revenue   AccountType = "revenue"
	Expense   AccountType = "expense"
	Common    AccountType = "common" // 共同类, e.g. clearing accounts; the normal side is given explicitly
)

// DefaultNormal returns the usual normal side of the type; for Common it returns "" because a
// common account must say its side.
func (t AccountType) DefaultNormal() Side {
	switch t {
	case Asset, Expense:
		return Debit
	case Liability, Equity, Revenue:
		return Credit
	}
	return ""
}

// Valid reports whether t is one of the six types.
func (t AccountType) Valid() bool {
	switch t {
	case Asset, Liability, Equity, Revenue, Expense, Common:
		return true
	}
	return false
}

// ChartAccount is one code of the chart of accounts, e.g. 1122 receivables with child
// 1122.01 receivable from WeChat. Parent is "" for a top-level code; a child has the type and
// normal side of its parent.
type ChartAccount struct {
	Code   string
	Parent string
	Name   string
	Type   AccountType
	Normal Side
}

// validate checks the fields of c that do not depend on other codes.
func (c ChartAccount) validate() error {
	if c.Code == "" || strings.ContainsAny(c.Code, " \t\n") {
		return fmt.Errorf("%w: chart code %q", ErrInvalidAccount, c.Code)
	}
	if !c.Type.Valid() {
		return fmt.Errorf("%w: chart %s type %q", ErrInvalidAccount, c.Code, c.Type)
	}
	if !c.Normal.Valid() {
		return fmt.Errorf("%w: chart %s normal side %q", ErrInvalidAccount, c.Code, c.Normal)
	}
	if d := c.Type.DefaultNormal(); d != "" && d != c.Normal {
		return fmt.Errorf("%w: chart %s is %s, whose normal side is %s not %s", ErrInvalidAccount, c.Code, c.Type, d, c.Normal)
	}
	if c.Parent == c.Code {
		return fmt.Errorf("%w: chart %s is its own parent", ErrInvalidAccount, c.Code)
	}
	return nil
}

// OwnerKind says whom an account belongs to.
type OwnerKind string

// The owners of accounts.
const (
	OwnerMerchant OwnerKind = "merchant"
	OwnerUser     OwnerKind = "user"
	OwnerChannel  OwnerKind = "channel"
	OwnerInternal OwnerKind = "internal"
)

// Valid reports whether k is a known owner kind.
func (k OwnerKind) Valid() bool {
	switch k {
	case OwnerMerchant, OwnerUser, OwnerChannel, OwnerInternal:
		return true
	}
	return false
}

// Flags are the switches of an account.
type Flags uint8

// Account flags.
const (
	// AllowNegative lets the available balance go below zero. Without it a line that would
	// overdraw the account is refused with ErrInsufficientFunds.
	AllowNegative Flags = 1 << iota
	// Frozen refuses lines that reduce the available balance (funds may still come in).
	Frozen
	// Closed refuses every line.
	Closed
)

// AccountSpec is what CreateAccount needs.
type AccountSpec struct {
	Code      string // chart code; must exist
	OwnerKind OwnerKind
	OwnerID   string
	Currency  money.Currency
	Name      string
	Flags     Flags
	// AgeLimitSeconds, when > 0, makes Verify report any part of this (receivable) account's
	// balance that has been outstanding for longer, first in first out (账龄).
	AgeLimitSeconds int64
}

// Account is one account with its balance counters. The counters are the raw sums of lines in
// minor units of Currency; Balance derives posted, held and available from them.
type Account struct {
	ID AccountID
	AccountSpec
	Type   AccountType // from the chart
	Normal Side        // from the chart
	Counters
}

// Counters are the four running sums of an account in minor units: posted debits and credits,
// and pending (held) debits and credits. Posted counters only grow; pending ones go up on a hold
// and down on capture or release.
type Counters struct {
	DebitPosted   int64
	CreditPosted  int64
	DebitPending  int64
	CreditPending int64
}

// Add applies one line (side, effect, amount in minor units) to c, checking overflow.
func (c *Counters) Add(side Side, eff Effect, amt int64) error {
	var p *int64
	switch {
	case eff == EffectPost && side == Debit:
		p = &c.DebitPosted
	case eff == EffectPost:
		p = &c.CreditPosted
	case side == Debit:
		p = &c.DebitPending
	default:
		p = &c.CreditPending
	}
	if eff == EffectUnhold {
		amt = -amt
	}
	s := *p + amt
	if (amt > 0 && s < *p) || (amt < 0 && s > *p) {
		return money.ErrOverflow
	}
	*p = s
	return nil
}

// Balance is an account's position in minor units of its currency, signed on its normal side
// (a positive balance of a liability is money owed to the owner).
type Balance struct {
	Account AccountID
	// Posted is posted normal-side movements minus posted opposite-side movements.
	Posted money.Amount
	// Held is the amount reserved by open holds that will reduce the balance when captured.
	Held money.Amount
	// Incoming is the amount of open holds that will increase the balance when captured; it is
	// not available yet.
	Incoming money.Amount
	// Available is Posted - Held: what may be spent now.
	Available money.Amount
}

// BalanceOf derives the balance of an account from its counters. Overflow is impossible for
// counters the ledger accepted, because the ledger refuses lines whose balance would overflow.
func BalanceOf(a Account) Balance {
	posted, held, in := a.position()
	cur := a.Currency
	return Balance{
		Account:   a.ID,
		Posted:    money.New(posted, cur),
		Held:      money.New(held, cur),
		Incoming:  money.New(in, cur),
		Available: money.New(posted-held, cur),
	}
}

// position returns posted, held and incoming in minor units on the normal side.
func (a Account) position() (posted, held, incoming int64) {
	c := a.Counters
	if a.Normal == Debit {
		return c.DebitPosted - c.CreditPosted, c.CreditPending, c.DebitPending
	}
	return c.CreditPosted - c.DebitPosted, c.DebitPending, c.CreditPending
}
