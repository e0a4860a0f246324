package alipay_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/simulator/alipay"
)

func TestNotifyVerify_TrueOnlyForNotificationsTheSimulatorSent(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	e.call("alipay.trade.precreate", `{"out_trade_no":"NV1","total_amount":"1.00","subject":"x"}`, map[string]string{"notify_url": "http://merchant.test/notify"})
	e.payer("pay", "NV1", nil)
	e.sim.Advance(0)
	ns := e.sink.all()
	if len(ns) != 1 || ns[0].Get("notify_id") == "" {
		t.Fatalf("notifications: %v", ns)
	}
	verify := func(method string, q url.Values) (int, string, string) {
		t.Helper()
		var body io.Reader
		u := e.sim.URL + "/gateway.do?" + q.Encode()
		if method == "POST" {
			u = e.sim.URL + "/gateway.do"
			body = stringsReader(q.Encode())
		}
		req := mustRequest(t, method, u, body)
		res, err := e.sim.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Content-Type"), string(b)
	}
	for _, tc := range []struct {
		name, method, id, want string
	}{
		{"sent id", "GET", ns[0].Get("notify_id"), "true"},
		{"sent id by POST", "POST", ns[0].Get("notify_id"), "true"},
		{"unknown id", "GET", "0123456789abcdef0123456789abcdef", "false"},
		{"changed id", "GET", ns[0].Get("notify_id") + "x", "false"},
		{"no id", "GET", "", "invalid"},
	} {
		q := url.Values{"service": {"notify_verify"}, "partner": {"2088000000000001"}}
		if tc.id != "" {
			q.Set("notify_id", tc.id)
		}
		status, ct, body := verify(tc.method, q)
		if status != 200 || body != tc.want || ct != "text/plain; charset=utf-8" {
			t.Errorf("%s: %d %q %q, want 200 %q", tc.name, status, ct, body, tc.want)
		}
	}
	// A reset forgets the ids.
	e.sim.Reset()
	if _, _, body := verify("GET", url.Values{"service": {"notify_verify"}, "notify_id": {ns[0].Get("notify_id")}}); body != "false" {
		t.Errorf("after reset: %q", body)
	}
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

func mustRequest(t *testing.T, method, u string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}
