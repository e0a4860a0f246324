package clearing_test

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/money"
)

// A tiered contract: 0.5% below 1,000.00 and 0.3% from there on the whole amount, at least
// 0.10, rounded half up once.
func ExampleFeeContract_Fee() {
	c, err := clearing.FeeConfig{
		Tiers:    []clearing.TierConfig{{From: "0", Rate: "0.5%"}, {From: "1000.00", Rate: "0.3%"}},
		TierMode: "whole", Min: "0.10", Rounding: "half_up",
	}.Contract("up-main", "unionpay", channel.FeeRefundNone)
	if err != nil {
		panic(err)
	}
	for _, yuan := range []string{"5.00", "250.50", "999.99", "1000.00"} {
		a := money.MustParse(yuan, money.CNY)
		fee, _ := c.Fee(a)
		exact, _ := c.ExactFee(a)
		fmt.Printf("%8s: fee %s (exact %s fen)\n", yuan, fee.Decimal(), exact)
	}
	// Output:
	//     5.00: fee 0.10 (exact 10 fen)
	//   250.50: fee 1.25 (exact 125.25 fen)
	//   999.99: fee 5.00 (exact 499.995 fen)
	//  1000.00: fee 3.00 (exact 300 fen)
}

// A split of 132.53: a fixed 1.00 to the platform, the rest 2:1 between two shops by
// largest remainder, so the parts sum to the whole.
func ExampleSplit() {
	parts, err := clearing.Split(money.Fen(13253), []clearing.Receiver{
		{ID: "platform", Fixed: money.Fen(100)},
		{ID: "shop-a", Ratio: decimal.NewFromInt(2)},
		{ID: "shop-b", Ratio: decimal.NewFromInt(1)},
	})
	if err != nil {
		panic(err)
	}
	for _, p := range parts {
		fmt.Println(p.Receiver, p.Amount.Decimal())
	}
	// Output:
	// platform 1.00
	// shop-a 87.69
	// shop-b 43.84
}
