package money

import (
	"math"
	"strconv"
)

// Parse parses a decimal string in currency c into an exact Amount.
//
// Accepted grammar (nothing else; no spaces, no '+', no exponent, ASCII digits
// only):
//
//	amount   = [ "-" ] integer [ "." fraction ]
//	integer  = digit { digit }                      e.g. "1998000", "007"
//	         | lead { "," digit digit digit }        e.g. "1,998,000"
//	lead     = nonzero [ digit [ digit ] ]           (1-3 digits, no leading zero)
//	fraction = digit { digit }                       at most c.Exponent() digits
//
// So "0.01", "-3.50", "1,998,000.00", "100" and "3.5" (= 3.50) parse; "", "+",
// ".", ".5", "5.", "1..2", "1,99,8.00", " 1", "1e5", "NaN", "Inf" and "１" are
// ErrSyntax; "1.001" and "1.000" in CNY and "5.0" in JPY are ErrTooManyDecimals
// (extra zeros are refused too: they signal a column in the wrong unit); values
// outside int64 minor units are ErrOverflow; an unknown c is ErrUnknownCurrency.
// Errors are *ParseError. When several problems exist, syntax wins over too
// many decimals, which wins over overflow.
//
// Parse does exact integer arithmetic (no float, no decimal library) and does
// not allocate on success.
func Parse(s string, c Currency) (Amount, error) {
	exp := c.Exponent()
	if exp < 0 {
		return Amount{}, &ParseError{Input: s, Err: ErrUnknownCurrency}
	}
	minor, err := parseMinor(s, exp)
	if err != nil {
		return Amount{}, &ParseError{Input: s, Err: err}
	}
	return Amount{minor: minor, cur: c}, nil
}

// MustParse is Parse that panics on error. Use it for constants and tests only,
// never for outside input.
func MustParse(s string, c Currency) Amount {
	a, err := Parse(s, c)
	if err != nil {
		panic(err)
	}
	return a
}

// acc accumulates a non-negative magnitude bounded by limit, remembering (not
// reporting) overflow so that a later syntax error still takes precedence.
type acc struct {
	mag      uint64
	limit    uint64
	overflow bool
}

func (a *acc) digit(d byte) {
	if a.overflow {
		return
	}
	v := uint64(d)
	if a.mag > (a.limit-v)/10 {
		a.overflow = true
		return
	}
	a.mag = a.mag*10 + v
}

func isDigit(ch byte) bool { return ch >= '0' && ch <= '9' }

// parseMinor parses s (grammar in Parse) into minor units with exp decimals.
func parseMinor(s string, exp int) (int64, error) {
	i := 0
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg = true
		i = 1
	}
	a := acc{limit: math.MaxInt64}
	if neg {
		a.limit = 1 << 63 // |MinInt64|
	}

	// Integer part, optionally grouped by commas in threes.
	start := i
	grouped := false
	groupLen := 0
	for ; i < len(s); i++ {
		ch := s[i]
		if isDigit(ch) {
			a.digit(ch - '0')
			groupLen++
			continue
		}
		if ch != ',' {
			break
		}
		if !grouped {
			if groupLen < 1 || groupLen > 3 || s[start] == '0' {
				return 0, ErrSyntax
			}
			grouped = true
		} else if groupLen != 3 {
			return 0, ErrSyntax
		}
		groupLen = 0
	}
	if i == start || (grouped && groupLen != 3) {
		return 0, ErrSyntax
	}

	// Fraction part.
	frac := 0
	if i < len(s) {
		if s[i] != '.' {
			return 0, ErrSyntax
		}
		i++
		fs := i
		for ; i < len(s); i++ {
			if !isDigit(s[i]) {
				return 0, ErrSyntax
			}
		}
		frac = i - fs
		if frac == 0 {
			return 0, ErrSyntax
		}
		if frac > exp {
			return 0, ErrTooManyDecimals
		}
		for j := fs; j < i; j++ {
			a.digit(s[j] - '0')
		}
	}
	for ; frac < exp; frac++ {
		a.digit(0)
	}
	if a.overflow {
		return 0, ErrOverflow
	}
	if neg {
		// Two's complement: -(1<<63) converts to MinInt64 exactly.
		return int64(-a.mag), nil
	}
	return int64(a.mag), nil
}

// AppendDecimal appends a.Decimal() to b and returns the extended slice; it
// does not allocate when b has room.
func (a Amount) AppendDecimal(b []byte) []byte {
	exp := a.cur.Exponent()
	if exp < 0 {
		exp = 0 // unknown currency: plain minor units
	}
	mag := uint64(a.minor)
	if a.minor < 0 {
		b = append(b, '-')
		mag = -mag // two's complement magnitude, exact for MinInt64
	}
	var tmp [20]byte
	d := strconv.AppendUint(tmp[:0], mag, 10)
	if exp == 0 {
		return append(b, d...)
	}
	if len(d) <= exp {
		b = append(b, '0', '.')
		for k := len(d); k < exp; k++ {
			b = append(b, '0')
		}
		return append(b, d...)
	}
	b = append(b, d[:len(d)-exp]...)
	b = append(b, '.')
	return append(b, d[len(d)-exp:]...)
}

// Decimal formats a in major units with exactly Exponent() decimals and no
// grouping: "1998000.00", "-3.50", "5" (JPY). Parse(a.Decimal(), a.Currency())
// returns a for every valid currency. An unknown currency formats as plain
// minor units.
func (a Amount) Decimal() string {
	var buf [32]byte
	return string(a.AppendDecimal(buf[:0]))
}

// String formats a for humans and logs: "CNY 1.00"; the zero Amount is "0".
func (a Amount) String() string {
	if a.cur == "" {
		return a.Decimal()
	}
	var buf [40]byte
	b := append(buf[:0], a.cur...)
	b = append(b, ' ')
	return string(a.AppendDecimal(b))
}

// Grouped formats a like Decimal but with the integer part grouped in threes
// by commas, as channel statements print it: "1,998,000.00", "-1,000.01",
// "12,345" (JPY). Parse accepts the result.
func (a Amount) Grouped() string {
	var buf [32]byte
	d := a.AppendDecimal(buf[:0])
	sign := 0
	if len(d) > 0 && d[0] == '-' {
		sign = 1
	}
	intEnd := len(d)
	for i := sign; i < len(d); i++ {
		if d[i] == '.' {
			intEnd = i
			break
		}
	}
	digits := intEnd - sign
	out := make([]byte, 0, len(d)+digits/3)
	out = append(out, d[:sign]...)
	for i := sign; i < intEnd; i++ {
		if i > sign && (intEnd-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, d[i])
	}
	return string(append(out, d[intEnd:]...))
}
