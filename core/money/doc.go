// Package money holds exact amounts of money: Amount is an int64 count of
// minor units (fen, cents, yen) with its ISO 4217 Currency. Nothing here uses
// floating point.
//
// Parsing and formatting of decimal strings ("0.01", "-3.50",
// "1,998,000.00") are exact, hand-written integer code that rejects more
// decimals than the currency has, grouping errors, signs other than a leading
// '-', exponents, spaces and non-ASCII digits. Arithmetic is checked: a
// result outside int64 is ErrOverflow and mixing currencies is
// ErrCurrencyMismatch, never a silent wrap or conversion.
//
// Rates, fees and exchange rates use github.com/shopspring/decimal for the
// exact product and then round once with an explicit Rounding. Split divides
// an amount by integer weights with the largest-remainder method, so the parts
// always sum to the whole.
//
// The package imports nothing else of tongdao and holds no mutable state.
package money
