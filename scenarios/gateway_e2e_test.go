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
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// gatewayOptions runs `target: gateway` scenarios against an in-process gateway (its own
// SQLite file per scenario) wired to an in-process WeChat + Alipay simulator.
func gatewayOptions(t testing.TB) scenarios.Options {
	return scenarios.Options{
		Factories: map[string]scenarios.ChannelFactory{"wechat": wechatFactory, "alipay": alipayFactory},
		Protocols: func() ([]simulator.Protocol, error) {
			wx, err := simwechat.New(simwechat.Config{})
			if err != nil {
				return nil, fmt.Errorf("simulator/wechat: %w", err)
			}
			al, err := simalipay.New(simalipay.Config{})
			if err != nil {
				return nil, fmt.Errorf("simulator/alipay: %w", err)
			}
			return []simulator.Protocol{wx, al}, nil
		},
		Gateway: gatewaytarget.Start(t.TempDir()),
	}
}

func TestBundledGatewaySuites(t *testing.T) {
	list, err := scenarios.LoadPaths([]string{"gateway"}, scenarios.ParseOptions{Channels: scenarios.ToolkitChannels()})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < 6 {
		t.Errorf("%d gateway scenarios, want at least 6", len(list))
	}
	results, err := scenarios.Run(context.Background(), list, gatewayOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Scenario.Target != scenarios.TargetGateway || !r.Scenario.HasTag("gateway") {
			t.Errorf("%s: want target gateway and the tag gateway", r.Scenario.Pos.File)
		}
		if !r.Passed {
			t.Errorf("%s: %s\n%s", r.Scenario.Name, scenarios.FormatFailure(r), strings.Join(r.Transcript, "\n"))
		}
	}
	// Not compared run to run: the gateway's ids (pay_…, the channel order number) are random.
}
