package gateway_test

// Scenarios of issue 14 (routing, risk, channel monitoring), driven through the real
// gateway and the simulator over loopback. The scenario runner cannot target the gateway
// yet, so they are Go tests named after the scenarios: go test ./core/gateway -run Scenario.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/tongdao/tongdao/adapters/alipay"
	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/monitor"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/risk"
	"github.com/tongdao/tongdao/core/router"
	"github.com/tongdao/tongdao/core/store/storetest"
	"github.com/tongdao/tongdao/simulator"
	simalipay "github.com/tongdao/tongdao/simulator/alipay"
	"github.com/tongdao/tongdao/simulator/demo"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// routedEnv is the gateway with core/router, core/risk and monitor wrappers, in front of
// the simulator. Accounts: wx1 and ali1 (newEnv), wx2 (a second WeChat account on the same
// simulated merchant) and wx-down (WeChat at an address where nothing listens).
type routedEnv struct {
	*env
	router *router.Router
	risk   *risk.Engine
	cases  *risk.MemoryCases
	reg    *prometheus.Registry
	down   string // base URL of wx-down, where nothing listens (until a test starts something there)
}

func deadURL(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

func newRoutedEnv(t testing.TB, routingYAML, riskYAML string) *routedEnv {
	t.Helper()
	return newRoutedEnvDSN(t, "sqlite::memory:", routingYAML, riskYAML)
}

func newRoutedEnvDSN(t testing.TB, dsn, routingYAML, riskYAML string) *routedEnv {
	t.Helper()
	wxp, err := simwechat.New(simwechat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	alp, err := simalipay.New(simalipay.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{wxp, alp}, Seed: 7})
	wdemo := simwechat.DemoMerchant()
	mkwx := func(base string, hc *http.Client) channel.Channel {
		wx, err := wechat.New(wechat.Config{AppID: wdemo.AppIDs[0], MchID: wdemo.MchID, Key: wdemo.Key, BaseURL: base,
			HTTPClient: hc, TLSClient: hc, Clock: sim.Clock()})
		if err != nil {
			t.Fatal(err)
		}
		return wx
	}
	ali, err := alipay.New(alipay.Config{AppID: simalipay.DemoMerchant().AppID, AppPrivateKey: demo.MustFile(demo.AlipayAppPrivate),
		AlipayPublicKey: demo.MustFile(demo.AlipayPlatformPublic), BaseURL: sim.URL, HTTPClient: sim.Client(), Clock: sim.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	re := &routedEnv{env: &env{t: t, sim: sim, db: storetest.Open(t, dsn)}, reg: prometheus.NewRegistry(), cases: &risk.MemoryCases{}, down: deadURL(t)}
	e := re.env
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.gw.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	accounts := []gateway.Account{
		{ID: "wx1", Channel: mkwx(sim.URL, sim.Client()), ChannelMerchantID: wdemo.MchID, AppID: wdemo.AppIDs[0]},
		{ID: "wx2", Channel: mkwx(sim.URL, sim.Client()), ChannelMerchantID: wdemo.MchID, AppID: wdemo.AppIDs[0]},
		{ID: "wx-down", Channel: mkwx(re.down, &http.Client{}), ChannelMerchantID: wdemo.MchID, AppID: wdemo.AppIDs[0]},
		{ID: "ali1", Channel: ali, AppID: simalipay.DemoMerchant().AppID},
	}
	m, err := monitor.New(re.reg, sim.Clock())
	if err != nil {
		t.Fatal(err)
	}
	chans := map[string]channel.Channel{}
	for i := range accounts {
		accounts[i].Channel = m.Wrap(accounts[i].ID, accounts[i].Channel)
		chans[accounts[i].ID] = accounts[i].Channel
	}
	rf, err := router.ParseFile("routing.yaml", []byte(routingYAML))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rf.Config("routing.yaml", chans)
	if err != nil {
		t.Fatal(err)
	}
	rc.Clock = sim.Clock()
	if re.router, err = router.New(rc); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterHealth(re.reg, re.router); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterQueue(re.reg, e.db); err != nil {
		t.Fatal(err)
	}
	cfg := gateway.Config{Store: e.db, Clock: sim.Clock(), PublicURL: e.srv.URL, Accounts: accounts, Router: re.router,
		Merchants: []gateway.Merchant{{ID: "M1", HMACSecret: secretM1, RatePerSecond: 1e6, Burst: 1e6}}}
	if riskYAML != "" {
		kf, err := risk.ParseFile("risk.yaml", []byte(riskYAML))
		if err != nil {
			t.Fatal(err)
		}
		lists, rules, err := kf.Compile("risk.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if re.risk, err = risk.New(risk.Config{Lists: lists, Rules: rules, Cases: re.cases, Clock: sim.Clock()}); err != nil {
			t.Fatal(err)
		}
		cfg.Risk = re.risk
	}
	if e.gw, err = gateway.New(cfg); err != nil {
		t.Fatal(err)
	}
	return re
}

func beijing() *time.Location { return clock.Beijing() }

// payReq pays as M1 with extra fields.
func (e *env) payReq(req gateway.CreatePaymentRequest) (int, gateway.PaymentJSON, []byte) {
	e.t.Helper()
	if req.Subject == "" {
		req.Subject = "test"
	}
	if req.ClientIP == "" {
		req.ClientIP = "127.0.0.1"
	}
	var p gateway.PaymentJSON
	code, _, b := e.call("M1", secretM1, http.MethodPost, "/v1/payments", req, "", &p)
	return code, p, b
}

// payCalls counts the pay requests the simulator received for channel order number no.
func (e *env) payCalls(no string) map[string]int {
	out := map[string]int{}
	for _, r := range e.sim.Records(simulator.RecordFilter{OutTradeNo: no, Kind: simulator.RecordCall}) {
		if strings.Contains(r.Op, "unifiedorder") || strings.Contains(r.Op, "precreate") {
			out[r.Channel]++
		}
	}
	return out
}

func (e *env) stored(orderNo string) *order.Payment {
	e.t.Helper()
	p, err := e.db.PaymentByOrderNo(context.Background(), "M1", orderNo)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// metric reads one sample from reg: name and label pairs.
func metric(t testing.TB, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue next
				}
			}
			return value(m)
		}
	}
	return 0
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

const outageRouting = `
health: {consecutive_faults: 3, open_for: 1m, probes: 1}
accounts:
  - {id: wx-down, priority: 10}
  - {id: wx1, priority: 5}
  - {id: ali1, priority: 1}
rules:
  - name: qr
    methods: [qr]
    accounts: [wx-down, wx1, ali1]
`

func TestScenario_OutageOpensBreakerAndFailsOverNewPaymentsOnly(t *testing.T) {
	re := newRoutedEnv(t, outageRouting, "")
	// Three payments: each tries wx-down (connection refused: surely not sent) and moves to wx1.
	for i := 1; i <= 3; i++ {
		no := fmt.Sprintf("OUT%d", i)
		code, p, b := re.pay(no, 100, "qr")
		if code != http.StatusCreated || p.State != order.Pending {
			t.Fatalf("%s: %d %s", no, code, b)
		}
		if st := re.stored(no); st.Account != "wx1" {
			t.Fatalf("%s: on %s, want wx1 after failover", no, st.Account)
		}
		if calls := re.payCalls(re.stored(no).ChannelOrderNo); calls["wechat"] != 1 || calls["alipay"] != 0 {
			t.Fatalf("%s: pay calls %v", no, calls)
		}
	}
	if got := re.gw.Stats().Failovers.Load(); got != 3 {
		t.Errorf("failovers %d, want 3", got)
	}
	// The breaker is open: new payments go to wx1 directly, without an attempt on wx-down.
	code, _, b := re.pay("OUT4", 100, "qr")
	if code != http.StatusCreated || re.stored("OUT4").Account != "wx1" || re.gw.Stats().Failovers.Load() != 3 {
		t.Fatalf("OUT4 with the breaker open: %d %s, account %s, failovers %d", code, b, re.stored("OUT4").Account, re.gw.Stats().Failovers.Load())
	}
	if v := metric(t, re.reg, "tongdao_channel_breaker_state", "account", "wx-down"); v != 2 {
		t.Errorf("breaker_state{wx-down} = %v, want 2 (open)", v)
	}
	if v := metric(t, re.reg, "tongdao_channel_outcomes_total", "account", "wx-down", "op", "pay", "outcome", "unavailable"); v != 3 {
		t.Errorf("outcomes{wx-down,pay,unavailable} = %v, want 3", v)
	}
	if v := metric(t, re.reg, "tongdao_channel_requests_total", "account", "wx1", "op", "pay"); v != 4 {
		t.Errorf("requests{wx1,pay} = %v, want 4", v)
	}
	// Payments made before stay where they are: paying one completes it on wx1.
	re.payerPays("wechat", re.get("OUT1"))
	if got := re.get("OUT1"); got.State != order.Succeeded {
		t.Errorf("OUT1 after the payer paid: %+v", got)
	}
	if v := metric(t, re.reg, "tongdao_channel_notification_lag_seconds", "account", "wx1"); v != 1 {
		t.Errorf("notification lag samples on wx1 = %v, want 1", v)
	}
}

func TestScenario_TimeoutMustNotFailOver(t *testing.T) {
	re := newRoutedEnv(t, `
accounts: [{id: wx1, priority: 5}, {id: ali1, priority: 1}]
rules: [{name: qr, methods: [qr], accounts: [wx1, ali1]}]
`, "")
	if _, err := re.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultTimeoutAfter, Channel: "wechat", Op: simwechat.OpUnifiedOrder, First: 1}); err != nil {
		t.Fatal(err)
	}
	code, p, b := re.pay("TMO1", 800, "qr")
	if code != http.StatusCreated || p.State != order.Pending || !p.Unresolved {
		t.Fatalf("timed-out create: %d %s (want pending and unresolved)", code, b)
	}
	st := re.stored("TMO1")
	if st.Account != "wx1" || re.gw.Stats().Failovers.Load() != 0 {
		t.Fatalf("after a timeout: account %s, failovers %d (want wx1, 0)", st.Account, re.gw.Stats().Failovers.Load())
	}
	if calls := re.payCalls(st.ChannelOrderNo); calls["wechat"] != 1 || calls["alipay"] != 0 {
		t.Fatalf("pay calls %v: the payment reached a second channel", calls)
	}
	if v := metric(t, re.reg, "tongdao_channel_unknown_outcomes_total", "account", "wx1", "op", "pay"); v != 1 {
		t.Errorf("unknown_outcomes{wx1,pay} = %v, want 1", v)
	}
	if v := metric(t, re.reg, "tongdao_gateway_query_queue_depth"); v != 1 {
		t.Errorf("query_queue_depth = %v, want 1", v)
	}
	re.payerPays("wechat", p)
	if err := re.sim.Advance(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := re.gw.WorkOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := re.get("TMO1"); got.State != order.Succeeded || got.Channel != "wechat" {
		t.Errorf("after the query-back: %+v", got)
	}
	if v := metric(t, re.reg, "tongdao_gateway_query_queue_depth"); v != 0 {
		t.Errorf("query_queue_depth after the query = %v, want 0", v)
	}
}

func TestScenario_LimitsExhaustedAtMidday(t *testing.T) {
	re := newRoutedEnv(t, `
accounts:
  - {id: wx1, priority: 5, per_day: "1000.00"}
  - {id: ali1, priority: 1}
rules: [{name: qr, methods: [qr], accounts: [wx1, ali1]}]
`, "")
	// 09:00 to 12:00 Beijing: 300.00 an hour on wx1, until the fourth would pass 1000.00.
	if err := re.sim.SetTime(time.Date(2026, 12, 7, 9, 0, 0, 0, beijing())); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		no := fmt.Sprintf("LIM%d", i)
		if code, _, b := re.pay(no, 300_00, "qr"); code != http.StatusCreated {
			t.Fatalf("%s: %d %s", no, code, b)
		}
		want := "wx1"
		if i == 4 {
			want = "ali1" // 900.00 used; 300.00 more would make 1200.00
		}
		if got := re.stored(no).Account; got != want {
			t.Errorf("%s at %s: on %s, want %s", no, re.sim.Clock().Now().In(beijing()).Format("15:04"), got, want)
		}
		if err := re.sim.Advance(time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	// 100.00 still fits on wx1 at 13:00; the next day wx1 has its full limit again.
	if re.pay("LIM5", 100_00, "qr"); re.stored("LIM5").Account != "wx1" {
		t.Errorf("LIM5 (100.00 fits): on %s", re.stored("LIM5").Account)
	}
	if err := re.sim.SetTime(time.Date(2026, 12, 8, 0, 0, 0, 0, beijing())); err != nil {
		t.Fatal(err)
	}
	if re.pay("LIM6", 900_00, "qr"); re.stored("LIM6").Account != "wx1" {
		t.Errorf("LIM6 on the next day: on %s", re.stored("LIM6").Account)
	}
}

const riskRules = `
lists:
  - {name: stolen-cards, kind: card, values: [FP-STOLEN]}
rules:
  - name: stolen-card
    if: {in_list: stolen-cards}
    then: block
  - name: payer-burst
    if: {velocity: {per: user, window: 10m, count_over: 3}}
    then: block
  - name: large-payment
    if: {amount_over: "2000.00"}
    then: challenge
`

const simpleRouting = `
rules: [{name: qr, methods: [qr], accounts: [wx1]}]
`

func TestScenario_VelocityBlock(t *testing.T) {
	re := newRoutedEnv(t, simpleRouting, riskRules)
	for i := 1; i <= 4; i++ {
		no := fmt.Sprintf("VEL%d", i)
		code, p, b := re.payReq(gateway.CreatePaymentRequest{OrderNo: no, Amount: 100, Method: "qr", PayerID: "payer-7"})
		if i <= 3 && (code != http.StatusCreated || p.State != order.Pending) {
			t.Fatalf("%s: %d %s", no, code, b)
		}
		if i == 4 && (code != http.StatusForbidden || !strings.Contains(string(b), "payer-burst")) {
			t.Fatalf("%s (4th in 10 minutes): %d %s, want 403 by payer-burst", no, code, b)
		}
		if err := re.sim.Advance(time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := re.db.PaymentByOrderNo(context.Background(), "M1", "VEL4"); err == nil {
		t.Error("the blocked payment was created")
	}
	// Another payer is not affected; ten minutes later the first one pays again.
	if code, _, b := re.payReq(gateway.CreatePaymentRequest{OrderNo: "VEL5", Amount: 100, Method: "qr", PayerID: "payer-8"}); code != http.StatusCreated {
		t.Errorf("another payer: %d %s", code, b)
	}
	if err := re.sim.Advance(10 * time.Minute); err != nil {
		t.Fatal(err)
	}
	if code, _, b := re.payReq(gateway.CreatePaymentRequest{OrderNo: "VEL6", Amount: 100, Method: "qr", PayerID: "payer-7"}); code != http.StatusCreated {
		t.Errorf("after the window: %d %s", code, b)
	}
}

func TestScenario_BlacklistedCardNeverReachesAChannel(t *testing.T) {
	re := newRoutedEnv(t, simpleRouting, riskRules)
	before := len(re.sim.Records(simulator.RecordFilter{Kind: simulator.RecordCall}))
	code, _, b := re.payReq(gateway.CreatePaymentRequest{OrderNo: "BL1", Amount: 100, Method: "qr", PayerID: "p1", CardFingerprint: "FP-STOLEN"})
	if code != http.StatusForbidden || !strings.Contains(string(b), "payment_blocked") || !strings.Contains(string(b), "stolen-card") {
		t.Fatalf("stolen card: %d %s", code, b)
	}
	if after := len(re.sim.Records(simulator.RecordFilter{Kind: simulator.RecordCall})); after != before {
		t.Errorf("the simulator received %d calls for a blocked payment", after-before)
	}
	if v := metric(t, re.reg, "tongdao_channel_requests_total", "op", "pay"); v != 0 {
		t.Errorf("channel pay requests = %v, want 0", v)
	}
	cs, _ := re.cases.Cases(context.Background(), risk.CaseQuery{OrderNo: "BL1"})
	if len(cs) != 1 || cs[0].Verdict != gateway.Block || cs[0].CardFingerprint != "FP-STOLEN" || cs[0].Hits[0].Detail != "card FP-STOLEN in list stolen-cards" {
		t.Errorf("case log: %+v", cs)
	}
}

func TestScenario_ChallengeRequiresSMS(t *testing.T) {
	re := newRoutedEnv(t, simpleRouting, riskRules)
	code, _, b := re.payReq(gateway.CreatePaymentRequest{OrderNo: "CH1", Amount: 2500_00, Method: "qr", PayerID: "p2"})
	if code != http.StatusForbidden || !strings.Contains(string(b), "challenge_required") || !strings.Contains(string(b), "large-payment") {
		t.Fatalf("large payment without SMS: %d %s", code, b)
	}
	code, p, b := re.payReq(gateway.CreatePaymentRequest{OrderNo: "CH1", Amount: 2500_00, Method: "qr", PayerID: "p2", SMSCode: "123456"})
	if code != http.StatusCreated || p.State != order.Pending {
		t.Fatalf("with the SMS code: %d %s", code, b)
	}
	cs, _ := re.cases.Cases(context.Background(), risk.CaseQuery{OrderNo: "CH1"})
	if len(cs) != 2 || cs[0].Verdict != gateway.Challenge || cs[1].Verdict != gateway.Challenge {
		t.Errorf("case log: %+v", cs)
	}
}

func TestScenario_WeightedRoutingSplitsWithin2Percent(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 payments through the gateway and the simulator")
	}
	re := newRoutedEnv(t, `
accounts: [{id: wx1, weight: 7}, {id: wx2, weight: 2}, {id: ali1, weight: 1}]
rules: [{name: qr, methods: [qr], choose: weight, accounts: [wx1, wx2, ali1]}]
`, "")
	const n = 10_000
	req := &gateway.CreatePaymentRequest{Amount: 100, Method: "qr", Subject: "w", ClientIP: "127.0.0.1"}
	for i := 0; i < n; i++ {
		req.OrderNo = fmt.Sprintf("W%05d", i)
		if _, _, _, err := re.gw.Pay(context.Background(), "M1", req); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]float64{"wx1": 0.7, "wx2": 0.2, "ali1": 0.1}
	for acct, share := range want {
		got := metric(t, re.reg, "tongdao_channel_requests_total", "account", acct, "op", "pay") / n
		if got < share-0.02 || got > share+0.02 {
			t.Errorf("%s: %.4f of payments, want %.2f ± 0.02", acct, got, share)
		}
	}
}

// BenchmarkCreatePayment_RoutedWithRisk is BenchmarkCreatePayment (same store, same
// simulator, same signed API calls) with core/router (weighted over two accounts, limits,
// maintenance window, health), core/risk (lists, amount rules, velocity per payer and IP, a
// shadow rule, in-memory case log) and the channel metrics wrappers: compare the two.
func BenchmarkCreatePayment_RoutedWithRisk(b *testing.B) {
	re := newRoutedEnvDSN(b, storetest.SQLiteDSN(b), `
accounts:
  - {id: wx1, weight: 1, per_txn: "5000.00", per_day: "100000000.00", maintenance: [{daily: "03:00-03:05"}]}
  - {id: wx2, weight: 1, per_txn: "5000.00", per_day: "100000000.00", maintenance: [{daily: "03:00-03:05"}]}
rules:
  - {name: web, methods: [web], accounts: [ali1]}
  - {name: qr, methods: [qr], choose: weight, accounts: [wx1, wx2, ali1]}
`, riskRules+`
  - name: ip-burst
    if: {velocity: {per: ip, window: 1m, count_over: 100000000}}
    then: block
  - name: shadow-large
    if: {amount_over: "1000.00"}
    then: block
    shadow: true
`)
	cl := &gateway.Client{BaseURL: re.srv.URL, MerchantID: "M1", Secret: secretM1, HTTP: re.srv.Client(), Clock: re.sim.Clock()}
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			no := fmt.Sprintf("B%08d", n)
			if _, err := cl.CreatePayment(context.Background(), &gateway.CreatePaymentRequest{OrderNo: no, Amount: 100, Method: "qr", Subject: "b",
				ClientIP: "127.0.0.1", PayerID: fmt.Sprintf("payer-%d", n%1000)}, ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func TestScenario_RecoveredChannelClosesItsBreakerThroughProbes(t *testing.T) {
	re := newRoutedEnv(t, outageRouting, "")
	for i := 1; i <= 3; i++ { // the outage opens wx-down's breaker
		if code, _, b := re.pay(fmt.Sprintf("REC%d", i), 100, "qr"); code != http.StatusCreated {
			t.Fatalf("REC%d: %d %s", i, code, b)
		}
	}
	if v := metric(t, re.reg, "tongdao_channel_breaker_state", "account", "wx-down"); v != 2 {
		t.Fatalf("breaker %v, want open", v)
	}
	// The channel comes back at the same address; after open_for one probe goes through.
	ln, err := net.Listen("tcp", strings.TrimPrefix(re.down, "http://"))
	if err != nil {
		t.Skip("the outage's port was taken meanwhile: ", err)
	}
	srv := &http.Server{Handler: re.sim.Server}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	if code, _, _ := re.pay("REC4", 100, "qr"); code != http.StatusCreated || re.stored("REC4").Account != "wx1" {
		t.Fatalf("REC4 before open_for: on %s, want wx1 (breaker still open)", re.stored("REC4").Account)
	}
	if err := re.sim.Advance(61 * time.Second); err != nil {
		t.Fatal(err)
	}
	if code, _, b := re.pay("REC5", 100, "qr"); code != http.StatusCreated || re.stored("REC5").Account != "wx-down" {
		t.Fatalf("REC5 (the probe): %d %s on %s, want wx-down", code, b, re.stored("REC5").Account)
	}
	if v := metric(t, re.reg, "tongdao_channel_breaker_state", "account", "wx-down"); v != 0 {
		t.Errorf("breaker after a good probe (probes: 1): %v, want 0 (closed)", v)
	}
	if code, _, _ := re.pay("REC6", 100, "qr"); code != http.StatusCreated || re.stored("REC6").Account != "wx-down" {
		t.Errorf("REC6 after recovery: on %s, want wx-down (priority 10)", re.stored("REC6").Account)
	}
	if got := re.gw.Stats().Failovers.Load(); got != 3 {
		t.Errorf("failovers %d, want 3 (only during the outage)", got)
	}
}

func TestScenario_ShadowRuleLogsButNeverBlocks(t *testing.T) {
	re := newRoutedEnv(t, simpleRouting, `
rules:
  - name: new-large-rule
    if: {amount_over: "100.00"}
    then: block
    shadow: true
`)
	code, p, b := re.payReq(gateway.CreatePaymentRequest{OrderNo: "SH1", Amount: 500_00, Method: "qr", PayerID: "p9"})
	if code != http.StatusCreated || p.State != order.Pending {
		t.Fatalf("shadow rule decided: %d %s", code, b)
	}
	cs, _ := re.cases.Cases(context.Background(), risk.CaseQuery{OrderNo: "SH1"})
	if len(cs) != 1 || cs[0].Verdict != gateway.Allow || len(cs[0].Hits) != 1 || !cs[0].Hits[0].Shadow || cs[0].Hits[0].Verdict != gateway.Block {
		t.Errorf("case: %+v", cs)
	}
}
