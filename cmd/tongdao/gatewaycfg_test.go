package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
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
	if _, err := gateway.New(cfg); err != nil {
		t.Fatal(err)
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
