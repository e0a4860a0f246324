package router_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/router"
)

func redisOrSkip(t *testing.T) *redis.Client {
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

// Two routers (two gateway processes) share one per-day limit through Redis: concurrent
// reservations from both never overshoot it, and a refusal releases nothing it did not take.
func TestSharedLimits_TwoProcessesNeverOvershoot(t *testing.T) {
	rc := redisOrSkip(t)
	store := &router.RedisLimits{Client: rc, Prefix: fmt.Sprintf("tongdao:test:%d:", time.Now().UnixNano())}
	mk := func() *router.Router {
		return mustRouter(t, router.Config{Limits: store,
			Accounts: []router.Account{{ID: "wx1", Channel: wx, Limits: router.Limits{PerDay: cny(1000_00), PerMonth: cny(1500_00)}}, {ID: "ali1", Channel: ali}},
			Rules:    []router.Rule{{Accounts: []string{"wx1", "ali1"}}}})
	}
	p1, p2 := mk(), mk()
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := p1
			if i%2 == 1 {
				r = p2
			}
			if r.BeginAttempt("wx1", cny(33_33), noon) == nil {
				accepted.Add(1)
			}
		}()
	}
	wg.Wait()
	if accepted.Load() != 30 {
		t.Fatalf("accepted %d payments of 33.33 under a shared 1000.00 day limit, want 30", accepted.Load())
	}
	// A declined payment on process 2 gives its 33.33 back to both.
	p2.EndAttempt(gateway.Attempt{Account: "wx1", Amount: cny(33_33), At: noon, Err: &channel.Error{Kind: channel.KindDeclined}})
	if err := p1.BeginAttempt("wx1", cny(33_43), noon); err != nil {
		t.Errorf("33.43 after a release (966.57 used): %v", err)
	}
	if err := p1.BeginAttempt("wx1", cny(1), noon); err == nil {
		t.Error("1 fen past the shared limit accepted")
	}
	// Process 1 mirrors what Redis answered: its explanation shows the limit used up.
	dec, _ := p1.Route(context.Background(), gateway.RouteRequest{Method: channel.MethodQR, Amount: cny(10_00), At: noon})
	if dec.Account != "ali1" || !strings.Contains(dec.Reason, "wx1 skipped: per-day limit used up") {
		t.Errorf("decision: %+v", dec)
	}
	// Next Beijing day: the day resets, the month (1000.00 of 1500.00 used) does not.
	next := noon.Add(12 * time.Hour)
	if err := p2.BeginAttempt("wx1", cny(500_00), next); err != nil {
		t.Errorf("new day: %v", err)
	}
	if err := p1.BeginAttempt("wx1", cny(1), next); err == nil {
		t.Error("month limit not enforced across processes")
	}
}

func TestSharedLimits_UnreachableStoreFailsClosed(t *testing.T) {
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer rc.Close()
	r := mustRouter(t, router.Config{Limits: &router.RedisLimits{Client: rc},
		Accounts: []router.Account{{ID: "wx1", Channel: wx, Limits: router.Limits{PerDay: cny(1000_00)}}, {ID: "ali1", Channel: ali}},
		Rules:    []router.Rule{{Accounts: []string{"wx1", "ali1"}}}})
	if err := r.BeginAttempt("wx1", cny(1), noon); err == nil || !strings.Contains(err.Error(), "shared limits unreachable") {
		t.Errorf("wx1 (limited) with Redis down: %v, want a refusal", err)
	}
	if err := r.BeginAttempt("ali1", cny(1), noon); err != nil {
		t.Errorf("ali1 (no limits) with Redis down: %v", err)
	}
}

// BenchmarkBeginAttempt_RedisLimits: one reservation in Redis (one EVALSHA round trip).
func BenchmarkBeginAttempt_RedisLimits(b *testing.B) {
	c, err := net.DialTimeout("tcp", "127.0.0.1:6379", 200*time.Millisecond)
	if err != nil {
		b.Skip("Redis is not reachable at 127.0.0.1:6379")
	}
	c.Close()
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rc.Close()
	r := mustRouter(b, router.Config{Limits: &router.RedisLimits{Client: rc, Prefix: fmt.Sprintf("tongdao:bench:%d:", time.Now().UnixNano())},
		Accounts: []router.Account{{ID: "wx1", Channel: wx, Limits: router.Limits{PerDay: cny(1 << 50)}}},
		Rules:    []router.Rule{{Accounts: []string{"wx1"}}}})
	b.ReportAllocs()
	for b.Loop() {
		if err := r.BeginAttempt("wx1", cny(1), noon); err != nil {
			b.Fatal(err)
		}
	}
}
