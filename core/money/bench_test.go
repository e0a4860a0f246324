package money

import (
	"strconv"
	"testing"

	"github.com/shopspring/decimal"
)

// Baselines run in the same command so the figures compare as ratios:
// strconv.ParseInt on the same digits without the point (a lower bound), and
// decimal.NewFromString (the library path Parse deliberately avoids).

var (
	sinkAmount Amount
	sinkString string
	sinkBytes  []byte
	sinkInt    int64
	sinkDec    decimal.Decimal
)

func BenchmarkParse(b *testing.B) {
	cases := []struct {
		name, in string
		c        Currency
	}{
		{"small", "0.01", CNY},
		{"typical", "1998000.00", CNY},
		{"negative", "-3.50", CNY},
		{"grouped", "1,998,000.00", CNY},
		{"max", "92233720368547758.07", CNY},
		{"JPY", "1998000", JPY},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a, err := Parse(tc.in, tc.c)
				if err != nil {
					b.Fatal(err)
				}
				sinkAmount = a
			}
		})
	}
	b.Run("error", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, err := Parse("1..2", CNY)
			if err == nil {
				b.Fatal("no error")
			}
		}
	})
}

func BenchmarkBaselineStrconvParseInt(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		n, err := strconv.ParseInt("199800000", 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		sinkInt = n
	}
}

func BenchmarkBaselineDecimalFromString(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		d, err := decimal.NewFromString("1998000.00")
		if err != nil {
			b.Fatal(err)
		}
		sinkDec = d
	}
}

func BenchmarkDecimal(b *testing.B) {
	a := Fen(199800000)
	b.Run("Decimal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkString = a.Decimal()
		}
	})
	b.Run("AppendDecimal", func(b *testing.B) {
		buf := make([]byte, 0, 32)
		b.ReportAllocs()
		for b.Loop() {
			sinkBytes = a.AppendDecimal(buf[:0])
		}
	})
	b.Run("String", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkString = a.String()
		}
	})
}

func BenchmarkFeeApply(b *testing.B) {
	min, max := Fen(10), Fen(2500)
	f := Fee{Rate: decimal.RequireFromString("0.006"), Fixed: Fen(1), Min: &min, Max: &max, Rounding: HalfUp}
	a := Fen(123456)
	b.ReportAllocs()
	for b.Loop() {
		fee, err := f.Apply(a)
		if err != nil {
			b.Fatal(err)
		}
		sinkAmount = fee
	}
}

func BenchmarkSplit3(b *testing.B) {
	a := Fen(100000)
	w := []int64{70, 20, 10}
	b.ReportAllocs()
	for b.Loop() {
		parts, err := a.Split(w)
		if err != nil {
			b.Fatal(err)
		}
		sinkAmount = parts[0]
	}
}
