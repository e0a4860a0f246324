package risk_test

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/risk"
)

// benchRules are 15 rules: 4 velocity windows (user 10m and 24h, card 1h, IP 10m), 5 lists,
// 3 amount rules, 2 binding rules and a shadow rule.
func benchEngine(b testing.TB, vs risk.VelocityStore) *risk.Engine {
	lists := []risk.List{
		{Name: "vip", Kind: risk.User, Values: []string{"VIP1", "VIP2"}},
		{Name: "bad-users", Kind: risk.User, Values: bigList("BU", 1000)},
		{Name: "bad-cards", Kind: risk.Card, Values: bigList("BC", 10000)},
		{Name: "bad-devices", Kind: risk.Device, Values: bigList("BD", 1000)},
		{Name: "bad-ips", Kind: risk.IP, Values: bigList("10.9.", 1000)},
	}
	v := func(per risk.Kind, w time.Duration, n int64) *risk.Velocity {
		return &risk.Velocity{Per: per, Window: w, CountOver: n, AmountOver: money.New(50000_00, money.CNY)}
	}
	rules := []risk.Rule{
		{Name: "vip", When: risk.Condition{InList: "vip"}, Then: gateway.Allow},
		{Name: "bad-user", When: risk.Condition{InList: "bad-users"}, Then: gateway.Block},
		{Name: "bad-card", When: risk.Condition{InList: "bad-cards"}, Then: gateway.Block},
		{Name: "bad-device", When: risk.Condition{InList: "bad-devices"}, Then: gateway.Block},
		{Name: "bad-ip", When: risk.Condition{InList: "bad-ips"}, Then: gateway.Block},
		{Name: "big", When: risk.Condition{AmountOver: cny(50000_00)}, Then: gateway.Block},
		{Name: "big-qr", When: risk.Condition{AmountOver: cny(5000_00), Methods: []channel.Method{channel.MethodQR}}, Then: gateway.Challenge},
		{Name: "big-m9", When: risk.Condition{AmountOver: cny(1000_00), Merchants: []string{"M9"}}, Then: gateway.Challenge},
		{Name: "user-10m", When: risk.Condition{Velocity: v(risk.User, 10*time.Minute, 1_000_000)}, Then: gateway.Block},
		{Name: "user-24h", When: risk.Condition{Velocity: v(risk.User, 24*time.Hour, 1_000_000)}, Then: gateway.Challenge},
		{Name: "card-1h", When: risk.Condition{Velocity: v(risk.Card, time.Hour, 1_000_000)}, Then: gateway.Block},
		{Name: "ip-10m", When: risk.Condition{Velocity: v(risk.IP, 10*time.Minute, 1_000_000)}, Then: gateway.Block},
		{Name: "new-card", When: risk.Condition{NewCardWithin: 24 * time.Hour, AmountOver: cny(1000_00)}, Then: gateway.Challenge},
		{Name: "many-cards", When: risk.Condition{CardsPerUserOver: 5}, Then: gateway.Block},
		{Name: "shadow-big", When: risk.Condition{AmountOver: cny(2000_00)}, Then: gateway.Block, Shadow: true},
	}
	e, err := risk.New(risk.Config{Lists: lists, Rules: rules, Velocity: vs, Cases: &risk.MemoryCases{Max: 10000}})
	if err != nil {
		b.Fatal(err)
	}
	return e
}

func bigList(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

func benchReq(i int) gateway.RiskRequest {
	return gateway.RiskRequest{MerchantID: "M1", OrderNo: "O" + strconv.Itoa(i), Method: channel.MethodQR, Amount: cny(88_00),
		PayerID: "U" + strconv.Itoa(i%10000), CardFingerprint: "FP" + strconv.Itoa(i%20000), ClientIP: "10.1.2." + strconv.Itoa(i%250),
		At: t0.Add(time.Duration(i) * time.Millisecond)}
}

// BenchmarkAssess_Memory: 15 rules, 4 velocity windows, in-memory state and case log.
func BenchmarkAssess_Memory(b *testing.B) {
	e := benchEngine(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := e.Assess(ctx, benchReq(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkAssess_Redis: the same with velocity in Redis at 127.0.0.1:6379 (one EVALSHA per
// assessment).
func BenchmarkAssess_Redis(b *testing.B) {
	rc := redisClient(b)
	e := benchEngine(b, &risk.RedisVelocity{Client: rc, Prefix: fmt.Sprintf("tongdao:bench:%d:", time.Now().UnixNano())})
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := e.Assess(ctx, benchReq(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// TestAssess_LatencyPercentiles prints p50/p99 of single in-memory assessments (run with -v).
func TestAssess_LatencyPercentiles(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	e := benchEngine(t, nil)
	ctx := context.Background()
	const n = 100_000
	lat := make([]time.Duration, n)
	for i := range lat {
		req := benchReq(i)
		s := time.Now()
		if _, err := e.Assess(ctx, req); err != nil {
			t.Fatal(err)
		}
		lat[i] = time.Since(s)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("risk decision, 15 rules incl. 4 velocity windows, memory: p50 %v p99 %v p99.9 %v", lat[n/2], lat[n*99/100], lat[n*999/1000])
}

// TestMemoryVelocity_MillionUsers measures the heap held by one million users' velocity
// windows (10m and 24h, one payment each). Run with -v; skipped under -short.
func TestMemoryVelocity_MillionUsers(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	vs := risk.NewMemoryVelocity()
	c := []risk.Counter{{Windows: []time.Duration{10 * time.Minute, 24 * time.Hour}}}
	ctx := context.Background()
	for i := 0; i < 1_000_000; i++ {
		c[0].Key = "user:U" + strconv.Itoa(10_000_000+i)
		_ = vs.Record(ctx, "", 100, t0.Add(time.Duration(i)*time.Millisecond), c)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	mib := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	t.Logf("1,000,000 users' velocity windows: %.1f MiB heap", mib)
	if mib > 256 {
		t.Errorf("%.1f MiB > 256 MiB", mib)
	}
	runtime.KeepAlive(vs)
}
