package money

import (
	"errors"
	"testing"
)

func ptr(a Amount) *Amount { return &a }

func TestFee_Apply(t *testing.T) {
	tests := []struct {
		name string
		fee  Fee
		a    Amount
		want Amount
	}{
		{"rate only", Fee{Rate: dec("0.006"), Rounding: HalfUp}, Fen(10000), Fen(60)},
		{"design example 0.1% of 100.00", Fee{Rate: dec("0.001"), Rounding: HalfUp}, Fen(10000), Fen(10)},
		{"rate rounds half up", Fee{Rate: dec("0.006"), Rounding: HalfUp}, Fen(250), Fen(2)},
		{"rate rounds down", Fee{Rate: dec("0.006"), Rounding: Down}, Fen(499), Fen(2)},
		{"rate rounds up", Fee{Rate: dec("0.006"), Rounding: Up}, Fen(1), Fen(1)},
		{"fixed added after rounding", Fee{Rate: dec("0.006"), Fixed: Fen(30), Rounding: HalfUp}, Fen(10000), Fen(90)},
		{"min raises", Fee{Rate: dec("0.006"), Min: ptr(Fen(10)), Rounding: HalfUp}, Fen(100), Fen(10)},
		{"max caps", Fee{Rate: dec("0.006"), Max: ptr(Fen(2500)), Rounding: HalfUp}, Fen(100000000), Fen(2500)},
		{"within bounds untouched", Fee{Rate: dec("0.006"), Min: ptr(Fen(10)), Max: ptr(Fen(2500)), Rounding: HalfUp}, Fen(10000), Fen(60)},
		{"zero amount gets min", Fee{Rate: dec("0.006"), Min: ptr(Fen(10)), Rounding: HalfUp}, Fen(0), Fen(10)},
		{"zero rate fixed only", Fee{Fixed: Fen(200), Rounding: Down}, Fen(123456), Fen(200)},
		{"refund mirrors payment", Fee{Rate: dec("0.006"), Min: ptr(Fen(10)), Rounding: HalfUp}, Fen(-100), Fen(-10)},
		{"refund tie mirrors", Fee{Rate: dec("0.006"), Rounding: HalfUp}, Fen(-250), Fen(-2)},
		{"JPY", Fee{Rate: dec("0.0325"), Rounding: HalfEven}, New(1000, JPY), New(32, JPY)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.fee.Apply(tt.a)
			if err != nil || got != tt.want {
				t.Fatalf("Apply(%v) = %v, %v; want %v", tt.a, got, err, tt.want)
			}
		})
	}
}

func TestFee_ApplyRejectsBadRules(t *testing.T) {
	tests := []struct {
		name string
		fee  Fee
		a    Amount
		want error
	}{
		{"zero rounding", Fee{Rate: dec("0.006")}, Fen(100), ErrInvalidRounding},
		{"negative rate", Fee{Rate: dec("-0.006"), Rounding: HalfUp}, Fen(100), ErrInvalidRate},
		{"min above max", Fee{Rate: dec("0.006"), Min: ptr(Fen(10)), Max: ptr(Fen(5)), Rounding: HalfUp}, Fen(100), ErrInvalidFee},
		{"fixed currency", Fee{Fixed: New(1, USD), Rounding: HalfUp}, Fen(100), ErrCurrencyMismatch},
		{"min currency", Fee{Min: ptr(New(1, USD)), Rounding: HalfUp}, Fen(100), ErrCurrencyMismatch},
		{"max currency", Fee{Max: ptr(New(1, USD)), Rounding: HalfUp}, Fen(100), ErrCurrencyMismatch},
		{"overflow", Fee{Rate: dec("2"), Rounding: HalfUp}, Fen(1 << 62), ErrOverflow},
		{"fixed overflow", Fee{Rate: dec("1"), Fixed: Fen(1), Rounding: HalfUp}, Fen(1<<63 - 1), ErrOverflow},
		{"abs of MinInt64", Fee{Rate: dec("0.006"), Rounding: HalfUp}, Fen(-1 << 63), ErrOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.fee.Apply(tt.a)
			if !errors.Is(err, tt.want) || got != (Amount{}) {
				t.Fatalf("Apply = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
