package alipay_test

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator/alipay"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(w, got) {
		t.Errorf("%s differs from golden:\n got: %s\nwant: %s", name, got, w)
	}
}

func TestNotify_RetryScheduleSameIDFreshTime(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	e.sink.fail = 100
	e.call("alipay.trade.pay", `{"out_trade_no":"N1","total_amount":"1.00","subject":"s","scene":"bar_code","auth_code":"287654321098765432"}`,
		map[string]string{"notify_url": "http://merchant.test/n"})
	e.sim.Advance(26 * time.Hour)
	got := e.sink.all()
	if len(got) != 8 {
		t.Fatalf("%d attempts, want 8 (§10.1)", len(got))
	}
	start := e.sink.times[0]
	wantGaps := []time.Duration{0, 4 * time.Minute, 14 * time.Minute, 24 * time.Minute, 84 * time.Minute, 204 * time.Minute, 564 * time.Minute, 1464 * time.Minute}
	for i, at := range e.sink.times {
		if at.Sub(start) != wantGaps[i] {
			t.Errorf("attempt %d at +%v, want +%v", i+1, at.Sub(start), wantGaps[i])
		}
		if got[i].Get("notify_id") != got[0].Get("notify_id") {
			t.Errorf("attempt %d notify_id changed", i+1)
		}
		if wantT := at.In(clock.Beijing()).Format("2006-01-02 15:04:05"); got[i].Get("notify_time") != wantT {
			t.Errorf("attempt %d notify_time %q, want %q", i+1, got[i].Get("notify_time"), wantT)
		}
		if err := e.verifyNotify(got[i]); err != nil {
			t.Errorf("attempt %d: %v", i+1, err)
		}
	}
	if ct := e.sink.ctype[0]; ct != "application/x-www-form-urlencoded; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if !alipay.Acked(200, []byte(" success\n")) || alipay.Acked(200, []byte("SUCCESS")) || alipay.Acked(500, []byte("success")) {
		t.Error("Acked rule wrong")
	}
}

func TestCashier_PagePayRedirectsWithSignedReturn(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	v := e.params("alipay.trade.page.pay", `{"out_trade_no":"P1","total_amount":"9.99","subject":"书","product_code":"FAST_INSTANT_TRADE_PAY"}`,
		map[string]string{"return_url": "http://merchant.test/return", "notify_url": "http://merchant.test/n"})
	client := e.sim.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Get(e.sim.URL + "/gateway.do?" + v.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), "9.99") || !strings.Contains(string(page), alipay.CashierPrefix) {
		t.Fatalf("cashier page lacks the order: %s", page)
	}
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"P1"}`, nil), "sub_code", "ACQ.TRADE_NOT_EXIST")
	i := strings.Index(string(page), alipay.CashierPrefix)
	action := string(page[i : i+strings.IndexByte(string(page[i:]), '"')])
	if !strings.HasSuffix(action, "/pay") {
		t.Fatalf("first form action %q", action)
	}
	res, err = client.Post(e.sim.URL+action, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want 302", res.StatusCode)
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	q := loc.Query()
	if loc.Host != "merchant.test" || q.Get("method") != "alipay.trade.page.pay.return" || q.Get("total_amount") != "9.99" || q.Get("seller_id") != alipay.DemoPID {
		t.Errorf("return %s", loc)
	}
	if err := e.verifyNotify(q); err != nil {
		t.Errorf("return params: %v", err)
	}
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"P1"}`, nil), "trade_status", "TRADE_SUCCESS", "trade_no", q.Get("trade_no"))
	// A bad signature shows the error on the page.
	v.Set("sign", "AAAA")
	res, _ = client.Get(e.sim.URL + "/gateway.do?" + v.Encode())
	page, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), "isv.invalid-signature") {
		t.Errorf("error page: %s", page)
	}
}

func TestBill_CrossMidnightGoldenZip(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	bj := clock.Beijing()
	if err := e.sim.SetTime(time.Date(2024, 6, 3, 23, 59, 59, 0, bj)); err != nil {
		t.Fatal(err)
	}
	e.call("alipay.trade.pay", `{"out_trade_no":"D1","total_amount":"100.00","subject":"白天","scene":"bar_code","auth_code":"287654321098765432","store_id":"S01"}`, nil)
	e.call("alipay.trade.precreate", `{"out_trade_no":"M1","total_amount":"0.01","subject":"午夜"}`, nil)
	e.sim.Advance(2 * time.Second) // 00:00:01 on the 4th
	e.payer("pay", "M1", nil)
	e.call("alipay.trade.refund", `{"out_trade_no":"D1","refund_amount":"40.00","out_request_no":"RF1"}`, nil)
	if err := e.sim.SetTime(time.Date(2024, 6, 5, 8, 0, 0, 0, bj)); err != nil {
		t.Fatal(err)
	}
	want(t, e.call("alipay.data.dataservice.bill.downloadurl.query", `{"bill_type":"trade","bill_date":"2024-06-04"}`, nil), "sub_code", "isp.bill_not_exist")
	e.sim.Advance(time.Hour) // 09:00: available
	day3 := e.call("alipay.data.dataservice.bill.downloadurl.query", `{"bill_type":"trade","bill_date":"2024-06-03"}`, nil)
	r := e.call("alipay.data.dataservice.bill.downloadurl.query", `{"bill_type":"trade","bill_date":"2024-06-04"}`, nil)
	want(t, r, "code", "10000")
	u := r.s("bill_download_url")
	if !strings.Contains(u, "downloadFileName="+alipay.DemoPID+"0156_20240604.csv.zip") {
		t.Errorf("url %s", u)
	}
	get := func(u string) (int, []byte) {
		res, err := e.sim.Client().Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	code, z := get(u)
	if code != 200 {
		t.Fatalf("download %d", code)
	}
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	for _, f := range zr.File {
		if f.Flags&0x800 != 0 {
			t.Errorf("%q has the UTF-8 flag", f.Name)
		}
		name, _ := simplifiedchinese.GBK.NewDecoder().String(f.Name)
		rc, _ := f.Open()
		raw, _ := io.ReadAll(rc)
		rc.Close()
		txt, err := simplifiedchinese.GBK.NewDecoder().Bytes(raw)
		if err != nil {
			t.Fatal(err)
		}
		all.WriteString("== " + name + "\n")
		all.Write(txt)
	}
	golden(t, "bill_20240604.txt", all.Bytes())
	if !strings.Contains(all.String(), "M1\t,交易\t,午夜,2024-06-03 23:59:59,2024-06-04 00:00:01") {
		t.Error("the 23:59:59 order paid at 00:00:01 is not in the 4th's bill")
	}
	// The 3rd's bill holds D1 only; the URL dies after 30 s.
	_, z3 := get(day3.s("bill_download_url"))
	if len(z3) == 0 {
		t.Fatal("no bill for the 3rd")
	}
	e.sim.Advance(31 * time.Second)
	if code, _ := get(u); code != 404 {
		t.Errorf("expired URL answered %d", code)
	}
}

func TestCertMode_SignsWithCertAndRotates(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	e.cert = true
	first, rotated := e.a.PlatformCertSN()
	r := e.call("alipay.trade.precreate", `{"out_trade_no":"C1","total_amount":"1.00","subject":"s"}`, map[string]string{"notify_url": "http://m.test/n"})
	want(t, r, "code", "10000")
	e.payer("pay", "C1", nil) // a certificate-mode notification, signed by the first cert
	if ns := e.sink.all(); len(ns) != 1 || e.verifyNotify(ns[0]) != nil {
		t.Errorf("cert-mode notification missing or not verifiable: %v", ns)
	}
	if r.certSN != first {
		t.Errorf("alipay_cert_sn %q, want %q", r.certSN, first)
	}
	if !bytes.Contains(r.raw, []byte(`},"alipay_cert_sn":"`+first+`","sign":"`)) {
		t.Errorf("envelope order: %s", r.raw)
	}
	want(t, e.call("alipay.trade.query", `{"out_trade_no":"C1"}`, map[string]string{"app_cert_sn": "0123"}), "code", "40002")
	e.a.RotateCert(true)
	r = e.call("alipay.trade.query", `{"out_trade_no":"C1"}`, nil)
	if r.certSN != rotated {
		t.Errorf("after rotation alipay_cert_sn %q, want %q", r.certSN, rotated)
	}
	d := e.call("alipay.open.app.alipaycert.download", `{"alipay_cert_sn":"`+rotated+`"}`, nil)
	pemBytes, err := base64.StdEncoding.DecodeString(d.s("alipay_cert_content"))
	if err != nil {
		t.Fatal(err)
	}
	if sn, _ := sign.AlipayCertSNFromPEM(pemBytes); sn != rotated {
		t.Errorf("downloaded cert SN %q, want %q", sn, rotated)
	}
	want(t, e.call("alipay.open.app.alipaycert.download", `{"alipay_cert_sn":"nope"}`, nil), "code", "40004")
	// Key mode is unaffected by the rotation.
	e.cert = false
	if r := e.call("alipay.trade.query", `{"out_trade_no":"C1"}`, nil); r.certSN != "" || r.sign == "" {
		t.Errorf("key mode answer: %s", r.raw)
	}
}

func TestGolden_Responses(t *testing.T) {
	e := newEnv(t, alipay.Config{})
	golden(t, "resp_precreate.json", e.call("alipay.trade.precreate", `{"out_trade_no":"G1","total_amount":"88.88","subject":"s"}`, nil).raw)
	golden(t, "resp_query_not_exist.json", e.call("alipay.trade.query", `{"out_trade_no":"G1"}`, nil).raw)
	golden(t, "resp_pay.json", e.call("alipay.trade.pay", `{"out_trade_no":"G2","total_amount":"0.01","subject":"s","scene":"bar_code","auth_code":"287654321098765432"}`, nil).raw)
	golden(t, "resp_query_paid.json", e.call("alipay.trade.query", `{"out_trade_no":"G2"}`, nil).raw)
	golden(t, "resp_refund.json", e.call("alipay.trade.refund", `{"out_trade_no":"G2","refund_amount":"0.01"}`, nil).raw)
	golden(t, "resp_invalid_app.json", e.call("alipay.trade.query", `{"out_trade_no":"G2"}`, map[string]string{"app_id": "2021999999999999"}).raw)
}
