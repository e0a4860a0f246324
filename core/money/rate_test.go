package money

import (
	"errors"
	"math"
	"testing"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// TestRounding_EveryModeOnTiesAndNegatives pins each mode on exact products in
// tenths of a fen: Fen(x).MulRate(0.1) is x/10 fen exactly.
func TestRounding_EveryModeOnTiesAndNegatives(t *testing.T) {
	tests := []struct {
		tenths                     int64 // exact product is tenths/10 fen
		halfUp, halfEven, down, up int64
	}{
		{25, 3, 2, 2, 3},      // 2.5 tie, even neighbour below
		{35, 4, 4, 3, 4},      // 3.5 tie, even neighbour above
		{-25, -3, -2, -2, -3}, // negative tie
		{-35, -4, -4, -3, -4},
		{5, 1, 0, 0, 1}, // 0.5
		{-5, -1, 0, 0, -1},
		{24, 2, 2, 2, 3},
		{26, 3, 3, 2, 3},
		{-24, -2, -2, -2, -3},
		{-26, -3, -3, -2, -3},
		{1, 0, 0, 0, 1},
		{-1, 0, 0, 0, -1},
		{20, 2, 2, 2, 2}, // exact: no mode changes it
		{-20, -2, -2, -2, -2},
		{0, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		for _, m := range []struct {
			r    Rounding
			want int64
		}{{HalfUp, tt.halfUp}, {HalfEven, tt.halfEven}, {Down, tt.down}, {Up, tt.up}} {
			got, err := Fen(tt.tenths).MulRate(dec("0.1"), m.r)
			if err != nil || got != Fen(m.want) {
				t.Errorf("%d/10 fen %v = %v, %v; want %d", tt.tenths, m.r, got, err, m.want)
			}
		}
	}
}

// TestMulRate_FeeLikeProducts covers realistic rates where the tie sits deep in
// the decimals (0.6% of 0.75 yuan = 0.45 fen).
func TestMulRate_FeeLikeProducts(t *testing.T) {
	tests := []struct {
		minor int64
		rate  string
		r     Rounding
		want  int64
	}{
		{10000, "0.006", HalfUp, 60},
		{75, "0.006", HalfUp, 0},      // 0.45
		{250, "0.006", HalfUp, 2},     // 1.5 tie → 2
		{250, "0.006", HalfEven, 2},   // 1.5 tie → 2 (even)
		{417, "0.006", HalfEven, 3},   // 2.502
		{-250, "0.006", HalfUp, -2},   // -1.5 → -2
		{-750, "0.006", HalfEven, -4}, // -4.5 → -4
		{-750, "0.006", Up, -5},
		{-750, "0.006", Down, -4},
		{1, "0.0000001", Up, 1},
		{math.MaxInt64, "1", Down, math.MaxInt64},
		{math.MinInt64, "1", Down, math.MinInt64},
	}
	for _, tt := range tests {
		got, err := Fen(tt.minor).MulRate(dec(tt.rate), tt.r)
		if err != nil || got != Fen(tt.want) {
			t.Errorf("%d × %s %v = %v, %v; want %d", tt.minor, tt.rate, tt.r, got, err, tt.want)
		}
	}
}

func TestMulRate_Errors(t *testing.T) {
	if _, err := Fen(1).MulRate(dec("0.1"), 0); !errors.Is(err, ErrInvalidRounding) {
		t.Errorf("zero Rounding err = %v", err)
	}
	if _, err := Fen(1).MulRate(dec("0.1"), Up+1); !errors.Is(err, ErrInvalidRounding) {
		t.Errorf("out-of-range Rounding err = %v", err)
	}
	if _, err := Fen(math.MaxInt64).MulRate(dec("1.0000001"), Down); !errors.Is(err, ErrOverflow) {
		t.Errorf("overflow err = %v", err)
	}
	if _, err := Fen(math.MinInt64).MulRate(dec("-1"), Down); !errors.Is(err, ErrOverflow) {
		t.Errorf("-MinInt64 err = %v", err)
	}
}

func TestParseRate(t *testing.T) {
	ok := []struct{ in, want string }{
		{"0.6%", "0.006"},
		{"60bp", "0.006"},
		{"60bps", "0.006"},
		{"6‰", "0.006"},
		{"0.5‰", "0.0005"},
		{"0.006", "0.006"},
		{"0.38%", "0.0038"},
		{"2.5bp", "0.00025"},
		{"100%", "1"},
		{"0", "0"},
		{"1", "1"},
	}
	for _, tt := range ok {
		got, err := ParseRate(tt.in)
		if err != nil || !got.Equal(dec(tt.want)) {
			t.Errorf("ParseRate(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "%", "bp", "bps", "-0.6%", "+0.6%", "0.6 %", " 0.6", "1e-3", "NaN", "Inf",
		".6%", "6.%", "0..6", "0.6%%", "60bpss", "60 bp", "0x10", "６0bp", "‰", "6‰%", "6%‰", "0.000000000000000000000000000000000000001"} {
		if got, err := ParseRate(in); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseRate(%q) = %s, %v; want ErrSyntax", in, got, err)
		}
	}
}

func TestBasisPoints(t *testing.T) {
	for bp, want := range map[int64]string{60: "0.006", 1: "0.0001", 10000: "1", 0: "0", -5: "-0.0005"} {
		if got := BasisPoints(bp); !got.Equal(dec(want)) {
			t.Errorf("BasisPoints(%d) = %s, want %s", bp, got, want)
		}
	}
}

func TestRounding_StringAndParse(t *testing.T) {
	for _, r := range []Rounding{HalfUp, HalfEven, Down, Up} {
		got, err := ParseRounding(r.String())
		if err != nil || got != r {
			t.Errorf("ParseRounding(%q) = %v, %v", r.String(), got, err)
		}
	}
	for in, want := range map[string]Rounding{"half_up": HalfUp, "HALF-EVEN": HalfEven, "down": Down} {
		if got, err := ParseRounding(in); err != nil || got != want {
			t.Errorf("ParseRounding(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseRounding("nearest"); !errors.Is(err, ErrInvalidRounding) {
		t.Errorf("ParseRounding(nearest) err = %v", err)
	}
	if Rounding(0).Valid() || Rounding(0).String() != "Rounding(0)" {
		t.Error("zero Rounding must be invalid")
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		a    Amount
		rate string
		to   Currency
		r    Rounding
		want Amount
	}{
		{New(100, JPY), "0.048", CNY, HalfUp, Fen(480)},      // 100 JPY → 4.80 CNY
		{Fen(100), "20.83", JPY, HalfUp, New(21, JPY)},       // 1.00 CNY → 20.83 JPY → 21
		{Fen(100), "20.5", JPY, HalfEven, New(20, JPY)},      // tie → even
		{Fen(100), "20.5", JPY, HalfUp, New(21, JPY)},        // tie → away
		{New(12345, USD), "7.1234", CNY, HalfUp, Fen(87938)}, // 123.45 × 7.1234 = 879.383730
		{New(-12345, USD), "7.1234", CNY, Down, Fen(-87938)},
		{New(-12345, USD), "7.1234", CNY, Up, Fen(-87939)},
		{Fen(100), "1", CNY, Down, Fen(100)},
	}
	for _, tt := range tests {
		got, err := tt.a.Convert(dec(tt.rate), tt.to, tt.r)
		if err != nil || got != tt.want {
			t.Errorf("%v × %s → %s %v = %v, %v; want %v", tt.a, tt.rate, tt.to, tt.r, got, err, tt.want)
		}
	}
	errs := []struct {
		a    Amount
		rate string
		to   Currency
		r    Rounding
		want error
	}{
		{Fen(1), "0", USD, HalfUp, ErrInvalidRate},
		{Fen(1), "-1", USD, HalfUp, ErrInvalidRate},
		{Fen(1), "1", "XXX", HalfUp, ErrUnknownCurrency},
		{New(1, "XXX"), "1", CNY, HalfUp, ErrUnknownCurrency},
		{Fen(1), "1", USD, 0, ErrInvalidRounding},
		{New(math.MaxInt64, JPY), "1", CNY, HalfUp, ErrOverflow},
	}
	for _, tt := range errs {
		if got, err := tt.a.Convert(dec(tt.rate), tt.to, tt.r); !errors.Is(err, tt.want) {
			t.Errorf("Convert(%v, %s, %s) = %v, %v; want %v", tt.a, tt.rate, tt.to, got, err, tt.want)
		}
	}
}

func TestMajor(t *testing.T) {
	if got := Fen(150).Major(); !got.Equal(dec("1.5")) {
		t.Errorf("Fen(150).Major() = %s", got)
	}
	if got := New(-7, JPY).Major(); !got.Equal(dec("-7")) {
		t.Errorf("JPY Major = %s", got)
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"0.6%", "60bp", "60bps", "6‰", "0.006", "", "1e-3", "-1%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseRate(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("ParseRate(%q) error %v", s, err)
			}
			return
		}
		if d.Sign() < 0 {
			t.Fatalf("ParseRate(%q) = %s, negative", s, d)
		}
	})
}
