package scenarios_test

import (
	"testing"

	"github.com/tongdao/tongdao/scenarios"
)

// TestBundledTargetSuitesParse keeps the gateway and http suites valid, each with its tag
// and target, and the bundled suites at 60 or more in all.
func TestBundledTargetSuitesParse(t *testing.T) {
	total := 0
	for _, dir := range []string{"wechat", "alipay", "bank", "unionpay", "gateway", "http", "recon", "wallet"} {
		list, err := scenarios.LoadPaths([]string{dir}, scenarios.ParseOptions{Channels: scenarios.ToolkitChannels()})
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		total += len(list)
		want := map[string]scenarios.Target{"gateway": scenarios.TargetGateway, "http": scenarios.TargetHTTP,
			"recon": scenarios.TargetGateway, "wallet": scenarios.TargetGateway}[dir]
		if want == "" {
			want = scenarios.TargetAdapters
		}
		for _, s := range list {
			if s.Target != want {
				t.Errorf("%s: target %q, want %q", s.Pos.File, s.Target, want)
			}
			if want != scenarios.TargetAdapters && !s.HasTag(dir) {
				t.Errorf("%s: lacks the tag %q", s.Pos.File, dir)
			}
		}
	}
	if total < 60 {
		t.Errorf("%d bundled scenarios, want at least 60", total)
	}
	t.Logf("%d bundled scenarios", total)
}
