package money

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestParse_AcceptsExactDecimals(t *testing.T) {
	tests := []struct {
		in    string
		cur   Currency
		minor int64
	}{
		{"0.01", CNY, 1},
		{"-3.50", CNY, -350},
		{"3.5", CNY, 350},
		{"100", CNY, 10000},
		{"0", CNY, 0},
		{"-0", CNY, 0},
		{"-0.00", CNY, 0},
		{"007.10", CNY, 710},
		{"1,998,000.00", CNY, 199800000},
		{"1,998,000", CNY, 199800000},
		{"-1,000.01", CNY, -100001},
		{"999", CNY, 99900},
		{"12,345", JPY, 12345},
		{"5", JPY, 5},
		{"-5", JPY, -5},
		{"92233720368547758.07", CNY, math.MaxInt64},
		{"-92233720368547758.08", CNY, math.MinInt64},
		{"92,233,720,368,547,758.07", USD, math.MaxInt64},
		{"9223372036854775807", JPY, math.MaxInt64},
		{"-9223372036854775808", JPY, math.MinInt64},
		{"00000000000000000000000000.01", CNY, 1},
	}
	for _, tt := range tests {
		t.Run(string(tt.cur)+" "+tt.in, func(t *testing.T) {
			got, err := Parse(tt.in, tt.cur)
			if err != nil {
				t.Fatalf("Parse(%q, %s): %v", tt.in, tt.cur, err)
			}
			if want := New(tt.minor, tt.cur); got != want {
				t.Fatalf("Parse(%q, %s) = %v (minor %d), want minor %d", tt.in, tt.cur, got, got.Minor(), tt.minor)
			}
		})
	}
}

func TestParse_RejectsBadInput(t *testing.T) {
	tests := []struct {
		in   string
		cur  Currency
		want error
	}{
		{"", CNY, ErrSyntax},
		{"-", CNY, ErrSyntax},
		{"+", CNY, ErrSyntax},
		{"+1", CNY, ErrSyntax},
		{".", CNY, ErrSyntax},
		{".5", CNY, ErrSyntax},
		{"5.", CNY, ErrSyntax},
		{"-.5", CNY, ErrSyntax},
		{"1..2", CNY, ErrSyntax},
		{"1.2.3", CNY, ErrSyntax},
		{"--1", CNY, ErrSyntax},
		{"1-", CNY, ErrSyntax},
		{"NaN", CNY, ErrSyntax},
		{"nan", CNY, ErrSyntax},
		{"Inf", CNY, ErrSyntax},
		{"-Infinity", CNY, ErrSyntax},
		{"1e5", CNY, ErrSyntax},
		{"1E5", CNY, ErrSyntax},
		{"0x10", CNY, ErrSyntax},
		{" 1.00", CNY, ErrSyntax},
		{"1.00 ", CNY, ErrSyntax},
		{"1 000.00", CNY, ErrSyntax},
		{"\t1", CNY, ErrSyntax},
		{"1.00\n", CNY, ErrSyntax},
		{"１", CNY, ErrSyntax},    // fullwidth digit one
		{"١٢", CNY, ErrSyntax},   // Arabic-Indic digits
		{"1.٠٠", CNY, ErrSyntax}, // Arabic-Indic zeros in the fraction
		{"¥1.00", CNY, ErrSyntax},
		{"1,99,8.00", CNY, ErrSyntax},
		{"1,9980.00", CNY, ErrSyntax},
		{"1234,567", CNY, ErrSyntax},
		{",123", CNY, ErrSyntax},
		{"1,", CNY, ErrSyntax},
		{"1,,000", CNY, ErrSyntax},
		{"0,123", CNY, ErrSyntax},
		{"1,000,00", CNY, ErrSyntax},
		{"1,000.0,0", CNY, ErrSyntax},
		{"1.00,0", CNY, ErrSyntax},
		{"-,100", CNY, ErrSyntax},
		{"1.001", CNY, ErrTooManyDecimals},
		{"1.000", CNY, ErrTooManyDecimals},
		{"-0.001", CNY, ErrTooManyDecimals},
		{"5.0", JPY, ErrTooManyDecimals},
		{"1.0000000000000000000000000", CNY, ErrTooManyDecimals},
		{"92233720368547758.08", CNY, ErrOverflow},
		{"-92233720368547758.09", CNY, ErrOverflow},
		{"9223372036854775808", JPY, ErrOverflow},
		{"-9223372036854775809", JPY, ErrOverflow},
		{"99999999999999999999999", CNY, ErrOverflow},
		{"999,999,999,999,999,999,999", CNY, ErrOverflow},
		{"99999999999999999999999x", CNY, ErrSyntax}, // syntax wins over overflow
		{"99999999999999999999999.001", CNY, ErrTooManyDecimals},
		{"1.00", "", ErrUnknownCurrency},
		{"1.00", "XXX", ErrUnknownCurrency},
		{"1.00", "cny", ErrUnknownCurrency},
	}
	for _, tt := range tests {
		t.Run(string(tt.cur)+" "+tt.in, func(t *testing.T) {
			got, err := Parse(tt.in, tt.cur)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse(%q, %q) = %v, %v; want error %v", tt.in, tt.cur, got, err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Input != tt.in || pe.Err != tt.want {
				t.Fatalf("Parse(%q) error %#v, want *ParseError{Input: %q, Err: %v}", tt.in, err, tt.in, tt.want)
			}
			if got != (Amount{}) {
				t.Fatalf("Parse(%q) returned %v with an error, want zero Amount", tt.in, got)
			}
		})
	}
}

func TestParseError_MessageQuotesAndTruncatesInput(t *testing.T) {
	_, err := Parse("1..2", CNY)
	if got, want := err.Error(), `money: parsing "1..2": money: invalid syntax`; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	_, err = Parse(strings.Repeat("9", 200), CNY)
	if got := err.Error(); len(got) > 150 || !strings.Contains(got, "...") {
		t.Fatalf("Error() for a 200-byte input = %q (len %d), want it truncated", got, len(got))
	}
}

func TestMustParse_PanicsOnBadInput(t *testing.T) {
	if got := MustParse("1.23", USD); got != New(123, USD) {
		t.Fatalf("MustParse = %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("MustParse(\"x\") did not panic")
		}
	}()
	MustParse("x", CNY)
}

func TestDecimal_ExactlyExponentDecimals(t *testing.T) {
	tests := []struct {
		a    Amount
		want string
	}{
		{Fen(0), "0.00"},
		{Fen(1), "0.01"},
		{Fen(-1), "-0.01"},
		{Fen(10), "0.10"},
		{Fen(-350), "-3.50"},
		{Fen(100), "1.00"},
		{Fen(199800000), "1998000.00"},
		{Fen(math.MaxInt64), "92233720368547758.07"},
		{Fen(math.MinInt64), "-92233720368547758.08"},
		{New(5, JPY), "5"},
		{New(-5, JPY), "-5"},
		{New(math.MinInt64, JPY), "-9223372036854775808"},
		{New(12345, "XXX"), "12345"}, // unknown currency: minor units
		{Amount{}, "0"},
	}
	for _, tt := range tests {
		if got := tt.a.Decimal(); got != tt.want {
			t.Errorf("%#v.Decimal() = %q, want %q", tt.a, got, tt.want)
		}
	}
}

func TestGrouped_CommasEveryThreeDigits(t *testing.T) {
	tests := []struct {
		a    Amount
		want string
	}{
		{Fen(0), "0.00"},
		{Fen(1), "0.01"},
		{Fen(-100001), "-1,000.01"},
		{Fen(99999), "999.99"},
		{Fen(100000), "1,000.00"},
		{Fen(199800000), "1,998,000.00"},
		{Fen(math.MinInt64), "-92,233,720,368,547,758.08"},
		{New(12345, JPY), "12,345"},
		{New(-123456, JPY), "-123,456"},
		{New(123, JPY), "123"},
	}
	for _, tt := range tests {
		got := tt.a.Grouped()
		if got != tt.want {
			t.Errorf("%v.Grouped() = %q, want %q", tt.a, got, tt.want)
		}
		if back, err := Parse(got, tt.a.Currency()); err != nil || back != tt.a {
			t.Errorf("Parse(%q) = %v, %v", got, back, err)
		}
	}
}

func TestString_CurrencyThenDecimal(t *testing.T) {
	tests := []struct {
		a    Amount
		want string
	}{
		{Fen(100), "CNY 1.00"},
		{New(-5, JPY), "JPY -5"},
		{New(1, USD), "USD 0.01"},
		{Amount{}, "0"},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestParse_DoesNotAllocateOnSuccess(t *testing.T) {
	for _, in := range []string{"0.01", "-3.50", "1998000.00", "1,998,000.00"} {
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := Parse(in, CNY); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("Parse(%q) allocates %v times per call, want 0", in, allocs)
		}
	}
}

var testCurrencies = []Currency{CNY, USD, EUR, JPY, HKD, GBP, SGD, KRW}

// refParse is an independent reference for the accepted grammar: strip the
// grouping commas Parse already validated, then compute with big.Int.
func refParse(s string, exp int) (int64, bool) {
	s = strings.ReplaceAll(s, ",", "")
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(s, ".")
	fp += strings.Repeat("0", exp-len(fp))
	v, ok := new(big.Int).SetString(ip+fp, 10)
	if !ok {
		return 0, false
	}
	if neg {
		v.Neg(v)
	}
	if !v.IsInt64() {
		return 0, false
	}
	return v.Int64(), true
}

// FuzzParse checks that Parse never panics, that every accepted input has the
// value an independent big.Int computation gives, and that Decimal round-trips.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0.01", "-3.50", "1,998,000.00", "100", "", "NaN", "1e5", "+",
		".", "1..2", "1,99,8.00", " 1", "１", "92233720368547758.07", "-92233720368547758.08",
		"92233720368547758.08", "1.001", "-0", "0,001"} {
		for i := range testCurrencies {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, s string, ci uint8) {
		c := testCurrencies[int(ci)%len(testCurrencies)]
		a, err := Parse(s, c)
		if err != nil {
			if a != (Amount{}) {
				t.Fatalf("Parse(%q) returned %v and error %v", s, a, err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T is not *ParseError", s, err)
			}
			return
		}
		if a.Currency() != c {
			t.Fatalf("Parse(%q, %s) currency %s", s, c, a.Currency())
		}
		want, ok := refParse(s, c.Exponent())
		if !ok || want != a.Minor() {
			t.Fatalf("Parse(%q, %s) = %d, reference %d (ok=%v)", s, c, a.Minor(), want, ok)
		}
		back, err := Parse(a.Decimal(), c)
		if err != nil || back != a {
			t.Fatalf("Parse(Decimal()) of %v: %v, %v", a, back, err)
		}
		if back, err := Parse(a.Grouped(), c); err != nil || back != a {
			t.Fatalf("Parse(Grouped()) of %v: %v, %v", a, back, err)
		}
	})
}

// FuzzDecimalRoundTrip checks Parse(a.Decimal()) == a for every int64.
func FuzzDecimalRoundTrip(f *testing.F) {
	for _, m := range []int64{0, 1, -1, 9, 10, 99, 100, -350, math.MaxInt64, math.MinInt64} {
		f.Add(m, uint8(0))
		f.Add(m, uint8(3))
	}
	f.Fuzz(func(t *testing.T, minor int64, ci uint8) {
		a := New(minor, testCurrencies[int(ci)%len(testCurrencies)])
		got, err := Parse(a.Decimal(), a.Currency())
		if err != nil || got != a {
			t.Fatalf("Parse(%q) = %v, %v; want %v", a.Decimal(), got, err, a)
		}
		if got, err := Parse(a.Grouped(), a.Currency()); err != nil || got != a {
			t.Fatalf("Parse(%q) = %v, %v; want %v", a.Grouped(), got, err, a)
		}
	})
}
