package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store/storetest"
)

func TestGatewayRouting_ExampleLoadsRoutesAndReloads(t *testing.T) {
	src, err := os.ReadFile("../../examples/gateway-routing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Copy next to the simulator's demo keys so relative paths resolve.
	dir := t.TempDir()
	path := filepath.Join(dir, "gw.yaml")
	abs, _ := filepath.Abs("../../simulator/demo")
	text := strings.ReplaceAll(string(src), "../simulator/demo", abs)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := loadGatewayFile(path)
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t, "sqlite::memory:")
	cfg, err := f.build(db, clock.Real(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := f.setupRouting(&cfg, prometheus.NewRegistry(), db, clock.Real(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Router == nil || cfg.Risk == nil || rt.router == nil || rt.risk == nil {
		t.Fatal("routing or risk not installed")
	}
	route := func(method channel.Method, minor int64) gateway.RouteDecision {
		d, err := cfg.Router.Route(context.Background(), gateway.RouteRequest{MerchantID: "M9", Method: method, Amount: money.New(minor, money.CNY)})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := route(channel.MethodWeb, 2000_00); d.Account != "ali-demo" || !strings.Contains(d.Reason, "large-web-to-alipay") {
		t.Errorf("large web payment: %+v", d)
	}
	// Reload: the first rule now sends web payments from 1000.00 to wx-demo... which does not
	// support web, so the rule has no eligible account; a bad file is refused and changes nothing.
	bad := strings.Replace(text, "choose: fee", "choose: cheapest", 1)
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	err = rt.reload(path)
	if err == nil || !strings.Contains(err.Error(), `choose "cheapest"`) || !strings.Contains(err.Error(), path+":") {
		t.Fatalf("bad reload: %v", err)
	}
	if d := route(channel.MethodWeb, 2000_00); d.Account != "ali-demo" {
		t.Errorf("after a refused reload: %+v", d)
	}
	good := strings.Replace(text, `min_amount: "1000.00"`, `min_amount: "3000.00"`, 1)
	if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := rt.reload(path); err != nil {
		t.Fatal(err)
	}
	if d := route(channel.MethodWeb, 2000_00); !strings.Contains(d.Reason, "rule cheapest") {
		t.Errorf("after the reload, 2000.00 web should fall to the cheapest rule: %+v", d)
	}
}

func TestGatewayRouting_BadSectionsNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gw.yaml")
	text := `public_url: http://127.0.0.1:8090
merchants:
  - {id: M1, hmac_secret: demo-merchant-secret-0123456789}
accounts:
  - {id: wx, channel: wechat, app_id: wx1, mch_id: "1", key: 192006250b4c09247ec02edce69f6a2d}
routing:
  accounts:
    - {id: wx, per_day: "10.001", weight: -1}
    - {id: nope}
  rules:
    - name: r1
      methods: [qr, fax]
      hours: "25:00-01:00"
      accounts: [wx, ghost]
risk:
  rules:
    - name: x
      if: {velocity: {per: phone, window: 10m, count_over: 1}}
      then: maybe
`
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := loadGatewayFile(path)
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t, "sqlite::memory:")
	cfg, err := f.build(db, clock.Real(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.setupRouting(&cfg, prometheus.NewRegistry(), db, clock.Real(), nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		path + `:8: per_day "10.001"`,
		path + `:8: routing account wx: weight -1`,
		path + `:9: routing account nope: no gateway account`,
		path + `:11: rule r1: hours`,
		path + `:11: rule r1: account "ghost"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	f.Routing = nil
	_, err = f.setupRouting(&cfg, prometheus.NewRegistry(), db, clock.Real(), nil)
	if err == nil || !strings.Contains(err.Error(), path+`:17: velocity per "phone"`) || !strings.Contains(err.Error(), `then "maybe"`) {
		t.Errorf("risk errors: %v", err)
	}
}

func TestGatewayRoute_ExplainsADecision(t *testing.T) {
	dir := t.TempDir()
	abs, _ := filepath.Abs("../../simulator/demo")
	src, err := os.ReadFile("../../examples/gateway-routing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "gw.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(src), "../simulator/demo", abs)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"--merchant", "M1", "--method", "qr", "--amount", "88.00", "--at", "2026-12-07T12:00:00+08:00"}, 0,
			"rule qr-split (" + path + ":63), by weight: #1 wx-demo (priority 10, weight 3); #2 ali-demo (priority 5, weight 1)\n"},
		{[]string{"--merchant", "M1", "--method", "web", "--amount", "6000.00", "--at", "2026-12-20T02:00:00+08:00"}, 1,
			"rule large-web-to-alipay (" + path + ":59), by priority: ali-demo skipped: in a maintenance window\n"},
		{[]string{"--merchant", "M1", "--method", "qr", "--amount", "6000.00", "--at", "2026-12-07T12:00:00+08:00"}, 0,
			"rule qr-split (" + path + ":63), by weight: #1 ali-demo (priority 5, weight 1); wx-demo skipped: over the per-transaction limit\n"},
	} {
		var out, errb strings.Builder
		code := gatewayRoute(context.Background(), append([]string{"--config", path}, tt.args...), &out, &errb)
		if code != tt.code || out.String() != tt.out {
			t.Errorf("%v: code %d, out %q (stderr %s), want %d %q", tt.args, code, out.String(), errb.String(), tt.code, tt.out)
		}
	}
}
