package clearing

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
)

func fen(n int64) money.Amount      { return money.Fen(n) }
func pfen(n int64) *money.Amount    { a := money.Fen(n); return &a }
func rate(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestFee_RoundingOnHalfFenEdges(t *testing.T) {
	// 0.6% of 2.50 is exactly 1.5 fen; of 2.51 it is 1.506; of 0.75 it is 0.45; of 4.17 it is 2.502.
	cases := []struct {
		amount int64
		mode   money.Rounding
		want   int64
	}{
		{250, money.HalfUp, 2}, {250, money.HalfEven, 2}, {250, money.Down, 1}, {250, money.Up, 2},
		{750, money.HalfUp, 5}, {750, money.HalfEven, 4}, {750, money.Down, 4}, {750, money.Up, 5}, // 4.5 fen
		{251, money.HalfUp, 2}, {251, money.HalfEven, 2}, {251, money.Down, 1}, {251, money.Up, 2},
		{75, money.HalfUp, 0}, {75, money.HalfEven, 0}, {75, money.Down, 0}, {75, money.Up, 1}, // 0.45 fen
		{417, money.HalfUp, 3}, {417, money.HalfEven, 3}, {417, money.Down, 2}, {417, money.Up, 3},
		{10000, money.HalfUp, 60}, {10000, money.Up, 60}, {10000, money.Down, 60},
	}
	for _, tc := range cases {
		c := &FeeContract{Account: "a", Currency: money.CNY, Rate: rate("0.006"), Rounding: tc.mode, Refund: channel.FeeRefundNone}
		got, err := c.Fee(fen(tc.amount))
		if err != nil {
			t.Fatal(err)
		}
		if got != fen(tc.want) {
			t.Errorf("0.6%% of %d fen, %v: got %s, want %d fen", tc.amount, tc.mode, got, tc.want)
		}
	}
}

func TestFee_TiersWholeVersusMarginal(t *testing.T) {
	tiers := []Tier{{From: fen(0), Rate: rate("0.006")}, {From: fen(100000), Rate: rate("0.0038")}, {From: fen(1000000), Rate: rate("0.002")}}
	cases := []struct {
		name   string
		mode   TierMode
		amount int64
		want   int64
	}{
		{"whole below the first step", TierWhole, 99999, 600}, // 599.994 → 600
		{"whole at the step: all of it at 0.38%", TierWhole, 100000, 380},
		{"whole above the step", TierWhole, 150000, 570},
		{"whole third tier", TierWhole, 1000000, 2000},
		{"marginal below the step", TierMarginal, 99999, 600},
		{"marginal at the step", TierMarginal, 100000, 600},
		{"marginal above the step: 1000.00 at 0.6% + 500.00 at 0.38%", TierMarginal, 150000, 790},
		{"marginal across three tiers", TierMarginal, 1500000, 600 + 3420 + 1000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &FeeContract{Account: "a", Currency: money.CNY, Tiers: tiers, Mode: tc.mode, Rounding: money.HalfUp, Refund: channel.FeeRefundNone}
			got, err := c.Fee(fen(tc.amount))
			if err != nil {
				t.Fatal(err)
			}
			if got != fen(tc.want) {
				t.Errorf("got %s, want %d fen", got, tc.want)
			}
		})
	}
}

func TestFee_FixedMinMaxAndCapAtAmount(t *testing.T) {
	c := &FeeContract{Account: "a", Currency: money.CNY, Rate: rate("0.006"), Fixed: fen(10), Min: pfen(20), Max: pfen(5000),
		Rounding: money.HalfUp, Refund: channel.FeeRefundNone}
	for _, tc := range []struct{ amount, want, exactNum int64 }{
		{100, 20, 0},       // 0.6 fen + 10 = 10.6 → min 20
		{10000, 70, 0},     // 60 + 10
		{1000000, 5000, 0}, // 6000 + 10 → max 5000
		{15, 15, 0},        // min 20 cut to the payment's 15
		{250, 20, 0},       // 1.5 + 10 = 11.5 → min 20
		{5000, 40, 0},      // 30 + 10
	} {
		got, err := c.Fee(fen(tc.amount))
		if err != nil {
			t.Fatal(err)
		}
		if got != fen(tc.want) {
			t.Errorf("fee on %d fen: got %s, want %d fen", tc.amount, got, tc.want)
		}
	}
	ex, err := c.ExactFee(fen(41750)) // 250.5 + 10
	if err != nil {
		t.Fatal(err)
	}
	if !ex.Equal(rate("260.5")) {
		t.Errorf("exact fee: got %s, want 260.5", ex)
	}
}

func TestFee_BadInputIsRefused(t *testing.T) {
	ok := &FeeContract{Account: "a", Currency: money.CNY, Rate: rate("0.006"), Rounding: money.HalfUp, Refund: channel.FeeRefundNone}
	for _, a := range []money.Amount{fen(0), fen(-5), money.New(100, money.USD)} {
		if _, err := ok.Fee(a); err == nil {
			t.Errorf("Fee(%s): no error", a)
		}
	}
	bad := []*FeeContract{
		{Account: "a", Currency: money.CNY, Rate: rate("0.006"), Refund: channel.FeeRefundNone},                                 // no rounding
		{Account: "a", Currency: money.CNY, Rate: rate("-0.1"), Rounding: money.HalfUp, Refund: channel.FeeRefundNone},          // negative
		{Account: "a", Currency: money.CNY, Rate: rate("1"), Rounding: money.HalfUp, Refund: channel.FeeRefundNone},             // 100%
		{Account: "a", Currency: money.CNY, Rate: rate("0.006"), Rounding: money.HalfUp, Refund: "some"},                        // policy
		{Account: "a", Currency: money.CNY, Min: pfen(10), Max: pfen(5), Rounding: money.HalfUp, Refund: channel.FeeRefundNone}, // min > max
		{Account: "a", Currency: money.CNY, Tiers: []Tier{{From: fen(1), Rate: rate("0.01")}}, Mode: TierWhole, Rounding: money.HalfUp, Refund: channel.FeeRefundNone},
		{Account: "a", Currency: money.CNY, Tiers: []Tier{{From: fen(0), Rate: rate("0.01")}}, Rounding: money.HalfUp, Refund: channel.FeeRefundNone}, // no mode
		{Account: "a", Currency: money.CNY, Tiers: []Tier{{From: fen(0), Rate: rate("0.01")}, {From: fen(0), Rate: rate("0.01")}}, Mode: TierWhole, Rounding: money.HalfUp, Refund: channel.FeeRefundNone},
		{Account: "a", Currency: money.CNY, Rate: rate("0.01"), Tiers: []Tier{{From: fen(0), Rate: rate("0.01")}}, Mode: TierWhole, Rounding: money.HalfUp, Refund: channel.FeeRefundNone},
	}
	for i, c := range bad {
		if err := c.Validate(); !errors.Is(err, ErrInvalidContract) {
			t.Errorf("contract %d: got %v, want ErrInvalidContract", i, err)
		}
		if _, err := c.Fee(fen(100)); err == nil {
			t.Errorf("contract %d: Fee gave no error", i)
		}
	}
}

// TestFee_SameAsRateFees: the simple form of a contract charges exactly what posting.RateFees
// charges, so switching the poster to contracts changes no posted figure.
func TestFee_SameAsRateFees(t *testing.T) {
	r := rate("0.006")
	rf, err := posting.RateFees(map[string]decimal.Decimal{"wx1": r})
	if err != nil {
		t.Fatal(err)
	}
	c, err := RateContract("wx1", "wechat", r, channel.FeeRefundProportional)
	if err != nil {
		t.Fatal(err)
	}
	cf := Contracts{"wx1": c}.FeeFunc()
	for a := int64(1); a < 5000; a += 7 {
		p := &order.Payment{ID: "p", Account: "wx1", Amount: fen(a)}
		x, err1 := rf(p)
		y, err2 := cf(p)
		if err1 != nil || err2 != nil || x != y {
			t.Fatalf("%d fen: RateFees %s %v, contract %s %v", a, x, err1, y, err2)
		}
	}
	if _, err := cf(&order.Payment{ID: "p", Account: "other", Amount: fen(100)}); err == nil {
		t.Error("a payment on an account without a contract got a fee")
	}
}

func TestFeeConfig_Contract(t *testing.T) {
	c, err := FeeConfig{Tiers: []TierConfig{{From: "0", Rate: "0.6%"}, {From: "1000.00", Rate: "38bp"}}, TierMode: "whole",
		Min: "0.01", Max: "50.00", Fixed: "0.00", Rounding: "half_up"}.Contract("wx1", "wechat", channel.FeeRefundProportional)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := c.Fee(fen(100000)); f != fen(380) {
		t.Errorf("got %s", f)
	}
	for _, bad := range []FeeConfig{
		{Rate: "0.6%"},                             // no rounding
		{Rate: "0.6", Rounding: "nearest"},         // bad rounding
		{Rate: "abc", Rounding: "up"},              // bad rate
		{Rounding: "up"},                           // nothing
		{Rate: "1%", Min: "0.001", Rounding: "up"}, // too many decimals
		{Tiers: []TierConfig{{From: "0", Rate: "1%"}}, Rounding: "up"}, // no mode
		{Rate: "1%", Rounding: "up", Currency: "XYZ"},
	} {
		if _, err := bad.Contract("a", "wechat", channel.FeeRefundNone); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestFee_ReturnedUsesTheChannelsPolicy(t *testing.T) {
	c, _ := RateContract("a", "wechat", rate("0.006"), channel.FeeRefundProportional)
	got, err := c.Returned(fen(10000), fen(60), fen(0), fen(0), fen(5000))
	if err != nil || got != fen(30) {
		t.Errorf("proportional half refund: %s %v", got, err)
	}
	c.Refund = channel.FeeRefundNone
	if got, _ := c.Returned(fen(10000), fen(60), fen(0), fen(0), fen(5000)); got != fen(0) {
		t.Errorf("none: %s", got)
	}
}

// FuzzFee_RoundsTheExactFee: Fee (integer fast path or decimal) is always the contract's
// rounding of ExactFee, between 0 and the amount, and monotone in the amount for flat rates.
func FuzzFee_RoundsTheExactFee(f *testing.F) {
	f.Add(int64(250), uint16(60), uint8(1), int64(0), int64(0), int64(0), false)
	f.Add(int64(99999), uint16(38), uint8(2), int64(10), int64(5), int64(5000), true)
	f.Add(int64(1)<<62, uint16(9999), uint8(4), int64(0), int64(0), int64(0), true)
	f.Fuzz(func(t *testing.T, amount int64, bp uint16, mode uint8, fixed, minF, maxF int64, tiered bool) {
		if amount <= 0 || bp >= 10000 || fixed < 0 || minF < 0 || maxF < 0 {
			return
		}
		r := money.Rounding(mode%4 + 1)
		c := &FeeContract{Account: "a", Currency: money.CNY, Rounding: r, Refund: channel.FeeRefundNone, Fixed: fen(fixed)}
		if minF > 0 {
			c.Min = pfen(minF)
		}
		if maxF > 0 && maxF >= minF {
			c.Max = pfen(maxF)
		}
		if tiered {
			c.Tiers = []Tier{{From: fen(0), Rate: money.BasisPoints(int64(bp))}, {From: fen(100000), Rate: money.BasisPoints(int64(bp) / 2)}}
			c.Mode = TierMode([]string{"whole", "marginal"}[amount%2])
		} else {
			c.Rate = money.BasisPoints(int64(bp))
		}
		got, err := c.Fee(fen(amount))
		if err != nil {
			if errors.Is(err, money.ErrOverflow) {
				return
			}
			t.Fatal(err)
		}
		ex, err := c.ExactFee(fen(amount))
		if err != nil {
			t.Fatal(err)
		}
		want, err := roundDec(ex, r)
		if err != nil {
			t.Fatal(err)
		}
		if got.Minor() != want {
			t.Fatalf("Fee %s, rounding of exact %s is %d", got, ex, want)
		}
		if got.IsNegative() || got.Minor() > amount {
			t.Fatalf("fee %s outside [0, %d]", got, amount)
		}
	})
}
