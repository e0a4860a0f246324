package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/unionpay"
	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store/storetest"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/demo"
	simunionpay "github.com/tongdao/tongdao/simulator/unionpay"
)

// TestBindings_UnionPayConfirmTimeoutResolvedAfterRestart binds a card with UnionPay
// (whose confirm needs the card's elements again: the gateway opens what it sealed) and
// loses the confirm's answer; a gateway started afresh (a new adapter that never saw the
// binding) resolves it by UnionPay's open query with the stored number and time.
func TestBindings_UnionPayConfirmTimeoutResolvedAfterRestart(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		proto, err := simunionpay.New(simunionpay.Config{})
		if err != nil {
			t.Fatal(err)
		}
		sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{proto}, Seed: 5})
		newUP := func() *unionpay.Client {
			c, err := unionpay.New(unionpay.Config{MerID: simunionpay.DemoMerID, BaseURL: sim.URL, HTTPClient: sim.Client(), Clock: sim.Clock(),
				RootCert: demo.MustFile(demo.UnionPayRootCert), MiddleCert: demo.MustFile(demo.UnionPayMiddleCert),
				SM2RootCert: demo.MustFile(demo.UnionPaySM2RootCert), SM2MiddleCert: demo.MustFile(demo.UnionPaySM2MiddleCert),
				SignCertPFX: demo.MustFile(demo.UnionPayMerchantPFX), SignCertPassword: demo.UnionPayPFXPassword,
				EncryptCert: demo.MustFile(demo.UnionPayEncCert)})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		kr, err := card.NewKeyring(card.KeyringConfig{Keys: map[string][]byte{"k1": []byte("0123456789abcdef")}, Active: "k1",
			FingerprintKey: []byte("fingerprint-key-0123456789abcdef")})
		if err != nil {
			t.Fatal(err)
		}
		e := &env{t: t, sim: sim, db: storetest.Open(t, dsn)}
		e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.gw.ServeHTTP(w, r) }))
		t.Cleanup(e.srv.Close)
		start := func() {
			e.gw, err = gateway.New(gateway.Config{Store: e.db, Clock: sim.Clock(), PublicURL: e.srv.URL, Keyring: kr,
				Merchants: []gateway.Merchant{{ID: "M1", HMACSecret: secretM1}},
				Accounts:  []gateway.Account{{ID: "up1", Channel: newUP()}},
				Routes:    []gateway.Route{{Merchant: "*", Account: "up1"}}})
			if err != nil {
				t.Fatal(err)
			}
		}
		start()
		var b gateway.BindingJSON
		code, _, raw := e.call("M1", secretM1, http.MethodPost, "/v1/bindings", gateway.CreateBindingRequest{BindNo: "UP1", UserID: "dave", Card: bindCard}, "", &b)
		if code != http.StatusCreated || b.State != order.BindSMSSent || b.Channel != "unionpay" {
			t.Fatalf("create: %d %s", code, raw)
		}
		if _, err := sim.AddFault(simulator.FaultPlan{Channel: simunionpay.Name, Op: "token.open", First: 1, Kind: simulator.FaultTimeoutAfter}); err != nil {
			t.Fatal(err)
		}
		code, _, raw = e.call("M1", secretM1, http.MethodPost, "/v1/bindings/UP1/confirm", gateway.ConfirmBindingRequest{SMSCode: simunionpay.DemoSMSCode}, "", &b)
		if code != http.StatusAccepted || !b.Unresolved || b.State != order.BindSMSSent {
			t.Fatalf("confirm with a lost answer: %d %s", code, raw)
		}
		start() // a new process: the adapter does not remember the binding
		for i := 0; i < 3; i++ {
			if err := sim.Advance(30 * time.Second); err != nil {
				t.Fatal(err)
			}
			if _, err := e.gw.WorkOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		e.call("M1", secretM1, http.MethodGet, "/v1/bindings/UP1", nil, "", &b)
		if b.State != order.Bound || b.Unresolved || b.Token == "" {
			t.Fatalf("after the query-back: %+v", b)
		}
		if code, _, raw := e.call("M1", secretM1, http.MethodPost, "/v1/bindings/UP1/unbind", nil, "", &b); code != http.StatusOK || b.State != order.Unbound {
			t.Fatalf("unbind: %d %s", code, raw)
		}
	})
}
