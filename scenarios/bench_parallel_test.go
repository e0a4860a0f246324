package scenarios_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/tongdao/tongdao/scenarios"
)

// BenchmarkRun_AlipaySuiteParallel runs the bundled Alipay suite (RSA2 signing on both
// sides: CPU-bound) in process with 1, 2 and 4 workers; each scenario has its own simulator.
func BenchmarkRun_AlipaySuiteParallel(b *testing.B) {
	list, err := scenarios.LoadPaths([]string{"alipay"}, scenarios.ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			opts := alipayOptions()
			opts.Parallel = n
			b.ReportAllocs()
			for b.Loop() {
				res, err := scenarios.Run(context.Background(), list, opts)
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range res {
					if !r.Passed {
						b.Fatalf("%s failed", r.Scenario.Name)
					}
				}
			}
		})
	}
}

// BenchmarkParseAll_Matrix parses a file whose matrix expands into 16 scenarios.
func BenchmarkParseAll_Matrix(b *testing.B) {
	src := []byte(`name: pay ${amount} on ${ch} #${n}
matrix:
  ch: [toy, wechat]
  amount: ["0.01", "1.00", "99.99", "100000.00"]
  n: [1, 2]
vars: {order: "O-${ch}-${n}"}
channel: ${ch}
steps:
  - pay: &pay {order: "${order}", amount: "${amount}"}
    expect: {status: PENDING}
  - payer_pay: {order: "${order}"}
  - wait_callbacks: {order: "${order}", within: 5m}
  - refund: {order: "${order}", refund: "R-${order}", amount: "${amount}"}
    expect: {status: SUCCEEDED}
`)
	opts := scenarios.ParseOptions{Channels: []string{"toy", "wechat"}}
	b.ReportAllocs()
	for b.Loop() {
		list, err := scenarios.ParseAll("m.yaml", src, opts)
		if err != nil || len(list) != 16 {
			b.Fatal(len(list), err)
		}
	}
}
