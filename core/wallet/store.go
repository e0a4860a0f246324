package wallet

import (
	"context"
	"time"
)

// DayLimit is a customer's limit of one Beijing day ("2006-01-02") in minor units.
type DayLimit struct {
	Day string
	Max int64
}

// PasswordState is a customer's payment password record.
type PasswordState struct {
	Hash        string    // PHC-style argon2id string; "" when none is set
	Failures    int       // wrong tries since the last right one
	LockedUntil time.Time // zero or when the lock-out ends
}

// Store is the storage of customers, users, accounts, cards, operations and statements.
// core/store implements it on SQLite and PostgreSQL. Balances are not here: they are the
// ledger's. Errors: ErrNotFound, ErrDuplicate, ErrStale.
type Store interface {
	CreateCustomer(ctx context.Context, c *Customer) error // ErrDuplicate on (merchant, customer no)
	Customer(ctx context.Context, id string) (*Customer, error)
	CustomerByNo(ctx context.Context, merchantID, customerNo string) (*Customer, error)
	// RaiseCustomerLevel raises the customer's level to l (never lowers it) with note.
	RaiseCustomerLevel(ctx context.Context, id string, l Level, note string, at time.Time) error

	CreateWalletUser(ctx context.Context, u *User) error // ErrDuplicate on (merchant, business line, login)
	WalletUser(ctx context.Context, id string) (*User, error)

	CreatePaymentAccount(ctx context.Context, a *Account) error // ErrDuplicate on id
	PaymentAccount(ctx context.Context, id string) (*Account, error)
	PaymentAccounts(ctx context.Context, customerID string) ([]*Account, error)

	SetPaymentPassword(ctx context.Context, customerID, hash string) error // also clears failures and lock
	PaymentPassword(ctx context.Context, customerID string) (PasswordState, error)
	// PaymentPasswordFailed counts a wrong try atomically; when the count reaches max it sets
	// LockedUntil to lockUntil. It returns the state after the update.
	PaymentPasswordFailed(ctx context.Context, customerID string, max int, lockUntil time.Time) (PasswordState, error)
	PaymentPasswordOK(ctx context.Context, customerID string) error // clears the failures

	PutBoundCard(ctx context.Context, c *Card) error // insert or replace by ID
	BoundCard(ctx context.Context, id string) (*Card, error)
	BoundCards(ctx context.Context, customerID string) ([]*Card, error)

	// InsertWalletOp stores o unless an op with its (merchant, kind, request no) exists; it
	// returns the stored op and whether it was created now. With limit, a new op's amount is
	// added to the customer's total of limit.Day in the same transaction, and if that total
	// would pass limit.Max nothing is stored and the error wraps ErrLimit: concurrent requests
	// can never pass the day's limit together. The stored op then carries LimitDay.
	InsertWalletOp(ctx context.Context, o *Op, limit *DayLimit) (*Op, bool, error)
	WalletOp(ctx context.Context, id string) (*Op, error)
	WalletOpByRequest(ctx context.Context, merchantID string, kind OpKind, requestNo string) (*Op, error)
	// UpdateWalletOp replaces o where the stored version is o.Version, and increments
	// o.Version; ErrStale if it moved. An op that becomes OpFailed leaves its day's total.
	// The statement lines are stored in the same transaction (a line already stored is
	// skipped).
	UpdateWalletOp(ctx context.Context, o *Op, lines []Line) error
	// FinishWalletOps stores the final state of each of ops (as UpdateWalletOp, skipping an
	// op whose stored version moved) and the statement lines (a line already stored is
	// skipped), all in one transaction.
	FinishWalletOps(ctx context.Context, ops []*Op, lines []Line) error
	// DeleteWalletOp removes a pending op that was refused before any money moved, and takes
	// its amount off its day's total.
	DeleteWalletOp(ctx context.Context, id string) error
	// DueWalletOps leases up to limit ops of kind in one of states whose NextAt is at or before
	// now: their NextAt moves to now+lease so no other worker takes them meanwhile.
	DueWalletOps(ctx context.Context, kind OpKind, states []OpState, now time.Time, limit int, lease time.Duration) ([]*Op, error)

	// StatementLines returns up to limit lines of account with Seq > after, in Seq order.
	StatementLines(ctx context.Context, accountID string, after int64, limit int) ([]Line, error)
}
