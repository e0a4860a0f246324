package risk_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/risk"
)

var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, clock.Beijing())

func cny(minor int64) money.Amount { return money.New(minor, money.CNY) }

const rulesYAML = `
lists:
  - {name: vip, kind: user, values: [U-VIP]}
  - {name: stolen, kind: card, values: [FP-STOLEN]}
  - {name: bad-ips, kind: ip, values: [10.6.6.6]}
rules:
  - name: vip-allow
    if: {in_list: vip}
    then: allow
  - name: stolen-card
    if: {in_list: stolen}
    then: block
  - name: bad-ip
    if: {in_list: bad-ips}
    then: block
  - name: big-qr
    if: {amount_over: "5000.00", methods: [qr]}
    then: challenge
  - name: user-burst
    if: {velocity: {per: user, window: 10m, count_over: 3}}
    then: block
  - name: user-day-amount
    if: {velocity: {per: user, window: 24h, amount_over: "20000.00"}}
    then: challenge
  - name: new-card-large
    if: {new_card_within: 24h, amount_over: "1000.00"}
    then: challenge
  - name: many-cards
    if: {cards_per_user_over: 2}
    then: block
    shadow: true
`

func newEngine(t testing.TB, vs risk.VelocityStore) (*risk.Engine, *risk.MemoryCases) {
	t.Helper()
	f, err := risk.ParseFile("risk.yaml", []byte(rulesYAML))
	if err != nil {
		t.Fatal(err)
	}
	lists, rules, err := f.Compile("risk.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := &risk.MemoryCases{}
	e, err := risk.New(risk.Config{Lists: lists, Rules: rules, Velocity: vs, Cases: cases})
	if err != nil {
		t.Fatal(err)
	}
	return e, cases
}

func TestAssess_RulesAndVerdicts(t *testing.T) {
	tests := []struct {
		name    string
		req     gateway.RiskRequest
		verdict gateway.Verdict
		rule    string
	}{
		{"plain payment", gateway.RiskRequest{PayerID: "U1", Amount: cny(100)}, gateway.Allow, "default-allow"},
		{"stolen card blocks", gateway.RiskRequest{PayerID: "U1", CardFingerprint: "FP-STOLEN", Amount: cny(100)}, gateway.Block, "stolen-card"},
		{"allow-list first, even with a stolen card", gateway.RiskRequest{PayerID: "U-VIP", CardFingerprint: "FP-STOLEN", Amount: cny(100)}, gateway.Allow, "vip-allow"},
		{"bad IP", gateway.RiskRequest{PayerID: "U2", ClientIP: "10.6.6.6", Amount: cny(100)}, gateway.Block, "bad-ip"},
		{"large QR challenges", gateway.RiskRequest{PayerID: "U3", Method: channel.MethodQR, Amount: cny(5000_01)}, gateway.Challenge, "big-qr"},
		{"exactly the limit passes", gateway.RiskRequest{PayerID: "U4", Method: channel.MethodQR, Amount: cny(5000_00)}, gateway.Allow, "default-allow"},
		{"block beats challenge", gateway.RiskRequest{PayerID: "U5", Method: channel.MethodQR, CardFingerprint: "FP-STOLEN", Amount: cny(6000_00)}, gateway.Block, "stolen-card"},
	}
	e, _ := newEngine(t, nil)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.MerchantID, tt.req.OrderNo, tt.req.At = "M1", fmt.Sprintf("O%d", i), t0
			d, err := e.Assess(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if d.Verdict != tt.verdict || d.Rule != tt.rule {
				t.Errorf("got %s by %s, want %s by %s", d.Verdict, d.Rule, tt.verdict, tt.rule)
			}
		})
	}
}

// velocityEdges checks the 10-minute window on the virtual clock: the fourth payment within
// (t-10m, t] blocks; one nanosecond later the first payment has left the window.
func velocityEdges(t *testing.T, e *risk.Engine, user string) {
	vc := clock.NewVirtual(t0)
	pay := func(n int) gateway.RiskDecision {
		t.Helper()
		d, err := e.Assess(context.Background(), gateway.RiskRequest{MerchantID: "M1", OrderNo: fmt.Sprintf("%s-%d", user, n), PayerID: user, Amount: cny(100), At: vc.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	first := vc.Now()
	for i := 0; i < 3; i++ {
		if d := pay(i); d.Verdict != gateway.Allow {
			t.Fatalf("payment %d: %s by %s", i, d.Verdict, d.Rule)
		}
		vc.Advance(time.Minute)
	}
	// 3 payments at t0, t0+1m, t0+2m. At t0+10m-1µs the first is still in the window.
	vc.Set(first.Add(10*time.Minute - time.Microsecond))
	if d := pay(3); d.Verdict != gateway.Block || d.Rule != "user-burst" {
		t.Fatalf("4th payment inside 10m: %s by %s, want block by user-burst", d.Verdict, d.Rule)
	}
	// That blocked attempt counts too: at t0+10m exactly the first payment left (the window
	// is (now-10m, now]), leaving t0+1m, t0+2m, the blocked one and this one: 4 > 3.
	vc.Set(first.Add(10 * time.Minute))
	if d := pay(4); d.Verdict != gateway.Block {
		t.Fatalf("at t0+10m: %s, want block (attempts count)", d.Verdict)
	}
	// At t0+12m+1µs, t0+1m and t0+2m have left: the two recent attempts and this one = 3.
	vc.Set(first.Add(12*time.Minute + time.Microsecond))
	if d := pay(5); d.Verdict != gateway.Allow {
		t.Fatalf("at t0+12m: %s by %s, want allow", d.Verdict, d.Rule)
	}
}

func TestVelocity_WindowEdges_Memory(t *testing.T) {
	e, _ := newEngine(t, nil)
	velocityEdges(t, e, "U-edge")
}

func redisClient(t testing.TB) *redis.Client {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:6379", 200*time.Millisecond)
	if err != nil {
		t.Skip("Redis is not reachable at 127.0.0.1:6379 (start it to run this test): ", err)
	}
	c.Close()
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	t.Cleanup(func() { rc.Close() })
	return rc
}

func TestVelocity_WindowEdges_Redis(t *testing.T) {
	rc := redisClient(t)
	prefix := fmt.Sprintf("tongdao:test:%d:", time.Now().UnixNano())
	e, _ := newEngine(t, &risk.RedisVelocity{Client: rc, Prefix: prefix})
	velocityEdges(t, e, "U-edge")
}

func TestVelocity_ExactUnderConcurrency(t *testing.T) {
	stores := map[string]func(t *testing.T) risk.VelocityStore{
		"memory": func(*testing.T) risk.VelocityStore { return risk.NewMemoryVelocity() },
		"redis": func(t *testing.T) risk.VelocityStore {
			return &risk.RedisVelocity{Client: redisClient(t), Prefix: fmt.Sprintf("tongdao:test:%d:", time.Now().UnixNano())}
		},
	}
	for name, mk := range stores {
		t.Run(name, func(t *testing.T) {
			vs := mk(t)
			const n = 200
			seen := make([]bool, n+1)
			var mu sync.Mutex
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := []risk.Counter{{Key: "user:U", Windows: []time.Duration{time.Hour}}}
					if err := vs.Record(context.Background(), fmt.Sprintf("e%d", i), 150, t0, c); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					seen[c[0].Totals[0].Count] = true
					mu.Unlock()
				}()
			}
			wg.Wait()
			// Each Record saw a distinct count 1..n: no two read-modify-writes overlapped.
			for k := 1; k <= n; k++ {
				if !seen[k] {
					t.Fatalf("no Record saw count %d", k)
				}
			}
			c := []risk.Counter{{Key: "user:U", Windows: []time.Duration{time.Hour}}}
			_ = vs.Record(context.Background(), "last", 1, t0, c)
			if c[0].Totals[0] != (risk.Totals{Count: n + 1, Amount: n*150 + 1}) {
				t.Errorf("totals %+v", c[0].Totals[0])
			}
		})
	}
}

func TestBinding_NewCardLargeAmountAndShadow(t *testing.T) {
	e, cases := newEngine(t, nil)
	ctx := context.Background()
	for _, fp := range []string{"FP1", "FP2", "FP3"} {
		if err := e.Bind(ctx, risk.BindEvent{User: "U9", Card: fp, Kind: risk.BindDone, At: t0}); err != nil {
			t.Fatal(err)
		}
	}
	d, _ := e.Assess(ctx, gateway.RiskRequest{MerchantID: "M1", OrderNo: "B1", PayerID: "U9", CardFingerprint: "FP3", Amount: cny(1000_01), At: t0.Add(time.Hour)})
	if d.Verdict != gateway.Challenge || d.Rule != "new-card-large" {
		t.Errorf("new card, 1000.01 after 1h: %s by %s", d.Verdict, d.Rule)
	}
	d, _ = e.Assess(ctx, gateway.RiskRequest{MerchantID: "M1", OrderNo: "B2", PayerID: "U9", CardFingerprint: "FP3", Amount: cny(1000_01), At: t0.Add(24 * time.Hour)})
	if d.Verdict != gateway.Allow {
		t.Errorf("24h after binding: %s by %s, want allow (many-cards is shadow)", d.Verdict, d.Rule)
	}
	got, _ := cases.Cases(ctx, risk.CaseQuery{OrderNo: "B2"})
	if len(got) != 1 || len(got[0].Hits) != 1 || got[0].Hits[0].Rule != "many-cards" || !got[0].Hits[0].Shadow || got[0].Hits[0].Detail != "user has 3 cards bound" {
		t.Errorf("case of B2: %+v", got)
	}
}

func TestFile_ErrorsNameFileAndLine(t *testing.T) {
	bad := `lists:
  - {name: l1, kind: phone, values: [x]}
rules:
  - name: r1
    if: {in_list: nope}
    then: block
  - name: r2
    if: {velocity: {per: user, window: 10x, count_over: 3}}
    then: deny
  - name: r3
    iff: {amount_over: "1.001"}
    then: block
`
	f, err := risk.ParseFile("risk.yaml", []byte(bad))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.Compile("risk.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`risk.yaml:2: list l1: kind "phone"`,
		`risk.yaml:8: velocity.window "10x"`,
		`risk.yaml:11: risk rule: unknown key "iff"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
