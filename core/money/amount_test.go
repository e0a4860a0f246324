package money

import (
	"errors"
	"math"
	"testing"
)

func TestCurrency_ExponentAndParse(t *testing.T) {
	tests := []struct {
		c   Currency
		exp int
	}{
		{CNY, 2}, {USD, 2}, {EUR, 2}, {HKD, 2}, {GBP, 2}, {SGD, 2}, {JPY, 0}, {KRW, 0}, {"XXX", -1}, {"", -1}, {"cny", -1},
	}
	for _, tt := range tests {
		if got := tt.c.Exponent(); got != tt.exp {
			t.Errorf("%q.Exponent() = %d, want %d", tt.c, got, tt.exp)
		}
		if got := tt.c.Valid(); got != (tt.exp >= 0) {
			t.Errorf("%q.Valid() = %v", tt.c, got)
		}
	}
	for in, want := range map[string]Currency{"CNY": CNY, "cny": CNY, "Jpy": JPY} {
		if got, err := ParseCurrency(in); err != nil || got != want {
			t.Errorf("ParseCurrency(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "CN", "CNYY", " CNY", "XXX", "C1Y", "ＣNY"} {
		if got, err := ParseCurrency(in); !errors.Is(err, ErrUnknownCurrency) {
			t.Errorf("ParseCurrency(%q) = %q, %v; want ErrUnknownCurrency", in, got, err)
		}
	}
}

func TestAmount_Predicates(t *testing.T) {
	tests := []struct {
		a             Amount
		zero, neg, po bool
	}{
		{Fen(0), true, false, false},
		{Fen(1), false, false, true},
		{Fen(-1), false, true, false},
		{Amount{}, true, false, false},
	}
	for _, tt := range tests {
		if tt.a.IsZero() != tt.zero || tt.a.IsNegative() != tt.neg || tt.a.IsPositive() != tt.po {
			t.Errorf("%v: IsZero %v IsNegative %v IsPositive %v", tt.a, tt.a.IsZero(), tt.a.IsNegative(), tt.a.IsPositive())
		}
	}
	if Fen(7) != New(7, CNY) || Fen(7).Minor() != 7 || Fen(7).Currency() != CNY {
		t.Fatal("Fen(7) is not New(7, CNY)")
	}
}

func TestAmount_Arithmetic(t *testing.T) {
	const maxI, minI = math.MaxInt64, math.MinInt64
	type op func(a, b Amount) (Amount, error)
	add := func(a, b Amount) (Amount, error) { return a.Add(b) }
	sub := func(a, b Amount) (Amount, error) { return a.Sub(b) }
	tests := []struct {
		name    string
		op      op
		a, b    Amount
		want    Amount
		wantErr error
	}{
		{"add", add, Fen(150), Fen(-50), Fen(100), nil},
		{"add max", add, Fen(maxI - 1), Fen(1), Fen(maxI), nil},
		{"add overflow", add, Fen(maxI), Fen(1), Amount{}, ErrOverflow},
		{"add underflow", add, Fen(minI), Fen(-1), Amount{}, ErrOverflow},
		{"add min+max", add, Fen(minI), Fen(maxI), Fen(-1), nil},
		{"add mismatch", add, Fen(1), New(1, USD), Amount{}, ErrCurrencyMismatch},
		{"add zero value mismatches", add, Amount{}, Fen(1), Amount{}, ErrCurrencyMismatch},
		{"sub", sub, Fen(100), Fen(350), Fen(-250), nil},
		{"sub overflow", sub, Fen(maxI), Fen(-1), Amount{}, ErrOverflow},
		{"sub underflow", sub, Fen(minI), Fen(1), Amount{}, ErrOverflow},
		{"sub 0-min", sub, Fen(0), Fen(minI), Amount{}, ErrOverflow},
		{"sub -1-min", sub, Fen(-1), Fen(minI), Fen(maxI), nil},
		{"sub mismatch", sub, Fen(1), New(1, JPY), Amount{}, ErrCurrencyMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.op(tt.a, tt.b)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("got %v, %v; want %v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestAmount_Mul(t *testing.T) {
	const maxI, minI = math.MaxInt64, math.MinInt64
	tests := []struct {
		a       int64
		n       int64
		want    int64
		wantErr error
	}{
		{350, 3, 1050, nil},
		{350, -3, -1050, nil},
		{0, minI, 0, nil},
		{minI, 0, 0, nil},
		{minI, 1, minI, nil},
		{maxI, -1, -maxI, nil},
		{minI, -1, 0, ErrOverflow},
		{-1, minI, 0, ErrOverflow},
		{maxI, 2, 0, ErrOverflow},
		{1 << 32, 1 << 31, 0, ErrOverflow},
		{-(1 << 32), 1 << 31, minI, nil},
		{3037000500, 3037000500, 0, ErrOverflow},
	}
	for _, tt := range tests {
		got, err := Fen(tt.a).Mul(tt.n)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%d × %d = %v, %v; want %v", tt.a, tt.n, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != Fen(tt.want) {
			t.Errorf("%d × %d = %v, %v; want %d", tt.a, tt.n, got, err, tt.want)
		}
	}
}

func TestAmount_NegAbsCmp(t *testing.T) {
	if got, err := Fen(-5).Neg(); err != nil || got != Fen(5) {
		t.Errorf("Neg(-5) = %v, %v", got, err)
	}
	if got, err := Fen(-5).Abs(); err != nil || got != Fen(5) {
		t.Errorf("Abs(-5) = %v, %v", got, err)
	}
	if got, err := Fen(5).Abs(); err != nil || got != Fen(5) {
		t.Errorf("Abs(5) = %v, %v", got, err)
	}
	if _, err := Fen(math.MinInt64).Neg(); !errors.Is(err, ErrOverflow) {
		t.Errorf("Neg(MinInt64) err = %v", err)
	}
	if _, err := Fen(math.MinInt64).Abs(); !errors.Is(err, ErrOverflow) {
		t.Errorf("Abs(MinInt64) err = %v", err)
	}
	for _, tt := range []struct {
		a, b int64
		want int
	}{{1, 2, -1}, {2, 1, 1}, {-3, -3, 0}} {
		if got, err := Fen(tt.a).Cmp(Fen(tt.b)); err != nil || got != tt.want {
			t.Errorf("Cmp(%d, %d) = %d, %v", tt.a, tt.b, got, err)
		}
	}
	if _, err := Fen(1).Cmp(New(1, HKD)); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("Cmp across currencies err = %v", err)
	}
}

func TestSum(t *testing.T) {
	if got, err := Sum(CNY); err != nil || got != Fen(0) {
		t.Errorf("Sum() = %v, %v", got, err)
	}
	if got, err := Sum(CNY, Fen(1), Fen(2), Fen(-4)); err != nil || got != Fen(-1) {
		t.Errorf("Sum = %v, %v", got, err)
	}
	if _, err := Sum(CNY, Fen(1), New(2, USD)); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("Sum mixed err = %v", err)
	}
	if _, err := Sum(CNY, Fen(math.MaxInt64), Fen(1), Fen(-1)); !errors.Is(err, ErrOverflow) {
		t.Errorf("Sum overflow err = %v", err)
	}
}
