package conformance_test

import (
	"testing"

	"github.com/tongdao/tongdao/adapters/unionpay"
	"github.com/tongdao/tongdao/conformance"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/demo"
	simunionpay "github.com/tongdao/tongdao/simulator/unionpay"
)

// TestUnionPay runs the contract suite for adapters/unionpay against simulator/unionpay
// over real HTTP on loopback, signing with the demo merchant's PKCS#12 (signMethod 01) and
// with its SM2 key (21). The payer-driven behaviours use MethodApp: appTransReq creates
// the order on UnionPay's side, so the simulated payer can pay it by its orderId.
func TestUnionPay(t *testing.T) {
	for _, mode := range []string{"RSA", "SM2"} {
		t.Run(mode, func(t *testing.T) {
			proto, err := simunionpay.New(simunionpay.Config{})
			if err != nil {
				t.Fatal(err)
			}
			sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{proto}, Seed: 4})
			cfg := unionpay.Config{
				MerID:      simunionpay.DemoMerID,
				BaseURL:    sim.URL,
				HTTPClient: sim.Client(),
				Clock:      sim.Clock(),
				RootCert:   demo.MustFile(demo.UnionPayRootCert), MiddleCert: demo.MustFile(demo.UnionPayMiddleCert),
				SM2RootCert: demo.MustFile(demo.UnionPaySM2RootCert), SM2MiddleCert: demo.MustFile(demo.UnionPaySM2MiddleCert),
			}
			if mode == "RSA" {
				cfg.SignCertPFX, cfg.SignCertPassword = demo.MustFile(demo.UnionPayMerchantPFX), demo.UnionPayPFXPassword
				cfg.EncryptCert = demo.MustFile(demo.UnionPayEncCert)
			} else {
				cfg.SignMethod = unionpay.SignSM2
				cfg.SM2Key, cfg.SM2Cert = demo.MustFile(demo.UnionPaySM2MerchantPrivate), demo.MustFile(demo.UnionPaySM2MerchantCert)
				cfg.EncryptCert = demo.MustFile(demo.UnionPaySM2EncCert)
			}
			ch, err := unionpay.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			conformance.TestChannel(t, conformance.Harness{
				Channel: ch,
				Method:  channel.MethodApp,
				Sim: conformance.NewHTTPSim(sim.URL, sim.Client(), map[conformance.Op]string{
					conformance.OpPay: "consume.app", conformance.OpQuery: "query",
					conformance.OpRefund: "refund", conformance.OpQueryRefund: "query"}),
			})
		})
	}
}
