package router_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/router"
)

// benchRouter has 10 accounts and 20 rules; the request matches the last rule, so every
// decision evaluates all 20.
func benchRouter(t testing.TB) *router.Router {
	cfg := router.Config{Health: router.Health{SlowLatency: time.Second}}
	var ids []string
	for i := 0; i < 10; i++ {
		id := fmt.Sprintf("acct%02d", i)
		ids = append(ids, id)
		cfg.Accounts = append(cfg.Accounts, router.Account{ID: id, Channel: wx, Priority: i % 3, Weight: i + 1,
			Limits:      router.Limits{PerTxn: cny(50000_00), PerDay: cny(1_000_000_00), PerMonth: cny(10_000_000_00)},
			Maintenance: []router.Window{{Daily: router.TimeRange{From: 23*60 + 50, To: 10}}}})
	}
	for i := 0; i < 19; i++ {
		cfg.Rules = append(cfg.Rules, router.Rule{Name: fmt.Sprintf("r%d", i), Merchants: []string{fmt.Sprintf("OTHER%d", i)},
			Methods: []channel.Method{channel.MethodQR}, MinAmount: cny(1), Accounts: ids[:3]})
	}
	cfg.Rules = append(cfg.Rules, router.Rule{Name: "main", Methods: []channel.Method{channel.MethodQR, channel.MethodApp},
		MerchantClasses: []string{"retail"}, MaxAmount: cny(100000_00), Hours: router.TimeRange{From: 6 * 60, To: 23 * 60},
		Choose: router.ByWeight, Accounts: ids})
	cfg.MerchantClasses = map[string]string{"M1": "retail"}
	return mustRouter(t, cfg)
}

func benchRequest() gateway.RouteRequest {
	return gateway.RouteRequest{MerchantID: "M1", Method: channel.MethodQR, Amount: cny(88_00), At: noon, CardBIN: "62220212"}
}

// BenchmarkDecide: 20 rules, 10 accounts (limits, maintenance, health on every account).
func BenchmarkDecide(b *testing.B) {
	r := benchRouter(b)
	req := benchRequest()
	var d router.Decision
	b.ReportAllocs()
	for b.Loop() {
		r.Decide(&req, &d)
	}
}

// BenchmarkDecideParallel: the same, from all Ps (lock contention on accounts and the wheel).
func BenchmarkDecideParallel(b *testing.B) {
	r := benchRouter(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := benchRequest()
		var d router.Decision
		for pb.Next() {
			r.Decide(&req, &d)
		}
	})
}

// BenchmarkRoute is Decide plus the gateway.RouteDecision (candidate slice, explanation).
func BenchmarkRoute(b *testing.B) {
	r := benchRouter(b)
	req := benchRequest()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = r.Route(b.Context(), req)
	}
}

// TestDecide_LatencyPercentiles prints p50/p99/p999 of single decisions (not a pass/fail
// assertion: run with -v -run Percentiles to read them).
func TestDecide_LatencyPercentiles(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	r := benchRouter(t)
	req := benchRequest()
	var d router.Decision
	const n = 200_000
	lat := make([]time.Duration, n)
	for i := range lat {
		s := time.Now()
		r.Decide(&req, &d)
		lat[i] = time.Since(s)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("routing decision, 20 rules × 10 accounts: p50 %v p99 %v p99.9 %v", lat[n/2], lat[n*99/100], lat[n*999/1000])
}
