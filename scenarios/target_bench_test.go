package scenarios_test

import (
	"context"
	"testing"

	"github.com/tongdao/tongdao/scenarios"
)

// BenchmarkRun_GatewaySuite runs the bundled `target: gateway` suites: per scenario a fresh
// in-process simulator (WeChat + Alipay) and a fresh gateway on its own SQLite file.
func BenchmarkRun_GatewaySuite(b *testing.B) {
	list, err := scenarios.LoadPaths([]string{"gateway"}, scenarios.ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	opts := gatewayOptions(b)
	b.ReportAllocs()
	for b.Loop() {
		res, err := scenarios.Run(context.Background(), list, opts)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if !r.Passed {
				b.Fatalf("%s failed: %s", r.Scenario.Name, scenarios.FormatFailure(r))
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(list))/1000, "ms/scenario")
}
