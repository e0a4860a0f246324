package money

import (
	"errors"
	"math"
	"math/big"
	"testing"
)

func fens(ns ...int64) []Amount {
	out := make([]Amount, len(ns))
	for i, n := range ns {
		out[i] = Fen(n)
	}
	return out
}

func TestSplit_LargestRemainder(t *testing.T) {
	tests := []struct {
		name    string
		a       int64
		weights []int64
		want    []int64
	}{
		{"even", 100, []int64{1, 1}, []int64{50, 50}},
		{"thirds tie goes to lower index", 100, []int64{1, 1, 1}, []int64{34, 33, 33}},
		{"two leftovers", 200, []int64{1, 1, 1}, []int64{67, 67, 66}},
		{"largest remainder not first", 10, []int64{1, 2, 4}, []int64{1, 3, 6}}, // 1.43, 2.86, 5.71
		{"percent weights", 99999, []int64{70, 20, 10}, []int64{69999, 20000, 10000}},
		{"one fen three ways", 1, []int64{1, 1, 1}, []int64{1, 0, 0}},
		{"zero amount", 0, []int64{3, 7}, []int64{0, 0}},
		{"zero weight gets nothing", 101, []int64{0, 1, 0, 1}, []int64{0, 51, 0, 50}},
		{"single part", 12345, []int64{9}, []int64{12345}},
		{"negative thirds", -100, []int64{1, 1, 1}, []int64{-34, -33, -33}},
		{"negative weights mirror", -10, []int64{1, 2, 4}, []int64{-1, -3, -6}},
		{"max amount", math.MaxInt64, []int64{1, 1}, []int64{1 << 62, 1<<62 - 1}},
		{"min amount", math.MinInt64, []int64{1, 1}, []int64{-1 << 62, -1 << 62}},
		{"min amount whole", math.MinInt64, []int64{5}, []int64{math.MinInt64}},
		{"huge weights no overflow", math.MaxInt64, []int64{math.MaxInt64 - 1, 1}, []int64{math.MaxInt64 - 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Fen(tt.a).Split(tt.weights)
			if err != nil {
				t.Fatal(err)
			}
			want := fens(tt.want...)
			if len(got) != len(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("got %v, want %v", got, want)
				}
			}
		})
	}
}

func TestSplit_RejectsBadWeights(t *testing.T) {
	tests := []struct {
		name    string
		weights []int64
		want    error
	}{
		{"nil", nil, ErrInvalidWeights},
		{"empty", []int64{}, ErrInvalidWeights},
		{"all zero", []int64{0, 0}, ErrInvalidWeights},
		{"negative", []int64{2, -1}, ErrInvalidWeights},
		{"sum overflows", []int64{math.MaxInt64, 1}, ErrOverflow},
	}
	for _, tt := range tests {
		if got, err := Fen(100).Split(tt.weights); !errors.Is(err, tt.want) || got != nil {
			t.Errorf("%s: Split = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

// FuzzSplit checks the invariants for arbitrary amounts and weights: parts sum
// exactly to the whole, each part is within one minor unit of its exact share
// (floor or floor+1 of the magnitude), zero weights get zero, and a negative
// amount splits as the mirror image of its magnitude.
func FuzzSplit(f *testing.F) {
	f.Add(int64(100), int64(1), int64(1), int64(1), uint8(3))
	f.Add(int64(-7), int64(0), int64(5), int64(3), uint8(3))
	f.Add(int64(math.MinInt64), int64(math.MaxInt64/2), int64(3), int64(1), uint8(2))
	f.Fuzz(func(t *testing.T, minor, w0, w1, w2 int64, n uint8) {
		weights := []int64{w0, w1, w2}[:1+int(n)%3]
		a := Fen(minor)
		parts, err := a.Split(weights)
		if err != nil {
			return
		}
		sum := new(big.Int)
		total := new(big.Int)
		for _, w := range weights {
			total.Add(total, big.NewInt(w))
		}
		mag := new(big.Int).Abs(big.NewInt(minor))
		for i, p := range parts {
			if p.Currency() != CNY {
				t.Fatalf("part %d currency %s", i, p.Currency())
			}
			sum.Add(sum, big.NewInt(p.Minor()))
			floor := new(big.Int).Mul(mag, big.NewInt(weights[i]))
			floor.Quo(floor, total)
			got := new(big.Int).Abs(big.NewInt(p.Minor()))
			if d := new(big.Int).Sub(got, floor); d.Sign() < 0 || d.Cmp(big.NewInt(1)) > 0 {
				t.Fatalf("part %d = %d, exact floor %s", i, p.Minor(), floor)
			}
			if weights[i] == 0 && p.Minor() != 0 {
				t.Fatalf("zero weight got %d", p.Minor())
			}
			if p.Minor() != 0 && (p.Minor() < 0) != (minor < 0) {
				t.Fatalf("part %d sign differs from the whole: %d vs %d", i, p.Minor(), minor)
			}
		}
		if sum.Cmp(big.NewInt(minor)) != 0 {
			t.Fatalf("Split(%d, %v) sums to %s", minor, weights, sum)
		}
	})
}
