package money

import (
	"errors"
	"strconv"
)

// Sentinel errors returned (wrapped) by this package. Match them with errors.Is.
var (
	// ErrCurrencyMismatch is returned when two amounts of different currencies
	// (including the zero Amount, which has no currency) are combined or compared.
	ErrCurrencyMismatch = errors.New("money: currency mismatch")
	// ErrOverflow is returned when a result does not fit in int64 minor units.
	// Arithmetic never wraps.
	ErrOverflow = errors.New("money: overflow")
	// ErrUnknownCurrency is returned for a currency code this package has no
	// exponent for.
	ErrUnknownCurrency = errors.New("money: unknown currency")
	// ErrSyntax is returned for input that is not a plain decimal number in the
	// accepted grammar (see Parse and ParseRate).
	ErrSyntax = errors.New("money: invalid syntax")
	// ErrTooManyDecimals is returned when an input has more fraction digits than
	// the currency's exponent, even if the extra digits are zeros ("1.000" CNY).
	ErrTooManyDecimals = errors.New("money: too many decimals")
	// ErrInvalidRounding is returned when a Rounding is not one of HalfUp,
	// HalfEven, Down or Up (the zero Rounding is invalid on purpose, so a fee rule
	// must name its rounding).
	ErrInvalidRounding = errors.New("money: invalid rounding mode")
	// ErrInvalidRate is returned for a rate outside the range an operation
	// accepts (negative fee rate, non-positive exchange rate).
	ErrInvalidRate = errors.New("money: invalid rate")
	// ErrInvalidWeights is returned by Split for an empty weight list, a negative
	// weight, or weights that are all zero.
	ErrInvalidWeights = errors.New("money: invalid split weights")
	// ErrInvalidFee is returned by Fee.Apply for an inconsistent fee rule
	// (Min greater than Max).
	ErrInvalidFee = errors.New("money: invalid fee rule")
)

// ParseError records a failed parse of an amount, currency or rate. Err is one
// of the package sentinels (ErrSyntax, ErrTooManyDecimals, ErrOverflow,
// ErrUnknownCurrency), so errors.Is(err, ErrSyntax) works through it.
type ParseError struct {
	Input string // the rejected input, verbatim (amounts and rates are not secrets)
	Err   error  // one of the package sentinels
}

// maxQuotedInput bounds how much of a hostile input lands in an error message.
const maxQuotedInput = 64

// Error implements error: `money: parsing "1..2": money: invalid syntax`.
func (e *ParseError) Error() string {
	in := e.Input
	if len(in) > maxQuotedInput {
		in = in[:maxQuotedInput] + "..."
	}
	return "money: parsing " + strconv.Quote(in) + ": " + e.Err.Error()
}

// Unwrap returns the sentinel.
func (e *ParseError) Unwrap() error { return e.Err }
