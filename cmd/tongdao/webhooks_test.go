package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store"
)

// seedOrders writes one succeeded payment to a new SQLite file and returns its DSN and the
// id of its payment.succeeded event.
func seedOrders(t *testing.T) (string, int64, string) {
	t.Helper()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "orders.db")
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	p := &order.Payment{ID: "pay_1", MerchantID: "M1", OrderNo: "A1", Channel: "wechat", Account: "wx1", ChannelOrderNo: "C1",
		Method: channel.MethodQR, Amount: money.Fen(100), Subject: "s", CreatedAt: at}
	if _, err := db.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	_, ev, err := db.TransitionPayment(ctx, "pay_1", 1, order.Transition{To: order.Succeeded, Cause: order.CauseChannel, At: at})
	if err != nil {
		t.Fatal(err)
	}
	return dsn, ev.Seq, ev.ID
}

func TestWebhooksCommand(t *testing.T) {
	dsn, seq, id := seedOrders(t)
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"webhooks"}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, _ := run("--help"); code != 0 || !strings.Contains(out, "redeliver") || !strings.Contains(out, "15s 1m 5m") {
		t.Errorf("--help: %d %q", code, out)
	}
	if code, out, _ := run("list", "--help"); code != 0 || !strings.Contains(out, "-state") {
		t.Errorf("list --help: %d %q", code, out)
	}
	code, out, errs := run("list", "--db", dsn)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "payment.succeeded") || !strings.Contains(out, "payment.created") {
		t.Fatalf("list: %d %q %q", code, out, errs)
	}
	code, out, _ = run("list", "--db", dsn, "--state", "pending", "--json", "--limit", "1")
	var row map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &row) != nil || row["event_id"] != id || row["state"] != "pending" {
		t.Errorf("list --json: %d %q", code, out)
	}
	// Pending: refused, it will go out by itself.
	if code, _, errs := run("redeliver", "--db", dsn, id); code != 1 || !strings.Contains(errs, "still pending") {
		t.Errorf("redeliver pending: %d %q", code, errs)
	}
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DeadLetter(context.Background(), "webhook", seq, "HTTP 500"); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	if code, out, _ := run("list", "--db", dsn, "--state", "dead"); code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "HTTP 500") {
		t.Errorf("list dead: %d %q", code, out)
	}
	if code, out, errs := run("redeliver", "--db", dsn, id, "evt_nope"); code != 1 || !strings.Contains(out, id+": payment.succeeded of pay_1 queued for webhook again") || !strings.Contains(errs, "evt_nope: no such event") {
		t.Errorf("redeliver: %d %q %q", code, out, errs)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"list", "--db", dsn, "--state", "stuck"}, 2, "want pending, done or dead"},
		{[]string{"list", "--db", dsn, "--limit", "0"}, 2, "positive"},
		{[]string{"redeliver", "--db", dsn}, 2, "at least one event id"},
		{[]string{"list", "--db", "sqlite:" + filepath.Join(t.TempDir(), "none.db")}, 1, "no database at"},
		{[]string{"purge"}, 2, "unknown command"},
		{[]string{"list", "--bogus"}, 2, "flag provided but not defined"},
	}
	for _, tc := range tests {
		if code, _, errs := run(tc.args...); code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: %d %q, want %d %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}
