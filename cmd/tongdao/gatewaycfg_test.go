package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// TestGatewayConfig_ExampleBuildsEveryChannel loads the shipped example (WeChat, Alipay,
// UnionPay and bank accounts with the simulator's demo credentials) and builds the gateway.
func TestGatewayConfig_ExampleBuildsEveryChannel(t *testing.T) {
	f, err := loadGatewayFile(filepath.Join("..", "..", "examples", "gateway-sim.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t, storetest.SQLiteDSN(t))
	cfg, err := f.build(db, clock.Real(), nil, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, a := range cfg.Accounts {
		names[a.ID] = a.Channel.Name()
	}
	for id, want := range map[string]string{"wx-demo": "wechat", "ali-demo": "alipay", "up-demo": "unionpay", "bank-demo": "bank"} {
		if names[id] != want {
			t.Errorf("account %s is %q, want %s", id, names[id], want)
		}
	}
	if cfg.Keyring == nil {
		t.Error("the example's card_keys did not give the gateway a keyring: bindings would answer 501")
	}
	gw, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !f.walletOn() || f.Wallet.TopUpMerchant != "wallet-topups" {
		t.Fatalf("the example's wallet block: %+v", f.Wallet)
	}
	led, err := ledger.New(ledger.Config{Store: db, Clock: clock.Real()})
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	if _, err := f.newWallet(db, gw, led, clock.Real(), nil); err != nil {
		t.Fatal(err)
	}
}

// TestGatewayConfig_BadCardKeysRefused: card keys that are not hex or of the wrong size
// are refused naming options.card_keys, never printing a key.
func TestGatewayConfig_BadCardKeysRefused(t *testing.T) {
	for _, keys := range []string{
		`{active: k1, keys: {k1: "zz"}, fingerprint_key: "00112233445566778899aabbccddeeff"}`,
		`{active: k1, keys: {k1: "0011"}, fingerprint_key: "00112233445566778899aabbccddeeff"}`,
		`{active: k2, keys: {k1: "00112233445566778899aabbccddeeff"}, fingerprint_key: "ffeeddccbbaa99887766554433221100"}`,
	} {
		p := filepath.Join(t.TempDir(), "gw.yaml")
		body := "public_url: http://x\nmerchants:\n  - {id: M1, hmac_secret: 0123456789abcdef0}\noptions:\n  card_keys: " + keys + "\n"
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := loadGatewayFile(p)
		if err == nil || !strings.Contains(err.Error(), "options.card_keys") || strings.Contains(err.Error(), "00112233") {
			t.Errorf("%s: %v", keys, err)
		}
	}
}

// TestGatewayConfig_ErrorsNameFileAndLine: a bad account names the file and the line.
func TestGatewayConfig_ErrorsNameFileAndLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gw.yaml")
	if err := os.WriteFile(p, []byte("public_url: http://x\nmerchants:\n  - {id: M1, hmac_secret: 0123456789abcdef0}\naccounts:\n  - {id: b1, channel: bank, merchant_id: M}\n  - {id: q1, channel: paypal}\nroutes:\n  - {method: cash, account: b1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadGatewayFile(p)
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{p + ":5: account b1: bank needs", p + ":6: account q1: channel \"paypal\"", p + ":8: route: method \"cash\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
}

// TestGatewayConfig_WalletBlockChecked: a wallet block naming a merchant or account that is
// not there, a payout account that is no bank, or no card keys is refused by name.
func TestGatewayConfig_WalletBlockChecked(t *testing.T) {
	const head = "public_url: http://x\nmerchants:\n  - {id: M1, hmac_secret: 0123456789abcdef0}\naccounts:\n  - {id: wx1, channel: wechat, app_id: a, mch_id: m, key: k}\n"
	const keys = "options:\n  card_keys: {active: k1, keys: {k1: \"00112233445566778899aabbccddeeff\"}, fingerprint_key: \"ffeeddccbbaa99887766554433221100\"}\n"
	for _, tc := range []struct {
		name, body, want string
	}{
		{"no top-up merchant", head + keys + "wallet: {enabled: true}\n", "wallet.topup_merchant is required"},
		{"unknown top-up merchant", head + keys + "wallet: {enabled: true, topup_merchant: W}\n", `wallet.topup_merchant "W" is not one of merchants`},
		{"unknown payout account", head + keys + "wallet: {enabled: true, topup_merchant: M1, payout_account: b9}\n", `wallet.payout_account "b9" is not one of accounts`},
		{"payout through wechat", head + keys + "wallet: {enabled: true, topup_merchant: M1, payout_account: wx1}\n", "withdrawals pay out through a bank account"},
		{"no card keys", head + "wallet: {enabled: true, topup_merchant: M1}\n", "wallet needs options.card_keys"},
		{"unknown key", head + keys + "wallet: {enabled: true, topup_merchant: M1, payout: b1}\n", "field payout not found"},
	} {
		p := filepath.Join(t.TempDir(), "gw.yaml")
		if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := loadGatewayFile(p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	p := filepath.Join(t.TempDir(), "gw.yaml")
	if err := os.WriteFile(p, []byte(head+keys+"wallet: {enabled: false}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if f, err := loadGatewayFile(p); err != nil || f.walletOn() {
		t.Errorf("a disabled wallet block: %v", err)
	}
}
