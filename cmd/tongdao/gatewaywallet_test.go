package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/balance"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/wallet"
	"github.com/tongdao/tongdao/simulator"
	simbank "github.com/tongdao/tongdao/simulator/bank"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// TestGatewayServe_WalletRoutes runs `tongdao gateway serve` with a wallet block in front of
// the simulator (real HTTP on loopback, wall clock, so the channel's callback and the
// background work run on their own): signed requests create two customers, top one up by
// WeChat QR (the simulator's payer pays), transfer and pay from the balance; `gateway serve`
// then stops cleanly.
func TestGatewayServe_WalletRoutes(t *testing.T) {
	dir := t.TempDir()
	wxp, err := simwechat.New(simwechat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	bkp, err := simbank.New(simbank.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{wxp, bkp}, Seed: 5, Clock: clock.Real()})
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	wd := simwechat.DemoMerchant()
	demoDir, err := filepath.Abs("../../simulator/demo")
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`public_url: %s
merchants:
  - {id: M1, hmac_secret: %s}
  - {id: wallet, hmac_secret: wallet-topups-secret-0123456789}
accounts:
  - {id: wx1, channel: wechat, base_url: %q, app_id: %s, mch_id: %q, key: %s, fee_rate: "0.006"}
  - id: bank1
    channel: bank
    base_url: %q
    merchant_id: %s
    cert_serial: %q
    merchant_key_file: %s/bank_merchant_private.pem
    bank_sign_key_file: %s/bank_sign_public.pem
    bank_enc_key_file: %s/bank_enc_public.pem
    fee_rate: "0"
routes:
  - {merchant: "*", method: qr, account: wx1}
options:
  card_keys:
    active: k1
    keys: {k1: "00112233445566778899aabbccddeeff"}
    fingerprint_key: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
wallet:
  enabled: true
  topup_merchant: wallet
  payout_account: bank1
  balance_token_key: "balance-token-key-for-tests-0123456789"
`, base, demoSecret, sim.URL, wd.AppIDs[0], wd.MchID, wd.Key, sim.URL, simbank.DemoMerchantID, simbank.DemoCertSerial, demoDir, demoDir, demoDir)
	cfgPath := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "gw.db")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var out, errOut bytes.Buffer
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"gateway", "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--metrics-addr", "", "--db", "sqlite:" + dbPath,
			"--config", cfgPath, "--work-interval", "20ms", "--log-level", "error"}, &out, &errOut)
	}()
	// Waiting for a server and for a channel's callback on the wall clock is the point here.
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			select {
			case code := <-exited:
				t.Fatalf("gateway serve exited with %d while waiting for %s: %s", code, what, errOut.String())
			default:
			}
			if ok() {
				return
			}
		}
		t.Fatalf("timed out waiting for %s", what)
	}
	waitFor("the gateway", func() bool {
		resp, err := http.Get(base + "/v1/openapi.json")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})

	nonce := 0
	call := func(method, path string, body any, out any) int {
		t.Helper()
		raw, _ := json.Marshal(body)
		if body == nil {
			raw = nil
		}
		req, err := http.NewRequest(method, base+path, bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		nonce++
		ts, n := strconv.FormatInt(time.Now().Unix(), 10), fmt.Sprintf("n%010d", nonce)
		req.Header.Set(gateway.HeaderMerchant, "M1")
		req.Header.Set(gateway.HeaderTimestamp, ts)
		req.Header.Set(gateway.HeaderNonce, n)
		req.Header.Set(gateway.HeaderSignature, gateway.SignHMAC(demoSecret, gateway.StringToSign(method, path, ts, n, raw)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: %s: %v", method, path, b, err)
			}
		}
		return resp.StatusCode
	}
	customer := func(no, name, idNo string) wallet.AccountJSON {
		var c wallet.CustomerJSON
		call("POST", "/v1/wallet/customers", map[string]string{"customer_no": no, "kind": "individual", "name": name, "id_no": idNo}, &c)
		if c.ID == "" || c.CustomerNo != no {
			t.Fatalf("customer %+v", c)
		}
		var a wallet.AccountJSON
		call("POST", "/v1/wallet/customers/"+c.ID+"/accounts", map[string]string{"kind": "wallet"}, &a)
		call("POST", "/v1/wallet/customers/"+c.ID+"/password", map[string]string{"password": "135790"}, nil)
		return a
	}
	balanceOf := func(id string) int64 {
		var a wallet.AccountJSON
		call("GET", "/v1/wallet/accounts/"+id, nil, &a)
		return a.Available
	}
	a := customer("C1", "张三", "11010519491231002X")
	b := customer("C2", "李四", "110101199003070011")

	var top wallet.OpJSON
	call("POST", "/v1/wallet/topups", map[string]any{"request_no": "TU1", "account_id": a.ID, "amount": 100_00, "method": "qr", "client_ip": "127.0.0.1"}, &top)
	if top.PaymentID == "" || top.Action == nil || top.Action.QRCode == "" {
		t.Fatalf("top-up answer %+v", top)
	}
	db, err := store.Open(context.Background(), "sqlite:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := db.Payment(context.Background(), top.PaymentID)
	if err != nil || p.MerchantID != "wallet" {
		t.Fatalf("top-up order %+v %v", p, err)
	}
	if _, err := sim.Pay(context.Background(), simulator.PayerAction{Channel: "wechat", OutTradeNo: p.ChannelOrderNo}); err != nil {
		t.Fatal(err)
	}
	waitFor("the top-up credit", func() bool { return balanceOf(a.ID) == 100_00 })

	var tr wallet.OpJSON
	call("POST", "/v1/wallet/transfers", map[string]any{"request_no": "TR1", "from_account": a.ID, "to_account": b.ID, "amount": 30_00}, &tr)
	if tr.State != wallet.OpDone {
		t.Fatalf("transfer %+v", tr)
	}
	var pay wallet.OpJSON
	call("POST", "/v1/wallet/payments", map[string]any{"request_no": "PY1", "account_id": b.ID, "amount": 10_00, "password": "135790", "subject": "tea"}, &pay)
	if pay.State != wallet.OpDone || pay.Payee != "M1" {
		t.Fatalf("payment %+v", pay)
	}
	if ga, gb := balanceOf(a.ID), balanceOf(b.ID); ga != 70_00 || gb != 20_00 {
		t.Fatalf("balances %d %d, want 7000 2000", ga, gb)
	}
	var st struct {
		Lines []struct {
			EntrySeq int64  `json:"ledger_entry"`
			OpID     string `json:"op_id"`
		} `json:"lines"`
	}
	call("GET", "/v1/wallet/accounts/"+b.ID+"/statement", nil, &st)
	if len(st.Lines) != 2 || st.Lines[0].OpID != tr.ID || st.Lines[1].OpID != pay.ID {
		t.Fatalf("statement of the receiver: %+v", st)
	}

	// The customer's app reads 李四's balance with a token the merchant asked for; every
	// query is in the audit log.
	var usr struct {
		ID string `json:"id"`
	}
	call("POST", "/v1/wallet/customers/"+b.CustomerID+"/users", map[string]string{"business_line": "app", "login": "lisi@example.com"}, &usr)
	var tok balance.TokenResponse
	call("POST", balance.TokenPath, balance.TokenRequest{UserID: usr.ID, AccountID: b.ID}, &tok)
	query := func(token string) (int, []byte) {
		req, _ := http.NewRequest("GET", base+"/v1/customer/accounts/"+b.ID+"/balance", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	if code, body := query(tok.Token); code != 200 || !strings.Contains(string(body), `"available"`) || strings.Contains(string(body), "李四") {
		t.Fatalf("balance query: %d %s (want 200, the balance, the name masked)", code, body)
	}
	if code, _ := query(tok.Token + "x"); code != 401 {
		t.Fatalf("a forged token: %d, want 401", code)
	}
	if rep, err := audit.Verify(context.Background(), db, audit.VerifyOptions{}); err != nil || !rep.OK() || rep.Records < 3 {
		t.Fatalf("audit log after the queries: %+v %v", rep, err)
	}

	stop()
	select {
	case code := <-exited:
		if code != 0 || !strings.Contains(out.String(), "wallet: /v1/wallet/") || !strings.Contains(out.String(), "balance query:") {
			t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatal("gateway serve did not stop")
	}
}
