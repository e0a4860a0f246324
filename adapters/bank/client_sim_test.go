package bank

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
	simbank "github.com/tongdao/tongdao/simulator/bank"
	"github.com/tongdao/tongdao/simulator/demo"
)

// Test identities of the simulator's issuer (docs/SIMULATOR.md "Issuer cards").
var (
	cardQ = channel.Card{Number: "6216261000000000018", HolderName: "全渠道", IDType: "01", IDNumber: "341126197709218366", Mobile: "13552535506"}
	cardZ = channel.Card{Number: "6216261000000000026", HolderName: "张三", IDType: "01", IDNumber: "11010519491231002X", Mobile: "13800138000"}
	cardL = channel.Card{Number: "6216261000000000034", HolderName: "李四", IDType: "01", IDNumber: "110101199003070011", Mobile: "13900139000"}
	cardW = channel.Card{Number: "6216261000000000042", HolderName: "王五", IDType: "01", IDNumber: "440304198510100010", Mobile: "13700137000"}
	cardC = channel.Card{Number: "6258100000000004", HolderName: "全渠道", IDType: "01", IDNumber: "341126197709218366", Mobile: "13552535506", CVN2: "123", Expiry: "3012"}
)

// inbox parses every notification the simulator sends with the adapter and acks it.
type inbox struct {
	c    *Client
	mu   sync.Mutex
	got  []*channel.Notification
	errs []error
}

func (n *inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	note, err := n.c.ParseNotification(r.Context(), r.Header, b)
	n.mu.Lock()
	if err != nil {
		n.errs = append(n.errs, err)
	} else {
		n.got = append(n.got, note)
	}
	n.mu.Unlock()
	if err != nil {
		http.Error(w, "rejected", http.StatusBadRequest)
		return
	}
	_ = note.Ack.Write(w)
}

func (n *inbox) all() []*channel.Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]*channel.Notification(nil), n.got...)
}

type simEnv struct {
	t   *testing.T
	c   *Client
	sim *simulator.TestServer
	in  *inbox
	ctx context.Context
}

// newSimEnv starts simulator/bank and an adapter for its demo merchant. log (may be nil)
// receives both sides' records.
func newSimEnv(t *testing.T, log *slog.Logger) *simEnv {
	t.Helper()
	p, err := simbank.New(simbank.Config{})
	if err != nil {
		t.Fatal(err)
	}
	in := &inbox{}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{p}, Seed: 7, Logger: log, CallbackTransport: simulator.HandlerTransport(in)})
	c, err := New(Config{MerchantID: simbank.DemoMerchantID, CertSerial: simbank.DemoCertSerial,
		MerchantKey: demo.MustFile(demo.BankMerchantPrivate), BankSignKey: demo.MustFile(demo.BankSignPublic),
		BankEncKey: demo.MustFile(demo.BankEncPublic), BankCertSerial: simbank.BankCertSerial,
		BaseURL: sim.URL, HTTPClient: sim.Client(), Clock: sim.Clock(), Logger: log, NotifyURL: "http://merchant.test/notify"})
	if err != nil {
		t.Fatal(err)
	}
	in.c = c
	return &simEnv{t: t, c: c, sim: sim, in: in, ctx: context.Background()}
}

func (e *simEnv) smsCode(bindNo string) string {
	e.t.Helper()
	resp, err := e.sim.Client().Get(e.sim.URL + "/_sim/bank/sms?bind_no=" + bindNo)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var s simbank.SMS
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || s.Code == "" {
		e.t.Fatalf("sms of %s: %v (HTTP %d)", bindNo, err, resp.StatusCode)
	}
	return s.Code
}

// bind binds card for user and returns the agreement number.
func (e *simEnv) bind(bindNo, user string, card channel.Card) string {
	e.t.Helper()
	ch, err := e.c.SendBindSMS(e.ctx, &channel.BindRequest{BindNo: bindNo, UserID: user, Card: card})
	if err != nil {
		e.t.Fatalf("SendBindSMS(%s): %v", bindNo, err)
	}
	if ch.AlreadyBound != nil {
		return ch.AlreadyBound.Token
	}
	b, err := e.c.ConfirmBind(e.ctx, &channel.BindConfirmRequest{BindNo: bindNo, UserID: user, SMSCode: e.smsCode(bindNo)})
	if err != nil {
		e.t.Fatalf("ConfirmBind(%s): %v", bindNo, err)
	}
	return b.Token
}

func (e *simEnv) advance(d time.Duration) {
	e.t.Helper()
	if err := e.sim.Advance(d); err != nil {
		e.t.Fatal(err)
	}
}

func (e *simEnv) pay(no, user, token string, fen int64) (*channel.PaymentResult, error) {
	return e.c.Pay(e.ctx, &channel.PayRequest{OrderNo: no, Amount: money.Fen(fen), Method: channel.MethodToken, Subject: "test",
		PayerID: user, Token: token, ClientIP: "127.0.0.1"})
}

func TestClient_BindPayRefundPayoutStatement(t *testing.T) {
	e := newSimEnv(t, nil)
	ch, err := e.c.SendBindSMS(e.ctx, &channel.BindRequest{BindNo: "B1", UserID: "U1", Card: cardQ})
	if err != nil {
		t.Fatal(err)
	}
	if ch.AlreadyBound != nil || ch.MobileMasked != "135****5506" || ch.ExpiresAt.Sub(e.sim.Clock().Now()) != 5*time.Minute {
		t.Fatalf("challenge %+v", ch)
	}
	// The same request again replays: no new code.
	code := e.smsCode("B1")
	if _, err := e.c.SendBindSMS(e.ctx, &channel.BindRequest{BindNo: "B1", UserID: "U1", Card: cardQ}); err != nil || e.smsCode("B1") != code {
		t.Fatalf("replayed SendBindSMS: %v, code changed: %v", err, e.smsCode("B1") != code)
	}
	b, err := e.c.ConfirmBind(e.ctx, &channel.BindConfirmRequest{BindNo: "B1", UserID: "U1", SMSCode: code})
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != channel.StatusSucceeded || b.Token == "" || b.CardMasked != "621626*********0018" || b.CardType != "debit" || b.BoundAt.IsZero() {
		t.Fatalf("binding %+v", b)
	}
	if again, err := e.c.ConfirmBind(e.ctx, &channel.BindConfirmRequest{BindNo: "B1", UserID: "U1", SMSCode: code}); err != nil || again.Token != b.Token {
		t.Fatalf("confirming twice: %+v %v", again, err)
	}
	list, err := e.c.QueryBinding(e.ctx, &channel.BindingQuery{UserID: "U1"})
	if err != nil || len(list) != 1 || list[0].Token != b.Token || list[0].Status != channel.StatusSucceeded {
		t.Fatalf("QueryBinding: %+v %v", list, err)
	}

	res, err := e.pay("P1", "U1", b.Token, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != channel.StatusSucceeded || res.ChannelTxnID == "" || res.Amount != money.Fen(10000) || res.PaidAt.IsZero() || res.OrderTime.IsZero() {
		t.Fatalf("pay %+v", res)
	}
	again, err := e.pay("P1", "U1", b.Token, 10000)
	if err != nil || again.ChannelTxnID != res.ChannelTxnID {
		t.Fatalf("replayed Pay: %+v %v", again, err)
	}
	if _, err := e.pay("P1", "U1", b.Token, 10001); !errors.Is(err, channel.ErrInvalidRequest) {
		t.Fatalf("same order, other amount: %v", err)
	}
	q, err := e.c.Query(e.ctx, &channel.QueryRequest{OrderNo: "P1"})
	if err != nil || q.Status != channel.StatusSucceeded || q.ChannelTxnID != res.ChannelTxnID {
		t.Fatalf("query %+v %v", q, err)
	}
	if _, err := e.c.Query(e.ctx, &channel.QueryRequest{OrderNo: "NOPE"}); !errors.Is(err, channel.ErrNotFound) || channel.IsRetryable(err) {
		t.Fatalf("query unknown: %v", err)
	}
	rf, err := e.c.Refund(e.ctx, &channel.RefundRequest{RefundNo: "R1", OrderNo: "P1", Amount: money.Fen(2500)})
	if err != nil || rf.Status != channel.StatusSucceeded || rf.ChannelRefundID == "" || !rf.MoneyMoved {
		t.Fatalf("refund %+v %v", rf, err)
	}
	if _, err := e.c.Refund(e.ctx, &channel.RefundRequest{RefundNo: "R2", OrderNo: "P1", Amount: money.Fen(7501)}); !errors.Is(err, channel.ErrDeclined) {
		t.Fatalf("over-refund: %v", err)
	}
	if qr, err := e.c.QueryRefund(e.ctx, &channel.RefundQueryRequest{RefundNo: "R1"}); err != nil || qr.Status != channel.StatusSucceeded || qr.OrderNo != "P1" {
		t.Fatalf("query refund %+v %v", qr, err)
	}

	po, err := e.c.Payout(e.ctx, &channel.PayoutRequest{PayoutNo: "O1", Card: cardL, Amount: money.Fen(800), Purpose: "salary"})
	if err != nil || po.Status != channel.StatusProcessing || po.Final() {
		t.Fatalf("payout %+v %v", po, err)
	}
	bal, err := e.c.QueryBalance(e.ctx, &channel.BalanceRequest{})
	if err != nil || bal.Frozen != money.Fen(800) || bal.Account != simbank.DemoMerchantID {
		t.Fatalf("balance %+v %v", bal, err)
	}
	e.advance(10 * time.Second)
	if q, err := e.c.QueryPayout(e.ctx, &channel.PayoutQuery{PayoutNo: "O1"}); err != nil || q.Status != channel.StatusSucceeded || q.Final() || q.CompletedAt.IsZero() {
		t.Fatalf("payout query %+v %v", q, err)
	}
	e.advance(25 * time.Hour) // card 034's payouts bounce a day later
	q2, err := e.c.QueryPayout(e.ctx, &channel.PayoutQuery{PayoutNo: "O1"})
	if err != nil || q2.Status != channel.StatusReversed || !q2.Final() || q2.ReturnNo == "" {
		t.Fatalf("returned payout %+v %v", q2, err)
	}

	// Notifications: pay, refund, payout success, payout returned — all verified.
	kinds := map[string]int{}
	for _, n := range e.in.all() {
		switch {
		case n.Payment != nil:
			kinds["pay "+n.Payment.Status.String()]++
		case n.Refund != nil:
			kinds["refund "+n.Refund.Status.String()]++
		case n.Payout != nil:
			kinds["payout "+n.Payout.Status.String()]++
			if n.Payout.Status == channel.StatusReversed && n.Payout.ReturnNo == "" {
				t.Errorf("reversed payout notification without ReturnNo")
			}
		}
		if n.EventID == "" {
			t.Errorf("notification without EventID: %+v", n)
		}
	}
	want := map[string]int{"pay SUCCEEDED": 1, "refund SUCCEEDED": 1, "payout SUCCEEDED": 1, "payout REVERSED": 1}
	for k, v := range want {
		if kinds[k] != v {
			t.Errorf("notifications %v, want %v", kinds, want)
			break
		}
	}

	day := clock.AccountingDay(res.PaidAt, 0)
	rd, err := e.c.DownloadStatement(e.ctx, &channel.StatementRequest{Date: day})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if rd.Totals() != nil {
		t.Errorf("totals before the end of the statement")
	}
	var recs []channel.StatementRecord
	for {
		var r channel.StatementRecord
		if err := rd.Next(&r); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	tot := rd.Totals()
	if len(recs) != 3 || tot.Count != 3 || tot.PaymentAmount != money.Fen(10000) || tot.RefundAmount != money.Fen(2500) ||
		tot.PayoutAmount != money.Fen(800) || tot.FeeAmount != money.Fen(30) || tot.ReturnCount != 0 {
		t.Fatalf("statement %+v totals %+v", recs, tot)
	}
	if recs[0].Type != channel.RecordPayment || recs[0].OrderNo != "P1" || recs[0].SettleAmount != money.Fen(9970) || recs[0].CardMasked != "621626*********0018" {
		t.Errorf("pay record %+v", recs[0])
	}
	if recs[1].Type != channel.RecordRefund || recs[1].RefundNo != "R1" || recs[1].OrderNo != "P1" {
		t.Errorf("refund record %+v", recs[1])
	}
	if recs[2].Type != channel.RecordPayout || recs[2].PayoutNo != "O1" {
		t.Errorf("payout record %+v", recs[2])
	}
	e.advance(24 * time.Hour)
	rd2, err := e.c.DownloadStatement(e.ctx, &channel.StatementRequest{Date: day.AddDays(1)})
	if err != nil {
		t.Fatal(err)
	}
	var r channel.StatementRecord
	if err := rd2.Next(&r); err != nil || r.Type != channel.RecordPayoutReturn || r.PayoutNo != "O1" || r.ReturnNo == "" || r.Status != channel.StatusReversed {
		t.Fatalf("return record %+v %v", r, err)
	}
	if err := rd2.Next(&r); err != io.EOF {
		t.Fatalf("after the return record: %v", err)
	}
	if tot := rd2.Totals(); tot.ReturnCount != 1 || tot.ReturnAmount != money.Fen(800) {
		t.Errorf("return totals %+v", tot)
	}
	if _, err := e.c.DownloadStatement(e.ctx, &channel.StatementRequest{Date: day.AddDays(5)}); !errors.Is(err, channel.ErrUnavailable) || !channel.IsRetryable(err) {
		t.Fatalf("future statement: %v", err)
	}

	// Unbind is idempotent.
	for i := 0; i < 2; i++ {
		u, err := e.c.Unbind(e.ctx, &channel.UnbindRequest{UserID: "U1", Token: b.Token})
		if err != nil || u.Status != channel.StatusClosed {
			t.Fatalf("unbind #%d: %+v %v", i+1, u, err)
		}
	}
	if _, err := e.pay("P2", "U1", b.Token, 100); !errors.Is(err, channel.ErrDeclined) {
		t.Fatalf("pay with an unbound agreement: %v", err)
	}
}

func TestClient_AlreadyBoundIsAResult(t *testing.T) {
	e := newSimEnv(t, nil)
	token := e.bind("B1", "U1", cardZ)
	ch, err := e.c.SendBindSMS(e.ctx, &channel.BindRequest{BindNo: "B2", UserID: "U1", Card: cardZ})
	if err != nil {
		t.Fatal(err)
	}
	if ch.AlreadyBound == nil || ch.AlreadyBound.Token != token || ch.AlreadyBound.CardMasked != "621626*********0026" || ch.AlreadyBound.Status != channel.StatusSucceeded {
		t.Fatalf("already bound: %+v", ch)
	}
}

func TestClient_CreditCardBindsWithSixElements(t *testing.T) {
	e := newSimEnv(t, nil)
	token := e.bind("B1", "U1", cardC)
	if l, err := e.c.QueryBinding(e.ctx, &channel.BindingQuery{UserID: "U1", Token: token}); err != nil || len(l) != 1 || l[0].CardType != "credit" {
		t.Fatalf("%+v %v", l, err)
	}
	noCVN := cardC
	noCVN.CVN2 = ""
	if _, err := e.c.SendBindSMS(e.ctx, &channel.BindRequest{BindNo: "B2", UserID: "U2", Card: noCVN}); !errors.Is(err, channel.ErrInvalidRequest) {
		t.Fatalf("credit card without CVN2: %v", err)
	}
}

func TestClient_ResendAfterExpiry(t *testing.T) {
	e := newSimEnv(t, nil)
	if _, err := e.c.SendBindSMS(e.ctx, &channel.BindRequest{BindNo: "B1", UserID: "U1", Card: cardZ}); err != nil {
		t.Fatal(err)
	}
	old := e.smsCode("B1")
	if _, err := e.c.ResendBindSMS(e.ctx, &channel.ResendSMSRequest{BindNo: "B1", SMSNo: "S1"}); !errors.Is(err, channel.ErrRateLimited) || !channel.IsRetryable(err) {
		t.Fatalf("resend within 60 s: %v", err)
	}
	e.advance(6 * time.Minute)
	if _, err := e.c.ConfirmBind(e.ctx, &channel.BindConfirmRequest{BindNo: "B1", UserID: "U1", SMSCode: old}); !errors.Is(err, channel.ErrDeclined) {
		t.Fatalf("expired code: %v", err)
	} else if ce := (*channel.Error)(nil); !errors.As(err, &ce) || ce.Code != "3003" {
		t.Fatalf("expired code: %v", err)
	}
	ch, err := e.c.ResendBindSMS(e.ctx, &channel.ResendSMSRequest{BindNo: "B1", SMSNo: "S2"})
	if err != nil || ch.SMSNo != "S2" {
		t.Fatalf("resend: %+v %v", ch, err)
	}
	if b, err := e.c.ConfirmBind(e.ctx, &channel.BindConfirmRequest{BindNo: "B1", UserID: "U1", SMSCode: e.smsCode("B1")}); err != nil || b.Token == "" {
		t.Fatalf("confirm after resend: %+v %v", b, err)
	}
}

func TestClient_TimeoutAfterProcessingIsUnknownThenQuery(t *testing.T) {
	e := newSimEnv(t, nil)
	token := e.bind("B1", "U1", cardQ)
	if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultTimeoutAfter, Channel: "bank", Op: "PAY", OutTradeNo: "P1", First: 1}); err != nil {
		t.Fatal(err)
	}
	res, err := e.pay("P1", "U1", token, 500)
	if res != nil || !errors.Is(err, channel.ErrUnknownOutcome) || channel.IsRetryable(err) {
		t.Fatalf("timed-out pay: %+v %v (retryable %v)", res, err, channel.IsRetryable(err))
	}
	q, err := e.c.Query(e.ctx, &channel.QueryRequest{OrderNo: "P1"})
	if err != nil || q.Status != channel.StatusSucceeded {
		t.Fatalf("query after timeout: %+v %v", q, err)
	}
	// The identical Pay replays the stored answer: still one debit.
	again, err := e.pay("P1", "U1", token, 500)
	if err != nil || again.ChannelTxnID != q.ChannelTxnID {
		t.Fatalf("replay after timeout: %+v %v", again, err)
	}
}

func TestClient_BadSignatureAndResetAreUnknown(t *testing.T) {
	for _, kind := range []simulator.FaultKind{simulator.FaultBadSignature, simulator.FaultReset, simulator.FaultMalformedBody, simulator.FaultTruncatedBody} {
		t.Run(string(kind), func(t *testing.T) {
			e := newSimEnv(t, nil)
			token := e.bind("B1", "U1", cardQ)
			if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: kind, Channel: "bank", Op: "PAY", First: 1}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.pay("P1", "U1", token, 500); !errors.Is(err, channel.ErrUnknownOutcome) || channel.IsRetryable(err) {
				t.Fatalf("pay: %v", err)
			}
			if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: kind, Channel: "bank", Op: "PAY_QUERY", First: 1}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.c.Query(e.ctx, &channel.QueryRequest{OrderNo: "P1"}); !errors.Is(err, channel.ErrUnknownOutcome) || !channel.IsRetryable(err) {
				t.Fatalf("query: %v", err)
			}
		})
	}
}

func TestClient_InsufficientFunds(t *testing.T) {
	e := newSimEnv(t, nil)
	token := e.bind("B1", "U1", cardW) // 10.00 yuan on the card
	_, err := e.pay("P1", "U1", token, 1001)
	var ce *channel.Error
	if !errors.Is(err, channel.ErrInsufficientFunds) || !errors.As(err, &ce) || ce.Code != "2001" || ce.Retryable {
		t.Fatalf("pay over balance: %v", err)
	}
	if q, err := e.c.Query(e.ctx, &channel.QueryRequest{OrderNo: "P1"}); err != nil || q.Status != channel.StatusFailed {
		t.Fatalf("query: %+v %v", q, err)
	}
}

func TestClient_BadInputNamesFieldAndSendsNothing(t *testing.T) {
	e := newSimEnv(t, nil)
	bad := cardQ
	bad.Number = "6216261000000000019" // Luhn fails
	cases := []struct {
		name, field string
		call        func() error
	}{
		{"luhn", "Card.Number", func() error {
			_, err := e.c.SendBindSMS(e.ctx, &channel.BindRequest{BindNo: "B1", UserID: "U1", Card: bad})
			return err
		}},
		{"mobile", "Card.Mobile", func() error {
			c := cardQ
			c.Mobile = "23552535506"
			_, err := e.c.SendBindSMS(e.ctx, &channel.BindRequest{BindNo: "B1", UserID: "U1", Card: c})
			return err
		}},
		{"id", "Card.IDNumber", func() error {
			c := cardQ
			c.IDNumber = "341126197709218367"
			_, err := e.c.SendBindSMS(e.ctx, &channel.BindRequest{BindNo: "B1", UserID: "U1", Card: c})
			return err
		}},
		{"order no", "OrderNo", func() error { _, err := e.pay("P 1", "U1", "T1", 100); return err }},
		{"currency", "Amount", func() error {
			_, err := e.c.Pay(e.ctx, &channel.PayRequest{OrderNo: "P1", Amount: money.New(100, "USD"), Method: channel.MethodToken, Subject: "s", PayerID: "U1", Token: "T"})
			return err
		}},
		{"method", "", func() error {
			_, err := e.c.Pay(e.ctx, &channel.PayRequest{OrderNo: "P1", Amount: money.Fen(100), Method: channel.MethodQR, Subject: "s"})
			return err
		}},
		{"payout name", "Card.HolderName", func() error {
			c := cardL
			c.HolderName = "li si"
			_, err := e.c.Payout(e.ctx, &channel.PayoutRequest{PayoutNo: "O1", Card: c, Amount: money.Fen(1), Purpose: "p"})
			return err
		}},
		{"sms code", "SMSCode", func() error {
			_, err := e.c.ConfirmBind(e.ctx, &channel.BindConfirmRequest{BindNo: "B1", SMSCode: "12345"})
			return err
		}},
		{"balance account", "Account", func() error {
			_, err := e.c.QueryBalance(e.ctx, &channel.BalanceRequest{Account: "other"})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			var ce *channel.Error
			if !errors.Is(err, channel.ErrInvalidRequest) || !errors.As(err, &ce) {
				t.Fatalf("got %v", err)
			}
			if c.field != "" && !contains(ce.Message, c.field) {
				t.Errorf("message %q does not name %s", ce.Message, c.field)
			}
		})
	}
	if n := len(e.sim.Records(simulator.RecordFilter{Kind: "call"})); n != 0 {
		t.Errorf("%d calls reached the bank for bad input", n)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
