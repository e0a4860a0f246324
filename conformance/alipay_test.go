package conformance_test

import (
	"testing"

	"github.com/tongdao/tongdao/adapters/alipay"
	"github.com/tongdao/tongdao/conformance"
	"github.com/tongdao/tongdao/simulator"
	simalipay "github.com/tongdao/tongdao/simulator/alipay"
	"github.com/tongdao/tongdao/simulator/demo"
)

// TestAlipay runs the contract suite for adapters/alipay against simulator/alipay over real
// HTTP on loopback, in public-key mode and in certificate mode.
func TestAlipay(t *testing.T) {
	for _, certMode := range []bool{false, true} {
		name := "KeyMode"
		if certMode {
			name = "CertMode"
		}
		t.Run(name, func(t *testing.T) {
			proto, err := simalipay.New(simalipay.Config{})
			if err != nil {
				t.Fatal(err)
			}
			sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{proto}, Seed: 2})
			cfg := alipay.Config{
				AppID:         simalipay.DemoMerchant().AppID,
				AppPrivateKey: demo.MustFile(demo.AlipayAppPrivate),
				BaseURL:       sim.URL,
				HTTPClient:    sim.Client(),
				Clock:         sim.Clock(),
			}
			if certMode {
				cfg.AppCert = demo.MustFile(demo.AlipayAppCert)
				cfg.AlipayCert = demo.MustFile(demo.AlipayPlatformCert)
				cfg.AlipayRootCert = demo.MustFile(demo.AlipayRootCert)
			} else {
				cfg.AlipayPublicKey = demo.MustFile(demo.AlipayPlatformPublic)
			}
			ch, err := alipay.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			conformance.TestChannel(t, conformance.Harness{
				Channel: ch,
				Sim: conformance.NewHTTPSim(sim.URL, sim.Client(), map[conformance.Op]string{
					conformance.OpPay: "alipay.trade.precreate", conformance.OpQuery: "alipay.trade.query",
					conformance.OpClose: "alipay.trade.close", conformance.OpRefund: "alipay.trade.refund",
					conformance.OpQueryRefund: "alipay.trade.fastpay.refund.query"}),
			})
		})
	}
}
