package gatewaytarget

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/balance"
	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/recon"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/wallet"
	"github.com/tongdao/tongdao/scenarios"
)

// FeeRates are the channel accounts' fee contracts (a rate on each payment, decimal
// fraction), the same rates the simulator's demo merchants charge: the ledger poster books
// them, reconciliation compares the statements' fees with them, settlement deducts them.
var FeeRates = map[string]string{"wechat": "0.006", "alipay": "0.006", "unionpay": "0.006", "bank": "0"}

// AgeLimits are how long each channel's receivable may await its funds before the ledger's
// ageing check (账龄) reports it overdue: T+1 channels two days, UnionPay three.
var AgeLimits = map[string]time.Duration{"wechat": 48 * time.Hour, "alipay": 48 * time.Hour, "unionpay": 72 * time.Hour, "bank": 48 * time.Hour}

// WalletMerchant is the gateway merchant wallet top-ups are paid under (wallet.Config's
// TopUpMerchant).
const WalletMerchant = "wallet"

// BalanceTokenKey signs the scenario gateway's balance-query tokens (test data).
var BalanceTokenKey = []byte("scenario-balance-token-key-0123456789abcdef")

// scenarioKDF keeps wallet password hashing cheap in scenarios (the parameters travel
// with each hash).
var scenarioKDF = wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

// scenarioKeyring seals wallet ID and card numbers with fixed test keys.
func scenarioKeyring() (*card.Keyring, error) {
	return card.NewKeyring(card.KeyringConfig{Keys: map[string][]byte{"k1": bytes.Repeat([]byte{7}, 16)}, Active: "k1",
		FingerprintKey: bytes.Repeat([]byte{9}, 32)})
}

// core is the payment core behind one scenario gateway: the ledger and its poster, the
// wallets, the balance query with its audit log, reconciliation and settlement.
type core struct {
	db       *store.DB
	clk      clock.Clock
	gw       *gateway.Gateway
	led      *ledger.Ledger
	poster   *posting.Poster
	wallet   *wallet.Service
	audit    *audit.Log
	balance  *balance.Service
	recon    *recon.Runner
	settler  *clearing.Settler
	accounts map[string]recon.Account
}

// newCore builds the core over db for the gateway's accounts. The caller has set the
// outbox consumers (coreConsumers).
func newCore(ctx context.Context, db *store.DB, clk clock.Clock, gw *gateway.Gateway, accounts []gateway.Account) (*core, error) {
	c := &core{db: db, clk: clk, gw: gw, accounts: map[string]recon.Account{}}
	cs := clearing.Contracts{}
	cuts := map[string]time.Duration{}
	feeRefund := map[string]channel.FeeRefund{}
	var bank channel.Channel
	for _, a := range accounts {
		rate, ok := FeeRates[a.ID]
		if !ok {
			rate = "0"
		}
		k, err := clearing.RateContract(a.ID, a.Channel.Name(), decimal.RequireFromString(rate), a.Channel.Info().Refund.Fee)
		if err != nil {
			return nil, err
		}
		if err := cs.Add(k); err != nil {
			return nil, err
		}
		cuts[a.Channel.Name()] = a.Channel.Info().DayCutoff
		feeRefund[a.Channel.Name()] = a.Channel.Info().Refund.Fee
		c.accounts[a.ID] = recon.Account{ID: a.ID, Channel: a.Channel}
		if a.ID == "bank" {
			bank = a.Channel
		}
	}
	var err error
	if c.led, err = ledger.New(ledger.Config{Store: db, Clock: clk, Cutoff: clock.NaturalDay}); err != nil {
		return nil, err
	}
	fail := func(err error) (*core, error) {
		c.close()
		return nil, err
	}
	limits := map[string]time.Duration{}
	for ch := range cuts {
		if lim, ok := AgeLimits[ch]; ok {
			limits[ch] = lim
		}
	}
	if err := clearing.ApplyAgeLimits(ctx, c.led, db, limits, money.CNY); err != nil {
		return fail(err)
	}
	fees := cs.FeeFunc()
	if c.poster, err = posting.New(posting.Config{Store: db, Ledger: c.led, Clock: clk, Fees: fees, FeeRefund: feeRefund,
		SkipMerchants: []string{WalletMerchant}}); err != nil {
		return fail(err)
	}
	kr, err := scenarioKeyring()
	if err != nil {
		return fail(err)
	}
	wc := wallet.Config{Store: db, Ledger: c.led, Clock: clk, Keyring: kr, KDF: scenarioKDF,
		Pay: gw.Pay, Orders: db, Fees: fees, TopUpMerchant: WalletMerchant}
	if bank != nil {
		if p, ok := bank.(channel.Payouter); ok {
			wc.Payouter = p
		}
		if b, ok := bank.(channel.Binder); ok {
			wc.Binders = map[string]channel.Binder{"bank": b}
		}
	}
	if c.wallet, err = wallet.New(wc); err != nil {
		return fail(err)
	}
	c.wallet.Mount(gw)
	if c.audit, err = audit.New(ctx, audit.Config{Store: db}); err != nil {
		return fail(err)
	}
	if c.balance, err = balance.New(balance.Config{Source: c.wallet.BalanceSource(), Audit: c.audit, TokenKey: BalanceTokenKey, Clock: clk}); err != nil {
		return fail(err)
	}
	if c.recon, err = recon.New(recon.Config{Store: db, Orders: db, Clock: clk,
		Fee:      recon.ContractFee(cs),
		Adjuster: recon.LedgerAdjuster{Ledger: c.led, Store: db, Orders: db}}); err != nil {
		return fail(err)
	}
	if c.settler, err = clearing.New(clearing.Config{Store: db, Ledger: c.led, Clock: clk, Contracts: cs, Channels: cuts}); err != nil {
		return fail(err)
	}
	return c, nil
}

// coreConsumers are the outbox consumers besides the webhooks: the ledger poster and the
// wallet's top-up crediting.
func coreConsumers(db *store.DB, webhook string) {
	db.SetOutboxConsumers(webhook, "ledger", "wallet")
	db.SetOutboxTypes("ledger", posting.EventTypes...)
	db.SetOutboxTypes("wallet", "payment.succeeded")
}

func (c *core) close() {
	if c.audit != nil {
		_ = c.audit.Close()
	}
	if c.led != nil {
		_ = c.led.Close()
	}
}

// work runs the poster's and the wallet's rounds until neither has an event left.
func (c *core) work(ctx context.Context) error {
	for i := 0; i < 200; i++ {
		if _, err := c.poster.RunOnce(ctx); err != nil {
			return fmt.Errorf("postings: %w", err)
		}
		if _, err := c.wallet.WorkOnce(ctx); err != nil {
			return fmt.Errorf("wallet: %w", err)
		}
		lst, err := c.db.OutboxStats(ctx, "ledger")
		if err != nil {
			return err
		}
		wst, err := c.db.OutboxStats(ctx, "wallet")
		if err != nil {
			return err
		}
		if lst.Pending == 0 && wst.Pending == 0 {
			return nil
		}
	}
	return nil
}

// run runs one core step.
func (c *core) run(ctx context.Context, call scenarios.CoreCall) ([]byte, error) {
	a := call.Args
	switch call.Action {
	case scenarios.ActRecon:
		return c.runRecon(ctx, a["account"], a["day"])
	case scenarios.ActReconResolve:
		id, err := strconv.ParseInt(a["item"], 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("item: want an item number (capture it from a recon step's items), got %q", a["item"])
		}
		actor, reason := a["actor"], a["reason"]
		if actor == "" {
			actor = "qa"
		}
		if reason == "" {
			reason = "scenario " + a["action"]
		}
		it, err := c.recon.Resolve(ctx, c.accounts, id, recon.Action(a["action"]), actor, reason)
		if err != nil {
			return nil, err
		}
		if err := c.work(ctx); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"id": it.ID, "status": it.Status, "class": it.Class, "kind": it.Kind, "no": it.No, "note": it.Note})
	case scenarios.ActSettle:
		day, err := clock.ParseDate(a["day"])
		if err != nil {
			return nil, err
		}
		res, err := c.settler.Run(ctx, day)
		if errors.Is(err, clearing.ErrDayOpen) {
			return json.Marshal(map[string]any{"error": "day_open", "created": 0})
		}
		if err != nil {
			return nil, err
		}
		bs := make([]map[string]any, 0, len(res.Created))
		for _, b := range res.Created {
			bs = append(bs, map[string]any{"id": b.ID, "merchant": b.MerchantID, "day": b.Day.String(), "pay_on": b.PayOn.String(),
				"payments": b.Payments, "refunds": b.Refunds, "gross": b.Gross.Decimal(), "refunded": b.Refunded.Decimal(),
				"fees": b.Fees.Decimal(), "net": b.Net.Decimal(), "entry_seq": b.EntrySeq})
		}
		return json.Marshal(map[string]any{"created": len(res.Created), "existing": res.Existing, "posted": res.Posted, "items": res.Items, "batches": bs})
	case scenarios.ActFundsArrived:
		day, err := clock.ParseDate(a["day"])
		if err != nil {
			return nil, err
		}
		num, cur, _ := strings.Cut(a["amount"], " ")
		amt, err := money.Parse(num, money.Currency(cur))
		if err != nil {
			return nil, err
		}
		ref := a["ref"]
		if ref == "" {
			ref = "scenario-" + a["channel"] + "-" + day.String()
		}
		ar, err := c.settler.FundsArrived(ctx, clearing.Arrival{Channel: a["channel"], Day: day, Amount: amt, Ref: ref})
		if err != nil {
			return nil, err
		}
		var seq int64
		if ar.Entry != nil {
			seq = ar.Entry.Seq
		}
		return json.Marshal(map[string]any{"due": ar.Due.Decimal(), "difference": ar.Difference.Decimal(), "entry_seq": seq})
	case scenarios.ActLedgerVerify:
		return c.verify(ctx, a["day"], a["account"])
	case scenarios.ActPayment:
		p, err := c.db.Payment(ctx, a["id"])
		if err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"id": p.ID, "merchant": p.MerchantID, "order_no": p.OrderNo, "channel": p.Channel,
			"channel_order_no": p.ChannelOrderNo, "state": p.State, "amount": p.Amount.Minor(), "refunded_amount": p.RefundedAmount.Minor()})
	case scenarios.ActAudit:
		return c.auditLines(ctx, a["account"], a["actor"], a["action"])
	case scenarios.ActTamperDB:
		res, err := c.db.SQL().ExecContext(ctx, a["sql"])
		if err != nil {
			return nil, err
		}
		n, _ := res.RowsAffected()
		return json.Marshal(map[string]any{"rows": n})
	}
	return nil, fmt.Errorf("unknown core step %q", call.Action)
}

func (c *core) runRecon(ctx context.Context, account, dayText string) ([]byte, error) {
	acct, ok := c.accounts[account]
	if !ok {
		ids := make([]string, 0, len(c.accounts))
		for id := range c.accounts {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		return nil, fmt.Errorf("account: no channel account %q; the scenario gateway has %s", account, strings.Join(ids, ", "))
	}
	day, err := clock.ParseDate(dayText)
	if err != nil {
		return nil, err
	}
	rep, err := c.recon.Run(ctx, acct, day)
	if err != nil {
		return nil, err
	}
	// Confirmed items complete orders: let the poster book them before the next step.
	if err := c.work(ctx); err != nil {
		return nil, err
	}
	counts := map[string]int64{}
	for _, cl := range recon.Classes {
		counts[string(cl)] = 0
		if t := rep.Classes[cl]; t != nil {
			counts[string(cl)] = t.Count
		}
	}
	items := []map[string]any{}
	add := func(list []recon.Item) {
		for _, it := range list {
			items = append(items, map[string]any{"id": it.ID, "class": it.Class, "kind": it.Kind, "no": it.No, "order_no": it.OrderNo,
				"status": it.Status, "local_amount": it.LocalAmount, "channel_amount": it.ChannelAmount,
				"local_fee": it.LocalFee, "channel_fee": it.ChannelFee, "note": it.Note})
		}
	}
	add(rep.Exceptions)
	add(rep.Waiting)
	add(rep.ResolvedToday)
	return json.Marshal(map[string]any{
		"ok": rep.OK(), "agrees": rep.Balanced(), "counts": counts, "classes": rep.Classes, "open": rep.Open,
		"waiting": rep.Result.Waiting.Count, "carried": rep.Carried.Count, "carried_matched": rep.CarriedMatched,
		"channel_records": rep.ChannelRecords, "local_records": rep.LocalRecords,
		"channel_net": rep.ChannelNet, "local_net": rep.LocalNet, "balance": rep.Balance, "items": items,
		"totals_mismatch": rep.TotalsMismatch,
	})
}

// verify runs the ledger's checks; account (a ledger account id) asks whether each failing
// check names it.
func (c *core) verify(ctx context.Context, dayText, account string) ([]byte, error) {
	opt := ledger.VerifyOptions{Vouchers: ledger.VoucherSources{posting.Vouchers{Orders: c.db}, clearing.Vouchers{Store: c.db},
		recon.Vouchers{Store: c.db}, wallet.Vouchers{Wallet: c.db, Orders: c.db}}}
	if dayText != "" {
		day, err := clock.ParseDate(dayText)
		if err != nil {
			return nil, err
		}
		opt.Day = day
	}
	rep, err := c.led.Verify(ctx, opt)
	if err != nil {
		return nil, err
	}
	failed := []string{}
	checks := map[string]any{}
	for _, ck := range rep.Checks {
		recs := make([]string, 0, len(ck.Findings))
		for _, f := range ck.Findings {
			recs = append(recs, f.Record)
		}
		v := map[string]any{"failures": ck.Failures, "skipped": ck.Skipped, "records": strings.Join(recs, "; ")}
		if ck.Failures > 0 {
			failed = append(failed, ck.Name)
			if account != "" {
				v["names_account"] = ck.Names("account " + account)
			}
		}
		checks[ck.Name] = v
	}
	overdue, err := clearing.OverdueReceivables(ctx, c.db, c.clk, opt.Day)
	if err != nil {
		return nil, err
	}
	late := []string{}
	for _, o := range overdue {
		late = append(late, o.Channel)
	}
	sort.Strings(late)
	return json.Marshal(map[string]any{"ok": rep.OK(), "failed": strings.Join(failed, ","), "checks": checks, "overdue": strings.Join(late, ",")})
}

// auditLines lists the audit log's records (of an account, an actor, an action) with a
// count per result, and whether the whole hash chain verifies.
func (c *core) auditLines(ctx context.Context, account, actor, action string) ([]byte, error) {
	results := map[string]int{}
	recs := []map[string]any{}
	err := c.db.AuditRecords(ctx, audit.Filter{Account: account, Actor: actor}, func(r *audit.Record) error {
		if action != "" && r.Action != action {
			return nil
		}
		results[r.Result]++
		recs = append(recs, map[string]any{"seq": r.Seq, "actor": r.Actor, "action": r.Action, "account": r.Account, "ip": r.IP, "result": r.Result})
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep, err := audit.Verify(ctx, c.db, audit.VerifyOptions{})
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"count": len(recs), "results": results, "verified": rep.OK(), "records": recs})
}
