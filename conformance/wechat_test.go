package conformance_test

import (
	"testing"

	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/conformance"
	"github.com/tongdao/tongdao/simulator"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// TestWeChat runs the contract suite for adapters/wechat against simulator/wechat over
// real HTTP on loopback, the two sides written independently.
func TestWeChat(t *testing.T) {
	proto, err := simwechat.New(simwechat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{proto}, Seed: 1})
	demo := simwechat.DemoMerchant()
	ch, err := wechat.New(wechat.Config{
		AppID: demo.AppIDs[0], MchID: demo.MchID, Key: demo.Key,
		BaseURL: sim.URL, HTTPClient: sim.Client(), TLSClient: sim.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	conformance.TestChannel(t, conformance.Harness{
		Channel: ch,
		Sim:     conformance.NewHTTPSim(sim.URL, sim.Client(), map[conformance.Op]string{conformance.OpPay: simwechat.OpUnifiedOrder, conformance.OpQuery: simwechat.OpOrderQuery, conformance.OpClose: simwechat.OpCloseOrder, conformance.OpRefund: simwechat.OpRefund, conformance.OpQueryRefund: simwechat.OpRefundQuery}),
	})
}
