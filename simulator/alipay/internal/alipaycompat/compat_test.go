// Package alipaycompat checks that widely used third-party Alipay clients —
// smartwalle/alipay v3 and go-pay/gopay's alipay package — work against the simulator
// with only their gateway host changed, and that every answer and notification verifies
// with the SDKs' own verifiers, in key mode and certificate mode. It is a separate module
// so that the SDKs never enter tongdao's go.mod; see README.md.
package alipaycompat

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-pay/gopay"
	gpalipay "github.com/go-pay/gopay/alipay"
	swalipay "github.com/smartwalle/alipay/v3"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/alipay"
	"github.com/tongdao/tongdao/simulator/demo"
)

// merchant is an in-process merchant that verifies notifications with both SDKs'
// own helpers, exactly as their users would, and acknowledges with "success".
type merchant struct {
	t    *testing.T
	mu   sync.Mutex
	sw   *swalipay.Client // verifies with the keys loaded into it
	got  []url.Values
	bad  []string
	cert bool
}

func (m *merchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := r.Clone(r.Context())
	bm, err := gpalipay.ParseNotifyToBodyMap(r)
	if err != nil {
		m.fail("gopay ParseNotifyToBodyMap: %v", err)
		return
	}
	form := url.Values{}
	for k, v := range bm {
		form.Set(k, v.(string))
	}
	_ = req
	m.mu.Lock()
	cert, sw := m.cert, m.sw
	m.mu.Unlock()
	var ok bool
	if cert {
		ok, err = gpalipay.VerifySignWithCert(demo.MustFile(demo.AlipayPlatformCert), bm)
	} else {
		ok, err = gpalipay.VerifySign(bare(demo.MustFile(demo.AlipayPlatformPublic)), bm)
	}
	if !ok || err != nil {
		m.fail("gopay verify notification %s: %v %v", form.Get("notify_id"), ok, err)
	}
	if _, err := sw.DecodeNotification(form); err != nil {
		m.fail("smartwalle DecodeNotification %s: %v", form.Get("notify_id"), err)
	}
	m.mu.Lock()
	m.got = append(m.got, form)
	m.mu.Unlock()
	swalipay.ACKNotification(w)
}

func (m *merchant) fail(f string, a ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.t.Errorf(f, a...)
}

func (m *merchant) notifications() []url.Values {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]url.Values(nil), m.got...)
}

// bare turns a PEM block into the bare base64 Alipay's key tool writes (gopay's input).
func bare(pemBytes []byte) string {
	var b strings.Builder
	for _, l := range strings.Split(string(pemBytes), "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			b.WriteString(strings.TrimSpace(l))
		}
	}
	return b.String()
}

// hostRewriter sends every request to the simulator's listener: the only change a gopay
// user makes (gopay has no base-URL setting, alipay.md §12).
type hostRewriter struct{ target *url.URL }

func (h hostRewriter) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = h.target.Scheme, h.target.Host, h.target.Host
	return http.DefaultTransport.RoundTrip(r2)
}

type fixture struct {
	sim *simulator.TestServer
	a   *alipay.Server
	m   *merchant
	sw  *swalipay.Client
	gp  *gpalipay.Client
}

func start(t *testing.T, cert bool) *fixture {
	t.Helper()
	a, err := alipay.New(alipay.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m := &merchant{t: t, cert: cert}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{a}, Seed: 3,
		CallbackTransport: simulator.HandlerTransport(m)})
	// smartwalle: production mode and WithProductionGateway, nothing else changed (§12).
	sw, err := swalipay.New(alipay.DemoAppID, string(demo.MustFile(demo.AlipayAppPrivate)), true,
		swalipay.WithProductionGateway(sim.URL+"/gateway.do"), swalipay.WithHTTPClient(sim.Client()),
		swalipay.WithTimeLocation(clock.Beijing()))
	if err != nil {
		t.Fatal(err)
	}
	// gopay: its own client with a transport rewriting the host.
	gp, err := gpalipay.NewClient(alipay.DemoAppID, bare(demo.MustFile(demo.AlipayAppPrivate)), true)
	if err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse(sim.URL)
	gp.GetHttpClient().SetTransport(hostRewriter{target})
	gp.SetLocation(gpalipay.LocationShanghai)
	if cert {
		for _, err := range []error{
			sw.LoadAppCertPublicKey(string(demo.MustFile(demo.AlipayAppCert))),
			sw.LoadAliPayRootCert(string(demo.MustFile(demo.AlipayRootCert))),
			sw.LoadAlipayCertPublicKey(string(demo.MustFile(demo.AlipayPlatformCert))),
			gp.SetCertSnByContent(demo.MustFile(demo.AlipayAppCert), demo.MustFile(demo.AlipayRootCert), demo.MustFile(demo.AlipayPlatformCert)),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		gp.AutoVerifySign(demo.MustFile(demo.AlipayPlatformCert))
	} else if err := sw.LoadAliPayPublicKey(string(demo.MustFile(demo.AlipayPlatformPublic))); err != nil {
		t.Fatal(err)
	}
	m.sw = sw
	return &fixture{sim: sim, a: a, m: m, sw: sw, gp: gp}
}

// gpVerify checks a gopay sync answer in key mode with gopay's VerifySyncSign (in
// certificate mode AutoVerifySign already did).
func (f *fixture) gpVerify(t *testing.T, cert bool, signData, sign string) {
	t.Helper()
	if cert {
		return
	}
	ok, err := gpalipay.VerifySyncSign(bare(demo.MustFile(demo.AlipayPlatformPublic)), signData, sign)
	if !ok || err != nil {
		t.Errorf("gopay VerifySyncSign: %v %v (data %s)", ok, err, signData)
	}
}

func TestSDKs(t *testing.T) {
	for _, mode := range []struct {
		name string
		cert bool
	}{{"key", false}, {"cert", true}} {
		t.Run(mode.name, func(t *testing.T) {
			testSmartwalle(t, start(t, mode.cert))
			testGopay(t, start(t, mode.cert), mode.cert)
		})
	}
}

func testSmartwalle(t *testing.T, f *fixture) {
	ctx := context.Background()
	sw := f.sw
	notify := "http://merchant.test/notify"

	pre, err := sw.TradePreCreate(ctx, swalipay.TradePreCreate{Trade: swalipay.Trade{NotifyURL: notify,
		Subject: "扫码 & <测试>", OutTradeNo: "SW-Q1", TotalAmount: "88.88", ProductCode: "FACE_TO_FACE_PAYMENT"}})
	if err != nil || pre.IsFailure() || !strings.HasPrefix(pre.QRCode, "https://qr.alipay.com/") {
		t.Fatalf("smartwalle TradePreCreate: %v %+v", err, pre)
	}
	q, err := sw.TradeQuery(ctx, swalipay.TradeQuery{OutTradeNo: "SW-Q1"})
	if err != nil || q.SubCode != "ACQ.TRADE_NOT_EXIST" {
		t.Errorf("smartwalle TradeQuery before scan: %v %+v", err, q)
	}
	if _, err := f.sim.Pay(ctx, simulator.PayerAction{Channel: alipay.Name, OutTradeNo: "SW-Q1"}); err != nil {
		t.Fatal(err)
	}
	q, err = sw.TradeQuery(ctx, swalipay.TradeQuery{OutTradeNo: "SW-Q1"})
	if err != nil || q.TradeStatus != swalipay.TradeStatusSuccess || q.TotalAmount != "88.88" {
		t.Errorf("smartwalle TradeQuery: %v %+v", err, q)
	}

	pay, err := sw.TradePay(ctx, swalipay.TradePay{Trade: swalipay.Trade{NotifyURL: notify, Subject: "条码", OutTradeNo: "SW-B1",
		TotalAmount: "10.00", ProductCode: "FACE_TO_FACE_PAYMENT"}, Scene: "bar_code", AuthCode: "287654321098765432"})
	if err != nil || pay.Code != swalipay.CodeSuccess || pay.TradeNo == "" {
		t.Errorf("smartwalle TradePay: %v %+v", err, pay)
	}
	ref, err := sw.TradeRefund(ctx, swalipay.TradeRefund{OutTradeNo: "SW-B1", RefundAmount: "3.00", OutRequestNo: "R1"})
	if err != nil || ref.IsFailure() || ref.RefundFee != "3.00" || ref.FundChange != "Y" {
		t.Errorf("smartwalle TradeRefund: %v %+v", err, ref)
	}
	rq, err := sw.TradeFastPayRefundQuery(ctx, swalipay.TradeFastPayRefundQuery{OutTradeNo: "SW-B1", OutRequestNo: "R1"})
	if err != nil || rq.IsFailure() || rq.RefundAmount != "3.00" {
		t.Errorf("smartwalle TradeFastPayRefundQuery: %v %+v", err, rq)
	}
	over, err := sw.TradeRefund(ctx, swalipay.TradeRefund{OutTradeNo: "SW-B1", RefundAmount: "8.00", OutRequestNo: "R2"})
	if err != nil || over.SubCode != "ACQ.REASON_TRADE_REFUND_FEE_ERR" {
		t.Errorf("smartwalle over-refund: %v %+v", err, over)
	}

	// Barcode waiting for the password (10003, IsSuccess), then cancel refunds/closes it.
	wait, err := sw.TradePay(ctx, swalipay.TradePay{Trade: swalipay.Trade{Subject: "大额", OutTradeNo: "SW-B2", TotalAmount: "2000.00"},
		Scene: "bar_code", AuthCode: "287654321098765432"})
	if err != nil || wait.Code != "10003" {
		t.Errorf("smartwalle TradePay 10003: %v %+v", err, wait)
	}
	cl, err := sw.TradeCancel(ctx, swalipay.TradeCancel{OutTradeNo: "SW-B2"})
	if err != nil || cl.IsFailure() || cl.Action != "close" {
		t.Errorf("smartwalle TradeCancel: %v %+v", err, cl)
	}
	if _, err := sw.TradePreCreate(ctx, swalipay.TradePreCreate{Trade: swalipay.Trade{Subject: "s", OutTradeNo: "SW-Q2", TotalAmount: "1.00"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sim.Pay(ctx, simulator.PayerAction{Channel: alipay.Name, OutTradeNo: "SW-Q2", Options: map[string]string{"scan_only": "true"}}); err != nil {
		t.Fatal(err)
	}
	closed, err := sw.TradeClose(ctx, swalipay.TradeClose{OutTradeNo: "SW-Q2"})
	if err != nil || closed.IsFailure() {
		t.Errorf("smartwalle TradeClose: %v %+v", err, closed)
	}

	// Page pay: the URL points at the simulator; opening it shows the cashier.
	u, err := sw.TradePagePay(swalipay.TradePagePay{Trade: swalipay.Trade{Subject: "网页", OutTradeNo: "SW-P1", TotalAmount: "5.00",
		ProductCode: "FAST_INSTANT_TRADE_PAY", ReturnURL: "http://merchant.test/return"}})
	if err != nil || !strings.HasPrefix(u.String(), f.sim.URL+"/gateway.do?") {
		t.Fatalf("smartwalle TradePagePay: %v %v", err, u)
	}
	res, err := f.sim.Client().Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8192)
	n, _ := res.Body.Read(buf)
	res.Body.Close()
	if !strings.Contains(string(buf[:n]), alipay.CashierPrefix) {
		t.Errorf("page pay did not open the cashier: %s", buf[:n])
	}

	// Bill URL for yesterday (the clock moves to 09:00 tomorrow).
	if err := f.sim.Advance(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	bill, err := sw.BillDownloadURLQuery(ctx, swalipay.BillDownloadURLQuery{BillType: "trade", BillDate: "2024-06-03"})
	if err != nil || bill.IsFailure() || !strings.Contains(bill.BillDownloadURL, alipay.BillPath) {
		t.Errorf("smartwalle BillDownloadURLQuery: %v %+v", err, bill)
	}
	// payment Q1, payment B1, refund R1, close Q2
	if got := len(f.m.notifications()); got != 3 {
		t.Errorf("%d notifications verified, want 3", got)
	}
}

func testGopay(t *testing.T, f *fixture, cert bool) {
	ctx := context.Background()
	gp := f.gp
	gp.SetNotifyUrl("http://merchant.test/notify")
	bm := gopay.BodyMap{}
	bm.Set("out_trade_no", "GP-Q1").Set("total_amount", "12.34").Set("subject", "gopay 扫码")
	pre, err := gp.TradePrecreate(ctx, bm)
	if err != nil || pre.Response.QrCode == "" {
		t.Fatalf("gopay TradePrecreate: %v %+v", err, pre)
	}
	f.gpVerify(t, cert, pre.SignData, pre.Sign)
	if _, err := f.sim.Pay(ctx, simulator.PayerAction{Channel: alipay.Name, OutTradeNo: "GP-Q1"}); err != nil {
		t.Fatal(err)
	}
	q, err := gp.TradeQuery(ctx, gopay.BodyMap{"out_trade_no": "GP-Q1"})
	if err != nil || q.Response.TradeStatus != "TRADE_SUCCESS" {
		t.Errorf("gopay TradeQuery: %v %+v", err, q)
	} else {
		f.gpVerify(t, cert, q.SignData, q.Sign)
	}
	nf, err := gp.TradeQuery(ctx, gopay.BodyMap{"out_trade_no": "GP-NONE"})
	if _, biz := gpalipay.IsBizError(err); !biz || nf == nil || nf.Response.SubCode != "ACQ.TRADE_NOT_EXIST" {
		t.Errorf("gopay TradeQuery unknown: %v", err)
	}

	pbm := gopay.BodyMap{}
	pbm.Set("out_trade_no", "GP-B1").Set("total_amount", "20.00").Set("subject", "条码").Set("scene", "bar_code").Set("auth_code", "287654321098765432")
	pay, err := gp.TradePay(ctx, pbm)
	if err != nil || pay.Response.TradeNo == "" {
		t.Fatalf("gopay TradePay: %v %+v", err, pay)
	}
	f.gpVerify(t, cert, pay.SignData, pay.Sign)
	rbm := gopay.BodyMap{}
	rbm.Set("out_trade_no", "GP-B1").Set("refund_amount", "5.00").Set("out_request_no", "GR1")
	ref, err := gp.TradeRefund(ctx, rbm)
	if err != nil || ref.Response.RefundFee != "5.00" {
		t.Errorf("gopay TradeRefund: %v %+v", err, ref)
	} else {
		f.gpVerify(t, cert, ref.SignData, ref.Sign)
	}
	rq, err := gp.TradeFastPayRefundQuery(ctx, gopay.BodyMap{"out_trade_no": "GP-B1", "out_request_no": "GR1"})
	if err != nil || rq.Response.RefundAmount != "5.00" {
		t.Errorf("gopay TradeFastPayRefundQuery: %v %+v", err, rq)
	}
	cn, err := gp.TradeCancel(ctx, gopay.BodyMap{"out_trade_no": "GP-B1"})
	if err != nil || cn.Response.Action != "refund" {
		t.Errorf("gopay TradeCancel: %v %+v", err, cn)
	}
	cl, err := gp.TradeClose(ctx, gopay.BodyMap{"out_trade_no": "GP-B1"})
	if _, biz := gpalipay.IsBizError(err); !biz || cl == nil || cl.Response.SubCode != "ACQ.TRADE_STATUS_ERROR" {
		t.Errorf("gopay TradeClose of a closed trade: %v", err)
	}
	page, err := gp.TradePagePay(ctx, gopay.BodyMap{"out_trade_no": "GP-P1", "total_amount": "1.00", "subject": "网页"})
	if err != nil || !strings.Contains(page, "/gateway.do?") {
		t.Fatalf("gopay TradePagePay: %v %s", err, page)
	}
	// gopay hard-codes the real host in page URLs (§12): rewrite it as a browser proxy would.
	pu, _ := url.Parse(page)
	res, err := f.sim.Client().Get(f.sim.URL + "/gateway.do?" + pu.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8192)
	n, _ := res.Body.Read(buf)
	res.Body.Close()
	if !strings.Contains(string(buf[:n]), alipay.CashierPrefix) {
		t.Errorf("gopay page URL did not open the cashier: %s", buf[:n])
	}
	if err := f.sim.Advance(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	bill, err := gp.DataBillDownloadUrlQuery(ctx, gopay.BodyMap{"bill_type": "trade", "bill_date": "2024-06-03"})
	if err != nil || !strings.Contains(bill.Response.BillDownloadUrl, alipay.BillPath) {
		t.Errorf("gopay DataBillDownloadUrlQuery: %v %+v", err, bill)
	}
	// payment Q1, payment B1, refund GR1, cancel refund
	if got := len(f.m.notifications()); got != 4 {
		t.Errorf("%d notifications verified, want 4", got)
	}
}
