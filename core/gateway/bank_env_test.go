package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/adapters/bank"
	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/store/storetest"
	"github.com/tongdao/tongdao/simulator"
	simbank "github.com/tongdao/tongdao/simulator/bank"
	"github.com/tongdao/tongdao/simulator/demo"
)

const secretM2 = "m2-secret-0123456789abcdef"

// The simulator's issuer records (simulator/bank): the G1 identity binds; the second card
// receives payouts. Illustrative numbers, Luhn-valid.
var (
	bindCard = gateway.BindCardJSON{Number: "6216261000000000018", HolderName: "全渠道", IDNumber: "341126197709218366", Mobile: "13552535506"}
	payCard  = gateway.PayoutCardJSON{Number: "6216261000000000026", HolderName: "张三"}
)

// bankEnv is a gateway over a real store in front of simulator/bank (loopback HTTP both
// ways), with a card keyring and the ledger poster over the same database.
type bankEnv struct {
	*env
	bank   *simbank.Server
	ledger *ledger.Ledger
	poster *posting.Poster
}

func newBankEnv(t testing.TB, dsn string) *bankEnv {
	t.Helper()
	proto, err := simbank.New(simbank.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{proto}, Seed: 11})
	bc, err := bank.New(bank.Config{
		MerchantID: simbank.DemoMerchantID, CertSerial: simbank.DemoCertSerial,
		MerchantKey: demo.MustFile(demo.BankMerchantPrivate), BankSignKey: demo.MustFile(demo.BankSignPublic),
		BankEncKey: demo.MustFile(demo.BankEncPublic), BankCertSerial: simbank.BankCertSerial,
		BaseURL: sim.URL, HTTPClient: sim.Client(), Clock: sim.Clock(),
	})
	if err != nil {
		t.Fatal(err)
	}
	kr, err := card.NewKeyring(card.KeyringConfig{Keys: map[string][]byte{"k1": []byte("0123456789abcdef")}, Active: "k1",
		FingerprintKey: []byte("fingerprint-key-0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	e := &bankEnv{env: &env{t: t, sim: sim, db: storetest.Open(t, dsn)}, bank: proto}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.gw.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	e.gw, err = gateway.New(gateway.Config{
		Store: e.db, Clock: sim.Clock(), PublicURL: e.srv.URL, Keyring: kr,
		Merchants: []gateway.Merchant{{ID: "M1", HMACSecret: secretM1}, {ID: "M2", HMACSecret: secretM2}},
		Accounts:  []gateway.Account{{ID: "bank1", Channel: bc}},
		Routes:    []gateway.Route{{Merchant: "*", Method: channel.MethodToken, Account: "bank1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.ledger, err = ledger.New(ledger.Config{Store: e.db, Clock: sim.Clock(), Cutoff: clock.NaturalDay})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.ledger.Close() })
	fees, err := posting.RateFees(map[string]decimal.Decimal{"bank1": decimal.Zero})
	if err != nil {
		t.Fatal(err)
	}
	e.poster, err = posting.New(posting.Config{Store: e.db, Ledger: e.ledger, Clock: sim.Clock(), Fees: fees,
		FeeRefund: map[string]channel.FeeRefund{"bank": channel.FeeRefundNone}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// smsCode reads the code the simulated bank "sent" for the binding's channel number.
func (e *bankEnv) smsCode(channelBindNo string) string {
	e.t.Helper()
	v, err := e.bank.Control(context.Background(), http.MethodGet, "sms", url.Values{"bind_no": {channelBindNo}}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return v.(simbank.SMS).Code
}

// returnPayout makes the receiving bank bounce a succeeded payout (退票), notified.
func (e *bankEnv) returnPayout(channelPayoutNo string) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"payout_no": channelPayoutNo})
	if _, err := e.bank.Control(context.Background(), http.MethodPost, "payouts/return", nil, body); err != nil {
		e.t.Fatal(err)
	}
}

// work moves the simulator's clock by steps of d, running the gateway's background work
// and the ledger poster after each.
func (e *bankEnv) work(steps int, d time.Duration) {
	e.t.Helper()
	ctx := context.Background()
	for i := 0; i < steps; i++ {
		if err := e.sim.Advance(d); err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.gw.WorkOnce(ctx); err != nil {
			e.t.Fatal(err)
		}
		e.post()
	}
}

// post runs the ledger poster enough rounds to drain each order's queue of events (one
// event per order is claimable per round).
func (e *bankEnv) post() {
	e.t.Helper()
	for i := 0; i < 8; i++ {
		if _, err := e.poster.RunOnce(context.Background()); err != nil {
			e.t.Fatal(err)
		}
	}
}
