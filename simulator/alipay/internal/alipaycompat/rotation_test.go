package alipaycompat

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	swalipay "github.com/smartwalle/alipay/v3"

	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/alipay"
)

// TestSmartwalle_CertRotationDownloadsTheNewCert: after the simulator rotates its
// signing certificate, smartwalle (production mode) meets an unknown alipay_cert_sn,
// fetches the certificate with alipay.open.app.alipaycert.download from the same
// gateway, and verifies the answer with it (alipay.md §5).
func TestSmartwalle_CertRotationDownloadsTheNewCert(t *testing.T) {
	f := start(t, true)
	ctx := context.Background()
	if _, err := f.sw.TradePreCreate(ctx, swalipay.TradePreCreate{Trade: swalipay.Trade{Subject: "s", OutTradeNo: "ROT1", TotalAmount: "1.00"}}); err != nil {
		t.Fatal(err)
	}
	f.a.RotateCert(true)
	q, err := f.sw.TradeQuery(ctx, swalipay.TradeQuery{OutTradeNo: "ROT1"})
	if err != nil || q.SubCode != "ACQ.TRADE_NOT_EXIST" {
		t.Fatalf("smartwalle TradeQuery after rotation: %v %+v", err, q)
	}
	downloads := 0
	for _, r := range f.sim.Records(simulator.RecordFilter{}) {
		if r.Op == "alipay.open.app.alipaycert.download" {
			downloads++
		}
	}
	if downloads != 1 {
		t.Errorf("%d certificate downloads, want 1", downloads)
	}
	// The payment notification is now signed by the second certificate, which
	// smartwalle made its default when it loaded it.
	if _, err := f.sim.Pay(ctx, simulator.PayerAction{Channel: alipay.Name, OutTradeNo: "ROT1"}); err != nil {
		t.Fatal(err)
	}
}

// TestSmartwalle_PagePayReturnAndAppPay: the cashier reached through smartwalle's page
// pay URL pays and redirects with return parameters that smartwalle's VerifySign
// accepts; an app pay order string opens the cashier at the gateway too.
func TestSmartwalle_PagePayReturnAndAppPay(t *testing.T) {
	f := start(t, false)
	u, err := f.sw.TradeWapPay(swalipay.TradeWapPay{Trade: swalipay.Trade{Subject: "手机", OutTradeNo: "SW-W1", TotalAmount: "6.00",
		ProductCode: "QUICK_WAP_WAY", ReturnURL: "http://merchant.test/return", NotifyURL: "http://merchant.test/notify"}, QuitURL: "http://merchant.test/quit"})
	if err != nil {
		t.Fatal(err)
	}
	client := f.sim.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	pay := cashierPay(t, client, u.String())
	res, err := client.Post(f.sim.URL+pay, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound {
		t.Fatalf("cashier pay: %d %v", res.StatusCode, err)
	}
	if err := f.sw.VerifySign(loc.Query()); err != nil {
		t.Errorf("smartwalle VerifySign(return params): %v (%s)", err, loc)
	}
	if got := loc.Query().Get("method"); got != "alipay.trade.wap.pay.return" {
		t.Errorf("return method %q", got)
	}
	if n := f.m.notifications(); len(n) != 1 || n[0].Get("trade_status") != "TRADE_SUCCESS" {
		t.Errorf("notifications %v", n)
	}

	orderStr, err := f.sw.TradeAppPay(swalipay.TradeAppPay{Trade: swalipay.Trade{Subject: "App", OutTradeNo: "SW-A1", TotalAmount: "7.00", ProductCode: "QUICK_MSECURITY_PAY"}})
	if err != nil {
		t.Fatal(err)
	}
	pay = cashierPay(t, client, f.sim.URL+"/gateway.do?"+orderStr)
	if res, err = client.Post(f.sim.URL+pay, "", nil); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	q, err := f.sw.TradeQuery(context.Background(), swalipay.TradeQuery{OutTradeNo: "SW-A1"})
	if err != nil || q.TradeStatus != swalipay.TradeStatusSuccess {
		t.Errorf("app pay trade: %v %+v", err, q)
	}
}

// cashierPay opens a gateway URL and returns the cashier's pay path.
func cashierPay(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.WriteString(string(buf[:n]))
		if err != nil {
			break
		}
	}
	page := b.String()
	i := strings.Index(page, alipay.CashierPrefix)
	if i < 0 {
		t.Fatalf("no cashier at %s: %s", u, page)
	}
	p := page[i:]
	return p[:strings.Index(p, `"`)]
}
