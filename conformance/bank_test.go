package conformance_test

import (
	"context"
	"strings"
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
	conformance.TestChannel(t, bankHarness(t, nil))
}

// bankHarness starts simulator/bank and the adapter; wrap (optional) replaces the channel.
func bankHarness(t *testing.T, wrap func(*bank.Client) channel.Channel) conformance.Harness {
	proto, err := simbank.New(simbank.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{proto}, Seed: 4})
	c, err := bank.New(bank.Config{
		MerchantID: simbank.DemoMerchantID, CertSerial: simbank.DemoCertSerial,
		MerchantKey: demo.MustFile(demo.BankMerchantPrivate), BankSignKey: demo.MustFile(demo.BankSignPublic),
		BankEncKey: demo.MustFile(demo.BankEncPublic), BankCertSerial: simbank.BankCertSerial,
		BaseURL: sim.URL, HTTPClient: sim.Client(), Clock: sim.Clock(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var ch channel.Channel = c
	if wrap != nil {
		ch = wrap(c)
	}
	return conformance.Harness{
		Channel: ch,
		Sim: conformance.NewHTTPSim(sim.URL, sim.Client(), map[conformance.Op]string{
			conformance.OpPay: "PAY", conformance.OpQuery: "PAY_QUERY", conformance.OpRefund: "REFUND",
			conformance.OpQueryRefund: "REFUND_QUERY", conformance.OpNotify: "PAY_RESULT"}),
		BindCard: channel.Card{Number: "6216261000000000018", HolderName: "全渠道", IDType: "01",
			IDNumber: "341126197709218366", Mobile: "13552535506"},
		PayoutCard: channel.Card{Number: "6216261000000000026", HolderName: "张三"},
	}
}

// brokenBank breaks the binder and payout rules the suite checks: "already bound" as an
// error, and a returned payout reported as still succeeded.
type brokenBank struct{ *bank.Client }

func (b brokenBank) SendBindSMS(ctx context.Context, r *channel.BindRequest) (*channel.BindChallenge, error) {
	ch, err := b.Client.SendBindSMS(ctx, r)
	if err == nil && ch.AlreadyBound != nil {
		return nil, &channel.Error{Channel: "bank", Kind: channel.KindAlreadyDone, Code: "3006"}
	}
	return ch, err
}

func (b brokenBank) QueryPayout(ctx context.Context, r *channel.PayoutQuery) (*channel.PayoutResult, error) {
	res, err := b.Client.QueryPayout(ctx, r)
	if err == nil && res.Status == channel.StatusReversed {
		res.Status = channel.StatusSucceeded
	}
	return res, err
}

// TestSuite_CatchesBrokenBinderAndPayouter runs the suite against a bank adapter broken in
// the binder and payout behaviours: both must be reported.
func TestSuite_CatchesBrokenBinderAndPayouter(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole suite")
	}
	h := bankHarness(t, func(c *bank.Client) channel.Channel { return brokenBank{c} })
	rec := conformance.NewRecorder(context.Background())
	rec.Run("", func(tt conformance.T) { conformance.Run(tt, &h) })
	for _, want := range []string{"Binder/AlreadyBound", "Payouts/ReturnedIsReversed"} {
		found := false
		for _, f := range rec.Failures {
			found = found || strings.Contains(f, want)
		}
		if !found {
			t.Errorf("the suite did not report %s; failures: %q", want, rec.Failures)
		}
	}
}
