package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/adapters/bank"
	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/conformance"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/store/storetest"
	"github.com/tongdao/tongdao/simulator"
	simbank "github.com/tongdao/tongdao/simulator/bank"
	simdemo "github.com/tongdao/tongdao/simulator/demo"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// TestCore_InvariantsOverLoopback runs conformance.TestCore against the core as `gateway
// serve` wires it (gateway, ledger poster, webhook notifier on one store), talking to the
// simulator over loopback HTTP, on SQLite and PostgreSQL.
func TestCore_InvariantsOverLoopback(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		proto, err := simwechat.New(simwechat.Config{})
		if err != nil {
			t.Fatal(err)
		}
		bankProto, err := simbank.New(simbank.Config{})
		if err != nil {
			t.Fatal(err)
		}
		sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{proto, bankProto}, Seed: 11})
		bk, err := bank.New(bank.Config{MerchantID: simbank.DemoMerchantID, CertSerial: simbank.DemoCertSerial,
			MerchantKey: simdemo.MustFile(simdemo.BankMerchantPrivate), BankSignKey: simdemo.MustFile(simdemo.BankSignPublic),
			BankEncKey: simdemo.MustFile(simdemo.BankEncPublic), BankCertSerial: simbank.BankCertSerial,
			BaseURL: sim.URL, HTTPClient: sim.Client(), Clock: sim.Clock()})
		if err != nil {
			t.Fatal(err)
		}
		db := storetest.Open(t, dsn)
		demo := simwechat.DemoMerchant()
		wx, err := wechat.New(wechat.Config{AppID: demo.AppIDs[0], MchID: demo.MchID, Key: demo.Key, BaseURL: sim.URL,
			HTTPClient: sim.Client(), TLSClient: sim.Client(), Clock: sim.Clock()})
		if err != nil {
			t.Fatal(err)
		}
		var gw *gateway.Gateway
		gwSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { gw.ServeHTTP(w, r) }))
		t.Cleanup(gwSrv.Close)
		hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
		t.Cleanup(hooks.Close)
		gw, err = gateway.New(gateway.Config{Store: db, Clock: sim.Clock(), PublicURL: gwSrv.URL,
			Merchants: []gateway.Merchant{{ID: "M1", HMACSecret: demoSecret, RatePerSecond: 1e6, Burst: 1e6}},
			Accounts:  []gateway.Account{{ID: "wx1", Channel: wx, ChannelMerchantID: demo.MchID, AppID: demo.AppIDs[0]}, {ID: "bank1", Channel: bk}},
			Routes:    []gateway.Route{{Merchant: "*", Method: channel.MethodQR, Account: "wx1"}}})
		if err != nil {
			t.Fatal(err)
		}
		work, err := newCoreWork(db, gw, sim.Clock(), nil, map[string]decimal.Decimal{"wx1": decimal.RequireFromString("0.006"), "bank1": decimal.Zero},
			notify.StaticDirectory{"M1": {URL: hooks.URL, Secret: demoHookSecret}}, hooks.Client())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = work.close() })
		conformance.TestCore(t, conformance.CoreHarness{
			Client:  &gateway.Client{BaseURL: gwSrv.URL, MerchantID: "M1", Secret: demoSecret, HTTP: gwSrv.Client(), Clock: sim.Clock()},
			Sim:     conformance.NewHTTPSim(sim.URL, sim.Client(), map[conformance.Op]string{conformance.OpPay: simwechat.OpUnifiedOrder}),
			Orders:  db,
			Work:    work.once,
			Channel: "wechat",
			Ledger:  work.ledger,
			Outbox:  db,
			// The bank pays out (and its simulator can return a payout, 退票).
			PayoutCard:    gateway.PayoutCardJSON{Number: "6216261000000000026", HolderName: "张三"},
			PayoutAccount: "bank1",
			PayoutChannel: simbank.Name,
		})
	})
}
