package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/simulator"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

func runRecon(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := reconMain(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestReconCommand_Usage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
	}{{nil, 2}, {[]string{"--help"}, 0}, {[]string{"frobnicate"}, 2}, {[]string{"run", "--day", "yesterday"}, 2},
		{[]string{"run", "--day", "2026-11-20"}, 2}, {[]string{"resolve", "--item", "x"}, 2}, {[]string{"list", "--status", "maybe"}, 2},
		{[]string{"run", "--help"}, 0}} {
		if code, _, _ := runRecon(c.args...); code != c.code {
			t.Errorf("recon %v exit %d, want %d", c.args, code, c.code)
		}
	}
	if _, out, _ := runRecon("--help"); !strings.Contains(out, "余额调节") && !strings.Contains(out, "resolve") {
		t.Errorf("help: %s", out)
	}
}

// reconFixture makes payments on the simulator on day (two days ago), books them in a SQLite
// database (booked[i] fen for amounts[i]; the ledger poster runs when post is set, on a
// clock at the payments' time) and writes a gateway config for the simulator's account.
func reconFixture(t *testing.T, amounts, booked []int64, post bool) (day clock.Date, dsn, cfg string) {
	t.Helper()
	proto, err := simwechat.New(simwechat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	day = clock.DateOf(time.Now(), clock.Beijing()).AddDays(-2)
	start := day.Start(clock.Beijing()).Add(11 * time.Hour)
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{proto}, Seed: 3, Start: start})
	demo := simwechat.DemoMerchant()
	wx, err := wechat.New(wechat.Config{AppID: demo.AppIDs[0], MchID: demo.MchID, Key: demo.Key, BaseURL: sim.URL,
		HTTPClient: sim.Client(), TLSClient: sim.Client(), Clock: sim.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dsn = "sqlite:" + filepath.Join(dir, "tongdao.db")
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	for i, amt := range amounts {
		no := fmt.Sprintf("CLI%d", i+1)
		if _, err := wx.Pay(ctx, &channel.PayRequest{OrderNo: no, Amount: money.Fen(amt), Method: channel.MethodQR, Subject: "cli",
			NotifyURL: "http://127.0.0.1:1/notify", ClientIP: "127.0.0.1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := sim.Pay(ctx, simulator.PayerAction{Channel: "wechat", OutTradeNo: no}); err != nil {
			t.Fatal(err)
		}
		res, err := wx.Query(ctx, &channel.QueryRequest{OrderNo: no})
		if err != nil || res.Status != channel.StatusSucceeded {
			t.Fatalf("query %s: %v %+v", no, err, res)
		}
		p := &order.Payment{ID: "pay_" + no, MerchantID: "M1", OrderNo: no, Channel: "wechat", Account: "wx-demo", ChannelOrderNo: no,
			ChannelOrderTime: res.PaidAt, Method: channel.MethodQR, Amount: money.Fen(booked[i]), Subject: "cli", ExpiresAt: res.PaidAt.Add(time.Hour),
			CreatedAt: res.PaidAt, UpdatedAt: res.PaidAt, Version: 1}
		if _, err := db.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.TransitionPayment(ctx, p.ID, 1, order.Transition{To: order.Succeeded, Cause: order.CauseNotification, At: res.PaidAt,
			PaidAt: res.PaidAt, ChannelTxnID: res.ChannelTxnID}); err != nil {
			t.Fatal(err)
		}
	}
	if post {
		clk := clock.NewVirtual(start.Add(time.Hour))
		l, err := ledger.New(ledger.Config{Store: db, Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		fees, _ := posting.RateFees(map[string]decimal.Decimal{"wx-demo": decimal.RequireFromString("0.006")})
		p, err := posting.New(posting.Config{Store: db, Ledger: l, Clock: clk, Fees: fees, FeeRefund: map[string]channel.FeeRefund{"wechat": channel.FeeRefundProportional}})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 * len(amounts) {
			if _, err := p.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		_ = l.Close()
	}
	_ = db.Close()
	if err := sim.SetTime(time.Now()); err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`public_url: http://127.0.0.1:8090
merchants:
  - id: M1
    hmac_secret: demo-merchant-secret-0123456789
accounts:
  - id: wx-demo
    channel: wechat
    base_url: %s
    app_id: %s
    mch_id: "%s"
    key: %s
    fee_rate: "0.006"
routes:
  - merchant: "*"
    method: qr
    account: wx-demo
`, sim.URL, demo.AppIDs[0], demo.MchID, demo.Key)), 0o600); err != nil {
		t.Fatal(err)
	}
	return day, dsn, cfg
}

// TestReconCommand_RunResolve: payments made on the simulator two days ago, one booked with
// another amount in the database: `recon run` reports the difference and exits 1 (JSON and
// CSV too), `recon resolve` accepts it with who and why, `recon history` shows the audit,
// and a second run exits 0.
func TestReconCommand_RunResolve(t *testing.T) {
	day, dsn, cfg := reconFixture(t, []int64{1000, 2500}, []int64{1000, 2400}, false)
	code, out, errs := runRecon("run", "--day", day.String(), "--db", dsn, "--config", cfg)
	if code != 1 || !strings.Contains(out, "amount_differs          1") || !strings.Contains(out, "1 exceptions open") {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "ledger external check") {
		t.Errorf("the ledger's external check did not run: %s", errs)
	}
	code, out, _ = runRecon("run", "--day", day.String(), "--db", dsn, "--config", cfg, "--format", "json", "--no-ledger-check")
	var js struct {
		OK         bool `json:"ok"`
		Exceptions []struct {
			ID int64 `json:"id"`
		} `json:"exceptions"`
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil || code != 1 || js.OK || len(js.Exceptions) != 1 {
		t.Fatalf("json: exit %d %v\n%s", code, err, out)
	}
	code, out, _ = runRecon("run", "--day", day.String(), "--db", dsn, "--config", cfg, "--format", "csv", "--no-ledger-check")
	if code != 1 || !strings.HasPrefix(out, "day,channel,account,section") || !strings.Contains(out, ",item,amount_differs,open,payment,CLI2,") {
		t.Fatalf("csv: exit %d\n%s", code, out)
	}
	id := fmt.Sprint(js.Exceptions[0].ID)
	if code, _, errs := runRecon("resolve", "--db", dsn, "--config", cfg, "--item", id, "--action", "exception", "--actor", "ops-wang"); code != 2 {
		t.Errorf("resolve without a reason: exit %d %s", code, errs)
	}
	if code, out, errs := runRecon("resolve", "--db", dsn, "--config", cfg, "--item", id, "--action", "exception", "--actor", "ops-wang", "--reason", "booked wrong; merchant refunds 1.00"); code != 0 || !strings.Contains(out, "resolved") {
		t.Fatalf("resolve: exit %d %s %s", code, out, errs)
	}
	code, out, _ = runRecon("history", "--db", dsn, "--item", id)
	if code != 0 || !regexp.MustCompile(`exception by ops-wang: booked wrong`).MatchString(out) {
		t.Errorf("history: exit %d\n%s", code, out)
	}
	if code, out, errs := runRecon("run", "--day", day.String(), "--db", dsn, "--config", cfg, "--no-ledger-check"); code != 0 {
		t.Errorf("after resolving: exit %d\n%s\n%s", code, out, errs)
	}
	if code, out, _ := runRecon("list", "--db", dsn, "--status", "open"); code != 0 || !strings.Contains(out, "no items") {
		t.Errorf("list open: exit %d %s", code, out)
	}
}

// TestLedgerVerify_Statements: `ledger verify --statements` runs the external check (账实核对)
// against the downloaded statements: it passes when the ledger booked what the channel
// settled, and fails naming the receivable when a payment was booked with another amount.
func TestLedgerVerify_Statements(t *testing.T) {
	day, dsn, cfg := reconFixture(t, []int64{1000, 2500}, []int64{1000, 2500}, true)
	code, out, errs := runLedger("verify", "--db", dsn, "--day", day.String(), "--statements", cfg)
	if code != 0 || !strings.Contains(out, "external") || strings.Contains(out, "no statement source") {
		t.Fatalf("clean: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, _ := runLedger("verify", "--db", dsn, "--statements", cfg); code != 2 {
		t.Errorf("--statements without --day: exit %d", code)
	}
	day, dsn, cfg = reconFixture(t, []int64{1000, 2500}, []int64{1000, 2400}, true)
	code, out, errs = runLedger("verify", "--db", dsn, "--day", day.String(), "--statements", cfg)
	if code != 1 || !strings.Contains(out, "wechat statements") {
		t.Fatalf("booked wrong: exit %d\n%s\n%s", code, out, errs)
	}
}
