package scenarios_test

import (
	"context"
	"os"
	"testing"

	"github.com/tongdao/tongdao/scenarios"
)

func BenchmarkParse_FullFormatFile(b *testing.B) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scenarios.Parse("full.yaml", data, scenarios.ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRun_ToyScenario runs a 16-step scenario in process: a fresh simulator, every
// step kind, callbacks, a statement.
func BenchmarkRun_ToyScenario(b *testing.B) {
	sc, err := parseToy("toy.yaml", toyHappy)
	if err != nil {
		b.Fatal(err)
	}
	list := []*scenarios.Scenario{sc}
	opts := toyOptions()
	b.ReportAllocs()
	for b.Loop() {
		res, err := scenarios.Run(context.Background(), list, opts)
		if err != nil || !res[0].Passed {
			b.Fatalf("run failed: %v %+v", err, res[0].Failure)
		}
	}
}

// BenchmarkRun_WeChatSuite runs the bundled WeChat suite (real adapter, real simulator
// protocol) in process.
func BenchmarkRun_WeChatSuite(b *testing.B) {
	list, err := scenarios.LoadPaths([]string{"wechat"}, scenarios.ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	opts := wechatOptions()
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
}

// BenchmarkRun_AlipaySuite runs the bundled Alipay suite (real adapter with RSA2 signing,
// real simulator protocol) in process.
func BenchmarkRun_AlipaySuite(b *testing.B) {
	list, err := scenarios.LoadPaths([]string{"alipay"}, scenarios.ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	opts := alipayOptions()
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
}
