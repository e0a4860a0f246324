package risk_test

import (
	"context"
	"fmt"

	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/risk"
)

// Rules in YAML: a card block list, a velocity limit per payer and a challenge for large
// amounts; every assessment names the rule that decided.
func Example() {
	f, err := risk.ParseFile("risk.yaml", []byte(`
lists:
  - {name: stolen, kind: card, values: [fp-bad]}
rules:
  - {name: stolen-card, if: {in_list: stolen}, then: block}
  - {name: burst, if: {velocity: {per: user, window: 10m, count_over: 2}}, then: block}
  - {name: large, if: {amount_over: "5000.00"}, then: challenge}
`))
	if err != nil {
		panic(err)
	}
	lists, rules, err := f.Compile("risk.yaml")
	if err != nil {
		panic(err)
	}
	e, err := risk.New(risk.Config{Lists: lists, Rules: rules})
	if err != nil {
		panic(err)
	}
	for i, req := range []gateway.RiskRequest{
		{PayerID: "u1", Amount: cny(100)},
		{PayerID: "u1", Amount: cny(6000_00)},
		{PayerID: "u1", Amount: cny(100)},
		{PayerID: "u2", CardFingerprint: "fp-bad", Amount: cny(100)},
	} {
		req.MerchantID, req.OrderNo, req.At = "M1", fmt.Sprint("O", i), t0
		d, _ := e.Assess(context.Background(), req)
		fmt.Println(d.Verdict, d.Rule)
	}
	// Output:
	// allow default-allow
	// challenge large
	// block burst
	// block stolen-card
}
