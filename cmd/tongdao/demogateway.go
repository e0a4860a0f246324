package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tongdao/tongdao/adapters/alipay"
	"github.com/tongdao/tongdao/adapters/bank"
	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/recon"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/wallet"
	"github.com/tongdao/tongdao/simulator"
	simalipay "github.com/tongdao/tongdao/simulator/alipay"
	simbank "github.com/tongdao/tongdao/simulator/bank"
	"github.com/tongdao/tongdao/simulator/demo"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

const demoSecret = "demo-merchant-secret-0123456789"

// gatewayDay runs the payment core's part of the demo: the simulator and the gateway in
// this process on loopback HTTP, an embedded SQLite file, and a realistic day driven through
// the signed merchant API. It prints what happened and returns a non-nil error when an
// invariant breaks.
type gatewayDay struct {
	out   io.Writer
	sim   *simulator.Server
	db    *store.DB
	gw    *gateway.Gateway
	cl    *gateway.Client
	work  *coreWork
	bank  *simbank.Server
	hooks *hookCounter
	// wallet: customers and wallets on the same gateway and ledger (demowallet.go).
	wallet *wallet.Service
	fail   int
	// reports are the after-day reconciliations (demoafter.go), the source of ledger
	// verify's external check.
	reports []*recon.Report
	bizDay  clock.Date
}

// hookCounter is the demo merchant's webhook endpoint: it verifies each webhook's signature
// and counts the events by id.
type hookCounter struct {
	clk      clock.Clock // the simulator's: the notifier signs with the same virtual time
	mu       sync.Mutex
	events   map[string]int
	bad      int
	lastType string
}

func (h *hookCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := notify.VerifyWebhook(demoHookSecret, r.Header, body, h.clk.Now(), notify.DefaultTolerance); err != nil {
		h.bad++
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	var env struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	_ = json.Unmarshal(body, &env)
	h.events[env.ID]++
	h.lastType = env.Type
	w.WriteHeader(http.StatusNoContent)
}

const demoHookSecret = "demo-webhook-secret-0123456789"

func runGatewayDay(ctx context.Context, out io.Writer) error {
	dir, err := os.MkdirTemp("", "tongdao-demo-gw-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	wxp, err := simwechat.New(simwechat.Config{})
	if err != nil {
		return err
	}
	alp, err := simalipay.New(simalipay.Config{})
	if err != nil {
		return err
	}
	bkp, err := simbank.New(simbank.Config{})
	if err != nil {
		return err
	}
	sim, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{wxp, alp, bkp}, Seed: 2026})
	if err != nil {
		return err
	}
	simSrv := httptest.NewServer(sim)
	defer simSrv.Close()
	dbPath := filepath.Join(dir, "tongdao.db")
	db, err := store.Open(ctx, "sqlite:"+dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	// Payment successes are queued for the wallet too (it credits top-ups); before the first write.
	db.SetOutboxConsumers("ledger", "webhook", "wallet")
	db.SetOutboxTypes("wallet", "payment.succeeded")

	wdemo := simwechat.DemoMerchant()
	wx, err := wechat.New(wechat.Config{AppID: wdemo.AppIDs[0], MchID: wdemo.MchID, Key: wdemo.Key, BaseURL: simSrv.URL,
		HTTPClient: simSrv.Client(), TLSClient: simSrv.Client(), Clock: sim.Clock()})
	if err != nil {
		return err
	}
	ali, err := alipay.New(alipay.Config{AppID: simalipay.DemoMerchant().AppID, AppPrivateKey: demo.MustFile(demo.AlipayAppPrivate),
		AlipayPublicKey: demo.MustFile(demo.AlipayPlatformPublic), BaseURL: simSrv.URL, HTTPClient: simSrv.Client(), Clock: sim.Clock()})
	if err != nil {
		return err
	}
	bk, err := bank.New(bank.Config{MerchantID: simbank.DemoMerchantID, CertSerial: simbank.DemoCertSerial,
		MerchantKey: demo.MustFile(demo.BankMerchantPrivate), BankSignKey: demo.MustFile(demo.BankSignPublic),
		BankEncKey: demo.MustFile(demo.BankEncPublic), BankCertSerial: simbank.BankCertSerial,
		BaseURL: simSrv.URL, HTTPClient: simSrv.Client(), Clock: sim.Clock()})
	if err != nil {
		return err
	}
	// Demo card keys: a real deployment reads its own from configuration (options.card_keys).
	kr, err := card.NewKeyring(card.KeyringConfig{Keys: map[string][]byte{"demo1": []byte("demo-sm4-key-016")}, Active: "demo1",
		FingerprintKey: []byte("demo-fingerprint-key-0123456789ab")})
	if err != nil {
		return err
	}
	d := &gatewayDay{out: out, sim: sim, db: db, bank: bkp, hooks: &hookCounter{clk: sim.Clock(), events: map[string]int{}}}
	hookSrv := httptest.NewServer(d.hooks)
	defer hookSrv.Close()
	gwSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { d.gw.ServeHTTP(w, r) }))
	defer gwSrv.Close()
	d.gw, err = gateway.New(gateway.Config{
		Store: db, Clock: sim.Clock(), PublicURL: gwSrv.URL, Keyring: kr,
		Merchants: []gateway.Merchant{{ID: "M1", Name: "Demo shop", HMACSecret: demoSecret},
			{ID: demoTopUpMerchant, Name: "Wallet top-ups", HMACSecret: "demo-wallet-topup-secret-0123456789"}},
		Accounts: []gateway.Account{
			{ID: "wx-demo", Channel: wx, ChannelMerchantID: wdemo.MchID, AppID: wdemo.AppIDs[0]},
			{ID: "ali-demo", Channel: ali, AppID: simalipay.DemoMerchant().AppID},
			{ID: "bank-demo", Channel: bk},
		},
		Routes: []gateway.Route{{Merchant: "*", Method: channel.MethodQR, Account: "wx-demo"}, {Merchant: "*", Method: channel.MethodApp, Account: "ali-demo"},
			{Merchant: "*", Method: channel.MethodToken, Account: "bank-demo"}},
	})
	if err != nil {
		return err
	}
	d.cl = &gateway.Client{BaseURL: gwSrv.URL, MerchantID: "M1", Secret: demoSecret, HTTP: gwSrv.Client(), Clock: sim.Clock()}
	fees := map[string]decimal.Decimal{"wx-demo": decimal.RequireFromString("0.006"), "ali-demo": decimal.RequireFromString("0.006"),
		"bank-demo": decimal.RequireFromString("0.003")}
	d.work, err = newCoreWork(db, d.gw, sim.Clock(), nil, fees,
		notify.StaticDirectory{"M1": {URL: hookSrv.URL, Secret: demoHookSecret}}, hookSrv.Client(), demoTopUpMerchant)
	if err != nil {
		return err
	}
	defer d.work.close()
	// The wallet credits top-ups net of the fee the same contracts charge.
	cs, err := rateContracts(d.gw.Accounts(), fees)
	if err != nil {
		return err
	}
	if d.wallet, err = wallet.New(wallet.Config{Store: db, Ledger: d.work.ledger, Clock: sim.Clock(), Keyring: kr,
		Pay: d.gw.Pay, Orders: db, Fees: cs.FeeFunc(), TopUpMerchant: demoTopUpMerchant}); err != nil {
		return err
	}
	d.wallet.Mount(d.gw)
	defer func() { _ = d.wallet.Flush(context.WithoutCancel(ctx)) }()
	fmt.Fprintf(out, "tongdao demo: the payment gateway on %s, the simulator on %s, store %s\n", gwSrv.URL, simSrv.URL, "sqlite:"+dbPath)
	fmt.Fprintf(out, "  simulator clock starts at %s (virtual)\n\n", sim.Clock().Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateTime))
	d.bizDay = clock.AccountingDay(sim.Clock().Now(), clock.NaturalDay)
	d.day(ctx)
	if err := d.work.once(ctx); err != nil { // post and deliver what the day left queued
		return err
	}
	if err := d.afterDay(ctx, d.bizDay, fees); err != nil {
		return err
	}
	return d.summary(ctx)
}

// step prints what happens next, at the simulator's (Beijing) time.
func (d *gatewayDay) step(format string, a ...any) {
	at := d.sim.Clock().Now().In(time.FixedZone("CST", 8*3600)).Format("15:04:05")
	fmt.Fprintf(d.out, "  %s  %s\n", at, fmt.Sprintf(format, a...))
}

func (d *gatewayDay) check(ok bool, format string, a ...any) {
	mark := "ok  "
	if !ok {
		mark = "FAIL"
		d.fail++
	}
	fmt.Fprintf(d.out, "    [%s] %s\n", mark, fmt.Sprintf(format, a...))
}

func (d *gatewayDay) pay(ctx context.Context, orderNo string, amount int64, method channel.Method) *gateway.PaymentJSON {
	p, err := d.cl.CreatePayment(ctx, &gateway.CreatePaymentRequest{OrderNo: orderNo, Amount: amount, Method: string(method),
		Subject: "demo " + orderNo, ClientIP: "127.0.0.1"}, "create-"+orderNo)
	if err != nil {
		d.check(false, "create %s: %v", orderNo, err)
		return &gateway.PaymentJSON{OrderNo: orderNo}
	}
	return p
}

func (d *gatewayDay) payerPays(ctx context.Context, channelName string, p *gateway.PaymentJSON) {
	if _, err := d.sim.Pay(ctx, simulator.PayerAction{Channel: channelName, OutTradeNo: p.ChannelOrderNo}); err != nil {
		d.check(false, "payer pays %s: %v", p.OrderNo, err)
	}
}

func (d *gatewayDay) state(ctx context.Context, orderNo string) *gateway.PaymentJSON {
	p, err := d.cl.GetPayment(ctx, orderNo)
	if err != nil {
		d.check(false, "GET %s: %v", orderNo, err)
		return &gateway.PaymentJSON{}
	}
	return p
}

func (d *gatewayDay) advance(ctx context.Context, by time.Duration) {
	if err := d.sim.Advance(by); err != nil {
		d.check(false, "advance: %v", err)
	}
	if err := d.work.once(ctx); err != nil {
		d.check(false, "background work: %v", err)
	}
	if _, err := d.wallet.WorkOnce(ctx); err != nil {
		d.check(false, "wallet work: %v", err)
	}
}

func (d *gatewayDay) day(ctx context.Context) {
	d.step("a WeChat QR payment of 88.00; the payer scans and pays; WeChat notifies")
	p := d.pay(ctx, "DAY-001", 8800, channel.MethodQR)
	d.check(p.State == order.Pending && p.Action != nil && p.Action.QRCode != "", "created pending with a QR code for the payer (%s)", p.Action.QRCodeOrEmpty())
	d.payerPays(ctx, "wechat", p)
	got := d.state(ctx, "DAY-001")
	d.check(got.State == order.Succeeded && got.ChannelTxnID != "", "succeeded by the channel's notification (txn %s)", got.ChannelTxnID)

	d.step("an Alipay app payment of 120.50")
	a := d.pay(ctx, "DAY-002", 12050, channel.MethodApp)
	d.check(a.State == order.Pending && a.Action != nil && a.Action.OrderString != "", "created pending with an order string for the Alipay app")

	d.step("a WeChat payment whose answer is lost (the channel processed it): the outcome is unknown")
	if _, err := d.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultTimeoutAfter, Channel: "wechat", Op: simwechat.OpUnifiedOrder, First: 1}); err != nil {
		d.check(false, "fault: %v", err)
	}
	u := d.pay(ctx, "DAY-003", 4500, channel.MethodQR)
	d.check(u.State == order.Pending && u.Unresolved, "pending and unresolved — never failed, never paid again")
	d.payerPays(ctx, "wechat", u)
	d.advance(ctx, 10*time.Second)
	got = d.state(ctx, "DAY-003")
	d.check(got.State == order.Succeeded && !got.Unresolved, "the query-back worker asked WeChat: succeeded")

	d.step("a payment whose notification WeChat sends three times")
	if _, err := d.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultDuplicateCallbacks, Channel: "wechat", Op: "payment", First: 1, Count: 2}); err != nil {
		d.check(false, "fault: %v", err)
	}
	dup := d.pay(ctx, "DAY-004", 3000, channel.MethodQR)
	before := d.gw.Stats().Notifications.Load()
	d.payerPays(ctx, "wechat", dup)
	d.advance(ctx, time.Minute)
	hist, _ := d.db.History(ctx, dup.ID)
	succ := 0
	for _, e := range hist {
		if e.Type == "payment.succeeded" {
			succ++
		}
	}
	d.check(succ == 1, "%d notifications acknowledged, one success recorded", d.gw.Stats().Notifications.Load()-before)

	d.step("a forged WeChat notification (bad signature) next to the genuine one")
	if _, err := d.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultForgedCallback, Channel: "wechat", Op: "payment", First: 1}); err != nil {
		d.check(false, "fault: %v", err)
	}
	badBefore := d.gw.Stats().NotificationsBad.Load()
	fg := d.pay(ctx, "DAY-005", 990, channel.MethodQR)
	d.payerPays(ctx, "wechat", fg)
	d.advance(ctx, time.Minute)
	d.check(d.gw.Stats().NotificationsBad.Load() > badBefore && d.state(ctx, "DAY-005").State == order.Succeeded,
		"forged one refused, genuine one applied")

	d.step("partial refunds of DAY-001: 20.00, then 8.80; a retry of the first changes nothing")
	r1, err := d.cl.CreateRefund(ctx, &gateway.CreateRefundRequest{OrderNo: "DAY-001", RefundNo: "DAY-001-R1", Amount: 2000, Reason: "one item back"}, "")
	d.check(err == nil, "refund 20.00: %s", refundState(r1, err))
	again, err := d.cl.CreateRefund(ctx, &gateway.CreateRefundRequest{OrderNo: "DAY-001", RefundNo: "DAY-001-R1", Amount: 2000, Reason: "one item back"}, "")
	d.check(err == nil && r1 != nil && again.ID == r1.ID, "the retried refund_no answers the same refund")
	_, err = d.cl.CreateRefund(ctx, &gateway.CreateRefundRequest{OrderNo: "DAY-001", RefundNo: "DAY-001-R2", Amount: 880}, "")
	d.check(err == nil, "refund 8.80")
	var ge *gateway.Error
	_, err = d.cl.CreateRefund(ctx, &gateway.CreateRefundRequest{OrderNo: "DAY-001", RefundNo: "DAY-001-R3", Amount: 8800}, "")
	d.check(errors.As(err, &ge) && ge.Code == "refund_exceeds", "a refund beyond what is left is refused (%v)", err)
	d.advance(ctx, 2*time.Hour)
	got = d.state(ctx, "DAY-001")
	d.check(got.State == order.PartiallyRefunded && got.RefundedAmount == 2880, "DAY-001 partially refunded: %d fen back", got.RefundedAmount)

	d.step("DAY-002 was never paid: past its deadline the gateway closes it on Alipay, then in the store")
	d.advance(ctx, 3*time.Hour)
	got = d.state(ctx, "DAY-002")
	d.check(got.State == order.Closed, "DAY-002 %s", got.State)

	d.bankDay(ctx)
	d.walletDay(ctx)
}

// bankDay binds a card with the bank, pays with its token, and pays a card out; the payout
// is returned by the receiving bank the next day.
func (d *gatewayDay) bankDay(ctx context.Context) {
	d.step("a cardholder binds a bank card: the bank checks the elements and sends an SMS code")
	b, err := d.cl.CreateBinding(ctx, &gateway.CreateBindingRequest{BindNo: "BIND-001", UserID: "alice", Account: "bank-demo",
		Card: gateway.BindCardJSON{Number: "6216261000000000018", HolderName: "全渠道", IDNumber: "341126197709218366", Mobile: "13552535506"}}, "bind-BIND-001")
	if err != nil {
		d.check(false, "bind: %v", err)
		return
	}
	d.check(b.State == order.BindSMSSent, "BIND-001 %s, card %s, code sent to %s", b.State, b.CardMasked, b.MobileMasked)
	stored, err := d.db.BindingByNo(ctx, "M1", "BIND-001")
	if err != nil {
		d.check(false, "binding: %v", err)
		return
	}
	v, err := d.bank.Control(ctx, http.MethodGet, "sms", url.Values{"bind_no": {stored.ChannelBindNo}}, nil)
	if err != nil {
		d.check(false, "the simulator's SMS: %v", err)
		return
	}
	b, err = d.cl.ConfirmBinding(ctx, "BIND-001", &gateway.ConfirmBindingRequest{SMSCode: v.(simbank.SMS).Code})
	if err != nil {
		d.check(false, "confirm: %v", err)
		return
	}
	d.check(b.State == order.Bound && b.Token != "", "BIND-001 %s with a token; the gateway keeps no card number", b.State)
	p, err := d.cl.CreatePayment(ctx, &gateway.CreatePaymentRequest{OrderNo: "DAY-TOKEN", Amount: 6600, Method: string(channel.MethodToken),
		Token: b.Token, Subject: "demo token payment", ClientIP: "127.0.0.1", PayerID: "alice"}, "create-DAY-TOKEN")
	if err != nil {
		d.check(false, "token payment: %v", err)
	} else {
		d.advance(ctx, 10*time.Second)
		got := d.state(ctx, p.OrderNo)
		d.check(got.State == order.Succeeded, "DAY-TOKEN (66.00 with the token) %s", got.State)
	}

	d.step("a payout of 50.00 to a supplier's card: the bank accepts it, then pays it")
	po, err := d.cl.CreatePayout(ctx, &gateway.CreatePayoutRequest{PayoutNo: "PAYOUT-001", Account: "bank-demo", Amount: 5000,
		Card: gateway.PayoutCardJSON{Number: "6216261000000000026", HolderName: "张三"}, Purpose: "supplier"}, "payout-PAYOUT-001")
	if err != nil {
		d.check(false, "payout: %v", err)
		return
	}
	d.check(po.State == order.PayoutProcessing, "PAYOUT-001 %s, to card %s", po.State, po.CardMasked)
	d.advance(ctx, 10*time.Second)
	got, err := d.cl.GetPayout(ctx, "PAYOUT-001")
	if err != nil {
		d.check(false, "payout: %v", err)
		return
	}
	d.check(got.State == order.Succeeded, "PAYOUT-001 %s (posted: Dr 2202 merchant payable, Cr 1002 bank deposit)", got.State)

	d.step("the next morning the receiving bank returns PAYOUT-001 (退票): a new reversing entry, never an edit")
	d.advance(ctx, 20*time.Hour)
	body, _ := json.Marshal(map[string]string{"payout_no": got.ChannelPayoutNo})
	if _, err := d.bank.Control(ctx, http.MethodPost, "payouts/return", nil, body); err != nil {
		d.check(false, "the simulator's return: %v", err)
		return
	}
	d.advance(ctx, time.Minute)
	got, err = d.cl.GetPayout(ctx, "PAYOUT-001")
	if err != nil {
		d.check(false, "payout: %v", err)
		return
	}
	d.check(got.State == order.PayoutReturned, "PAYOUT-001 %s", got.State)
}

func refundState(r *gateway.RefundJSON, err error) string {
	if err != nil {
		return err.Error()
	}
	return string(r.State)
}

func (d *gatewayDay) summary(ctx context.Context) error {
	counts, err := d.db.CountPayments(ctx)
	if err != nil {
		return err
	}
	if err := d.work.once(ctx); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\n  payments by state: %v\n", counts)
	st := d.gw.Stats()
	fmt.Fprintf(d.out, "  notifications applied %d, refused %d; unknown outcomes %d, resolved by query %d; expired %d\n",
		st.Notifications.Load(), st.NotificationsBad.Load(), st.ChannelUnknown.Load(), st.QueriesResolved.Load(), st.PaymentsExpired.Load())
	for _, c := range []string{"ledger", "webhook", "wallet"} {
		os, err := d.db.OutboxStats(ctx, c)
		if err == nil {
			fmt.Fprintf(d.out, "  outbox %-8s pending %d, done %d, dead %d\n", c, os.Pending, os.Done, os.Dead)
		}
	}
	d.hooks.mu.Lock()
	dups := 0
	for _, n := range d.hooks.events {
		if n > 1 {
			dups++
		}
	}
	fmt.Fprintf(d.out, "  webhooks received by the merchant: %d events, %d with a bad signature, %d delivered twice\n", len(d.hooks.events), d.hooks.bad, dups)
	d.check(len(d.hooks.events) > 0 && d.hooks.bad == 0, "every webhook verified at the merchant")
	d.hooks.mu.Unlock()

	tb, err := d.work.ledger.TrialBalance(ctx, clock.Date{})
	if err != nil {
		return err
	}
	fmt.Fprintln(d.out, "\n  trial balance (fen):")
	for _, r := range tb.Rows {
		fmt.Fprintf(d.out, "    %-6s %-28s debit %9d  credit %9d\n", r.Code, r.Name, r.Debit, r.Credit)
	}
	for cur, t := range tb.Totals {
		fmt.Fprintf(d.out, "    total %s: debit %d, credit %d\n", cur, t[0], t[1])
	}
	d.check(tb.Balanced(), "debits equal credits")
	rep, err := d.work.ledger.Verify(ctx, ledger.VerifyOptions{Day: d.bizDay,
		Vouchers:   ledger.VoucherSources{wallet.Vouchers{Wallet: d.db, Orders: d.db}, clearing.Vouchers{Store: d.db}, recon.Vouchers{Store: d.db}},
		Statements: recon.Positions{Ledger: d.db, Reports: d.reports}})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\n  ledger verify (vouchers compared with the orders, wallet operations and batches, receivables with the statements of %s): %d entries, %d lines\n", d.bizDay, rep.Entries, rep.Lines)
	for _, c := range rep.Checks {
		status := "ok"
		switch {
		case c.Skipped:
			status = "skipped: " + c.Note
		case c.Failures > 0:
			status = fmt.Sprintf("%d finding(s)", c.Failures)
		}
		fmt.Fprintf(d.out, "    %-44s %s\n", c.Title, status)
	}
	d.check(rep.OK(), "ledger verify is clean")
	if d.fail > 0 {
		return fmt.Errorf("%d check(s) of the gateway day failed", d.fail)
	}
	fmt.Fprintln(d.out, "  gateway day: every check passed")
	return nil
}
