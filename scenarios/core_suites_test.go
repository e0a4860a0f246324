package scenarios_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/scenarios"
	"github.com/tongdao/tongdao/scenarios/gatewaytarget"
	"github.com/tongdao/tongdao/simulator"
	simalipay "github.com/tongdao/tongdao/simulator/alipay"
	simbank "github.com/tongdao/tongdao/simulator/bank"
	simunionpay "github.com/tongdao/tongdao/simulator/unionpay"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// coreOptions runs `target: gateway` scenarios that reach the payment core beyond payments
// (wallets, balance queries, reconciliation, settlement) against an in-process gateway wired
// to an in-process WeChat, Alipay, UnionPay and bank simulator.
func coreOptions(t testing.TB) scenarios.Options {
	return scenarios.Options{
		Factories: map[string]scenarios.ChannelFactory{"wechat": wechatFactory, "alipay": alipayFactory, "bank": bankFactory, "unionpay": unionpayFactory},
		Protocols: func() ([]simulator.Protocol, error) {
			wx, err := simwechat.New(simwechat.Config{})
			if err != nil {
				return nil, fmt.Errorf("simulator/wechat: %w", err)
			}
			al, err := simalipay.New(simalipay.Config{})
			if err != nil {
				return nil, fmt.Errorf("simulator/alipay: %w", err)
			}
			up, err := simunionpay.New(simunionpay.Config{})
			if err != nil {
				return nil, fmt.Errorf("simulator/unionpay: %w", err)
			}
			bk, err := simbank.New(simbank.Config{})
			if err != nil {
				return nil, fmt.Errorf("simulator/bank: %w", err)
			}
			return []simulator.Protocol{wx, al, up, bk}, nil
		},
		Gateway: gatewaytarget.Start(t.TempDir()),
	}
}

// TestBundledCoreSuites runs scenarios/recon and scenarios/wallet: reconciliation,
// settlement, wallets and balance queries through the gateway and the simulator.
func TestBundledCoreSuites(t *testing.T) {
	for _, dir := range []struct {
		name string
		min  int
	}{{"recon", 10}, {"wallet", 8}} {
		t.Run(dir.name, func(t *testing.T) {
			list, err := scenarios.LoadPaths([]string{dir.name}, scenarios.ParseOptions{Channels: scenarios.ToolkitChannels()})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) < dir.min {
				t.Errorf("%d %s scenarios, want at least %d", len(list), dir.name, dir.min)
			}
			results, err := scenarios.Run(context.Background(), list, coreOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range results {
				if r.Scenario.Target != scenarios.TargetGateway || !r.Scenario.HasTag(dir.name) {
					t.Errorf("%s: want target gateway and the tag %s", r.Scenario.Pos.File, dir.name)
				}
				if r.Skipped || !r.Passed {
					t.Errorf("%s: %s%s\n%s", r.Scenario.Name, r.SkipReason, scenarios.FormatFailure(r), strings.Join(r.Transcript, "\n"))
				}
			}
		})
	}
}

// A core step's result check that does not hold fails the scenario at the check's line,
// saying what the result holds; a check on an absent field says so.
func TestRun_CoreResultMismatchNamesTheCheck(t *testing.T) {
	src := "name: verify mismatch\ntarget: gateway\nchannel: wechat\nsteps:\n  - ledger_verify: {}\n    expect: {result: {ok: false}}\n"
	sc, err := scenarios.Parse("mismatch.yaml", []byte(src), scenarios.ParseOptions{Channels: scenarios.ToolkitChannels()})
	if err != nil {
		t.Fatal(err)
	}
	src2 := "name: settle absent\ntarget: gateway\nchannel: wechat\nstart: \"2026-12-02T10:00:00+08:00\"\nsteps:\n  - settle: {day: 2026-12-01}\n    expect: {result: {\"batches[0].net\": \"1.00\"}}\n"
	sc2, err := scenarios.Parse("absent.yaml", []byte(src2), scenarios.ParseOptions{Channels: scenarios.ToolkitChannels()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := scenarios.Run(context.Background(), []*scenarios.Scenario{sc, sc2}, coreOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"mismatch.yaml:6:22: step 1: expected ok = false, got true", "absent.yaml:7:22: step 1: expected batches[0].net in the result"} {
		r := res[i]
		if r.Passed || !strings.Contains(scenarios.FormatFailure(r), want) {
			t.Errorf("%s: want a failure with %q, got:\n%s", r.Scenario.Name, want, scenarios.FormatFailure(r))
		}
	}
}
