package conformance_test

import (
	"testing"

	"github.com/tongdao/tongdao/adapters/bank"
	"github.com/tongdao/tongdao/conformance"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/simulator"
	simbank "github.com/tongdao/tongdao/simulator/bank"
	"github.com/tongdao/tongdao/simulator/demo"
)

// TestBank runs the contract suite for adapters/bank against simulator/bank over real HTTP
// on loopback. The bank has no payer-driven method: the suite binds the demo card through
// Binder (SMS code from the simulator) and pays with MethodToken.
func TestBank(t *testing.T) {
	proto, err := simbank.New(simbank.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{proto}, Seed: 4})
	ch, err := bank.New(bank.Config{
		MerchantID: simbank.DemoMerchantID, CertSerial: simbank.DemoCertSerial,
		MerchantKey: demo.MustFile(demo.BankMerchantPrivate), BankSignKey: demo.MustFile(demo.BankSignPublic),
		BankEncKey: demo.MustFile(demo.BankEncPublic), BankCertSerial: simbank.BankCertSerial,
		BaseURL: sim.URL, HTTPClient: sim.Client(), Clock: sim.Clock(),
	})
	if err != nil {
		t.Fatal(err)
	}
	conformance.TestChannel(t, conformance.Harness{
		Channel: ch,
		Sim: conformance.NewHTTPSim(sim.URL, sim.Client(), map[conformance.Op]string{
			conformance.OpPay: "PAY", conformance.OpQuery: "PAY_QUERY", conformance.OpRefund: "REFUND",
			conformance.OpQueryRefund: "REFUND_QUERY", conformance.OpNotify: "PAY_RESULT"}),
		BindCard: channel.Card{Number: "6216261000000000018", HolderName: "全渠道", IDType: "01",
			IDNumber: "341126197709218366", Mobile: "13552535506"},
		PayoutCard: channel.Card{Number: "6216261000000000026", HolderName: "张三"},
	})
}
