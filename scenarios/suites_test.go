package scenarios_test

import (
	"testing"

	"github.com/tongdao/tongdao/scenarios"
)

// TestBundledSuitesParse keeps every bundled suite valid, including those of channels whose
// simulator protocol or adapter is not wired into the tests yet.
func TestBundledSuitesParse(t *testing.T) {
	for _, dir := range []string{"wechat", "alipay", "bank", "unionpay"} {
		list, err := scenarios.LoadPaths([]string{dir}, scenarios.ParseOptions{Channels: []string{dir}})
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if len(list) < 8 {
			t.Errorf("%s: %d scenarios, want at least 8", dir, len(list))
		}
		for _, s := range list {
			if !s.HasTag(dir) {
				t.Errorf("%s: scenario %q lacks the tag %q", s.Pos.File, s.Name, dir)
			}
		}
	}
}
