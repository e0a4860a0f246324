package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// TestSettleCommand runs `tongdao settle` on a SQLite file and a gateway config: run (text,
// then JSON with nothing new), funds-arrived, ageing before and after, and bad input.
func TestSettleCommand(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "gw.db")
	cfgPath := filepath.Join(dir, "gw.yaml")
	if err := os.WriteFile(cfgPath, []byte(`public_url: http://127.0.0.1:8090
merchants:
  - {id: M1, hmac_secret: secret-0123456789}
accounts:
  - id: wx1
    channel: wechat
    app_id: wxd930ea5d5a258f4f
    mch_id: "10000100"
    key: 192006250b4c09247ec02edce69f6a2d
    fees: {rate: "0.6%", min: "0.01", rounding: half_up}
clearing:
  t: 1
  bank: icbc-001
  ageing: {wechat: 48h}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	day := clock.Date{Year: 2026, Month: 11, Day: 1}
	for i, minor := range []int64{10000, 250} {
		paid := day.Start(clock.Beijing()).Add(time.Duration(10+i) * time.Hour)
		id := []string{"pay_a", "pay_b"}[i]
		p := &order.Payment{ID: id, MerchantID: "M1", OrderNo: "O" + id, Channel: "wechat", Account: "wx1", ChannelOrderNo: "C" + id,
			ChannelOrderTime: paid, Method: channel.MethodQR, Amount: money.Fen(minor), Subject: "s", ExpiresAt: paid.Add(time.Hour), CreatedAt: paid}
		if _, err := db.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.TransitionPayment(ctx, id, p.Version, order.Transition{To: order.Succeeded, Cause: order.CauseChannel, At: paid, PaidAt: paid}); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()
	run1 := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(ctx, append([]string{"settle"}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	base := []string{"--db", "sqlite:" + dbPath, "--config", cfgPath}

	code, out, errs := run1(append([]string{"run", "--day", "2026-11-01"}, base...)...)
	// 100.00 → 0.60, 2.50 → 0.015 → 0.02: net 102.50 − 0.62 = 101.88.
	if code != 0 || !strings.Contains(out, "2 items read, 1 new batches, 1 posted") || !strings.Contains(out, "stl-20261101-M1-CNY-1") ||
		!strings.Contains(out, "101.88") || !strings.Contains(out, "0.62") {
		t.Fatalf("settle run: %d\n%s\n%s", code, out, errs)
	}
	t.Logf("settle run:\n%s", out)
	code, out, errs = run1("batches", "--day", "2026-11-01", "--db", "sqlite:"+dbPath)
	if code != 0 || !strings.Contains(out, "clearing day 2026-11-01: 1 batches, 0 not posted") || !strings.Contains(out, "101.88") {
		t.Fatalf("settle batches: %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = run1(append([]string{"run", "--day", "2026-11-01", "--json"}, base...)...)
	var res struct {
		Created  []json.RawMessage `json:"created"`
		Existing int               `json:"existing"`
		Posted   int               `json:"posted"`
	}
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || len(res.Created) != 0 || res.Existing != 1 || res.Posted != 0 {
		t.Fatalf("settle run again: %d %v %s", code, err, out)
	}
	// The receivables were posted just now (ledger time), so none is past 48h; the overdue
	// path is TestSettleScenario_AgeingAlert's.
	code, out, errs = run1(append([]string{"ageing"}, base...)...)
	if code != 0 || !strings.Contains(out, "no receivable awaiting clearing is past its limit") {
		t.Fatalf("ageing: %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = run1(append([]string{"funds-arrived", "--channel", "wechat", "--day", "2026-11-01", "--amount", "101.88", "--ref", "ICBC-1"}, base...)...)
	if code != 0 || !strings.Contains(out, "101.88 arrived") || !strings.Contains(out, "difference 0.00") {
		t.Fatalf("funds-arrived: %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = run1(append([]string{"ageing", "--json"}, base...)...)
	if code != 0 || !strings.Contains(out, `"ok": true`) {
		t.Fatalf("ageing --json: %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = run1(append([]string{"funds-arrived", "--channel", "wechat", "--day", "2026-11-01", "--amount", "101.88", "--ref", "ICBC-1", "--json"}, base...)...)
	if code != 0 || !strings.Contains(out, `"difference": {`) {
		t.Fatalf("funds-arrived again: %d %s", code, out)
	}
	// 账证核对: settlement batches and funds arrivals are found in their own tables.
	var vout, verr bytes.Buffer
	if code := run(ctx, []string{"ledger", "verify", "--db", "sqlite:" + dbPath, "--vouchers", "orders"}, &vout, &verr); code != 0 {
		t.Fatalf("ledger verify --vouchers orders after settlement: %d\n%s\n%s", code, vout.String(), verr.String())
	}
	for _, bad := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"run"}, 2, "--day"},
		{[]string{"run", "--day", "2026-13-01"}, 2, "--day"},
		{[]string{"run", "--day", time.Now().In(clock.Beijing()).AddDate(0, 0, 1).Format(time.DateOnly)}, 1, "not over"},
		{[]string{"funds-arrived", "--channel", "wechat", "--day", "2026-11-01", "--amount", "1.001", "--ref", "x"}, 2, "--amount"},
		{[]string{"funds-arrived", "--channel", "paypal", "--day", "2026-11-01", "--amount", "1.00", "--ref", "x"}, 1, "paypal"},
		{[]string{"nope"}, 2, "unknown command"},
	} {
		args := bad.args
		if bad.args[0] != "nope" {
			args = append(append([]string{}, bad.args...), base...)
		}
		code, _, errs := run1(args...)
		if code != bad.code || !strings.Contains(errs, bad.msg) {
			t.Errorf("%v: %d %q, want %d and %q", bad.args, code, errs, bad.code, bad.msg)
		}
	}
	if code, out, _ := run1("--help"); code != 0 || !strings.Contains(out, "funds-arrived") {
		t.Errorf("--help: %d %s", code, out)
	}
	if code, _, errs := run1("run", "--day", "2026-11-01", "--db", "sqlite:"+dbPath); code != 2 || !strings.Contains(errs, "--config is required") {
		t.Errorf("no config: %d %s", code, errs)
	}
}

// TestGatewayConfig_FeesAndClearing: the example config's UnionPay account has a full fee
// contract and the rest fee_rate; contracts take each channel's refund-fee policy; bad fees
// and clearing blocks are refused naming the file, the line and the field.
func TestGatewayConfig_FeesAndClearing(t *testing.T) {
	f, err := loadGatewayFile(filepath.Join("..", "..", "examples", "gateway-sim.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t, storetest.SQLiteDSN(t))
	cfg, err := f.build(db, clock.Real(), nil, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	chans := map[string]channel.Channel{}
	for _, a := range cfg.Accounts {
		chans[a.ID] = a.Channel
	}
	cs, err := f.contracts(chans)
	if err != nil {
		t.Fatal(err)
	}
	for id, c := range map[string]struct{ amount, fee int64 }{"up-demo": {100000, 300}, "up-demo ": {999, 10}, "wx-demo": {250, 2}, "bank-demo": {10000, 30}} {
		got, err := cs[strings.TrimSpace(id)].Fee(money.Fen(c.amount))
		if err != nil || got != money.Fen(c.fee) {
			t.Errorf("%s fee on %d fen: %s %v, want %d", id, c.amount, got, err, c.fee)
		}
	}
	if cs["wx-demo"].Refund != chans["wx-demo"].Info().Refund.Fee || cs["up-demo"].Channel != "unionpay" {
		t.Errorf("contract policy %q channel %q", cs["wx-demo"].Refund, cs["up-demo"].Channel)
	}
	if lim := f.Clearing.ageLimits(); lim["unionpay"] != 72*time.Hour || f.Clearing.T != 1 {
		t.Errorf("clearing block: %+v", f.Clearing)
	}
	for _, bad := range []struct{ yaml, want string }{
		{`fees: {rate: "0.6%"}`, "gw.yaml:5: account a1: fees.rounding is required"},
		{`fees: {rate: "0.6%", rounding: up, min: "0.001"}`, "fees.min"},
		{`fees: {tiers: [{from: "0", rate: "1%"}], rounding: up}`, "fees.tier_mode is required"},
		{`fees: {rate: "1%", rounding: up}` + "\n    fee_rate: \"0.01\"", "fee_rate and fees both set"},
	} {
		p := filepath.Join(t.TempDir(), "gw.yaml")
		body := "public_url: http://x\nmerchants:\n  - {id: M1, hmac_secret: 0123456789abcdef0}\naccounts:\n  - id: a1\n    channel: wechat\n    app_id: a\n    mch_id: m\n    key: k\n    " + bad.yaml + "\n"
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := loadGatewayFile(p); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: got %v, want %q", bad.yaml, err, bad.want)
		}
	}
	p := filepath.Join(t.TempDir(), "gw.yaml")
	if err := os.WriteFile(p, []byte("public_url: http://x\nclearing: {t: -1, ageing: {wechat: soon}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadGatewayFile(p); err == nil || !strings.Contains(err.Error(), "clearing.t -1") || !strings.Contains(err.Error(), "clearing.ageing.wechat") {
		t.Errorf("bad clearing block: %v", err)
	}
}
