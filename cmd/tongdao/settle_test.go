package main

import (
	"bytes"
	"context"
	"encoding/json"
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
