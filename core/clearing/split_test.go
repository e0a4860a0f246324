package clearing

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/money"
)

func TestSplit_FixedThenRatioByLargestRemainder(t *testing.T) {
	cases := []struct {
		name  string
		whole int64
		rs    []Receiver
		want  []int64
	}{
		{"thirds", 100, []Receiver{{ID: "a", Ratio: rate("1")}, {ID: "b", Ratio: rate("1")}, {ID: "c", Ratio: rate("1")}}, []int64{34, 33, 33}},
		{"percent ratios", 99999, []Receiver{{ID: "a", Ratio: rate("0.7")}, {ID: "b", Ratio: rate("0.2")}, {ID: "c", Ratio: rate("0.1")}}, []int64{69999, 20000, 10000}},
		{"fixed first, rest by ratio", 10000, []Receiver{{ID: "platform", Fixed: fen(150)}, {ID: "a", Ratio: rate("2")}, {ID: "b", Ratio: rate("1")}}, []int64{150, 6567, 3283}},
		{"fixed only, exact", 500, []Receiver{{ID: "a", Fixed: fen(200)}, {ID: "b", Fixed: fen(300)}}, []int64{200, 300}},
		{"fixed takes all, ratio gets zero", 500, []Receiver{{ID: "a", Fixed: fen(500)}, {ID: "b", Ratio: rate("1")}}, []int64{500, 0}},
		{"one fen three ways", 1, []Receiver{{ID: "a", Ratio: rate("1")}, {ID: "b", Ratio: rate("1")}, {ID: "c", Ratio: rate("1")}}, []int64{1, 0, 0}},
		{"mixed decimals", 1000, []Receiver{{ID: "a", Ratio: rate("0.333")}, {ID: "b", Ratio: rate("0.5")}}, []int64{400, 600}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := Split(fen(tc.whole), tc.rs)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range ps {
				if p.Receiver != tc.rs[i].ID || p.Amount != fen(tc.want[i]) {
					t.Errorf("part %d: %s %s, want %s %d", i, p.Receiver, p.Amount, tc.rs[i].ID, tc.want[i])
				}
			}
		})
	}
}

func TestSplit_BadReceiversAreRefused(t *testing.T) {
	for _, rs := range [][]Receiver{
		nil,
		{{ID: "a"}},
		{{ID: "", Ratio: rate("1")}},
		{{ID: "a", Ratio: rate("1")}, {ID: "a", Ratio: rate("1")}},
		{{ID: "a", Fixed: fen(1), Ratio: rate("1")}},
		{{ID: "a", Fixed: fen(600)}}, // exceeds
		{{ID: "a", Fixed: fen(100)}}, // leaves 400 with no ratio
		{{ID: "a", Fixed: money.New(100, money.USD)}, {ID: "b", Ratio: rate("1")}},
		{{ID: "a", Ratio: rate("-1")}, {ID: "b", Ratio: rate("1")}},
	} {
		if _, err := Split(fen(500), rs); !errors.Is(err, ErrInvalidSplit) {
			t.Errorf("%+v: got %v", rs, err)
		}
	}
	if _, err := Split(fen(0), []Receiver{{ID: "a", Ratio: rate("1")}}); err == nil {
		t.Error("a zero amount was split")
	}
}

// FuzzSplit_PartsSumToTheWhole: whatever the receivers, the parts sum exactly to the whole,
// fixed parts are exact and each ratio part is within one minor unit of its exact share.
func FuzzSplit_PartsSumToTheWhole(f *testing.F) {
	f.Add(int64(100), uint16(1), uint16(1), uint16(1), int64(0))
	f.Add(int64(99999), uint16(7), uint16(2), uint16(1), int64(150))
	f.Add(int64(1), uint16(65535), uint16(1), uint16(0), int64(0))
	f.Fuzz(func(t *testing.T, whole int64, w1, w2, w3 uint16, fixed int64) {
		if whole <= 0 || fixed < 0 || fixed > whole {
			return
		}
		var rs []Receiver
		if fixed > 0 {
			rs = append(rs, Receiver{ID: "fixed", Fixed: fen(fixed)})
		}
		for i, w := range []uint16{w1, w2, w3} {
			if w > 0 {
				rs = append(rs, Receiver{ID: string(rune('a' + i)), Ratio: decimal.New(int64(w), -2)})
			}
		}
		ps, err := Split(fen(whole), rs)
		if err != nil {
			if len(rs) == 0 || (fixed < whole && len(rs) == 1 && fixed > 0) || (fixed < whole && w1 == 0 && w2 == 0 && w3 == 0) {
				return
			}
			t.Fatal(err)
		}
		var sum, wsum int64
		for _, r := range rs {
			wsum += r.Ratio.Shift(2).IntPart()
		}
		rest := decimal.NewFromInt(whole - fixed)
		for i, p := range ps {
			sum += p.Amount.Minor()
			if rs[i].Fixed != (money.Amount{}) {
				if p.Amount != rs[i].Fixed {
					t.Fatalf("fixed part %s, want %s", p.Amount, rs[i].Fixed)
				}
				continue
			}
			exact := rest.Mul(rs[i].Ratio.Shift(2)).Div(decimal.NewFromInt(wsum))
			if d := decimal.NewFromInt(p.Amount.Minor()).Sub(exact).Abs(); d.GreaterThanOrEqual(decimal.NewFromInt(1)) {
				t.Fatalf("part %s is %s from its exact share %s", p.Amount, d, exact)
			}
		}
		if sum != whole {
			t.Fatalf("parts sum to %d, want %d", sum, whole)
		}
	})
}
