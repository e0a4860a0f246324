package wallet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/adapters/bank"
	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
	"github.com/tongdao/tongdao/core/wallet"
	"github.com/tongdao/tongdao/simulator"
	simbank "github.com/tongdao/tongdao/simulator/bank"
	"github.com/tongdao/tongdao/simulator/demo"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

const secretM1 = "m1-secret-0123456789abcdef"

// e2e is the gateway with the wallet's routes, over a real store, in front of the simulator
// (WeChat and the bank), all on loopback HTTP, on the simulator's virtual clock.
type e2e struct {
	t      *testing.T
	ctx    context.Context
	sim    *simulator.TestServer
	db     *store.DB
	led    *ledger.Ledger
	gw     *gateway.Gateway
	svc    *wallet.Service
	poster *posting.Poster
	srv    *httptest.Server
	nonce  atomic.Int64
}

func newE2E(t *testing.T, dsn string) *e2e {
	t.Helper()
	wxp, err := simwechat.New(simwechat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	bkp, err := simbank.New(simbank.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{wxp, bkp}, Seed: 7})
	wdemo := simwechat.DemoMerchant()
	wx, err := wechat.New(wechat.Config{AppID: wdemo.AppIDs[0], MchID: wdemo.MchID, Key: wdemo.Key, BaseURL: sim.URL,
		HTTPClient: sim.Client(), TLSClient: sim.Client(), Clock: sim.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "SUCCESS") }))
	t.Cleanup(sink.Close)
	bk, err := bank.New(bank.Config{MerchantID: simbank.DemoMerchantID, CertSerial: simbank.DemoCertSerial,
		MerchantKey: demo.MustFile(demo.BankMerchantPrivate), BankSignKey: demo.MustFile(demo.BankSignPublic),
		BankEncKey: demo.MustFile(demo.BankEncPublic), BankCertSerial: simbank.BankCertSerial,
		BaseURL: sim.URL, HTTPClient: sim.Client(), Clock: sim.Clock(), NotifyURL: sink.URL + "/bank"})
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, ctx: context.Background(), sim: sim, db: storetest.Open(t, dsn)}
	e.db.SetOutboxConsumers("ledger", "wallet")
	e.db.SetOutboxTypes("wallet", "payment.succeeded")
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.gw.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	e.gw, err = gateway.New(gateway.Config{Store: e.db, Clock: sim.Clock(), PublicURL: e.srv.URL,
		Merchants: []gateway.Merchant{{ID: "M1", HMACSecret: secretM1}, {ID: "wallet", HMACSecret: "wallet-secret-0123456789abcdef"}},
		Accounts:  []gateway.Account{{ID: "wx1", Channel: wx, ChannelMerchantID: wdemo.MchID, AppID: wdemo.AppIDs[0]}},
		Routes:    []gateway.Route{{Merchant: "*", Method: channel.MethodQR, Account: "wx1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if e.led, err = ledger.New(ledger.Config{Store: e.db, Clock: sim.Clock()}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.led.Close() })
	fees, err := posting.RateFees(map[string]decimal.Decimal{"wx1": decimal.RequireFromString("0.006")})
	if err != nil {
		t.Fatal(err)
	}
	if e.poster, err = posting.New(posting.Config{Store: e.db, Ledger: e.led, Clock: sim.Clock(), Fees: fees,
		FeeRefund: map[string]channel.FeeRefund{"wechat": channel.FeeRefundNone}, SkipMerchants: []string{"wallet"}}); err != nil {
		t.Fatal(err)
	}
	if e.svc, err = wallet.New(wallet.Config{Store: e.db, Ledger: e.led, Clock: sim.Clock(), Keyring: testKeyring(t), KDF: testKDF,
		Pay: e.gw.Pay, Orders: e.db, Fees: fees, Payouter: bk, Binders: map[string]channel.Binder{"bank": bk}}); err != nil {
		t.Fatal(err)
	}
	e.svc.Mount(e.gw)
	return e
}

// call sends a signed request as M1 and decodes a 2xx answer into out.
func (e *e2e) call(method, path string, body any, out any) (int, []byte) {
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
	nonce := fmt.Sprintf("nonce%08d", e.nonce.Add(1))
	req.Header.Set(gateway.HeaderMerchant, "M1")
	req.Header.Set(gateway.HeaderTimestamp, ts)
	req.Header.Set(gateway.HeaderNonce, nonce)
	req.Header.Set(gateway.HeaderSignature, gateway.SignHMAC(secretM1, gateway.StringToSign(method, path, ts, nonce, raw)))
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
	return resp.StatusCode, b
}

// must is call that fails the test unless the answer is 2xx.
func (e *e2e) must(method, path string, body any, out any) {
	e.t.Helper()
	if code, b := e.call(method, path, body, out); code >= 300 {
		e.t.Fatalf("%s %s: %d %s", method, path, code, b)
	}
}

// customer registers a customer with a wallet and a password through the API.
func (e *e2e) customer(no, name, idNo string) (wallet.CustomerJSON, wallet.AccountJSON) {
	e.t.Helper()
	var c wallet.CustomerJSON
	e.must("POST", "/v1/wallet/customers", map[string]string{"customer_no": no, "kind": "individual", "name": name, "id_no": idNo}, &c)
	var a wallet.AccountJSON
	e.must("POST", "/v1/wallet/customers/"+c.ID+"/accounts", map[string]string{"kind": "wallet"}, &a)
	e.must("POST", "/v1/wallet/customers/"+c.ID+"/password", map[string]string{"password": "135790"}, nil)
	return c, a
}

func (e *e2e) account(id string) wallet.AccountJSON {
	e.t.Helper()
	var a wallet.AccountJSON
	e.must("GET", "/v1/wallet/accounts/"+id, nil, &a)
	return a
}

// work runs the wallet's and the ledger poster's rounds.
func (e *e2e) work() {
	e.t.Helper()
	if _, err := e.svc.WorkOnce(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.poster.RunOnce(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// topUp tops account up by amount via WeChat QR and makes the payer pay.
func (e *e2e) topUp(no, account string, amount int64) wallet.OpJSON {
	e.t.Helper()
	var o wallet.OpJSON
	e.must("POST", "/v1/wallet/topups", map[string]any{"request_no": no, "account_id": account, "amount": amount, "method": "qr", "client_ip": "127.0.0.1"}, &o)
	if o.Action == nil || o.Action.QRCode == "" || o.State != wallet.OpAwaiting {
		e.t.Fatalf("top-up answer without the payer's QR code: %+v", o)
	}
	p, err := e.db.Payment(e.ctx, o.PaymentID)
	if err != nil || p.State != order.Pending {
		e.t.Fatalf("top-up order: %+v %v", p, err)
	}
	before := e.account(account).Available
	e.work()
	if got := e.account(account).Available; got != before {
		e.t.Fatalf("credited %d while the payment is still pending", got-before)
	}
	if _, err := e.sim.Pay(e.ctx, simulator.PayerAction{Channel: "wechat", OutTradeNo: p.ChannelOrderNo}); err != nil {
		e.t.Fatal(err)
	}
	return o
}

// bindCard binds a simulator issuer card to customer through the bank (SMS code from the
// simulator's control API).
func (e *e2e) bindCard(customer, cardNo, holder, idNo, mobile string) wallet.CardJSON {
	e.t.Helper()
	var c wallet.CardJSON
	e.must("POST", "/v1/wallet/customers/"+customer+"/cards", map[string]string{"channel": "bank", "card_no": cardNo, "holder": holder, "id_no": idNo, "mobile": mobile}, &c)
	resp, err := e.sim.Client().Get(e.sim.URL + "/_sim/bank/sms?bind_no=" + c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var sms simbank.SMS
	if err := json.NewDecoder(resp.Body).Decode(&sms); err != nil || sms.Code == "" {
		e.t.Fatalf("sms of %s: %v", c.ID, err)
	}
	e.must("POST", "/v1/wallet/cards/"+c.ID+"/confirm", map[string]string{"sms_code": sms.Code}, &c)
	return c
}

func (e *e2e) verify() *ledger.Report {
	e.t.Helper()
	rep, err := ledger.Verify(e.ctx, e.db, e.sim.Clock(), ledger.VerifyOptions{Vouchers: wallet.Vouchers{Wallet: e.db, Orders: e.db}})
	if err != nil {
		e.t.Fatal(err)
	}
	return rep
}

func TestScenario_TopUpViaWeChatThenBalancePayment(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newE2E(t, dsn)
		_, a := e.customer("C1", "张三", idZhang)
		o := e.topUp("TU1", a.ID, 150_00)
		if got := e.account(a.ID); got.Available != 0 {
			t.Fatalf("credited before the work round: %+v", got)
		}
		e.work()
		if got := e.account(a.ID); got.Available != 150_00 {
			t.Fatalf("after the top-up: %+v", got)
		}
		op, err := e.db.WalletOp(e.ctx, o.ID)
		if err != nil || op.State != wallet.OpDone {
			t.Fatalf("top-up op %+v %v", op, err)
		}
		credit, err := e.led.Entry(e.ctx, op.EntrySeq)
		if err != nil || credit.Voucher.Kind != ledger.VoucherOrder || credit.Voucher.ID != o.PaymentID || len(credit.Lines) != 3 {
			t.Fatalf("credit entry %+v %v", credit, err)
		}
		// The poster left the top-up alone: the top-up merchant has no payable.
		if _, err := e.led.FindAccount(e.ctx, "2202", ledger.OwnerMerchant, "wallet", "CNY"); err == nil {
			t.Fatal("the ledger poster also posted the top-up payment")
		}
		// A payment from the balance, then its retry.
		body := map[string]any{"request_no": "BP1", "account_id": a.ID, "amount": 99_90, "password": "135790", "subject": "coffee"}
		var p1, p2 wallet.OpJSON
		e.must("POST", "/v1/wallet/payments", body, &p1)
		e.must("POST", "/v1/wallet/payments", body, &p2)
		if p1.State != wallet.OpDone || p2.ID != p1.ID || p2.Entry != p1.Entry {
			t.Fatalf("payment %+v retry %+v", p1, p2)
		}
		if got := e.account(a.ID); got.Available != 50_10 {
			t.Fatalf("after paying: %+v", got)
		}
		body["password"], body["request_no"] = "000000", "BP2"
		if code, b := e.call("POST", "/v1/wallet/payments", body, nil); code != 403 || !strings.Contains(string(b), "wrong_password") {
			t.Fatalf("wrong password: %d %s", code, b)
		}
		var st struct {
			Lines []wallet.LineJSON `json:"lines"`
		}
		e.must("GET", "/v1/wallet/accounts/"+a.ID+"/statement", nil, &st)
		if len(st.Lines) != 2 || st.Lines[0].Direction != "in" || st.Lines[0].VoucherID != o.PaymentID || st.Lines[1].Direction != "out" || st.Lines[1].Entry != p1.Entry {
			t.Fatalf("statement %+v", st.Lines)
		}
		var csv map[string]string
		e.must("GET", "/v1/wallet/accounts/"+a.ID+"/statement?format=csv", nil, &csv)
		if !strings.HasPrefix(csv["csv"], "seq,time_beijing,") || strings.Count(csv["csv"], "\n") != 3 {
			t.Fatalf("csv %q", csv["csv"])
		}
		if rep := e.verify(); !rep.OK() {
			t.Fatalf("verify: %+v", rep.Checks)
		}
	})
}

func TestScenario_TopUpCallbackArrivesTwice(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newE2E(t, dsn)
		if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultDuplicateCallbacks, Channel: "wechat", Count: 1, Spacing: simulator.Duration(10 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		_, a := e.customer("C1", "张三", idZhang)
		o := e.topUp("TU1", a.ID, 88_00)
		e.work()
		if err := e.sim.Advance(time.Minute); err != nil { // the second callback
			t.Fatal(err)
		}
		e.work()
		e.work()
		p, _ := e.db.Payment(e.ctx, o.PaymentID)
		recs := e.sim.Records(simulator.RecordFilter{Kind: simulator.RecordCallback, OutTradeNo: p.ChannelOrderNo})
		if len(recs) < 2 {
			t.Fatalf("the simulator sent %d callbacks, want 2", len(recs))
		}
		if got := e.account(a.ID); got.Available != 88_00 {
			t.Fatalf("credited %d, want once 8800", got.Available)
		}
		// The retried request answers the same top-up, and credits nothing more.
		var again wallet.OpJSON
		e.must("POST", "/v1/wallet/topups", map[string]any{"request_no": "TU1", "account_id": a.ID, "amount": 88_00, "method": "qr", "client_ip": "127.0.0.1"}, &again)
		e.work()
		if again.ID != o.ID || again.State != wallet.OpDone || e.account(a.ID).Available != 88_00 {
			t.Fatalf("retry %+v, balance %d", again, e.account(a.ID).Available)
		}
	})
}

func TestScenario_WithdrawalReturnedByTheBankNextDay(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newE2E(t, dsn)
		c, a := e.customer("C1", "李四", idLi)
		cd := e.bindCard(c.ID, "6216261000000000034", "李四", idLi, "13900139000") // the issuer returns payouts to it a day later
		var cj wallet.CustomerJSON
		e.must("GET", "/v1/wallet/customers/"+c.ID, nil, &cj)
		if cj.Level != wallet.LevelCard || len(cj.Cards) != 1 || cj.Cards[0].Masked != "621626*********0034" {
			t.Fatalf("after binding: %+v", cj)
		}
		e.topUp("TU1", a.ID, 500_00)
		e.work()
		var w wallet.OpJSON
		e.must("POST", "/v1/wallet/withdrawals", map[string]any{"request_no": "W1", "account_id": a.ID, "card_id": cd.ID, "amount": 300_00, "password": "135790"}, &w)
		if w.State != wallet.OpHeld {
			t.Fatalf("withdrawal %+v", w)
		}
		if got := e.account(a.ID); got.Available != 200_00 || got.Frozen != 300_00 {
			t.Fatalf("held: %+v", got)
		}
		step := func(d time.Duration) {
			t.Helper()
			if err := e.sim.Advance(d); err != nil {
				t.Fatal(err)
			}
			e.work()
			e.must("GET", "/v1/wallet/withdrawals/W1", nil, &w)
		}
		for i := 0; i < 5 && w.State == wallet.OpHeld; i++ {
			step(2 * time.Minute)
		}
		if got := e.account(a.ID); w.State != wallet.OpPaid || got.Available != 200_00 || got.Frozen != 0 {
			t.Fatalf("paid: %+v %+v", w, got)
		}
		for i := 0; i < 4 && w.State == wallet.OpPaid; i++ {
			step(12 * time.Hour)
		}
		if w.State != wallet.OpReturned || w.Reversal == 0 {
			t.Fatalf("after the return: %+v", w)
		}
		rev, err := e.led.Entry(e.ctx, w.Reversal)
		if err != nil || rev.Kind != ledger.KindReverse || rev.Ref != w.Entry {
			t.Fatalf("reversal %+v %v", rev, err)
		}
		if got := e.account(a.ID); got.Available != 500_00 || got.Frozen != 0 {
			t.Fatalf("after the return: %+v", got)
		}
		if rep := e.verify(); !rep.OK() {
			t.Fatalf("verify: %+v", rep.Checks)
		}
	})
}

func TestScenario_TransferRefusedForFrozenAccount(t *testing.T) {
	e := newE2E(t, sqliteDSN(t))
	_, a := e.customer("C1", "张三", idZhang)
	_, b := e.customer("C2", "李四", idLi)
	e.topUp("TU1", a.ID, 100_00)
	e.work()
	e.must("POST", "/v1/wallet/accounts/"+a.ID+"/freeze", map[string]any{"request_no": "F1", "reason": "court order 2026-001", "operator": "alice"}, nil)
	if got := e.account(a.ID); got.State != wallet.Frozen {
		t.Fatalf("state %+v", got)
	}
	code, body := e.call("POST", "/v1/wallet/transfers", map[string]any{"request_no": "T1", "from_account": a.ID, "to_account": b.ID, "amount": 10_00}, nil)
	if code != http.StatusConflict || !strings.Contains(string(body), "account_frozen") {
		t.Fatalf("transfer from a frozen account: %d %s", code, body)
	}
	if got := e.account(a.ID); got.Available != 100_00 || e.account(b.ID).Available != 0 {
		t.Fatalf("money moved: %+v", got)
	}
	e.must("POST", "/v1/wallet/accounts/"+a.ID+"/unfreeze", map[string]any{"request_no": "U1", "reason": "lifted", "operator": "bob"}, nil)
	var tr wallet.OpJSON
	e.must("POST", "/v1/wallet/transfers", map[string]any{"request_no": "T1", "from_account": a.ID, "to_account": b.ID, "amount": 10_00}, &tr)
	if tr.State != wallet.OpDone || e.account(b.ID).Available != 10_00 {
		t.Fatalf("after unfreezing: %+v", tr)
	}
}

func TestScenario_UnverifiedCustomerBlockedFromWithdrawing(t *testing.T) {
	e := newE2E(t, sqliteDSN(t))
	c, a := e.customer("C1", "张三", idZhang)
	e.topUp("TU1", a.ID, 100_00)
	e.work()
	// A card exists, but not verified for this customer: bind one as another customer and
	// try it; and the customer's own level 0 allows no withdrawal at all.
	code, body := e.call("POST", "/v1/wallet/withdrawals", map[string]any{"request_no": "W1", "account_id": a.ID, "card_id": "card_x", "amount": 10_00, "password": "135790"}, nil)
	if code != http.StatusForbidden || !strings.Contains(string(body), "not_allowed") || !strings.Contains(string(body), "level 0") {
		t.Fatalf("unverified withdrawal: %d %s", code, body)
	}
	if got := e.account(a.ID); got.Available != 100_00 || got.Frozen != 0 {
		t.Fatalf("money moved: %+v", got)
	}
	// A card in another person's name does not verify this customer.
	code, body = e.call("POST", "/v1/wallet/customers/"+c.ID+"/cards", map[string]string{"channel": "bank", "card_no": "6216261000000000034", "holder": "李四", "id_no": idLi, "mobile": "13900139000"}, nil)
	if code != http.StatusBadRequest {
		t.Fatalf("someone else's card: %d %s", code, body)
	}
	var cj wallet.CustomerJSON
	e.must("GET", "/v1/wallet/customers/"+c.ID, nil, &cj)
	if cj.Level != wallet.LevelNone {
		t.Fatalf("level %d", cj.Level)
	}
}

func TestScenario_BalanceEditedInTheDatabaseCaughtByVerify(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newE2E(t, dsn)
		_, a := e.customer("C1", "张三", idZhang)
		e.topUp("TU1", a.ID, 20_00)
		e.work()
		if rep := e.verify(); !rep.OK() {
			t.Fatalf("clean ledger fails verify: %+v", rep.Checks)
		}
		// Seed 000's attack: add 10,000.00 to the wallet's stored balance behind the ledger.
		q := `UPDATE accounts SET cp = cp + 1000000 WHERE id = ?`
		if e.db.Dialect() == store.Postgres {
			q = `UPDATE accounts SET cp = cp + 1000000 WHERE id = $1`
		}
		if _, err := e.db.SQL().Exec(q, a.LedgerID); err != nil {
			t.Fatal(err)
		}
		rep := e.verify()
		rec := fmt.Sprintf("account %d", a.LedgerID)
		if rep.OK() || !rep.Check(ledger.CheckBalances).Names(rec) {
			t.Fatalf("verify did not name %s: %+v", rec, rep.Checks)
		}
	})
}

func TestScenario_WithdrawalWithUnknownOutcomeIsQueriedNotGuessed(t *testing.T) {
	e := newE2E(t, sqliteDSN(t))
	c, a := e.customer("C1", "张三", idZhang)
	cd := e.bindCard(c.ID, "6216261000000000026", "张三", idZhang, "13800138000")
	e.topUp("TU1", a.ID, 500_00)
	e.work()
	// The bank processes the payout but the answer never arrives: the outcome is unknown.
	if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultTimeoutAfter, Channel: simbank.Name, Op: simbank.TxPayout, First: 1}); err != nil {
		t.Fatal(err)
	}
	var w wallet.OpJSON
	e.must("POST", "/v1/wallet/withdrawals", map[string]any{"request_no": "W1", "account_id": a.ID, "card_id": cd.ID, "amount": 100_00, "password": "135790"}, &w)
	if got := e.account(a.ID); w.State != wallet.OpHeld || got.Available != 400_00 || got.Frozen != 100_00 {
		t.Fatalf("after an unknown outcome the amount stays held: %+v %+v", w, got)
	}
	for i := 0; i < 6 && w.State == wallet.OpHeld; i++ {
		if err := e.sim.Advance(2 * time.Minute); err != nil {
			t.Fatal(err)
		}
		e.work()
		e.must("GET", "/v1/wallet/withdrawals/W1", nil, &w)
	}
	if got := e.account(a.ID); w.State != wallet.OpPaid || got.Available != 400_00 || got.Frozen != 0 {
		t.Fatalf("after the query: %+v %+v", w, got)
	}
	payouts := 0
	for _, r := range e.sim.Records(simulator.RecordFilter{Kind: simulator.RecordCall, Channel: simbank.Name}) {
		if r.Op == simbank.TxPayout {
			payouts++
		}
	}
	if payouts != 1 {
		t.Fatalf("the payout was sent %d times, want once (then queried)", payouts)
	}
	// A wrong password, and an amount over the card-level limit, move nothing.
	if code, b := e.call("POST", "/v1/wallet/withdrawals", map[string]any{"request_no": "W2", "account_id": a.ID, "card_id": cd.ID, "amount": 1_00, "password": "000000"}, nil); code != 403 {
		t.Fatalf("wrong password: %d %s", code, b)
	}
	if code, b := e.call("POST", "/v1/wallet/withdrawals", map[string]any{"request_no": "W3", "account_id": a.ID, "card_id": cd.ID, "amount": 50_000_01, "password": "135790"}, nil); code != 422 || !strings.Contains(string(b), "limit_exceeded") {
		t.Fatalf("over the limit: %d %s", code, b)
	}
	if got := e.account(a.ID); got.Available != 400_00 || got.Frozen != 0 {
		t.Fatalf("refusals moved money: %+v", got)
	}
	if rep := e.verify(); !rep.OK() {
		t.Fatalf("verify: %+v", rep.Checks)
	}
}
