package money

// Currency is an ISO 4217 alphabetic currency code in upper case, e.g. "CNY".
// The empty Currency is the currency of the zero Amount and is not Valid.
type Currency string

// Currencies with a known exponent. The list is fixed at compile time; see
// Currency.Exponent for the full set.
const (
	CNY Currency = "CNY" // Chinese yuan renminbi, 2 decimals (fen)
	USD Currency = "USD" // US dollar, 2 decimals
	EUR Currency = "EUR" // euro, 2 decimals
	JPY Currency = "JPY" // Japanese yen, 0 decimals
	HKD Currency = "HKD" // Hong Kong dollar, 2 decimals
	GBP Currency = "GBP" // pound sterling, 2 decimals
	SGD Currency = "SGD" // Singapore dollar, 2 decimals
	MOP Currency = "MOP" // Macanese pataca, 2 decimals
	TWD Currency = "TWD" // New Taiwan dollar, 2 decimals (ISO 4217)
	AUD Currency = "AUD" // Australian dollar, 2 decimals
	CAD Currency = "CAD" // Canadian dollar, 2 decimals
	CHF Currency = "CHF" // Swiss franc, 2 decimals
	KRW Currency = "KRW" // South Korean won, 0 decimals
)

// Exponent returns the number of minor-unit decimals of c per ISO 4217
// (2 for CNY, 0 for JPY), or -1 if c is unknown.
func (c Currency) Exponent() int {
	switch c {
	case CNY, USD, EUR, HKD, GBP, SGD, MOP, TWD, AUD, CAD, CHF:
		return 2
	case JPY, KRW:
		return 0
	}
	return -1
}

// Valid reports whether c is a currency this package knows the exponent of.
func (c Currency) Valid() bool { return c.Exponent() >= 0 }

// ParseCurrency parses a three-letter ISO 4217 code. ASCII letters of either
// case are accepted and the result is upper case; anything else, including
// surrounding spaces, fails with a *ParseError wrapping ErrUnknownCurrency.
func ParseCurrency(s string) (Currency, error) {
	if len(s) != 3 {
		return "", &ParseError{Input: s, Err: ErrUnknownCurrency}
	}
	var b [3]byte
	for i := 0; i < 3; i++ {
		ch := s[i]
		switch {
		case ch >= 'A' && ch <= 'Z':
		case ch >= 'a' && ch <= 'z':
			ch -= 'a' - 'A'
		default:
			return "", &ParseError{Input: s, Err: ErrUnknownCurrency}
		}
		b[i] = ch
	}
	c := Currency(b[:])
	if !c.Valid() {
		return "", &ParseError{Input: s, Err: ErrUnknownCurrency}
	}
	return c, nil
}
