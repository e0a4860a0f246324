package alipay_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/alipay"
)

// FuzzGateway feeds arbitrary query strings and bodies to /gateway.do: it never panics
// and API answers are always one Alipay-shaped JSON object whose first member is a
// *_response node.
func FuzzGateway(f *testing.F) {
	f.Add("charset=utf-8", "method=alipay.trade.query&app_id=2021000000000001&biz_content=%7B%7D&sign=AAAA&sign_type=RSA2&timestamp=2024-06-03+10:00:00&version=1.0")
	f.Add("", "method=alipay.trade.refund&biz_content=%7B%22x%22")
	f.Add("method=alipay.trade.page.pay", "app_id=1")
	f.Add("", "%zz&&=")
	a, err := alipay.New(alipay.Config{})
	if err != nil {
		f.Fatal(err)
	}
	s, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{a}, Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query, body string) {
		req := httptest.NewRequest(http.MethodPost, "/gateway.do", strings.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		res := w.Result()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
		if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			return // page methods answer with the cashier or its error page
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("not JSON: %v: %s", err, b)
		}
		if !bytes.HasPrefix(b, []byte(`{"`)) || !bytes.Contains(b[:bytes.IndexByte(b, ':')], []byte(`_response"`)) {
			t.Fatalf("not an Alipay answer: %s", b)
		}
	})
}
