package router_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/router"
)

var (
	wx   = &fakeChannel{name: "wechat", methods: []channel.Method{channel.MethodQR, channel.MethodJSAPI, channel.MethodApp}}
	ali  = &fakeChannel{name: "alipay", methods: []channel.Method{channel.MethodQR, channel.MethodWeb}}
	bank = &closerChannel{fakeChannel{name: "bank", methods: []channel.Method{channel.MethodToken}}}
)

const (
	icbcDebitBIN = "620058"
	creditBIN    = "400360"
)

// noon is 12:00 Beijing on a Monday.
var noon = time.Date(2026, 12, 7, 12, 0, 0, 0, clock.Beijing())

func cny(minor int64) money.Amount { return money.New(minor, money.CNY) }

func mustRouter(t testing.TB, cfg router.Config) *router.Router {
	t.Helper()
	r, err := router.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDecide_RulesMatchByEveryCondition(t *testing.T) {
	r := mustRouter(t, router.Config{
		MerchantClasses: map[string]string{"M2": "gaming"},
		Accounts: []router.Account{
			{ID: "wx1", Channel: wx, Priority: 1}, {ID: "wx2", Channel: wx, Priority: 2}, {ID: "ali1", Channel: ali},
			{ID: "bank-icbc", Channel: bank}, {ID: "bank-cc", Channel: bank}, {ID: "bank", Channel: bank},
		},
		Rules: []router.Rule{
			{Name: "gaming-blocked-to-ali", MerchantClasses: []string{"gaming"}, Accounts: []string{"ali1"}},
			{Name: "icbc-debit", Methods: []channel.Method{channel.MethodToken}, Issuers: []string{"ICBC"}, CardTypes: []card.Type{card.Debit}, Accounts: []string{"bank-icbc"}},
			{Name: "credit", Methods: []channel.Method{channel.MethodToken}, CardTypes: []card.Type{card.Credit}, Accounts: []string{"bank-cc"}},
			{Name: "token", Methods: []channel.Method{channel.MethodToken}, Requires: []string{"closer"}, Accounts: []string{"bank"}},
			{Name: "big", MinAmount: cny(100000_00), Accounts: []string{"ali1"}},
			{Name: "night", Hours: router.TimeRange{From: 22 * 60, To: 6 * 60}, Accounts: []string{"wx1"}},
			{Name: "m1", Merchants: []string{"M1"}, Methods: []channel.Method{channel.MethodQR}, Accounts: []string{"wx1", "wx2", "ali1"}},
			{Name: "rest", Accounts: []string{"wx1", "ali1"}},
		},
	})
	tests := []struct {
		name     string
		req      gateway.RouteRequest
		rule     string
		accounts []string
	}{
		{"merchant class first", gateway.RouteRequest{MerchantID: "M2", Method: channel.MethodQR, Amount: cny(100), At: noon}, "gaming-blocked-to-ali", []string{"ali1"}},
		{"ICBC debit card by BIN", gateway.RouteRequest{MerchantID: "M1", Method: channel.MethodToken, Amount: cny(100), At: noon, CardBIN: icbcDebitBIN}, "icbc-debit", []string{"bank-icbc"}},
		{"credit card by BIN", gateway.RouteRequest{MerchantID: "M1", Method: channel.MethodToken, Amount: cny(100), At: noon, CardBIN: creditBIN}, "credit", []string{"bank-cc"}},
		{"token without card", gateway.RouteRequest{MerchantID: "M1", Method: channel.MethodToken, Amount: cny(100), At: noon}, "token", []string{"bank"}},
		{"amount range", gateway.RouteRequest{MerchantID: "M1", Method: channel.MethodQR, Amount: cny(100000_00), At: noon}, "big", []string{"ali1"}},
		{"night wraps midnight", gateway.RouteRequest{MerchantID: "M1", Method: channel.MethodQR, Amount: cny(100), At: noon.Add(11 * time.Hour)}, "night", []string{"wx1"}},
		{"priority order", gateway.RouteRequest{MerchantID: "M1", Method: channel.MethodQR, Amount: cny(100), At: noon}, "m1", []string{"wx2", "wx1", "ali1"}},
		{"method support filters", gateway.RouteRequest{MerchantID: "M3", Method: channel.MethodWeb, Amount: cny(100), At: noon}, "rest", []string{"ali1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec, err := r.Route(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(dec.Reason, "rule "+tt.rule+" ") {
				t.Errorf("reason %q, want rule %s", dec.Reason, tt.rule)
			}
			if strings.Join(dec.Candidates, ",") != strings.Join(tt.accounts, ",") || dec.Account != tt.accounts[0] {
				t.Errorf("candidates %v (account %s), want %v", dec.Candidates, dec.Account, tt.accounts)
			}
		})
	}
}

func TestDecide_ExplainsSkippedCandidates(t *testing.T) {
	r := mustRouter(t, router.Config{
		Accounts: []router.Account{
			{ID: "wx1", Channel: wx, Maintenance: []router.Window{{Daily: router.TimeRange{From: 11*60 + 50, To: 12*60 + 10}}}},
			{ID: "wx2", Channel: wx, Limits: router.Limits{PerTxn: cny(50)}},
			{ID: "ali1", Channel: ali},
			{ID: "bank", Channel: bank},
		},
		Rules: []router.Rule{{Name: "all", Accounts: []string{"wx1", "wx2", "ali1", "bank"}, Source: "gw.yaml:7"}},
	})
	dec, err := r.Route(context.Background(), gateway.RouteRequest{MerchantID: "M1", Method: channel.MethodQR, Amount: cny(100), At: noon})
	if err != nil {
		t.Fatal(err)
	}
	want := "rule all (gw.yaml:7), by priority: #1 ali1 (priority 0); wx1 skipped: in a maintenance window; wx2 skipped: over the per-transaction limit; bank skipped: method not supported by the channel"
	if dec.Reason != want {
		t.Errorf("reason\n got %s\nwant %s", dec.Reason, want)
	}
	_, err = r.Route(context.Background(), gateway.RouteRequest{MerchantID: "M1", Method: channel.MethodH5, Amount: cny(100), At: noon})
	if !errors.Is(err, router.ErrNoRoute) {
		t.Errorf("h5 (nobody supports it): err %v, want ErrNoRoute", err)
	}
}

func TestLimits_PerDayExactUnderConcurrencyAndResetAtBeijingMidnight(t *testing.T) {
	r := mustRouter(t, router.Config{
		Accounts: []router.Account{{ID: "wx1", Channel: wx, Limits: router.Limits{PerDay: cny(1000_00), PerMonth: cny(1500_00)}}},
		Rules:    []router.Rule{{Accounts: []string{"wx1"}}},
	})
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r.BeginAttempt("wx1", cny(33_33), noon) == nil {
				mu.Lock()
				accepted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if accepted != 30 { // 30 × 33.33 = 999.90 ≤ 1000.00 < 31 × 33.33
		t.Fatalf("accepted %d payments of 33.33 under a 1000.00 day limit, want 30", accepted)
	}
	if day, _ := r.Usage("wx1", noon); day != 999_90 {
		t.Errorf("day usage %d, want 99990", day)
	}
	// A declined attempt gives its reservation back; an unknown outcome keeps it.
	r.EndAttempt(gateway.Attempt{Account: "wx1", Amount: cny(33_33), At: noon, Err: &channel.Error{Kind: channel.KindDeclined}})
	r.EndAttempt(gateway.Attempt{Account: "wx1", Amount: cny(33_33), At: noon, Err: &channel.Error{Kind: channel.KindUnknown}})
	if day, _ := r.Usage("wx1", noon); day != 966_57 {
		t.Errorf("after a decline: day usage %d, want 96657", day)
	}
	// 23:59:59 is still the same day; 00:00 Beijing is a new one, but the month is not.
	if err := r.BeginAttempt("wx1", cny(34_00), noon.Add(12*time.Hour-time.Second)); err == nil {
		t.Error("34.00 at 23:59:59 fit a day with 33.43 left")
	}
	if err := r.BeginAttempt("wx1", cny(500_00), noon.Add(12*time.Hour)); err != nil {
		t.Errorf("new day: %v", err)
	}
	if err := r.BeginAttempt("wx1", cny(100_00), noon.Add(12*time.Hour)); err == nil {
		t.Error("month limit 1500.00 not enforced (966.57 + 500.00 + 100.00)")
	}
}

func TestBreaker_OpensOnChannelFaultsOnlyThenProbes(t *testing.T) {
	vc := clock.NewVirtual(noon)
	r := mustRouter(t, router.Config{
		Clock:    vc,
		Health:   router.Health{Window: time.Minute, MinRequests: 4, FailurePercent: 50, ConsecutiveFaults: 3, OpenFor: 30 * time.Second, Probes: 2},
		Accounts: []router.Account{{ID: "wx1", Channel: wx, Priority: 2}, {ID: "wx2", Channel: wx, Priority: 1}},
		Rules:    []router.Rule{{Accounts: []string{"wx1", "wx2"}}},
	})
	route := func() string {
		dec, err := r.Route(context.Background(), gateway.RouteRequest{MerchantID: "M1", Method: channel.MethodQR, Amount: cny(1), At: vc.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(dec.Candidates, ",")
	}
	call := func(err error) {
		t.Helper()
		if e := r.BeginAttempt("wx1", cny(1), vc.Now()); e != nil {
			t.Fatalf("begin: %v", e)
		}
		r.EndAttempt(gateway.Attempt{Account: "wx1", Amount: cny(1), At: vc.Now(), Latency: 10 * time.Millisecond, Err: err})
	}
	// Ten declines and invalid requests are answers, not faults.
	for i := 0; i < 10; i++ {
		call(&channel.Error{Kind: channel.KindDeclined})
		call(&channel.Error{Kind: channel.KindInvalidRequest})
	}
	if got := route(); got != "wx1,wx2" {
		t.Fatalf("after declines: %s, want wx1,wx2", got)
	}
	for i := 0; i < 3; i++ {
		call(&channel.Error{Kind: channel.KindUnavailable})
	}
	if got := route(); got != "wx2" {
		t.Fatalf("after 3 faults: %s, want wx2 (breaker open)", got)
	}
	if h, _ := r.Health("wx1", vc.Now()); h.Breaker != router.Open || h.Faults != 3 || h.Calls != 23 {
		t.Errorf("health %+v", h)
	}
	vc.Advance(31 * time.Second)
	if got := route(); got != "wx1,wx2" {
		t.Fatalf("after open_for: %s, want wx1 as a probe", got)
	}
	// Two probes in flight fill the half-open breaker.
	_ = r.BeginAttempt("wx1", cny(1), vc.Now())
	_ = r.BeginAttempt("wx1", cny(1), vc.Now())
	if err := r.BeginAttempt("wx1", cny(1), vc.Now()); err == nil {
		t.Error("a third probe was let through")
	}
	r.EndAttempt(gateway.Attempt{Account: "wx1", Amount: cny(1), At: vc.Now()})
	r.EndAttempt(gateway.Attempt{Account: "wx1", Amount: cny(1), At: vc.Now()})
	if h, _ := r.Health("wx1", vc.Now()); h.Breaker != router.Closed {
		t.Errorf("after 2 good probes: %s, want closed", h.Breaker)
	}
	// A failed probe reopens it.
	for i := 0; i < 3; i++ {
		call(&channel.Error{Kind: channel.KindUnknown})
	}
	vc.Advance(31 * time.Second)
	call(&channel.Error{Kind: channel.KindUnknown})
	if h, _ := r.Health("wx1", vc.Now()); h.Breaker != router.Open {
		t.Errorf("after a failed probe: %s, want open", h.Breaker)
	}
}

func TestWeight_SmoothRoundRobinSplitsExactly(t *testing.T) {
	r := mustRouter(t, router.Config{
		Accounts: []router.Account{{ID: "a", Channel: wx, Weight: 5}, {ID: "b", Channel: wx, Weight: 3}, {ID: "c", Channel: ali, Weight: 2}},
		Rules:    []router.Rule{{Choose: router.ByWeight, Accounts: []string{"a", "b", "c"}}},
	})
	counts := map[string]int{}
	var seq []string
	for i := 0; i < 10000; i++ {
		dec, err := r.Route(context.Background(), gateway.RouteRequest{MerchantID: "M", Method: channel.MethodQR, Amount: cny(1), At: noon})
		if err != nil {
			t.Fatal(err)
		}
		counts[dec.Account]++
		if i < 10 {
			seq = append(seq, dec.Account)
		}
	}
	if counts["a"] != 5000 || counts["b"] != 3000 || counts["c"] != 2000 {
		t.Errorf("split %v, want 5000/3000/2000", counts)
	}
	// Smooth: in any 10 picks, a, b and c appear exactly 5, 3 and 2 times.
	n := map[rune]int{}
	for _, c := range strings.Join(seq, "") {
		n[c]++
	}
	if n['a'] != 5 || n['b'] != 3 || n['c'] != 2 {
		t.Errorf("first ten picks %v, want 5 a, 3 b, 2 c", seq)
	}
}

func TestFee_LowestFirst(t *testing.T) {
	r := mustRouter(t, router.Config{
		Accounts: []router.Account{{ID: "wx1", Channel: wx, FeeMicros: 6000}, {ID: "ali1", Channel: ali, FeeMicros: 3800, FeeFixed: cny(10)}},
		Rules:    []router.Rule{{Choose: router.ByFee, Accounts: []string{"wx1", "ali1"}}},
	})
	for _, tt := range []struct {
		amount int64
		first  string
	}{{100, "wx1"}, {100_00, "ali1"}} { // 1.00: 0.01 vs 0.10+0.00; 100.00: 0.60 vs 0.48
		dec, _ := r.Route(context.Background(), gateway.RouteRequest{Method: channel.MethodQR, Amount: cny(tt.amount), At: noon})
		if dec.Account != tt.first {
			t.Errorf("amount %d: %s first (%s), want %s", tt.amount, dec.Account, dec.Reason, tt.first)
		}
	}
}

func TestDecide_DoesNotAllocate(t *testing.T) {
	r := benchRouter(t)
	req := benchRequest()
	var d router.Decision
	if n := testing.AllocsPerRun(1000, func() { r.Decide(&req, &d) }); n != 0 {
		t.Errorf("Decide allocates %.0f times", n)
	}
	if d.Eligible == 0 {
		t.Fatalf("no eligible candidate: %s", d.String())
	}
}

func TestNew_RefusesBadConfigNamingEveryProblem(t *testing.T) {
	_, err := router.New(router.Config{
		Accounts: []router.Account{{ID: "wx1", Channel: wx, Weight: -1}, {ID: "wx1", Channel: wx}},
		Rules: []router.Rule{
			{Name: "a", Accounts: []string{"wx1", "wx1", "ghost"}, Choose: "random", Source: "gw.yaml:3"},
			{Name: "a", Requires: []string{"teleport"}, Accounts: []string{"wx1"}, Source: "gw.yaml:9"},
		},
	})
	if !errors.Is(err, router.ErrConfig) {
		t.Fatalf("err %v, want ErrConfig", err)
	}
	for _, want := range []string{"weight -1", "account wx1 is listed twice", `gw.yaml:3: choose "random"`, "gw.yaml:3: rule a names account wx1 twice",
		`gw.yaml:3: rule a names unknown account "ghost"`, `gw.yaml:9: rule name "a" is used twice`, `gw.yaml:9: requires "teleport"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestReload_KeepsCountersAndRefusesBadConfig(t *testing.T) {
	cfg := router.Config{
		Accounts: []router.Account{{ID: "wx1", Channel: wx, Limits: router.Limits{PerDay: cny(100_00)}}, {ID: "ali1", Channel: ali}},
		Rules:    []router.Rule{{Name: "qr", Accounts: []string{"wx1", "ali1"}}},
	}
	r := mustRouter(t, cfg)
	if err := r.BeginAttempt("wx1", cny(80_00), noon); err != nil {
		t.Fatal(err)
	}
	cfg.Rules = []router.Rule{{Name: "qr", Accounts: []string{"ali1", "wx1"}}}
	cfg.Accounts[0].Priority = 9
	if err := r.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if day, _ := r.Usage("wx1", noon); day != 80_00 {
		t.Errorf("usage after reload %d, want 8000", day)
	}
	dec, _ := r.Route(context.Background(), gateway.RouteRequest{Method: channel.MethodQR, Amount: cny(30_00), At: noon})
	if dec.Account != "ali1" || !strings.Contains(dec.Reason, "wx1 skipped: per-day limit used up") {
		t.Errorf("after reload: %+v", dec)
	}
	bad := cfg
	bad.Rules = []router.Rule{{Name: "qr", Accounts: []string{"nope"}}}
	if err := r.Reload(bad); err == nil {
		t.Fatal("bad reload accepted")
	}
	if dec, _ := r.Route(context.Background(), gateway.RouteRequest{Method: channel.MethodQR, Amount: cny(10_00), At: noon}); dec.Account != "wx1" {
		t.Errorf("after a refused reload: %+v (want the previous rules: wx1 by priority 9)", dec)
	}
}
