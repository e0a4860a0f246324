package ledger

import (
	"errors"
	"fmt"
)

// Sentinel errors. A refused request wraps exactly one of them (match with errors.Is) in a
// *RequestError naming the field; nothing is written for a refused request.
var (
	ErrUnbalanced          = errors.New("ledger: debits do not equal credits")
	ErrUnknownAccount      = errors.New("ledger: unknown account")
	ErrCurrencyMismatch    = errors.New("ledger: currency does not match the account")
	ErrNonPositiveAmount   = errors.New("ledger: line amount must be greater than zero")
	ErrInsufficientFunds   = errors.New("ledger: account may not go negative")
	ErrDayClosed           = errors.New("ledger: accounting day is closed")
	ErrAccountFrozen       = errors.New("ledger: account is frozen")
	ErrAccountClosed       = errors.New("ledger: account is closed")
	ErrIdempotencyConflict = errors.New("ledger: idempotency key reused with different content")
	ErrVoucherMismatch     = errors.New("ledger: voucher amount does not match")
	ErrInvalidRequest      = errors.New("ledger: invalid request")
	ErrInvalidAccount      = errors.New("ledger: invalid account")
	ErrUnknownHold         = errors.New("ledger: unknown or finished hold")
	ErrHoldExceeded        = errors.New("ledger: capture exceeds what remains of the hold")
	ErrNotReversible       = errors.New("ledger: entry cannot be reversed")
	ErrAlreadyReversed     = errors.New("ledger: entry already reversed")
	ErrNotFound            = errors.New("ledger: not found")
	ErrDayNotOver          = errors.New("ledger: accounting day is not over yet")
	ErrClosed              = errors.New("ledger: closed")
	ErrOverflow            = errors.New("ledger: balance would overflow")
	// ErrUnknownOutcome: the store did not confirm the commit of the write (a connection
	// lost during COMMIT). The entry may or may not have been applied; retrying with the
	// same idempotency key returns it if it was and applies it once if it was not.
	ErrUnknownOutcome = errors.New("ledger: outcome unknown: the store did not confirm the commit; retry with the same key")
	// ErrStale is a HeadAppender's answer when a batch's assumptions no longer hold (the
	// head moved, a voucher differs); nothing was applied. Never returned to callers.
	ErrStale = errors.New("ledger: batch staged on a stale view of the store")
)

// UnreadableEntryError is a store's report that entry Seq's stored record cannot be read back
// (its lines or dates do not parse) — an edit made directly in the database. PrevHash and
// Hash are the entry's stored chain hashes, read apart from the rest. Verify reports such an
// entry under the chain check and reads on.
type UnreadableEntryError struct {
	Seq            int64
	PrevHash, Hash []byte
	Err            error
}

// Error implements error.
func (e *UnreadableEntryError) Error() string {
	return fmt.Sprintf("ledger: stored entry %d cannot be read: %v", e.Seq, e.Err)
}

// Unwrap returns the parse error.
func (e *UnreadableEntryError) Unwrap() error { return e.Err }

// RequestError is a refused request: Field names the offending input (e.g. "lines[2].amount"),
// Err is one of the sentinels.
type RequestError struct {
	Key   string
	Field string
	Err   error
	// Detail says more for a human, e.g. the two currencies.
	Detail string
}

// Error implements error.
func (e *RequestError) Error() string {
	s := fmt.Sprintf("%v: %s", e.Err, e.Field)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	if e.Key != "" {
		s += " [key " + e.Key + "]"
	}
	return s
}

// Unwrap returns the sentinel.
func (e *RequestError) Unwrap() error { return e.Err }

func reqErr(key, field string, err error, format string, args ...any) *RequestError {
	return &RequestError{Key: key, Field: field, Err: err, Detail: fmt.Sprintf(format, args...)}
}
