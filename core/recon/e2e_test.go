package recon_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/recon"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
	"github.com/tongdao/tongdao/simulator"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

const secret = "m1-secret-0123456789abcdef"

// env is the gateway over a real store in front of the simulator, both on loopback HTTP,
// with the ledger poster and a reconciliation runner over the same store.
type env struct {
	t      *testing.T
	ctx    context.Context
	sim    *simulator.TestServer
	db     *store.DB
	gw     *gateway.Gateway
	client *gateway.Client
	ledger *ledger.Ledger
	poster *posting.Poster
	runner *recon.Runner
	acct   recon.Account
}

// wechatRate is the simulator's default WeChat fee rate (0.60%), which the ledger books too.
var wechatRate = map[string]decimal.Decimal{"wx1": decimal.RequireFromString("0.006")}

func newEnv(t *testing.T, dsn string, reconRates map[string]decimal.Decimal) *env {
	t.Helper()
	proto, err := simwechat.New(simwechat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{proto}, Seed: 15})
	db := storetest.Open(t, dsn)
	db.SetOutboxTypes("ledger", posting.EventTypes...)
	db.SetOutboxTypes("webhook", "none")
	demo := simwechat.DemoMerchant()
	wx, err := wechat.New(wechat.Config{AppID: demo.AppIDs[0], MchID: demo.MchID, Key: demo.Key, BaseURL: sim.URL,
		HTTPClient: sim.Client(), TLSClient: sim.Client(), Clock: sim.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: context.Background(), sim: sim, db: db, acct: recon.Account{ID: "wx1", Channel: wx}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.gw.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	e.gw, err = gateway.New(gateway.Config{Store: db, Clock: sim.Clock(), PublicURL: srv.URL,
		Merchants: []gateway.Merchant{{ID: "M1", HMACSecret: secret, RatePerSecond: 1e6, Burst: 1e6}},
		Accounts:  []gateway.Account{{ID: "wx1", Channel: wx, ChannelMerchantID: demo.MchID, AppID: demo.AppIDs[0]}},
		Routes:    []gateway.Route{{Merchant: "*", Method: channel.MethodQR, Account: "wx1"}}})
	if err != nil {
		t.Fatal(err)
	}
	e.client = &gateway.Client{BaseURL: srv.URL, MerchantID: "M1", Secret: secret, HTTP: srv.Client(), Clock: sim.Clock()}
	if e.ledger, err = ledger.New(ledger.Config{Store: db, Clock: sim.Clock(), Cutoff: clock.NaturalDay}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.ledger.Close() })
	fees, err := posting.RateFees(wechatRate)
	if err != nil {
		t.Fatal(err)
	}
	if e.poster, err = posting.New(posting.Config{Store: db, Ledger: e.ledger, Clock: sim.Clock(), Fees: fees,
		FeeRefund: map[string]channel.FeeRefund{"wechat": wx.Info().Refund.Fee}}); err != nil {
		t.Fatal(err)
	}
	if reconRates == nil {
		reconRates = wechatRate
	}
	rfee, err := recon.RateFee(reconRates)
	if err != nil {
		t.Fatal(err)
	}
	if e.runner, err = recon.New(recon.Config{Store: db, Orders: db, Clock: sim.Clock(), Fee: rfee, Window: 10 * time.Minute,
		Adjuster: recon.LedgerAdjuster{Ledger: e.ledger, Store: db, Orders: db}}); err != nil {
		t.Fatal(err)
	}
	return e
}

// today is the simulator's Beijing day.
func (e *env) today() clock.Date { return clock.DateOf(e.sim.Clock().Now(), clock.Beijing()) }

// setTime moves the virtual clock to day d at hh:mm:ss Beijing time.
func (e *env) setTime(d clock.Date, hh, mm, ss int) {
	e.t.Helper()
	at := d.Start(clock.Beijing()).Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second)
	if err := e.sim.SetTime(at); err != nil {
		e.t.Fatal(err)
	}
}

// paid creates a QR payment and has the payer pay it; the callback completes it unless a
// fault drops it.
func (e *env) paid(no string, fen int64) *order.Payment {
	e.t.Helper()
	p, err := e.client.CreatePayment(e.ctx, &gateway.CreatePaymentRequest{OrderNo: no, Amount: fen, Method: "qr", Subject: "recon", ClientIP: "127.0.0.1"}, "")
	if err != nil {
		e.t.Fatal(err)
	}
	stored, err := e.db.PaymentByOrderNo(e.ctx, "M1", p.OrderNo)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.sim.Pay(e.ctx, simulator.PayerAction{Channel: "wechat", OutTradeNo: stored.ChannelOrderNo}); err != nil {
		e.t.Fatal(err)
	}
	stored, err = e.db.Payment(e.ctx, stored.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return stored
}

func (e *env) refund(orderNo, refundNo string, fen int64) {
	e.t.Helper()
	if _, err := e.client.CreateRefund(e.ctx, &gateway.CreateRefundRequest{OrderNo: orderNo, RefundNo: refundNo, Amount: fen}, ""); err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		r, err := e.db.RefundByNo(e.ctx, "M1", refundNo)
		if err != nil {
			e.t.Fatal(err)
		}
		if r.State == order.Succeeded {
			return
		}
		if err := e.sim.Advance(time.Minute); err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.gw.WorkOnce(e.ctx); err != nil {
			e.t.Fatal(err)
		}
	}
	e.t.Fatalf("refund %s never succeeded", refundNo)
}

// post runs the ledger poster until nothing is pending.
func (e *env) post() {
	e.t.Helper()
	for i := 0; i < 50; i++ {
		if _, err := e.poster.RunOnce(e.ctx); err != nil {
			e.t.Fatal(err)
		}
		st, err := e.db.OutboxStats(e.ctx, "ledger")
		if err != nil {
			e.t.Fatal(err)
		}
		if st.Pending == 0 {
			return
		}
	}
}

// recon moves the clock to when day's statement is ready and reconciles it.
func (e *env) recon(day clock.Date) *recon.Report {
	e.t.Helper()
	e.post()
	if ready := e.acct.Channel.Info().StatementReadyAt(day); e.sim.Clock().Now().Before(ready) {
		if err := e.sim.SetTime(ready.Add(time.Minute)); err != nil {
			e.t.Fatal(err)
		}
	}
	rep, err := e.runner.Run(e.ctx, e.acct, day)
	if err != nil {
		e.t.Fatal(err)
	}
	return rep
}

// externalCheck runs the ledger's sixth check with the day's reports as its source.
func (e *env) externalCheck(day clock.Date, reps ...*recon.Report) ledger.CheckResult {
	e.t.Helper()
	rep, err := ledger.Verify(e.ctx, e.db, e.sim.Clock(), ledger.VerifyOptions{Day: day, Statements: recon.Positions{Ledger: e.db, Reports: reps}})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range rep.Checks {
		if c.Name == ledger.CheckExternal {
			return c
		}
	}
	e.t.Fatal("no external check in the report")
	return ledger.CheckResult{}
}

func text(t *testing.T, rep *recon.Report) string {
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func eachStore(t *testing.T, fn func(t *testing.T, dsn string)) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), fn)
}

func TestScenario_CleanDay(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, nil)
		d := e.today()
		e.paid("CLEAN1", 10000)
		e.paid("CLEAN2", 2599)
		e.paid("CLEAN3", 1)
		e.refund("CLEAN1", "CLEAN1R", 2500)
		rep := e.recon(d)
		if !rep.OK() || rep.Classes[recon.Matched].Count != 4 || rep.ChannelRecords != 4 || rep.LocalRecords != 4 {
			t.Fatalf("clean day:\n%s", text(t, rep))
		}
		if c := e.externalCheck(d, rep); c.Skipped || !c.Passed() {
			t.Errorf("ledger external check on a clean day: %+v", c)
		}
	})
}

// A callback that never arrives leaves the payment pending in the core; the statement lists
// it paid; the run confirms it by the channel's query and completes it through the normal
// transition, and audits that.
func TestScenario_MissingCallbackFoundAndCompleted(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, nil)
		d := e.today()
		if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultMissingCallbacks, Channel: "wechat"}); err != nil {
			t.Fatal(err)
		}
		p := e.paid("LOST1", 4200)
		if p.State != order.Pending {
			t.Fatalf("the callback was dropped, yet the payment is %s", p.State)
		}
		rep := e.recon(d)
		got, err := e.db.Payment(e.ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != order.Succeeded || got.ChannelTxnID == "" {
			t.Fatalf("payment after recon: %s %q\n%s", got.State, got.ChannelTxnID, text(t, rep))
		}
		if rep.Open != 0 || len(rep.ResolvedToday) != 1 || rep.ResolvedToday[0].Class != recon.StatusDiffers {
			t.Fatalf("report:\n%s", text(t, rep))
		}
		// In the 余额调节表 the payment is in transit on the statement's side (the core had
		// not booked it on the day), and the table agrees: 42.00 less the 0.6% fee (0.25).
		if rep.Balance.ChannelOnly != 4200-25 || rep.LocalNet != 0 || !rep.Balanced() {
			t.Errorf("table: %+v core %d statement %d", rep.Balance, rep.LocalNet, rep.ChannelNet)
		}
		res, err := e.db.ReconResolutions(e.ctx, rep.ResolvedToday[0].ID)
		if err != nil || len(res) != 1 || res[0].Action != recon.ActionConfirm || res[0].Actor != recon.Actor {
			t.Fatalf("audit: %+v %v", res, err)
		}
		hist, _ := e.db.History(e.ctx, p.ID)
		if last := hist[len(hist)-1]; last.To != order.Succeeded || last.Cause != order.CauseQuery {
			t.Errorf("completed by %s -> %s, want a query transition", last.Cause, last.To)
		}
		// A second run of the day finds the payment matched and completes nothing twice.
		rep2 := e.recon(d)
		if !rep2.OK() || rep2.Classes[recon.Matched].Count != 1 {
			t.Errorf("re-run:\n%s", text(t, rep2))
		}
	})
}

// The statement has an extra record, misses one and changes an amount: three exceptions,
// a non-zero outcome, a failing external check; then each is resolved and audited, the
// changed amount through a ledger reversal and correction.
func TestScenario_StatementDifferencesResolved(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, nil)
		d := e.today()
		e.paid("DIFF1", 1000)
		miss := e.paid("DIFF2", 2000)
		chg := e.paid("DIFF3", 3000)
		for _, f := range []simulator.FaultPlan{
			{Kind: simulator.FaultStatementMissingRecord, Channel: "wechat", OutTradeNo: miss.ChannelOrderNo},
			{Kind: simulator.FaultStatementExtraRecord, Channel: "wechat", Code: "SIMEXTRA1", Amount: ptr(money.Fen(777))},
			{Kind: simulator.FaultStatementAmountChanged, Channel: "wechat", OutTradeNo: chg.ChannelOrderNo, Amount: ptr(money.Fen(3001))},
		} {
			if _, err := e.sim.AddFault(f); err != nil {
				t.Fatal(err)
			}
		}
		rep := e.recon(d)
		want := map[recon.Class]int64{recon.Matched: 1, recon.LocalOnly: 1, recon.ChannelOnly: 1, recon.AmountDiffers: 1}
		for c, n := range want {
			if rep.Classes[c].Count != n {
				t.Errorf("%s: %d, want %d", c, rep.Classes[c].Count, n)
			}
		}
		if rep.OK() || rep.Open != 3 || len(rep.Exceptions) != 3 || !rep.Balanced() {
			t.Fatalf("report:\n%s", text(t, rep))
		}
		// The table agrees once the items are listed: the missing 20.00 (less 0.12 fee) is in
		// transit on the core's side, the extra 7.77 (less its fee) on the statement's, and
		// the changed amount is a difference of 0.01.
		if rep.Balance.CoreOnly != 2000-12 || rep.Balance.Differences != 1 || rep.Balance.ChannelOnly <= 0 {
			t.Errorf("table: %+v\n%s", rep.Balance, text(t, rep))
		}
		if c := e.externalCheck(d, rep); c.Passed() || c.Skipped {
			t.Errorf("external check passed with a changed amount on the statement: %+v", c)
		}
		for _, it := range rep.Exceptions {
			// The changed amount is adjusted in the ledger; the record missing from the
			// statement is confirmed by the channel's query (the channel has it paid); the
			// extra record is accepted as an exception.
			action := recon.ActionException
			switch it.Class {
			case recon.AmountDiffers:
				action = recon.ActionAdjust
			case recon.LocalOnly:
				action = recon.ActionConfirm
			}
			got, err := e.runner.Resolve(e.ctx, map[string]recon.Account{"wx1": e.acct}, it.ID, action, "ops-li", "checked with the channel: ticket 42")
			if err != nil {
				t.Fatalf("resolve %s %s: %v", it.Class, it.No, err)
			}
			if got.Status != recon.ItemResolved {
				t.Errorf("%s after resolve: %s", it.Class, got.Status)
			}
			audit, err := e.db.ReconResolutions(e.ctx, it.ID)
			if err != nil || len(audit) != 1 || audit[0].Actor != "ops-li" || audit[0].Reason == "" || audit[0].At.IsZero() {
				t.Errorf("audit of %d: %+v %v", it.ID, audit, err)
			}
			if action == recon.ActionConfirm && !strings.Contains(audit[0].Detail, "on both sides") {
				t.Errorf("confirm detail: %q", audit[0].Detail)
			}
			if action == recon.ActionAdjust && !strings.Contains(audit[0].Detail, "reversed by entry") || action == recon.ActionAdjust && !strings.Contains(audit[0].Detail, "correction entry") {
				t.Errorf("adjust detail: %q", audit[0].Detail)
			}
			if _, err := e.runner.Resolve(e.ctx, nil, it.ID, recon.ActionException, "ops-li", "again"); err == nil {
				t.Errorf("a resolved item was resolved again")
			}
		}
		if open, _ := e.db.ReconItems(e.ctx, recon.ItemFilter{Account: "wx1", Day: d, Status: recon.ItemOpen}); len(open) != 0 {
			t.Errorf("still open: %+v", open)
		}
		// The adjustment left the ledger balanced (the trial balance is part of Verify), and
		// every voucher, the correction's included, names a business record (账证核对).
		vr, err := ledger.Verify(e.ctx, e.db, e.sim.Clock(), ledger.VerifyOptions{
			Vouchers: ledger.VoucherSources{posting.Vouchers{Orders: e.db}, recon.Vouchers{Store: e.db}}})
		if err != nil || !vr.OK() {
			t.Errorf("ledger verify after the adjustment: %v %+v", err, vr)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// The contract's fee (0.55%) is not what the channel charged (0.60%): fee differs.
func TestScenario_FeeMismatch(t *testing.T) {
	e := newEnv(t, storetest.SQLiteDSN(t), map[string]decimal.Decimal{"wx1": decimal.RequireFromString("0.0055")})
	d := e.today()
	e.paid("FEE1", 100000) // 0.60% = 6.00, 0.55% = 5.50
	e.paid("FEE2", 100)    // 0.60% = 0.6 fen -> 1, 0.55% -> 1: agree
	rep := e.recon(d)
	if rep.Classes[recon.FeeDiffers].Count != 1 || rep.Classes[recon.Matched].Count != 1 || len(rep.Exceptions) != 1 {
		t.Fatalf("report:\n%s", text(t, rep))
	}
	if it := rep.Exceptions[0]; it.LocalFee != 550 || it.ChannelFee != 600 {
		t.Errorf("fees: contract %d, channel %d", it.LocalFee, it.ChannelFee)
	}
}

// A payment on D refunded on D+1: each day reconciles on its own.
func TestScenario_RefundOnTheNextDay(t *testing.T) {
	e := newEnv(t, storetest.SQLiteDSN(t), nil)
	d := e.today()
	e.paid("NEXT1", 5000)
	if rep := e.recon(d); !rep.OK() || rep.Classes[recon.Matched].Count != 1 {
		t.Fatalf("day D:\n%s", text(t, rep))
	}
	e.setTime(d.AddDays(1), 11, 0, 0)
	e.refund("NEXT1", "NEXT1R", 5000)
	rep := e.recon(d.AddDays(1))
	if !rep.OK() || rep.Classes[recon.Matched].Count != 1 || rep.LocalRecords != 1 || rep.ChannelNet >= 0 {
		t.Fatalf("day D+1:\n%s", text(t, rep))
	}
}

// A payment created just before midnight that the payer completes at 00:00:01 belongs to
// D+1 on both sides: D is clean without it and D+1 matches it.
func TestScenario_CompletionAtMidnightBelongsToNextDay(t *testing.T) {
	e := newEnv(t, storetest.SQLiteDSN(t), nil)
	d := e.today()
	e.setTime(d, 23, 59, 50)
	if _, err := e.sim.AddFault(simulator.FaultPlan{Kind: simulator.FaultCompleteAfterMidnight, Channel: "wechat"}); err != nil {
		t.Fatal(err)
	}
	p := e.paid("MID1", 880)
	if err := e.sim.Advance(15 * time.Second); err != nil {
		t.Fatal(err)
	}
	got, _ := e.db.Payment(e.ctx, p.ID)
	if got.State != order.Succeeded || clock.DateOf(got.PaidAt, clock.Beijing()) != d.AddDays(1) {
		t.Fatalf("payment %s paid at %v", got.State, got.PaidAt)
	}
	if rep := e.recon(d); !rep.OK() || rep.ChannelRecords != 0 || rep.LocalRecords != 0 {
		t.Fatalf("day D:\n%s", text(t, rep))
	}
	if rep := e.recon(d.AddDays(1)); !rep.OK() || rep.Classes[recon.Matched].Count != 1 {
		t.Fatalf("day D+1:\n%s", text(t, rep))
	}
}
