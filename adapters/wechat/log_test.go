package wechat

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
)

// TestLogger_NeverWritesSecretsOrBodies runs calls with a debug logger and checks the
// output has the call's codes but no key, no signature and no XML.
func TestLogger_NeverWritesSecretsOrBodies(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, func(c *Config) { c.Logger = logger })
	body := golden(t, "micropay_userpaying.xml")
	e.respond(t, "/pay/micropay", demoKey, sign.WeChatMD5, body)
	req := payReq(channel.MethodBarcode)
	req.AuthCode = "134567890123456789"
	if _, err := e.c.Pay(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	e.mt.RegisterResponder(http.MethodPost, testBase+"/pay/orderquery", httpmock.NewErrorResponder(timeoutErr{}))
	_, _ = e.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "1"})
	out := buf.String()
	if !strings.Contains(out, "err_code=USERPAYING") || !strings.Contains(out, "op=query") {
		t.Fatalf("log lacks the codes:\n%s", out)
	}
	sentSign := lookup(e.rec.last("/pay/micropay"), "sign")
	respSign := lookup(mustDecode(t, body), "sign")
	for _, secret := range []string{demoKey, sentSign, respSign, "<xml", "134567890123456789"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
}

func mustDecode(t *testing.T, body string) sign.Params {
	t.Helper()
	p, err := decodeFlat([]byte(body), "xml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestClient_ConcurrentUse shares one client (sandbox mode, so the key cache is shared
// too) across goroutines; run with -race.
func TestClient_ConcurrentUse(t *testing.T) {
	const sandboxKey = "0123456789abcdef0123456789abcdef"
	e := newEnv(t, func(c *Config) { c.Sandbox = true })
	e.mt.RegisterResponder(http.MethodPost, testBase+"/sandboxnew/pay/getsignkey", httpmock.NewStringResponder(200,
		"<xml><return_code>SUCCESS</return_code><mch_id>"+demoMchID+"</mch_id><sandbox_signkey>"+sandboxKey+"</sandbox_signkey></xml>"))
	e.mt.RegisterResponder(http.MethodPost, testBase+"/sandboxnew/pay/orderquery", httpmock.NewStringResponder(200,
		signedXMLWith(t, sandboxKey, map[string]string{"result_code": "SUCCESS", "trade_state": "SUCCESS", "out_trade_no": "1", "total_fee": "1"})))
	note := []byte(signedWith(t, sandboxKey))
	done := make(chan error, 16)
	for i := 0; i < 16; i++ {
		go func() {
			if _, err := e.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "1"}); err != nil {
				done <- err
				return
			}
			_, err := e.c.ParseNotification(context.Background(), nil, note)
			done <- err
		}()
	}
	for i := 0; i < 16; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n := e.mt.GetCallCountInfo()["POST "+testBase+"/sandboxnew/pay/getsignkey"]; n != 1 {
		t.Fatalf("sandbox key fetched %d times", n)
	}
}
