package posting_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
)

func TestRateFees_RoundsHalfUpToFen(t *testing.T) {
	fees, err := posting.RateFees(map[string]decimal.Decimal{"wx1": money.BasisPoints(10), "ali1": money.BasisPoints(60)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		account string
		amount  int64
		want    int64
	}{
		{"wx1", 10000, 10}, // 0.1% of 100.00
		{"wx1", 1, 0},      // 0.001 fen
		{"wx1", 500, 1},    // 0.5 fen: half up
		{"wx1", 499, 0},    // 0.499
		{"ali1", 250, 2},   // 1.5 fen: half up
		{"ali1", 75, 0},    // 0.45
		{"ali1", 125, 1},   // 0.75
	} {
		got, err := fees(&order.Payment{ID: "p", Account: c.account, Amount: money.Fen(c.amount)})
		if err != nil || got != money.Fen(c.want) {
			t.Errorf("%s %d: %v %v, want %d", c.account, c.amount, got, err, c.want)
		}
	}
	if _, err := fees(&order.Payment{ID: "p", Account: "unknown", Amount: money.Fen(100)}); err == nil || !strings.Contains(err.Error(), `"unknown"`) {
		t.Errorf("unknown account: %v", err)
	}
	for name, rates := range map[string]map[string]decimal.Decimal{
		"no rates": nil,
		"[0, 1)":   {"a": decimal.NewFromInt(1)},
		"negative": {"a": decimal.NewFromInt(-1)},
		"empty":    {"": money.BasisPoints(1)},
	} {
		if _, err := posting.RateFees(rates); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFeeReturned_Table(t *testing.T) {
	F := money.Fen
	for _, c := range []struct {
		policy                                channel.FeeRefund
		amount, fee, before, returned, refund int64
		want                                  int64
	}{
		{channel.FeeRefundNone, 10000, 10, 0, 0, 10000, 0},
		{channel.FeeRefundFull, 10000, 10, 0, 0, 1, 1},       // carries what it can
		{channel.FeeRefundFull, 10000, 10, 1, 1, 100, 9},     // the rest
		{channel.FeeRefundFull, 10000, 10, 101, 10, 9899, 0}, // nothing left
		{channel.FeeRefundProportional, 10000, 10, 0, 0, 5000, 5},
		{channel.FeeRefundProportional, 10000, 10, 0, 0, 4999, 5},    // 4.999
		{channel.FeeRefundProportional, 10000, 10, 0, 0, 4499, 4},    // 4.499
		{channel.FeeRefundProportional, 10000, 10, 4999, 5, 5001, 5}, // the rest on the full refund
		{channel.FeeRefundProportional, 3, 1, 0, 0, 1, 0},            // 0.333
		{channel.FeeRefundProportional, 3, 1, 1, 0, 1, 1},            // 0.667
		{channel.FeeRefundProportional, 3, 1, 2, 1, 1, 0},
		{channel.FeeRefundProportional, 100, 100, 0, 0, 30, 30}, // fee = amount: each refund returns itself
	} {
		got, err := posting.FeeReturned(c.policy, F(c.amount), F(c.fee), F(c.before), F(c.returned), F(c.refund))
		if err != nil || got != F(c.want) {
			t.Errorf("%+v: got %v %v", c, got, err)
		}
	}
	for name, args := range map[string][6]int64{
		"fee above amount":  {100, 101, 0, 0, 1},
		"negative fee":      {100, -1, 0, 0, 1},
		"refund too large":  {100, 1, 50, 0, 51},
		"zero refund":       {100, 1, 0, 0, 0},
		"returned over fee": {100, 1, 10, 2, 10},
	} {
		if _, err := posting.FeeReturned(channel.FeeRefundProportional, F(args[0]), F(args[1]), F(args[2]), F(args[3]), F(args[4])); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := posting.FeeReturned("sometimes", F(100), F(1), F(0), F(0), F(1)); err == nil {
		t.Error("unknown policy accepted")
	}
	if _, err := posting.FeeReturned(channel.FeeRefundNone, F(100), money.New(1, "USD"), F(0), F(0), F(1)); err == nil {
		t.Error("mixed currencies accepted")
	}
}

// TestFeeReturned_PartsNeverExceedTheFee: for random payments, fees and refund sequences,
// every refund returns between 0 and its amount, the total never exceeds the fee, and a full
// refund returns exactly the fee (full and proportional) or nothing (none).
func TestFeeReturned_PartsNeverExceedTheFee(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	for i := 0; i < 3000; i++ {
		amount := 1 + rng.Int64N(1_000_000)
		fee := rng.Int64N(amount + 1)
		if i%2 == 0 {
			fee = rng.Int64N(min(amount, 1000) + 1) // realistic: small against the amount
		}
		policy := []channel.FeeRefund{channel.FeeRefundNone, channel.FeeRefundProportional, channel.FeeRefundFull}[i%3]
		var before, returned int64
		for before < amount {
			r := 1 + rng.Int64N(amount-before)
			if rng.IntN(3) == 0 {
				r = amount - before
			}
			got, err := posting.FeeReturned(policy, money.Fen(amount), money.Fen(fee), money.Fen(before), money.Fen(returned), money.Fen(r))
			if err != nil {
				t.Fatalf("%s amount %d fee %d before %d returned %d refund %d: %v", policy, amount, fee, before, returned, r, err)
			}
			if got.Minor() < 0 || got.Minor() > r {
				t.Fatalf("%s: refund %d returns %d", policy, r, got.Minor())
			}
			before += r
			returned += got.Minor()
			if returned > fee {
				t.Fatalf("%s amount %d fee %d: returned %d", policy, amount, fee, returned)
			}
		}
		want := fee
		if policy == channel.FeeRefundNone {
			want = 0
		}
		if returned != want {
			t.Fatalf("%s amount %d fee %d fully refunded: returned %d, want %d", policy, amount, fee, returned, want)
		}
	}
}
