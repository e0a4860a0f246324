package unionpay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/demo"
	simunionpay "github.com/tongdao/tongdao/simulator/unionpay"
)

// clientEnv is a Client against the simulator, notifications collected in memory.
type clientEnv struct {
	t      *testing.T
	sim    *simulator.TestServer
	up     *simunionpay.Server
	c      *Client
	logs   *bytes.Buffer
	mu     sync.Mutex
	bodies [][]byte
	seq    int
}

const notifyURL = "http://merchant.test/notify"

func newClientEnv(t *testing.T, mode string, start time.Time) *clientEnv {
	t.Helper()
	up, err := simunionpay.New(simunionpay.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := &clientEnv{t: t, up: up, logs: &bytes.Buffer{}}
	e.sim = simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{up}, Seed: 5,
		CallbackTransport: simulator.HandlerTransport(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			e.mu.Lock()
			e.bodies = append(e.bodies, b)
			e.mu.Unlock()
		}))})
	if !start.IsZero() {
		if err := e.sim.SetTime(start); err != nil {
			t.Fatal(err)
		}
	}
	e.c = newTestClient(t, mode, e.sim.URL, e.sim.Client(), e.sim.Clock(), e.logs)
	return e
}

func testConfig(mode, base string, hc *http.Client, clk clock.Clock, logs io.Writer) Config {
	cfg := Config{MerID: demoMerID, BaseURL: base, HTTPClient: hc, Clock: clk, NotifyURL: notifyURL,
		FrontURL: "http://merchant.test/return",
		RootCert: demo.MustFile(demo.UnionPayRootCert), MiddleCert: demo.MustFile(demo.UnionPayMiddleCert),
		SM2RootCert: demo.MustFile(demo.UnionPaySM2RootCert), SM2MiddleCert: demo.MustFile(demo.UnionPaySM2MiddleCert),
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if mode == "21" {
		cfg.SignMethod = SignSM2
		cfg.SM2Key, cfg.SM2Cert = demo.MustFile(demo.UnionPaySM2MerchantPrivate), demo.MustFile(demo.UnionPaySM2MerchantCert)
		cfg.EncryptCert = demo.MustFile(demo.UnionPaySM2EncCert)
	} else {
		cfg.SignCertPFX, cfg.SignCertPassword = demo.MustFile(demo.UnionPayMerchantPFX), demo.UnionPayPFXPassword
		cfg.EncryptCert = demo.MustFile(demo.UnionPayEncCert)
	}
	return cfg
}

func newTestClient(t testing.TB, mode, base string, hc *http.Client, clk clock.Clock, logs io.Writer) *Client {
	t.Helper()
	c, err := New(testConfig(mode, base, hc, clk, logs))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *clientEnv) now() time.Time { return e.sim.Clock().Now().Truncate(time.Second) }

func (e *clientEnv) no(tag string) string {
	e.seq++
	return fmt.Sprintf("%s%08d", tag, e.seq)
}

func (e *clientEnv) advance(d time.Duration) {
	e.t.Helper()
	if err := e.sim.Advance(d); err != nil {
		e.t.Fatal(err)
	}
}

func (e *clientEnv) setTime(at time.Time) {
	e.t.Helper()
	if err := e.sim.SetTime(at); err != nil {
		e.t.Fatal(err)
	}
}

// notes parses every notification received so far.
func (e *clientEnv) notes() []*channel.Notification {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*channel.Notification
	for _, b := range e.bodies {
		n, err := e.c.ParseNotification(context.Background(), nil, b)
		if err != nil {
			e.t.Fatalf("notification: %v", err)
		}
		out = append(out, n)
	}
	return out
}

func (e *clientEnv) payerPay(orderNo string) {
	e.t.Helper()
	res, err := e.sim.Client().Post(e.sim.URL+"/_sim/payer/pay", "application/json",
		strings.NewReader(`{"channel":"unionpay","out_trade_no":"`+orderNo+`"}`))
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		e.t.Fatalf("payer pay %s: %d %s", orderNo, res.StatusCode, b)
	}
}

var creditCard = channel.Card{Number: simunionpay.DemoCreditCard, Mobile: simunionpay.DemoPhone, CVN2: "123", Expiry: "2311",
	HolderName: "互联网", IDType: "01", IDNumber: "341126197709218366"}

// bind opens a token for the demo credit card.
func (e *clientEnv) bind() string {
	e.t.Helper()
	ctx := context.Background()
	bindNo, at := e.no("BIND"), e.now()
	ch, err := e.c.SendBindSMS(ctx, &channel.BindRequest{BindNo: bindNo, BindTime: at, UserID: "u1", Card: creditCard})
	if err != nil || ch.MobileMasked != "135****5506" || ch.AlreadyBound != nil {
		e.t.Fatalf("SendBindSMS: %+v %v", ch, err)
	}
	b, err := e.c.ConfirmBind(ctx, &channel.BindConfirmRequest{BindNo: bindNo, BindTime: at, UserID: "u1", SMSCode: simunionpay.DemoSMSCode, Card: creditCard})
	if err != nil || b.Token == "" || b.Status != channel.StatusSucceeded || b.CardMasked != "622155******0000" || b.CardType != "credit" {
		e.t.Fatalf("ConfirmBind: %+v %v", b, err)
	}
	return b.Token
}

// payToken pays amount with the token (consume SMS first) and returns the order number
// and time.
func (e *clientEnv) payToken(token string, amount int64) (string, time.Time) {
	e.t.Helper()
	ctx := context.Background()
	no, at := e.no("PAY"), e.now()
	if _, err := e.c.SendPaySMS(ctx, &channel.PaySMSRequest{OrderNo: no, OrderTime: at, Amount: money.Fen(amount), Token: token, UserID: "u1"}); err != nil {
		e.t.Fatalf("SendPaySMS: %v", err)
	}
	r, err := e.c.Pay(ctx, &channel.PayRequest{OrderNo: no, OrderTime: at, Amount: money.Fen(amount), Method: channel.MethodToken,
		Token: token, SMSCode: simunionpay.DemoSMSCode, PayerID: "u1"})
	if err != nil || r.Status != channel.StatusProcessing || r.ChannelTxnID == "" || !r.OrderTime.Equal(at) {
		e.t.Fatalf("Pay token: %+v %v", r, err)
	}
	return no, at
}

func TestClient_TokenOpenPayNotifyUnbind(t *testing.T) {
	for _, mode := range []string{"01", "21"} {
		t.Run(mode, func(t *testing.T) {
			e := newClientEnv(t, mode, time.Time{})
			ctx := context.Background()
			token := e.bind()
			no, at := e.payToken(token, 2500)
			e.advance(0)
			ns := e.notes()
			if len(ns) != 1 || ns[0].Type != channel.NotifyPayment {
				t.Fatalf("notifications: %+v", ns)
			}
			p := ns[0].Payment
			if p.Status != channel.StatusSucceeded || p.OrderNo != no || p.Amount != money.Fen(2500) || p.MerchantID != demoMerID || ns[0].EventID != p.ChannelTxnID {
				t.Errorf("notification: %+v event %s", p, ns[0].EventID)
			}
			if err := ns[0].Check(channel.Expectation{OrderNo: no, Amount: money.Fen(2500), MerchantID: demoMerID}); err != nil {
				t.Errorf("Check: %v", err)
			}
			if ns[0].Ack.StatusCode != 200 {
				t.Errorf("ack %+v", ns[0].Ack)
			}
			q, err := e.c.Query(ctx, &channel.QueryRequest{OrderNo: no, OrderTime: at})
			if err != nil || q.Status != channel.StatusSucceeded || q.PaidAt.IsZero() || !q.SettlementDate.Valid() || q.ChannelTxnID != p.ChannelTxnID {
				t.Fatalf("Query: %+v %v", q, err)
			}
			// The same Pay again is the same order, paid: AlreadyDone.
			if _, err := e.c.Pay(ctx, &channel.PayRequest{OrderNo: no, OrderTime: at, Amount: money.Fen(2500), Method: channel.MethodToken, Token: token, SMSCode: simunionpay.DemoSMSCode}); !errors.Is(err, channel.ErrAlreadyDone) {
				t.Errorf("repeated Pay: %v", err)
			}
			bs, err := e.c.QueryBinding(ctx, &channel.BindingQuery{BindNo: "BIND00000001", UserID: "u1"})
			if err != nil || len(bs) != 1 || bs[0].Token != token || bs[0].Status != channel.StatusSucceeded {
				t.Errorf("QueryBinding: %+v %v", bs, err)
			}
			for i := range 2 { // idempotent
				b, err := e.c.Unbind(ctx, &channel.UnbindRequest{UnbindNo: e.no("UNBIND"), UnbindTime: e.now(), UserID: "u1", Token: token})
				if err != nil || b.Status != channel.StatusClosed {
					t.Fatalf("Unbind #%d: %+v %v", i, b, err)
				}
			}
			_, err = e.c.Pay(ctx, &channel.PayRequest{OrderNo: e.no("PAY"), OrderTime: e.now(), Amount: money.Fen(1), Method: channel.MethodToken, Token: token, SMSCode: "111111"})
			var ce *channel.Error
			if !errors.As(err, &ce) || ce.Kind != channel.KindDeclined || ce.Code != "89" || ce.Retryable {
				t.Errorf("Pay with a deleted token: %v", err)
			}
			if strings.Contains(e.logs.String(), simunionpay.DemoCreditCard) {
				t.Error("the card number reached the log")
			}
		})
	}
}

func TestClient_UndoBeforeCutoffRefundAfter(t *testing.T) {
	day := time.Date(2026, 3, 10, 22, 0, 0, 0, clock.Beijing())
	e := newClientEnv(t, "01", day)
	ctx := context.Background()
	token := e.bind()
	no, at := e.payToken(token, 1000)
	e.advance(30 * time.Minute) // 22:30, the same clearing day
	cancel := &channel.CancelRequest{OrderNo: no, OrderTime: at, CancelNo: e.no("UNDO"), CancelTime: e.now()}
	r, err := e.c.Cancel(ctx, cancel)
	if err != nil || r.Status != channel.StatusProcessing || r.ChannelCancelID == "" || !r.CancelTime.Equal(cancel.CancelTime) {
		t.Fatalf("Cancel: %+v %v", r, err)
	}
	r, err = e.c.Cancel(ctx, cancel) // again: the undo's state
	if err != nil || r.Status != channel.StatusReversed || r.Amount != money.Fen(1000) {
		t.Fatalf("Cancel again: %+v %v", r, err)
	}
	e.advance(0)
	var undone *channel.Notification
	for _, n := range e.notes() {
		if n.Type == channel.NotifyCancel {
			undone = n
		}
	}
	if undone == nil || undone.Cancel.Status != channel.StatusReversed || undone.Cancel.OrderNo != no || undone.Cancel.CancelNo != cancel.CancelNo {
		t.Errorf("undo notification: %+v", undone)
	}

	// 22:59:59 paid, 23:00:01 undo: refused before sending; a refund works.
	e.setTime(time.Date(2026, 3, 10, 22, 59, 59, 0, clock.Beijing()))
	late, lateAt := e.payToken(token, 700)
	e.setTime(time.Date(2026, 3, 10, 23, 0, 1, 0, clock.Beijing()))
	before := len(e.sim.Records(simulator.RecordFilter{Channel: "unionpay"}))
	_, err = e.c.Cancel(ctx, &channel.CancelRequest{OrderNo: late, OrderTime: lateAt, CancelNo: e.no("UNDO"), CancelTime: e.now()})
	if !errors.Is(err, ErrUndoAfterCutoff) || !errors.Is(err, channel.ErrInvalidRequest) || !strings.Contains(err.Error(), "Refund") {
		t.Fatalf("Cancel after 23:00: %v", err)
	}
	if after := len(e.sim.Records(simulator.RecordFilter{Channel: "unionpay"})); after != before+1 { // the query only
		t.Errorf("%d calls reached UnionPay for a refused undo, want 1 (the query of the original)", after-before)
	}
	rf, err := e.c.Refund(ctx, &channel.RefundRequest{RefundNo: e.no("REF"), RefundTime: e.now(), OrderNo: late, OrderTime: lateAt, Amount: money.Fen(700)})
	if err != nil || rf.Status != channel.StatusProcessing || rf.ChannelTxnID == "" {
		t.Fatalf("Refund: %+v %v", rf, err)
	}
	qr, err := e.c.QueryRefund(ctx, &channel.RefundQueryRequest{RefundNo: rf.RefundNo, RefundTime: rf.RefundTime, OrderNo: late})
	if err != nil || qr.Status != channel.StatusSucceeded || qr.Amount != money.Fen(700) {
		t.Errorf("QueryRefund: %+v %v", qr, err)
	}
}

func TestClient_PreAuthCaptureUndo(t *testing.T) {
	e := newClientEnv(t, "01", time.Date(2026, 3, 10, 10, 0, 0, 0, clock.Beijing()))
	ctx := context.Background()
	no, at := e.no("AUTH"), e.now()
	r, act, err := e.c.PreAuthAction(ctx, &channel.PayRequest{OrderNo: no, OrderTime: at, Amount: money.Fen(10000), Method: channel.MethodApp})
	if err != nil || act == nil || act.TN == "" || r.Status != channel.StatusPending {
		t.Fatalf("PreAuth: %+v %+v %v", r, act, err)
	}
	e.payerPay(no)
	e.advance(time.Second)
	q, err := e.c.QueryAuth(ctx, &channel.AuthQuery{OpNo: no, OpTime: at})
	if err != nil || q.Op != channel.AuthPreAuth || q.Status != channel.StatusSucceeded || q.FrozenAmount != money.Fen(10000) || q.ChannelTxnID == "" {
		t.Fatalf("QueryAuth: %+v %v", q, err)
	}
	capNo, capAt := e.no("CAP"), e.now()
	cr, err := e.c.Capture(ctx, &channel.AuthRequest{OpNo: capNo, OpTime: capAt, OrigOrderNo: no, OrigOrderTime: at, Amount: money.Fen(11500)})
	if err != nil || cr.Status != channel.StatusProcessing || cr.Op != channel.AuthCapture {
		t.Fatalf("Capture: %+v %v", cr, err)
	}
	// Over 115 %: refused.
	if _, err := e.c.Capture(ctx, &channel.AuthRequest{OpNo: e.no("CAP"), OpTime: e.now(), OrigChannelTxnID: q.ChannelTxnID, OrigOrderNo: no, Amount: money.Fen(11501)}); err == nil {
		t.Error("a second capture over 115 % was accepted")
	}
	e.advance(0)
	var capNote *channel.Notification
	for _, n := range e.notes() {
		if n.Type == channel.NotifyAuth && n.Auth.Op == channel.AuthCapture {
			capNote = n
		}
	}
	if capNote == nil {
		for _, n := range e.notes() {
			t.Logf("%s %+v", n.Type, n.Auth)
		}
	}
	if capNote == nil || capNote.Auth.Status != channel.StatusSucceeded || capNote.Auth.CapturedAmount != money.Fen(11500) || capNote.Auth.OrigOrderNo != no {
		t.Fatalf("capture notification: %+v", capNote)
	}
	ur, err := e.c.UndoCapture(ctx, &channel.AuthRequest{OpNo: e.no("CU"), OpTime: e.now(), OrigOrderNo: capNo, OrigOrderTime: capAt, Amount: money.Fen(11500)})
	if err != nil || ur.Status != channel.StatusProcessing || ur.Op != channel.AuthCaptureUndo {
		t.Fatalf("UndoCapture: %+v %v", ur, err)
	}
	pu, err := e.c.UndoPreAuth(ctx, &channel.AuthRequest{OpNo: e.no("PU"), OpTime: e.now(), OrigOrderNo: no, OrigOrderTime: at, Amount: money.Fen(10000)})
	if err != nil || pu.Status != channel.StatusProcessing {
		t.Fatalf("UndoPreAuth: %+v %v", pu, err)
	}
}

func TestClient_RefusesBadInputBeforeSending(t *testing.T) {
	e := newClientEnv(t, "01", time.Time{})
	ctx := context.Background()
	good := func() *channel.PayRequest {
		return &channel.PayRequest{OrderNo: "ORDER0001", OrderTime: e.now(), Amount: money.Fen(100), Method: channel.MethodApp}
	}
	for _, tc := range []struct {
		name, field string
		mod         func(*channel.PayRequest)
	}{
		{"zero time", "OrderTime", func(r *channel.PayRequest) { r.OrderTime = time.Time{} }},
		{"short number", "OrderNo", func(r *channel.PayRequest) { r.OrderNo = "A1" }},
		{"symbol in number", "OrderNo", func(r *channel.PayRequest) { r.OrderNo = "ORDER_0001" }},
		{"USD", "Amount", func(r *channel.PayRequest) { r.Amount = money.New(100, money.USD) }},
		{"token without token", "Token", func(r *channel.PayRequest) { r.Method = channel.MethodToken }},
		{"extra", "Extra", func(r *channel.PayRequest) { r.Extra = map[string]string{"x": "1"} }},
		{"attach", "Attach", func(r *channel.PayRequest) { r.Attach = "a&b" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.sim.Records(simulator.RecordFilter{Channel: "unionpay"}))
			req := good()
			tc.mod(req)
			_, err := e.c.Pay(ctx, req)
			if !errors.Is(err, channel.ErrInvalidRequest) || !strings.Contains(err.Error(), tc.field) || channel.IsRetryable(err) {
				t.Errorf("err %v, want InvalidRequest naming %s", err, tc.field)
			}
			if after := len(e.sim.Records(simulator.RecordFilter{Channel: "unionpay"})); after != before {
				t.Errorf("%d calls sent", after-before)
			}
		})
	}
	if _, err := e.c.Pay(ctx, &channel.PayRequest{OrderNo: "ORDER0001", OrderTime: e.now(), Amount: money.Fen(1), Method: channel.MethodQR}); !errors.Is(err, channel.ErrUnsupported) {
		t.Errorf("QR: %v", err)
	}
	if _, err := e.c.Query(ctx, &channel.QueryRequest{ChannelTxnID: "123"}); !errors.Is(err, channel.ErrInvalidRequest) {
		t.Errorf("Query by id only: %v", err)
	}
}

func TestNew_ConfigErrorsWrapErrConfig(t *testing.T) {
	base := testConfig("01", "http://sim", http.DefaultClient, clock.Real(), io.Discard)
	for _, tc := range []struct {
		field string
		mod   func(*Config)
	}{
		{"MerID", func(c *Config) { c.MerID = "123" }},
		{"SignCertPFX", func(c *Config) { c.SignCertPassword = "wrong" }},
		{"RootCert", func(c *Config) { c.RootCert = nil }},
		{"SignMethod", func(c *Config) { c.SignMethod = "99" }},
		{"SM2Key", func(c *Config) { c.SignMethod = SignSM2 }},
		{"EncryptCert", func(c *Config) { c.EncryptCert = demo.MustFile(demo.UnionPaySM2EncCert) }},
		{"BaseURL", func(c *Config) { c.BaseURL = "ftp:/x" }},
		{"SecureKey", func(c *Config) { c.SignMethod = SignSHA256Key; c.SecureKey = "" }},
	} {
		c := base
		tc.mod(&c)
		if _, err := New(c); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
	if _, err := New(base); err != nil {
		t.Fatal(err)
	}
}

func TestClient_InfoRules(t *testing.T) {
	c := newTestClient(t, "01", "http://sim", http.DefaultClient, clock.Real(), io.Discard)
	in := c.Info()
	if in.DayCutoff != clock.UnionPayCutoff || !in.OrderTimeRequired || in.OrderNo.Check("ABCD1234") != nil || in.OrderNo.Check("A-B") == nil ||
		!in.Cancel.SameDayOnly || !in.Refund.Notified || !in.Refund.Async || in.Notify.Ack.StatusCode != 200 || in.QueryBackoff.Next(0) != time.Second || in.QueryBackoff.Next(5) != 32*time.Second {
		t.Errorf("Info: %+v", in)
	}
	d := in.AccountingDay(time.Date(2026, 3, 10, 23, 0, 1, 0, clock.Beijing()))
	if d.String() != "2026-03-11" {
		t.Errorf("23:00:01 is clearing day %s", d)
	}
}

// TestClient_CertificateRotation: UnionPay switches its signing certificate; answers and
// notifications signed with the new one verify without a configuration change (the new
// certificate chains to the same root and middle), and both certIds are known afterwards.
func TestClient_CertificateRotation(t *testing.T) {
	for _, mode := range []string{"01", "21"} {
		t.Run(mode, func(t *testing.T) {
			e := newClientEnv(t, mode, time.Time{})
			ctx := context.Background()
			token := e.bind()
			no, at := e.payToken(token, 100)
			e.up.RotateCert(true)
			q, err := e.c.Query(ctx, &channel.QueryRequest{OrderNo: no, OrderTime: at})
			if err != nil || q.Status != channel.StatusSucceeded {
				t.Fatalf("Query after rotation: %+v %v", q, err)
			}
			no2, _ := e.payToken(token, 200)
			e.advance(0)
			var seen bool
			for _, n := range e.notes() {
				seen = seen || n.Payment != nil && n.Payment.OrderNo == no2
			}
			if !seen {
				t.Error("the notification signed after the rotation did not verify")
			}
			if n := len(e.c.w.cfg.trust.byCertID); n != 2 {
				t.Errorf("%d signing certificates known, want 2", n)
			}
		})
	}
}

func TestClient_UpdateEncryptCert(t *testing.T) {
	e := newClientEnv(t, "01", time.Time{})
	changed, err := e.c.UpdateEncryptCert(context.Background())
	if err != nil || changed {
		t.Fatalf("same certificate: changed %v, %v", changed, err)
	}
	e.c.enc = &encCert{certID: "1", rsa: e.c.enc.rsa}
	if changed, err := e.c.UpdateEncryptCert(context.Background()); err != nil || !changed || e.c.encryption().certID != "68759622183" {
		t.Fatalf("new certificate: changed %v, %v", changed, err)
	}
	e.bind() // card data encrypted for it
}

// TestClient_WebFormPaidByTheBrowser: a Web payment is a signed form to frontTransReq; the
// same request gives the same form; the browser posts it, the payer pays, and Pay of the
// paid order is AlreadyDone.
func TestClient_WebFormPaidByTheBrowser(t *testing.T) {
	e := newClientEnv(t, "01", time.Time{})
	ctx := context.Background()
	req := &channel.PayRequest{OrderNo: "WEBPAY0001", OrderTime: e.now(), Amount: money.Fen(990), Method: channel.MethodWeb, NotifyURL: notifyURL}
	r, err := e.c.Pay(ctx, req)
	if err != nil || r.Status != channel.StatusPending || r.Action == nil || r.Action.Kind != channel.ActionForm ||
		!strings.Contains(r.Action.HTML, `action="`+e.sim.URL+`/gateway/api/frontTransReq.do"`) || r.Action.Params["signature"] == "" {
		t.Fatalf("Pay: %+v %v", r, err)
	}
	again, err := e.c.Pay(ctx, req)
	if err != nil || again.Action.HTML != r.Action.HTML {
		t.Fatalf("the same request gave another form: %v", err)
	}
	form := url.Values{}
	for k, v := range r.Action.Params {
		form.Set(k, v)
	}
	res, err := e.sim.Client().PostForm(r.Action.URL, form) // the payer's browser
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), "cashier") {
		t.Fatalf("cashier page: %d %.300s", res.StatusCode, page)
	}
	e.payerPay(req.OrderNo)
	e.advance(time.Second)
	if _, err := e.c.Pay(ctx, req); !errors.Is(err, channel.ErrAlreadyDone) {
		t.Errorf("Pay of the paid order: %v", err)
	}
	q, err := e.c.Query(ctx, &channel.QueryRequest{OrderNo: req.OrderNo, OrderTime: req.OrderTime})
	if err != nil || q.Status != channel.StatusSucceeded || q.Amount != money.Fen(990) {
		t.Errorf("Query: %+v %v", q, err)
	}
}

// TestClient_FrontOpenByForm: the front-end open is a form; after the cardholder completes
// it on UnionPay's pages, the binding notification carries the token and QueryBinding
// finds it.
func TestClient_FrontOpenByForm(t *testing.T) {
	e := newClientEnv(t, "01", time.Time{})
	ctx := context.Background()
	req := &channel.BindRequest{BindNo: "FRONTOPEN1", BindTime: e.now(), UserID: "u1", Card: channel.Card{Number: "6216261000000000018"}}
	a, err := e.c.BindForm(req, "")
	if err != nil || a.Kind != channel.ActionForm || a.Params["txnType"] != "79" || strings.Contains(a.HTML, "6216261000000000018") {
		t.Fatalf("BindForm: %+v %v", a, err)
	}
	form := url.Values{}
	for k, v := range a.Params {
		form.Set(k, v)
	}
	res, err := e.sim.Client().PostForm(a.URL, form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	e.payerPay(req.BindNo)
	e.advance(time.Second)
	var b *channel.Binding
	for _, n := range e.notes() {
		if n.Type == channel.NotifyBinding {
			b = n.Binding
		}
	}
	if b == nil || b.Token == "" || b.Status != channel.StatusSucceeded || b.BindNo != req.BindNo {
		t.Fatalf("binding notification: %+v", b)
	}
	bs, err := e.c.QueryBinding(ctx, &channel.BindingQuery{BindNo: req.BindNo})
	if err != nil || len(bs) != 1 || bs[0].Token != b.Token {
		t.Errorf("QueryBinding: %+v %v", bs, err)
	}
}
