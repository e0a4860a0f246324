package recon_test

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/unionpay"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/recon"
	"github.com/tongdao/tongdao/core/store/storetest"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/demo"
	simunionpay "github.com/tongdao/tongdao/simulator/unionpay"
)

// UnionPay's clearing day turns at 23:00 Beijing: a web payment completed at 22:59 is on
// day D's statement and in D's local stream; one completed at 23:00:30 is D+1's on both
// sides. Through the gateway, the UnionPay adapter and the simulator's UnionPay protocol.
func TestScenario_UnionPay2300Boundary(t *testing.T) {
	proto, err := simunionpay.New(simunionpay.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{proto}, Seed: 23})
	db := storetest.Open(t, storetest.SQLiteDSN(t))
	up, err := unionpay.New(unionpay.Config{MerID: simunionpay.DemoMerID, BaseURL: sim.URL, HTTPClient: sim.Client(), Clock: sim.Clock(),
		RootCert: demo.MustFile(demo.UnionPayRootCert), MiddleCert: demo.MustFile(demo.UnionPayMiddleCert),
		SM2RootCert: demo.MustFile(demo.UnionPaySM2RootCert), SM2MiddleCert: demo.MustFile(demo.UnionPaySM2MiddleCert),
		SignCertPFX: demo.MustFile(demo.UnionPayMerchantPFX), SignCertPassword: demo.UnionPayPFXPassword,
		EncryptCert: demo.MustFile(demo.UnionPayEncCert)})
	if err != nil {
		t.Fatal(err)
	}
	var gw *gateway.Gateway
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { gw.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	gw, err = gateway.New(gateway.Config{Store: db, Clock: sim.Clock(), PublicURL: srv.URL,
		Merchants: []gateway.Merchant{{ID: "M1", HMACSecret: secret, RatePerSecond: 1e6, Burst: 1e6}},
		Accounts:  []gateway.Account{{ID: "up1", Channel: up, ChannelMerchantID: simunionpay.DemoMerID}},
		Routes:    []gateway.Route{{Merchant: "*", Method: channel.MethodWeb, Account: "up1"}}})
	if err != nil {
		t.Fatal(err)
	}
	client := &gateway.Client{BaseURL: srv.URL, MerchantID: "M1", Secret: secret, HTTP: srv.Client(), Clock: sim.Clock()}
	runner, err := recon.New(recon.Config{Store: db, Orders: db, Clock: sim.Clock(), Window: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := clock.DateOf(sim.Clock().Now(), clock.Beijing())
	payAt := func(no string, fen int64, hh, mm, ss int, payAfter ...time.Duration) {
		t.Helper()
		if err := sim.SetTime(d.Start(clock.Beijing()).Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second)); err != nil {
			t.Fatal(err)
		}
		pj, err := client.CreatePayment(ctx, &gateway.CreatePaymentRequest{OrderNo: no, Amount: fen, Method: "web", Subject: "up", ClientIP: "127.0.0.1",
			ReturnURL: "https://shop.example/return"}, "")
		if err != nil || pj.Action == nil || pj.Action.HTML == "" {
			t.Fatalf("create %s: %v %+v", no, err, pj)
		}
		submitForm(t, sim.Client(), pj.Action.HTML) // the payer's browser opens the cashier
		for _, wait := range payAfter {
			if err := sim.Advance(wait); err != nil {
				t.Fatal(err)
			}
		}
		p, err := db.PaymentByOrderNo(ctx, "M1", no)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sim.Pay(ctx, simulator.PayerAction{Channel: "unionpay", OutTradeNo: p.ChannelOrderNo}); err != nil {
			t.Fatal(err)
		}
		if p, _ = db.Payment(ctx, p.ID); p.State != order.Succeeded {
			t.Fatalf("%s: %s after the payer paid", no, p.State)
		}
	}
	payAt("UPB1", 1000, 22, 59, 0)
	payAt("UPB2", 2000, 23, 0, 30)
	acct := recon.Account{ID: "up1", Channel: up}
	for _, c := range []struct {
		day  clock.Date
		want string
	}{{d, "UPB1"}, {d.AddDays(1), "UPB2"}} {
		if err := sim.SetTime(up.Info().StatementReadyAt(c.day).Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		rep, err := runner.Run(ctx, acct, c.day)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Classes[recon.Matched].Count != 1 || rep.LocalRecords != 1 || rep.ChannelRecords != 1 {
			t.Errorf("%s (want %s alone):\n%s", c.day, c.want, text(t, rep))
		}
	}
	// An order sent at 22:59:50 and paid at 23:00:10 straddles the cut-off: whichever day
	// each side gives it, over the two days it is matched once, nothing stays open and
	// each day's 余额调节表 agrees (a side that counts it on D carries it to D+1).
	d = d.AddDays(2)
	payAt("UPB3", 3000, 22, 59, 50, 20*time.Second)
	var matched int64
	for _, dd := range []clock.Date{d, d.AddDays(1)} {
		if err := sim.SetTime(up.Info().StatementReadyAt(dd).Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		rep, err := runner.Run(ctx, acct, dd)
		if err != nil {
			t.Fatal(err)
		}
		matched += rep.Classes[recon.Matched].Count
		if rep.Open != 0 || !rep.Balanced() {
			t.Errorf("%s:\n%s", dd, text(t, rep))
		}
		t.Logf("%s: statement %d, core %d, waiting %d, carried in %d", dd, rep.ChannelRecords, rep.LocalRecords, rep.Result.Waiting.Count, rep.Carried.Count)
	}
	if matched != 1 {
		t.Errorf("UPB3 matched %d times over its two days", matched)
	}
}

var (
	formAction = regexp.MustCompile(`<form action="([^"]*)"`)
	formInput  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// submitForm posts an auto-submitting form as a browser would.
func submitForm(t *testing.T, hc *http.Client, page string) {
	t.Helper()
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form in %q", page)
	}
	vals := url.Values{}
	for _, in := range formInput.FindAllStringSubmatch(page, -1) {
		vals.Set(html.UnescapeString(in[1]), html.UnescapeString(in[2]))
	}
	resp, err := hc.PostForm(html.UnescapeString(m[1]), vals)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("form post: %s", resp.Status)
	}
}
