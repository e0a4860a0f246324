package money

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Rounding says how an exact product is rounded to whole minor units. The zero
// Rounding is invalid on purpose: every fee rule must name its rounding.
type Rounding int

// Rounding modes. "Half" modes look at the exact remainder; ties are exactly
// half a minor unit. Examples in fen: 2.5 → HalfUp 3, HalfEven 2, Down 2, Up 3;
// -2.5 → HalfUp -3, HalfEven -2, Down -2, Up -3; 2.4 → 2, 2, 2, 3.
const (
	// HalfUp rounds to nearest, ties away from zero (Java's HALF_UP, the
	// "四舍五入" of Chinese fee contracts; decimal.Round).
	HalfUp Rounding = iota + 1
	// HalfEven rounds to nearest, ties to the even neighbour (banker's rounding).
	HalfEven
	// Down truncates toward zero (never charges more than the exact product).
	Down
	// Up rounds away from zero (any nonzero remainder adds one minor unit).
	Up
)

// String returns the mode's name, e.g. "HalfEven".
func (r Rounding) String() string {
	switch r {
	case HalfUp:
		return "HalfUp"
	case HalfEven:
		return "HalfEven"
	case Down:
		return "Down"
	case Up:
		return "Up"
	}
	return fmt.Sprintf("Rounding(%d)", int(r))
}

// Valid reports whether r is one of the four defined modes.
func (r Rounding) Valid() bool { return r >= HalfUp && r <= Up }

// ParseRounding parses "HalfUp", "HalfEven", "Down" or "Up" (case-insensitive;
// also "half_up", "half-even", …) for config files.
func ParseRounding(s string) (Rounding, error) {
	k := strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
	switch k {
	case "halfup":
		return HalfUp, nil
	case "halfeven":
		return HalfEven, nil
	case "down":
		return Down, nil
	case "up":
		return Up, nil
	}
	return 0, &ParseError{Input: s, Err: ErrInvalidRounding}
}

// round rounds d to an integer with r.
func (r Rounding) round(d decimal.Decimal) (decimal.Decimal, error) {
	switch r {
	case HalfUp:
		return d.Round(0), nil
	case HalfEven:
		return d.RoundBank(0), nil
	case Down:
		return d.RoundDown(0), nil
	case Up:
		return d.RoundUp(0), nil
	}
	return decimal.Decimal{}, fmt.Errorf("money: rounding %v: %w", r, ErrInvalidRounding)
}

// roundToMinor rounds an exact count of minor units and converts it to int64.
func roundToMinor(d decimal.Decimal, r Rounding) (int64, error) {
	rd, err := r.round(d)
	if err != nil {
		return 0, err
	}
	// rd is an integer now; BigInt is exact where IntPart would wrap.
	bi := rd.BigInt()
	if !bi.IsInt64() {
		return 0, fmt.Errorf("money: %s minor units: %w", rd.String(), ErrOverflow)
	}
	return bi.Int64(), nil
}

// maxRateLen bounds rate strings so a hostile config cannot make decimal work
// on megabyte numbers.
const maxRateLen = 40

// ParseRate parses a non-negative rate into a fraction: "0.6%" → 0.006,
// "6‰" → 0.006, "60bp" or "60bps" → 0.006, "0.006" → 0.006. The number is plain ASCII
// decimal ("digits[.digits]", no sign, no exponent, no spaces, at most 40
// bytes); errors are *ParseError wrapping ErrSyntax.
func ParseRate(s string) (decimal.Decimal, error) {
	num, shift := s, int32(0)
	switch {
	case strings.HasSuffix(s, "%"):
		num, shift = s[:len(s)-1], -2
	case strings.HasSuffix(s, "‰"): // per mille, as in 千分之六 = "6‰"
		num, shift = s[:len(s)-len("‰")], -3
	case strings.HasSuffix(s, "bps"):
		num, shift = s[:len(s)-3], -4
	case strings.HasSuffix(s, "bp"):
		num, shift = s[:len(s)-2], -4
	}
	if !plainDecimal(num) || len(s) > maxRateLen {
		return decimal.Decimal{}, &ParseError{Input: s, Err: ErrSyntax}
	}
	d, err := decimal.NewFromString(num)
	if err != nil {
		return decimal.Decimal{}, &ParseError{Input: s, Err: ErrSyntax}
	}
	return d.Shift(shift), nil
}

// plainDecimal reports whether s is digits with at most one interior '.'.
func plainDecimal(s string) bool {
	if s == "" {
		return false
	}
	dot := -1
	for i := 0; i < len(s); i++ {
		switch {
		case isDigit(s[i]):
		case s[i] == '.' && dot < 0:
			dot = i
		default:
			return false
		}
	}
	return dot != 0 && dot != len(s)-1
}

// BasisPoints returns bp basis points as a fraction: BasisPoints(60) == 0.006.
func BasisPoints(bp int64) decimal.Decimal { return decimal.New(bp, -4) }

// MulRate returns a*rate rounded to whole minor units with r, in a's currency.
// The product is exact before rounding. A negative a or rate gives a negative
// result rounded per r (Down toward zero, Up away from zero). Errors:
// ErrInvalidRounding, ErrOverflow.
func (a Amount) MulRate(rate decimal.Decimal, r Rounding) (Amount, error) {
	m, err := roundToMinor(decimal.NewFromInt(a.minor).Mul(rate), r)
	if err != nil {
		return Amount{}, fmt.Errorf("money: %s × %s: %w", a, rate, err)
	}
	return Amount{minor: m, cur: a.cur}, nil
}

// Convert converts a into currency to at rate, the price of one major unit of
// a's currency in major units of to (e.g. 0.048 CNY per JPY): the exact product
// is rescaled between the two exponents and rounded once with r. Errors:
// ErrUnknownCurrency (either side), ErrInvalidRate (rate <= 0),
// ErrInvalidRounding, ErrOverflow.
func (a Amount) Convert(rate decimal.Decimal, to Currency, r Rounding) (Amount, error) {
	from := a.cur.Exponent()
	if from < 0 {
		return Amount{}, fmt.Errorf("money: convert from %q: %w", a.cur, ErrUnknownCurrency)
	}
	te := to.Exponent()
	if te < 0 {
		return Amount{}, fmt.Errorf("money: convert to %q: %w", to, ErrUnknownCurrency)
	}
	if rate.Sign() <= 0 {
		return Amount{}, fmt.Errorf("money: convert rate %s: %w", rate, ErrInvalidRate)
	}
	exact := decimal.NewFromInt(a.minor).Mul(rate).Shift(int32(te - from))
	m, err := roundToMinor(exact, r)
	if err != nil {
		return Amount{}, fmt.Errorf("money: convert %s to %s at %s: %w", a, to, rate, err)
	}
	return Amount{minor: m, cur: to}, nil
}

// Major returns a in major units as an exact decimal (Fen(150).Major() is
// 1.5). An unknown currency is treated as exponent 0.
func (a Amount) Major() decimal.Decimal {
	e := a.cur.Exponent()
	if e < 0 {
		e = 0
	}
	return decimal.New(a.minor, -int32(e))
}
