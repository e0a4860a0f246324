package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/alipay"
	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
	"github.com/tongdao/tongdao/simulator"
	simalipay "github.com/tongdao/tongdao/simulator/alipay"
	"github.com/tongdao/tongdao/simulator/demo"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

const secretM1 = "m1-secret-0123456789abcdef"

// env is a gateway over a real store, in front of the simulator, both on loopback HTTP.
type env struct {
	t     testing.TB
	sim   *simulator.TestServer
	db    *store.DB
	gw    *gateway.Gateway
	srv   *httptest.Server
	nonce atomic.Int64
}

func newEnv(t testing.TB, dsn string, mutate func(*gateway.Config)) *env {
	t.Helper()
	wxp, err := simwechat.New(simwechat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	alp, err := simalipay.New(simalipay.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{wxp, alp}, Seed: 7})
	wdemo := simwechat.DemoMerchant()
	wx, err := wechat.New(wechat.Config{AppID: wdemo.AppIDs[0], MchID: wdemo.MchID, Key: wdemo.Key, BaseURL: sim.URL,
		HTTPClient: sim.Client(), TLSClient: sim.Client(), Clock: sim.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	ali, err := alipay.New(alipay.Config{AppID: simalipay.DemoMerchant().AppID, AppPrivateKey: demo.MustFile(demo.AlipayAppPrivate),
		AlipayPublicKey: demo.MustFile(demo.AlipayPlatformPublic), BaseURL: sim.URL, HTTPClient: sim.Client(), Clock: sim.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, sim: sim, db: storetest.Open(t, dsn)}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.gw.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	cfg := gateway.Config{
		Store: e.db, Clock: sim.Clock(), PublicURL: e.srv.URL,
		Merchants: []gateway.Merchant{{ID: "M1", HMACSecret: secretM1}, {ID: "M2", HMACSecret: "m2-secret-0123456789abcdef"}},
		Accounts: []gateway.Account{
			{ID: "wx1", Channel: wx, ChannelMerchantID: wdemo.MchID, AppID: wdemo.AppIDs[0]},
			{ID: "ali1", Channel: ali, AppID: simalipay.DemoMerchant().AppID},
		},
		Routes: []gateway.Route{{Merchant: "*", Method: channel.MethodQR, Account: "wx1"}, {Merchant: "*", Method: channel.MethodWeb, Account: "ali1"}},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	e.gw, err = gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// call sends a signed request as merchant m and decodes the answer into out (if not nil).
func (e *env) call(m, secret, method, path string, body any, idemKey string, out any) (int, http.Header, []byte) {
	e.t.Helper()
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			e.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	ts := strconv.FormatInt(e.sim.Clock().Now().Unix(), 10)
	nonce := fmt.Sprintf("n%s%06d", strings.TrimPrefix(e.srv.URL, "http://127.0.0.1:"), e.nonce.Add(1))
	req.Header.Set(gateway.HeaderMerchant, m)
	req.Header.Set(gateway.HeaderTimestamp, ts)
	req.Header.Set(gateway.HeaderNonce, nonce)
	req.Header.Set(gateway.HeaderSignature, gateway.SignHMAC(secret, gateway.StringToSign(method, path, ts, nonce, raw)))
	if idemKey != "" {
		req.Header.Set(gateway.HeaderIdempotency, idemKey)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("decode %s: %v", b, err)
		}
	}
	return resp.StatusCode, resp.Header, b
}

func (e *env) pay(orderNo string, amount int64, method string) (int, gateway.PaymentJSON, []byte) {
	var p gateway.PaymentJSON
	code, _, b := e.call("M1", secretM1, http.MethodPost, "/v1/payments",
		gateway.CreatePaymentRequest{OrderNo: orderNo, Amount: amount, Method: method, Subject: "test", ClientIP: "127.0.0.1"}, "", &p)
	return code, p, b
}

func (e *env) get(orderNo string) gateway.PaymentJSON {
	var p gateway.PaymentJSON
	if code, _, b := e.call("M1", secretM1, http.MethodGet, "/v1/payments/"+orderNo, nil, "", &p); code != 200 {
		e.t.Fatalf("GET %s: %d %s", orderNo, code, b)
	}
	return p
}

func (e *env) payerPays(channelName string, p gateway.PaymentJSON) {
	e.t.Helper()
	stored, err := e.db.PaymentByOrderNo(context.Background(), "M1", p.OrderNo)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.sim.Pay(context.Background(), simulator.PayerAction{Channel: channelName, OutTradeNo: stored.ChannelOrderNo}); err != nil {
		e.t.Fatal(err)
	}
}

func eachStore(t *testing.T, fn func(t *testing.T, dsn string)) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), fn)
}

func TestGateway_PayNotifyRefund(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		for _, tc := range []struct{ method, channel, account string }{{"qr", "wechat", "wx1"}, {"qr", "alipay", "ali1"}} {
			e := newEnv(t, dsn, func(c *gateway.Config) {
				c.Routes = []gateway.Route{{Merchant: "*", Method: channel.MethodQR, Account: tc.account}}
			})
			no := "A1001" + tc.channel
			code, p, b := e.pay(no, 1999, tc.method)
			if code != http.StatusCreated || p.State != order.Pending || p.Unresolved || p.Action == nil || p.Channel != tc.channel {
				t.Fatalf("%s: create: %d %s", tc.channel, code, b)
			}
			e.payerPays(tc.channel, p)
			got := e.get(no)
			if got.State != order.Succeeded || got.ChannelTxnID == "" || got.PaidAt == "" {
				t.Fatalf("%s: after the payer paid and the channel notified: %+v", tc.method, got)
			}
			var r gateway.RefundJSON
			code, _, b = e.call("M1", secretM1, http.MethodPost, "/v1/refunds", gateway.CreateRefundRequest{OrderNo: no, RefundNo: "R" + no, Amount: 500}, "", &r)
			if code != http.StatusCreated || r.Amount != 500 {
				t.Fatalf("%s: refund: %d %s", tc.method, code, b)
			}
			for i := 0; i < 5 && r.State != order.Succeeded; i++ {
				if err := e.sim.Advance(time.Hour); err != nil {
					t.Fatal(err)
				}
				if _, err := e.gw.WorkOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
				e.call("M1", secretM1, http.MethodGet, "/v1/refunds/R"+no, nil, "", &r)
			}
			if r.State != order.Succeeded {
				t.Fatalf("%s: refund never succeeded: %+v", tc.method, r)
			}
			if got := e.get(no); got.State != order.PartiallyRefunded || got.RefundedAmount != 500 {
				t.Errorf("%s: payment after the refund: %+v", tc.method, got)
			}
			// More than what is left is refused and changes nothing.
			code, _, b = e.call("M1", secretM1, http.MethodPost, "/v1/refunds", gateway.CreateRefundRequest{OrderNo: no, RefundNo: "R2" + no, Amount: 1500}, "", nil)
			if code != http.StatusUnprocessableEntity || !strings.Contains(string(b), "refund_exceeds") {
				t.Errorf("%s: over-refund: %d %s", tc.method, code, b)
			}
		}
	})
}

func TestGateway_Authentication(t *testing.T) {
	e := newEnv(t, storetest.SQLiteDSN(t), nil)
	if code, p, _ := e.pay("AUTH1", 100, "qr"); code != http.StatusCreated || p.OrderNo != "AUTH1" {
		t.Fatalf("baseline: %d", code)
	}
	if code, _, b := e.call("M1", "wrong-secret-0123456789", http.MethodGet, "/v1/payments/AUTH1", nil, "", nil); code != 401 || !strings.Contains(string(b), "authentication_failed") {
		t.Errorf("bad signature: %d %s", code, b)
	}
	if code, _, _ := e.call("M9", secretM1, http.MethodGet, "/v1/payments/AUTH1", nil, "", nil); code != 401 {
		t.Errorf("unknown merchant: %d", code)
	}
	// Another merchant can neither read nor refund M1's order.
	if code, _, _ := e.call("M2", "m2-secret-0123456789abcdef", http.MethodGet, "/v1/payments/AUTH1", nil, "", nil); code != 404 {
		t.Errorf("M2 reads M1's order: %d", code)
	}
	// A replayed nonce is refused.
	raw := []byte{}
	ts := strconv.FormatInt(e.sim.Clock().Now().Unix(), 10)
	send := func(ts string) int {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/v1/payments/AUTH1", bytes.NewReader(raw))
		req.Header.Set(gateway.HeaderMerchant, "M1")
		req.Header.Set(gateway.HeaderTimestamp, ts)
		req.Header.Set(gateway.HeaderNonce, "fixed-nonce-1")
		req.Header.Set(gateway.HeaderSignature, gateway.SignHMAC(secretM1, gateway.StringToSign("GET", "/v1/payments/AUTH1", ts, "fixed-nonce-1", raw)))
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := send(ts); c != 200 {
		t.Fatalf("first use of a nonce: %d", c)
	}
	if c := send(ts); c != 401 {
		t.Errorf("replayed nonce: %d", c)
	}
	old := strconv.FormatInt(e.sim.Clock().Now().Add(-6*time.Minute).Unix(), 10)
	if c := send(old); c != 401 {
		t.Errorf("timestamp 6 minutes old: %d", c)
	}
}

func TestGateway_IdempotencyAndDuplicates(t *testing.T) {
	e := newEnv(t, storetest.SQLiteDSN(t), nil)
	body := gateway.CreatePaymentRequest{OrderNo: "IDEM1", Amount: 300, Method: "qr", Subject: "x", ClientIP: "127.0.0.1"}
	c1, _, b1 := e.call("M1", secretM1, http.MethodPost, "/v1/payments", body, "key-1", nil)
	c2, h2, b2 := e.call("M1", secretM1, http.MethodPost, "/v1/payments", body, "key-1", nil)
	if c1 != 201 || c2 != 201 || !bytes.Equal(b1, b2) || h2.Get("Idempotent-Replayed") != "true" {
		t.Errorf("same key and body: %d/%d replayed=%q\n%s\n%s", c1, c2, h2.Get("Idempotent-Replayed"), b1, b2)
	}
	body.Amount = 301
	if c, _, b := e.call("M1", secretM1, http.MethodPost, "/v1/payments", body, "key-1", nil); c != 422 || !strings.Contains(string(b), "idempotency_mismatch") {
		t.Errorf("same key, other body: %d %s", c, b)
	}
	// Without a key, the order number is the idempotency: same content answers the same
	// payment, other content is a conflict.
	body.Amount = 300
	var p gateway.PaymentJSON
	if c, _, b := e.call("M1", secretM1, http.MethodPost, "/v1/payments", body, "", &p); c != 200 || !strings.Contains(string(b1), p.ID) {
		t.Errorf("same order_no and content: %d %s", c, b)
	}
	body.Amount = 999
	if c, _, b := e.call("M1", secretM1, http.MethodPost, "/v1/payments", body, "", nil); c != 409 || !strings.Contains(string(b), "duplicate_order") {
		t.Errorf("same order_no, other amount: %d %s", c, b)
	}
	// Bad input names the parameter and stores nothing.
	if c, _, b := e.call("M1", secretM1, http.MethodPost, "/v1/payments", map[string]any{"order_no": "BAD1", "amount": -5, "method": "qr", "subject": "x"}, "", nil); c != 400 || !strings.Contains(string(b), `"param":"amount"`) {
		t.Errorf("negative amount: %d %s", c, b)
	}
	if c, _, b := e.call("M1", secretM1, http.MethodPost, "/v1/payments", map[string]any{"order_no": "BAD2", "amount": 5, "method": "qr", "subject": "x", "colour": "red"}, "", nil); c != 400 {
		t.Errorf("unknown field: %d %s", c, b)
	}
	if _, err := e.db.PaymentByOrderNo(context.Background(), "M1", "BAD1"); err == nil {
		t.Error("a refused request stored a payment")
	}
}

func TestGateway_TimeoutIsUnknownThenQueried(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, nil)
		if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultTimeoutAfter, Channel: "wechat", Op: simwechat.OpUnifiedOrder, First: 1}); err != nil {
			t.Fatal(err)
		}
		code, p, b := e.pay("TO1", 800, "qr")
		if code != http.StatusCreated || p.State != order.Pending || !p.Unresolved {
			t.Fatalf("timed-out create: %d %s (want pending and unresolved, never failed)", code, b)
		}
		e.payerPays("wechat", p)
		if err := e.sim.Advance(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		if _, err := e.gw.WorkOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := e.get("TO1"); got.State != order.Succeeded || got.Unresolved {
			t.Errorf("after the query-back: %+v", got)
		}
	})
}

func TestGateway_ExpiryClosesOnTheChannel(t *testing.T) {
	e := newEnv(t, storetest.SQLiteDSN(t), nil)
	var p gateway.PaymentJSON
	code, _, b := e.call("M1", secretM1, http.MethodPost, "/v1/payments",
		gateway.CreatePaymentRequest{OrderNo: "EXP1", Amount: 100, Method: "qr", Subject: "x", ClientIP: "127.0.0.1", ExpiresIn: 600}, "", &p)
	if code != 201 {
		t.Fatalf("%d %s", code, b)
	}
	if err := e.sim.Advance(11 * time.Minute); err != nil {
		t.Fatal(err)
	}
	rep, err := e.gw.WorkOnce(context.Background())
	if err != nil || rep.Expired != 1 {
		t.Fatalf("work: %+v %v", rep, err)
	}
	if got := e.get("EXP1"); got.State != order.Closed {
		t.Fatalf("expired order: %+v", got)
	}
	stored, _ := e.db.PaymentByOrderNo(context.Background(), "M1", "EXP1")
	// The channel closed it too: the payer can no longer pay.
	if _, err := e.sim.Pay(context.Background(), simulator.PayerAction{Channel: "wechat", OutTradeNo: stored.ChannelOrderNo}); err == nil {
		t.Error("the payer paid an order the gateway closed")
	}
}

func TestGateway_ForgedNotificationChangesNothing(t *testing.T) {
	e := newEnv(t, storetest.SQLiteDSN(t), nil)
	if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultForgedCallback, Channel: "wechat", Op: "payment", First: 1}); err != nil {
		t.Fatal(err)
	}
	_, p, _ := e.pay("FG1", 100, "qr")
	e.payerPays("wechat", p)
	if err := e.sim.Advance(time.Minute); err != nil {
		t.Fatal(err)
	}
	if e.gw.Stats().NotificationsBad.Load() == 0 {
		t.Error("the forged notification was not refused")
	}
	if got := e.get("FG1"); got.State != order.Succeeded {
		t.Errorf("the genuine notification was not applied: %+v", got)
	}
	h, _ := e.db.History(context.Background(), p.ID)
	succeeded := 0
	for _, ev := range h {
		if ev.Type == "payment.succeeded" {
			succeeded++
		}
	}
	if succeeded != 1 {
		t.Errorf("%d success events", succeeded)
	}
}

func TestGateway_RateLimitAndBodyLimit(t *testing.T) {
	e := newEnv(t, storetest.SQLiteDSN(t), func(c *gateway.Config) {
		c.Merchants[0].RatePerSecond, c.Merchants[0].Burst = 1, 2
		c.MaxBodyBytes = 512
	})
	var last int
	var hdr http.Header
	for i := 0; i < 3; i++ {
		last, hdr, _ = e.call("M1", secretM1, http.MethodGet, "/v1/payments/NONE", nil, "", nil)
	}
	if last != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" {
		t.Errorf("third request in a burst of 2: %d Retry-After=%q", last, hdr.Get("Retry-After"))
	}
	e2 := newEnv(t, storetest.SQLiteDSN(t), func(c *gateway.Config) { c.MaxBodyBytes = 256 })
	c, _, b := e2.call("M1", secretM1, http.MethodPost, "/v1/payments", map[string]string{"subject": strings.Repeat("x", 400)}, "", nil)
	if c != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d %s", c, b)
	}
}

func TestGateway_ConfigErrors(t *testing.T) {
	_, err := gateway.New(gateway.Config{PublicURL: "ftp://x", Merchants: []gateway.Merchant{{ID: "M1", HMACSecret: "short"}}})
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"Store is nil", "PublicURL", "HMACSecret must be at least 16", "no Routes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("config error %q does not mention %q", err, want)
		}
	}
}
