package simulator_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/alipay"
	"github.com/tongdao/tongdao/simulator/demo"
	"github.com/tongdao/tongdao/simulator/wechat"
)

// The cards the payer uses: a Luhn-valid one and the number from the issue (not
// Luhn-valid, so only the exact search finds it).
var testPANs = []string{"6216261000000000026", "6222021234567890123", "4392250000000004"}

var digitRun = regexp.MustCompile(`[0-9]+`)

func luhn(s string) bool {
	sum := 0
	for i := 0; i < len(s); i++ {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// findPANs returns the card numbers in text: every test PAN, and every maximal run of 13
// to 19 digits that passes the Luhn check and starts with a card network's major industry
// identifier (3 to 6: Amex/JCB, Visa, Mastercard, UnionPay/Discover). Channel ids such as
// Alipay's app_id 2021000000000001 (Luhn-valid, 16 digits) start with 1, 2 or 9.
func findPANs(text string) []string {
	var out []string
	for _, p := range testPANs {
		if strings.Contains(text, p) {
			out = append(out, p)
		}
	}
	for _, r := range digitRun.FindAllString(text, -1) {
		if len(r) >= 13 && len(r) <= 19 && r[0] >= '3' && r[0] <= '6' && luhn(r) {
			out = append(out, r)
		}
	}
	return out
}

// outputs collects everything the simulator says, by where it came from.
type outputs struct {
	mu sync.Mutex
	m  map[string]string
}

func (o *outputs) add(where string, b []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.m[fmt.Sprintf("%03d %s", len(o.m), where)] = string(b)
}

func TestNoFullCardNumberInAnyOutput(t *testing.T) {
	out := &outputs{m: map[string]string{}}
	sink := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		out.add("callback to "+r.URL.String(), b)
		if strings.HasPrefix(string(b), "<xml>") {
			_, _ = io.WriteString(w, "<xml><return_code>SUCCESS</return_code></xml>")
			return
		}
		_, _ = io.WriteString(w, "success")
	})
	wx, err := wechat.New(wechat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ali, err := alipay.New(alipay.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{wx, ali}, Seed: 7, CallbackTransport: simulator.HandlerTransport(sink)})
	if err != nil {
		t.Fatal(err)
	}
	rt := s.Transport()
	do := func(method, path, ct, body string) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, "http://sim.test"+path, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		out.add(method+" "+path, b)
		return b
	}
	wxCall := func(path string, kv ...string) []byte {
		var p sign.Params
		p = append(p, sign.Param{Key: "appid", Value: wechat.DemoAppID}, sign.Param{Key: "mch_id", Value: wechat.DemoMchID}, sign.Param{Key: "nonce_str", Value: "n"})
		for i := 0; i < len(kv); i += 2 {
			p = append(p, sign.Param{Key: kv[i], Value: kv[i+1]})
		}
		sig, _ := sign.WeChatSign(p, wechat.DemoKey, sign.WeChatMD5)
		var b strings.Builder
		b.WriteString("<xml>")
		for _, x := range p {
			fmt.Fprintf(&b, "<%s>%s</%s>", x.Key, x.Value, x.Key)
		}
		fmt.Fprintf(&b, "<sign>%s</sign></xml>", sig)
		return do(http.MethodPost, path, "text/xml", b.String())
	}
	appKey, err := sign.ParseRSAPrivateKey(demo.MustFile(demo.AlipayAppPrivate))
	if err != nil {
		t.Fatal(err)
	}
	aliCall := func(method, biz string) []byte {
		v := url.Values{"app_id": {alipay.DemoAppID}, "method": {method}, "charset": {"utf-8"}, "sign_type": {"RSA2"},
			"timestamp": {"2024-06-03 10:00:00"}, "version": {"1.0"}, "biz_content": {biz}, "notify_url": {"http://merchant.test/ali"}}
		sig, err := sign.SignRSA2Base64(appKey, []byte(sign.Canonical(sign.ParamsFromValues(v), sign.AlipayRequestCanonical())))
		if err != nil {
			t.Fatal(err)
		}
		v.Set("sign", sig)
		return do(http.MethodPost, "/gateway.do", "application/x-www-form-urlencoded", v.Encode())
	}

	// WeChat: two orders paid with cards, one with a card number that is not a card.
	for i, pan := range testPANs[:2] {
		no := fmt.Sprintf("WXPAN%d", i)
		wxCall("/pay/unifiedorder", "body", "x", "notify_url", "http://merchant.test/wx", "out_trade_no", no, "product_id", "P",
			"spbill_create_ip", "203.0.113.7", "total_fee", "100", "trade_type", "NATIVE")
		do(http.MethodPost, "/_sim/payer/pay", "", `{"channel":"wechat","out_trade_no":"`+no+`","card":"`+pan+`"}`)
		wxCall("/pay/orderquery", "out_trade_no", no)
	}
	wxCall("/pay/unifiedorder", "body", "x", "notify_url", "http://merchant.test/wx", "out_trade_no", "WXPANBAD", "product_id", "P",
		"spbill_create_ip", "203.0.113.7", "total_fee", "100", "trade_type", "NATIVE")
	if b := do(http.MethodPost, "/_sim/payer/pay", "", `{"channel":"wechat","out_trade_no":"WXPANBAD","card":"6222-0212-3456-7890-123"}`); !strings.Contains(string(b), `"field": "card"`) {
		t.Errorf("a dashed card number as bank_type: %s", b)
	}
	// Alipay: a precreated QR paid with a credit card, one with a debit card.
	for i, pan := range []string{testPANs[2], testPANs[0]} {
		no := fmt.Sprintf("APPAN%d", i)
		aliCall("alipay.trade.precreate", `{"out_trade_no":"`+no+`","total_amount":"1.00","subject":"x"}`)
		do(http.MethodPost, "/_sim/payer/pay", "", `{"channel":"alipay","out_trade_no":"`+no+`","card":"`+pan+`"}`)
		aliCall("alipay.trade.query", `{"out_trade_no":"`+no+`"}`)
	}
	if err := s.Advance(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []string{"wechat", "alipay"} {
		do(http.MethodGet, "/_sim/statements/"+ch+"/2024-06-03", "", "")
		raw := do(http.MethodGet, "/_sim/statements/"+ch+"/2024-06-03?format=raw", "", "")
		if zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw))); err == nil {
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				out.add("statement file "+f.Name, b)
			}
		}
	}
	do(http.MethodGet, "/_sim/records", "", "")
	do(http.MethodGet, "/_sim/records?format=jsonl", "", "")
	do(http.MethodGet, "/_sim/merchants", "", "")

	// What the payer's cards became, so the test cannot pass by losing them.
	want := map[string]string{"WXPAN0": "<bank_type><![CDATA[SPA_DEBIT]]></bank_type>", "WXPAN1": "<bank_type><![CDATA[ICBC_DEBIT]]></bank_type>"}
	var all strings.Builder
	for where, text := range out.m {
		all.WriteString(text)
		if pans := findPANs(text); len(pans) > 0 {
			t.Errorf("%s holds card number(s) %v:\n%.600s", where, pans, text)
		}
	}
	for no, frag := range want {
		if !strings.Contains(all.String(), frag) {
			t.Errorf("no %s for %s anywhere", frag, no)
		}
	}
	for _, frag := range []string{`CREDIT_CARD`, `DEBIT_CARD`, `card=621626*********0026`} {
		if !strings.Contains(all.String(), frag) {
			t.Errorf("no %q anywhere", frag)
		}
	}
	if len(out.m) < 20 {
		t.Errorf("only %d outputs scanned", len(out.m))
	}
}

func TestMaskCardAndLookup(t *testing.T) {
	tests := []struct{ in, mask, wechat, alipay string }{
		{"6222021234567890123", "622202*********0123", "ICBC_DEBIT", "DEBIT_CARD"},
		{"4392250000000004", "439225******0004", "CMB_CREDIT", "CREDIT_CARD"},
		{"6299990000000000", "629999******0000", "OTHERS", "BANKCARD"},
		{"6222 0212 3456 7890", "6222 02** **** 7890", "", ""},
		{"CMB_DEBIT", "CMB_DEBIT", "", ""},
	}
	for _, tt := range tests {
		if got := simulator.MaskCard(tt.in); got != tt.mask {
			t.Errorf("MaskCard(%q) = %q, want %q", tt.in, got, tt.mask)
		}
		if tt.wechat == "" {
			if simulator.IsCardNumber(tt.in) {
				t.Errorf("IsCardNumber(%q)", tt.in)
			}
			continue
		}
		c := simulator.LookupCard(tt.in)
		if c.WeChatBankType() != tt.wechat || c.AlipayFundChannel() != tt.alipay {
			t.Errorf("LookupCard(%q) = %s / %s, want %s / %s", tt.in, c.WeChatBankType(), c.AlipayFundChannel(), tt.wechat, tt.alipay)
		}
	}
}
