package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/adapters/unionpay"
	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/conformance"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/demo"
	simunionpay "github.com/tongdao/tongdao/simulator/unionpay"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// settleHarness is the core as `gateway serve` wires it (gateway, ledger poster, webhooks on
// one SQLite file) with a WeChat account (wx1, QR, 0.6%) and a UnionPay account (up1, App,
// 0.5% with a 0.10 minimum), talking to the simulator over loopback HTTP, plus the settler
// `tongdao settle` builds.
type settleHarness struct {
	t    *testing.T
	ctx  context.Context
	sim  *simulator.TestServer
	clk  *clock.Virtual
	ctl  *conformance.HTTPSim
	db   *store.DB
	gw   *gateway.Gateway
	cl   *gateway.Client
	work *coreWork
	s    *clearing.Settler
	file *gatewayFile
}

func newSettleHarness(t *testing.T, start time.Time) *settleHarness {
	t.Helper()
	wxp, err := simwechat.New(simwechat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	upp, err := simunionpay.New(simunionpay.Config{})
	if err != nil {
		t.Fatal(err)
	}
	vclk := clock.NewVirtual(start)
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{wxp, upp}, Seed: 15, Clock: vclk})
	db := storetest.Open(t, storetest.SQLiteDSN(t))
	wd := simwechat.DemoMerchant()
	wx, err := wechat.New(wechat.Config{AppID: wd.AppIDs[0], MchID: wd.MchID, Key: wd.Key, BaseURL: sim.URL,
		HTTPClient: sim.Client(), TLSClient: sim.Client(), Clock: vclk})
	if err != nil {
		t.Fatal(err)
	}
	var gw *gateway.Gateway
	gwSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { gw.ServeHTTP(w, r) }))
	t.Cleanup(gwSrv.Close)
	up, err := unionpay.New(unionpay.Config{MerID: simunionpay.DemoMerID, BaseURL: sim.URL, HTTPClient: sim.Client(), Clock: vclk,
		NotifyURL:   gwSrv.URL + "/notify/unionpay",
		SignCertPFX: demo.MustFile(demo.UnionPayMerchantPFX), SignCertPassword: demo.UnionPayPFXPassword,
		EncryptCert: demo.MustFile(demo.UnionPayEncCert),
		RootCert:    demo.MustFile(demo.UnionPayRootCert), MiddleCert: demo.MustFile(demo.UnionPayMiddleCert),
		SM2RootCert: demo.MustFile(demo.UnionPaySM2RootCert), SM2MiddleCert: demo.MustFile(demo.UnionPaySM2MiddleCert)})
	if err != nil {
		t.Fatal(err)
	}
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hooks.Close)
	gw, err = gateway.New(gateway.Config{Store: db, Clock: vclk, PublicURL: gwSrv.URL,
		Merchants: []gateway.Merchant{{ID: "M1", HMACSecret: demoSecret, RatePerSecond: 1e6, Burst: 1e6}},
		Accounts: []gateway.Account{{ID: "wx1", Channel: wx, ChannelMerchantID: wd.MchID, AppID: wd.AppIDs[0]},
			{ID: "up1", Channel: up, ChannelMerchantID: simunionpay.DemoMerID}},
		Routes: []gateway.Route{{Merchant: "*", Method: channel.MethodQR, Account: "wx1"}, {Merchant: "*", Method: channel.MethodApp, Account: "up1"}}})
	if err != nil {
		t.Fatal(err)
	}
	// The config as a user writes it: fee_rate for WeChat, a fees block for UnionPay.
	file := &gatewayFile{path: "settle.yaml", Accounts: []accountFile{
		{ID: "wx1", Channel: "wechat", FeeRate: "0.006"},
		{ID: "up1", Channel: "unionpay", Fees: &clearing.FeeConfig{Rate: "0.5%", Min: "0.10", Rounding: "half_up"}},
	}, Clearing: clearingFile{T: 1, Bank: "icbc-001", Ageing: map[string]string{"wechat": "48h", "unionpay": "72h"}}}
	cs, err := file.contracts(gw.Accounts())
	if err != nil {
		t.Fatal(err)
	}
	work, err := newCoreWorkWith(db, gw, vclk, nil, cs, notify.StaticDirectory{"M1": {URL: hooks.URL, Secret: demoHookSecret}}, hooks.Client())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = work.close() })
	cuts := map[string]time.Duration{}
	for _, ch := range gw.Accounts() {
		cuts[ch.Name()] = ch.Info().DayCutoff
	}
	s, err := clearing.New(clearing.Config{Store: db, Ledger: work.ledger, Clock: vclk, Contracts: cs, Channels: cuts, T: 1, Bank: "icbc-001"})
	if err != nil {
		t.Fatal(err)
	}
	return &settleHarness{t: t, ctx: context.Background(), sim: sim, clk: vclk, db: db, gw: gw, work: work, s: s, file: file,
		ctl: conformance.NewHTTPSim(sim.URL, sim.Client(), nil),
		cl:  &gateway.Client{BaseURL: gwSrv.URL, MerchantID: "M1", Secret: demoSecret, HTTP: gwSrv.Client(), Clock: vclk}}
}

// at moves the shared clock to t.
func (h *settleHarness) at(t time.Time) {
	h.t.Helper()
	if err := h.clk.Set(t); err != nil {
		h.t.Fatal(err)
	}
}

// pay creates a payment through the gateway's API, has the simulator's payer pay it, and
// runs the core's work until the success is recorded and posted. It returns the order.
func (h *settleHarness) pay(no string, method channel.Method, minor int64) *order.Payment {
	h.t.Helper()
	p, err := h.cl.CreatePayment(h.ctx, &gateway.CreatePaymentRequest{OrderNo: no, Amount: minor, Method: string(method),
		Subject: "settlement scenario", ClientIP: "127.0.0.1"}, "")
	if err != nil {
		h.t.Fatalf("create %s: %v", no, err)
	}
	chName := map[channel.Method]string{channel.MethodQR: "wechat", channel.MethodApp: "unionpay"}[method]
	if err := h.ctl.PayerPay(h.ctx, chName, p.ChannelOrderNo); err != nil {
		h.t.Fatalf("payer pays %s: %v", no, err)
	}
	for range 20 {
		if err := h.work.once(h.ctx); err != nil {
			h.t.Fatal(err)
		}
		got, err := h.db.PaymentByOrderNo(h.ctx, "M1", no)
		if err != nil {
			h.t.Fatal(err)
		}
		if got.State == order.Succeeded {
			return got
		}
		h.at(h.clk.Now().Add(100 * time.Millisecond)) // the callback, or the query-back, comes
	}
	h.t.Fatalf("payment %s did not succeed", no)
	return nil
}

func (h *settleHarness) balance(s ledger.AccountSpec) string {
	h.t.Helper()
	a, err := h.work.ledger.FindAccount(h.ctx, s.Code, s.OwnerKind, s.OwnerID, s.Currency)
	if err != nil {
		return "-"
	}
	return ledger.BalanceOf(a).Posted.Decimal()
}

func (h *settleHarness) balanced() {
	h.t.Helper()
	tb, err := h.work.ledger.TrialBalance(h.ctx, clock.Date{})
	if err != nil {
		h.t.Fatal(err)
	}
	if !tb.Balanced() {
		h.t.Fatalf("trial balance does not balance: %+v", tb.Totals)
	}
}

var scenarioDay = clock.Date{Year: 2026, Month: 11, Day: 20}

func bjAt(d clock.Date, h, m, s int) time.Time {
	return d.Start(clock.Beijing()).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
}

// TestSettleScenario_UnionPay23Boundary: through the gateway and the simulator, a UnionPay
// payment at 22:59:59 settles with clearing day D, one at 23:00:00 with D+1, while a WeChat
// payment at 23:30 stays on D (natural day). Day D cannot be settled before both channels'
// days are over; D+1 picks up the 23:00:00 payment.
func TestSettleScenario_UnionPay23Boundary(t *testing.T) {
	h := newSettleHarness(t, bjAt(scenarioDay, 22, 59, 59))
	a := h.pay("UP-A", channel.MethodApp, 10000)
	h.at(bjAt(scenarioDay, 23, 0, 0))
	b := h.pay("UP-B", channel.MethodApp, 20000)
	h.at(bjAt(scenarioDay, 23, 30, 0))
	c := h.pay("WX-C", channel.MethodQR, 5000)
	for _, p := range []struct {
		p    *order.Payment
		want clock.Date
	}{{a, scenarioDay}, {b, scenarioDay.AddDays(1)}, {c, scenarioDay}} {
		if got := clock.AccountingDay(p.p.PaidAt, map[string]time.Duration{"wechat": 0, "unionpay": clock.UnionPayCutoff}[p.p.Channel]); got != p.want {
			t.Fatalf("%s paid at %s: clearing day %s, want %s", p.p.OrderNo, p.p.PaidAt.In(clock.Beijing()), got, p.want)
		}
	}
	if _, err := h.s.Run(h.ctx, scenarioDay); err == nil {
		t.Fatal("day D settled at 23:30, before WeChat's day was over")
	}
	h.at(bjAt(scenarioDay.AddDays(2), 9, 0, 0))
	res, err := h.s.Run(h.ctx, scenarioDay)
	if err != nil {
		t.Fatal(err)
	}
	// 100.00 at 0.5% = 0.50 (UnionPay), 50.00 at 0.6% = 0.30 (WeChat).
	if len(res.Created) != 1 || res.Created[0].Payments != 2 || res.Created[0].Gross != money.Fen(15000) || res.Created[0].Fees != money.Fen(80) ||
		res.Created[0].Net != money.Fen(14920) {
		t.Fatalf("day D: %+v", res.Created)
	}
	next, err := h.s.Run(h.ctx, scenarioDay.AddDays(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Created) != 1 || next.Created[0].Gross != money.Fen(20000) || next.Created[0].Fees != money.Fen(100) {
		t.Fatalf("day D+1: %+v", next.Created)
	}
	if got := h.balance(clearing.SettlementSpec("M1", money.CNY)); got != "348.20" {
		t.Errorf("M1 settlement %s, want 149.20 + 199.00", got)
	}
	h.balanced()
}

// TestSettleScenario_SplitSettlement: a day's WeChat payments through the gateway settle into
// one batch for M1, whose net is split (分账) among a platform fee of 1.00 and two shops 2:1,
// in one entry with a line per receiver; settling and splitting again changes nothing.
func TestSettleScenario_SplitSettlement(t *testing.T) {
	h := newSettleHarness(t, bjAt(scenarioDay, 10, 0, 0))
	h.pay("WX-1", channel.MethodQR, 10000)
	h.pay("WX-2", channel.MethodQR, 3333)
	h.at(bjAt(scenarioDay.AddDays(1), 9, 0, 0))
	res, err := h.s.Run(h.ctx, scenarioDay)
	if err != nil {
		t.Fatal(err)
	}
	// 100.00 → 0.60; 33.33 → 0.19998 → 0.20; net 133.33 − 0.80 = 132.53.
	if len(res.Created) != 1 || res.Created[0].Net != money.Fen(13253) {
		t.Fatalf("%+v", res.Created)
	}
	b := res.Created[0]
	split := clearing.SplitOrder{ID: b.ID, Payer: "M1", Amount: b.Net, Receivers: []clearing.Receiver{
		{ID: "platform", Fixed: money.Fen(100)}, {ID: "shop-a", Ratio: decimal.NewFromInt(2)}, {ID: "shop-b", Ratio: decimal.NewFromInt(1)}}}
	e, parts, err := h.s.PostSplit(h.ctx, split)
	if err != nil {
		t.Fatal(err)
	}
	// 131.53 left after the platform's 1.00: 87.686… → 87.69 and 43.843… → 43.84.
	want := map[string]string{"platform": "1.00", "shop-a": "87.69", "shop-b": "43.84"}
	for _, p := range parts {
		if p.Amount.Decimal() != want[p.Receiver] {
			t.Errorf("%s gets %s, want %s", p.Receiver, p.Amount.Decimal(), want[p.Receiver])
		}
		if got := h.balance(clearing.SettlementSpec(p.Receiver, money.CNY)); got != want[p.Receiver] {
			t.Errorf("%s settlement balance %s", p.Receiver, got)
		}
	}
	if len(e.Lines) != 4 || e.Voucher.Amount != b.Net || h.balance(clearing.SettlementSpec("M1", money.CNY)) != "0.00" {
		t.Errorf("split entry: %d lines, voucher %s, M1 left %s", len(e.Lines), e.Voucher.Amount, h.balance(clearing.SettlementSpec("M1", money.CNY)))
	}
	again, err := h.s.Run(h.ctx, scenarioDay)
	if err != nil || len(again.Created) != 0 || again.Posted != 0 {
		t.Errorf("settle again: %+v %v", again, err)
	}
	e2, _, err := h.s.PostSplit(h.ctx, split)
	if err != nil || e2.Seq != e.Seq {
		t.Errorf("split again: %v, entry %d vs %d", err, e2.Seq, e.Seq)
	}
	h.balanced()
}

// TestSettleScenario_AgeingAlert: gateway serve's ageing set-up (clearing.ageing: wechat
// 48h) exports the overdue gauge: 0 the morning after, 1 three days later when WeChat has
// not paid, 0 again once `settle funds-arrived` records its money.
func TestSettleScenario_AgeingAlert(t *testing.T) {
	h := newSettleHarness(t, bjAt(scenarioDay, 10, 0, 0))
	h.pay("WX-1", channel.MethodQR, 10000)
	reg := prometheus.NewRegistry()
	if err := setupAgeing(h.ctx, h.file, h.work.ledger, h.db, h.gw.Accounts(), reg); err != nil {
		t.Fatal(err)
	}
	// setupAgeing uses the real clock for the gauge; the scenario reads the same check on the
	// simulator's clock.
	gauge := func() string {
		t.Helper()
		od, err := clearing.OverdueReceivables(h.ctx, h.db, h.clk, clock.Date{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, o := range od {
			names = append(names, o.Channel)
		}
		return strings.Join(names, ",")
	}
	h.at(bjAt(scenarioDay.AddDays(1), 9, 0, 0))
	if g := gauge(); g != "" {
		t.Errorf("the morning after: overdue %q", g)
	}
	h.at(bjAt(scenarioDay.AddDays(3), 12, 0, 0))
	if g := gauge(); g != "wechat" {
		t.Errorf("three days later: overdue %q, want wechat", g)
	}
	rep, err := h.work.ledger.Verify(h.ctx, ledger.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Check(ledger.CheckAgeing); c.Failures != 1 {
		t.Errorf("ledger verify ageing: %+v", c)
	}
	res, err := h.s.FundsArrived(h.ctx, clearing.Arrival{Channel: "wechat", Day: scenarioDay, Amount: money.Fen(9940), Ref: "ICBC-20261121-0001"})
	if err != nil || !res.Difference.IsZero() {
		t.Fatalf("funds arrived: %+v %v", res, err)
	}
	if g := gauge(); g != "" {
		t.Errorf("after the funds arrived: overdue %q", g)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		// The overdue gauge appears once the first background check has finished; the error
		// counter is there from the first scrape.
		found = found || mf.GetName() == "tongdao_clearing_ageing_errors_total"
	}
	if !found {
		t.Error("gateway serve's registry has no ageing collector")
	}
}
