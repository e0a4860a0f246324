package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
)

const settleUsage = `Usage: tongdao settle COMMAND --db DSN --config FILE [flags]

Clearing and settlement over the gateway's database, with the gateway's config file (its
channel accounts, their fee contracts — fee_rate or fees — and its clearing block).

Commands:
  run            --day YYYY-MM-DD [--json]
                 settle clearing day D: one batch per merchant and currency with gross,
                 refunds, fees (by contract, less fees returned by refunds) and net, due on
                 D+t (clearing.t, default 1); each batch posts Dr 2202 merchant payable,
                 Cr 2203 merchant settlement, Cr 6021 fee income, keyed by the batch id.
                 Each channel's day is its own: natural day (WeChat, Alipay, bank) or
                 UnionPay's, which turns at 23:00 Beijing. A day not over yet is refused.
                 Running a day again stores and posts nothing new; a payment recorded
                 since (a late success) goes into a supplement batch (…-2).
  batches        --day YYYY-MM-DD [--json]   (needs only --db)
                 list the stored batches of clearing day D (every run's, supplements
                 included) with their ledger entries; exit 1 if one is not posted yet.
  funds-arrived  --channel NAME --day YYYY-MM-DD --amount YUAN --ref REF [--json]
                 record a channel's money for clearing day D arriving at the bank (from a
                 bank statement line or an operator): Dr 1002 bank, Cr 1122 receivable.
                 Prints what the day's orders say was due and the difference. The same
                 --ref again posts nothing; with another amount it is refused.
  ageing         [--day YYYY-MM-DD] [--json]
                 set each channel's receivable age limit from clearing.ageing and report
                 the channels whose receivable awaiting clearing is past it (as of the end
                 of --day, default now); exit 1 if any is.

Exit codes: 0 done, 1 failed (or ageing found overdue receivables), 2 usage or config.
DSN is sqlite:PATH or postgres://…; the default is ` + store.DefaultDSN + `.
Amounts are yuan with at most two decimals ("1001.90"); JSON output gives amounts as
{"minor": fen, "currency": "CNY"}.
`

func settleMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, settleUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"run": settleRun, "funds-arrived": settleFunds, "ageing": settleAgeing, "batches": settleBatches,
	}
	fn, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "tongdao settle: unknown command %q\n\n%s", args[0], settleUsage)
		return 2
	}
	return fn(ctx, args[1:], stdout, stderr)
}

// settleEnv is what every settle command opens: the store, the ledger, the settler.
type settleEnv struct {
	db       *store.DB
	l        *ledger.Ledger
	s        *clearing.Settler
	file     *gatewayFile
	channels map[string]channel.Channel
}

func (e *settleEnv) close() {
	if e.l != nil {
		_ = e.l.Close()
	}
	if e.db != nil {
		_ = e.db.Close()
	}
}

func settleFlags(name string, stderr io.Writer) (*flag.FlagSet, *string, *string, *bool) {
	fs := flag.NewFlagSet("tongdao settle "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", store.DefaultDSN, "the gateway's store: sqlite:PATH or postgres://…")
	cfg := fs.String("config", "", "the gateway's YAML config (channel accounts, fees, clearing block); required")
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), settleUsage)
		fmt.Fprintf(fs.Output(), "\nFlags of %s:\n", name)
		fs.PrintDefaults()
	}
	return fs, dsn, cfg, asJSON
}

// openSettle opens the store and builds the settler from the config. code is the exit code
// on error.
func openSettle(ctx context.Context, name, dsn, cfgPath string, stderr io.Writer) (*settleEnv, int) {
	if cfgPath == "" {
		fmt.Fprintf(stderr, "tongdao settle %s: --config is required (the gateway's YAML config)\n", name)
		return nil, 2
	}
	file, err := loadGatewayFile(cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao settle %s: config: %v\n", name, err)
		return nil, 2
	}
	db, err := openStore(ctx, dsn, false)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao settle %s: %v\n", name, err)
		return nil, 1
	}
	env := &settleEnv{db: db, file: file}
	gcfg, err := file.build(db, clock.Real(), slog.New(slog.NewTextHandler(io.Discard, nil)), &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		env.close()
		fmt.Fprintf(stderr, "tongdao settle %s: config: %v\n", name, err)
		return nil, 2
	}
	env.channels = map[string]channel.Channel{}
	cuts := map[string]time.Duration{}
	for _, a := range gcfg.Accounts {
		env.channels[a.ID] = a.Channel
		cuts[a.Channel.Name()] = a.Channel.Info().DayCutoff
	}
	cs, err := file.contracts(env.channels)
	if err != nil {
		env.close()
		fmt.Fprintf(stderr, "tongdao settle %s: config: %v\n", name, err)
		return nil, 2
	}
	if env.l, err = ledger.New(ledger.Config{Store: db, Clock: clock.Real(), Cutoff: clock.NaturalDay}); err != nil {
		env.close()
		fmt.Fprintf(stderr, "tongdao settle %s: %v\n", name, err)
		return nil, 1
	}
	if env.s, err = clearing.New(clearing.Config{Store: db, Ledger: env.l, Clock: clock.Real(), Contracts: cs, Channels: cuts,
		T: file.Clearing.T, Bank: file.Clearing.Bank}); err != nil {
		env.close()
		fmt.Fprintf(stderr, "tongdao settle %s: %v\n", name, err)
		return nil, 2
	}
	return env, 0
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func settleRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn, cfg, asJSON := settleFlags("run", stderr)
	dayS := fs.String("day", "", "the clearing day to settle, YYYY-MM-DD (required)")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	day, err := clock.ParseDate(*dayS)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao settle run: --day: %v\n", err)
		return 2
	}
	env, code := openSettle(ctx, "run", *dsn, *cfg, stderr)
	if env == nil {
		return code
	}
	defer env.close()
	began := time.Now()
	res, err := env.s.Run(ctx, day)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao settle run: %v\n", err)
		return 1
	}
	if *asJSON {
		writeJSON(stdout, res)
		return 0
	}
	fmt.Fprintf(stdout, "settle %s: %d items read, %d new batches, %d posted, %d from earlier runs (%.2fs: read %.2fs, store %.2fs, post %.2fs)\n",
		day, res.Items, len(res.Created), res.Posted, res.Existing, time.Since(began).Seconds(), res.Took.Read.Seconds(),
		res.Took.Store.Seconds(), res.Took.Post.Seconds())
	printBatches(stdout, res.Created)
	return 0
}

func printBatches(w io.Writer, bs []clearing.Batch) {
	if len(bs) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "BATCH\tPAY ON\tPAYMENTS\tREFUNDS\tGROSS\tREFUNDED\tFEES\tNET\tENTRY\t")
	for _, b := range bs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%d\t\n", b.ID, b.PayOn, b.Payments, b.Refunds, b.Gross.Grouped(),
			b.Refunded.Grouped(), b.Fees.Grouped(), b.Net.Grouped(), b.EntrySeq)
	}
	_ = tw.Flush()
}

func settleFunds(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn, cfg, asJSON := settleFlags("funds-arrived", stderr)
	ch := fs.String("channel", "", "the channel that paid: wechat, alipay, unionpay, bank (required)")
	dayS := fs.String("day", "", "the clearing day the money settles, YYYY-MM-DD (required)")
	amtS := fs.String("amount", "", "what arrived, in yuan, e.g. 1001.90 (required)")
	ref := fs.String("ref", "", "the bank statement line or operator reference; one arrival, one ref (required)")
	cur := fs.String("currency", "CNY", "the amount's currency")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	day, err := clock.ParseDate(*dayS)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao settle funds-arrived: --day: %v\n", err)
		return 2
	}
	c, err := money.ParseCurrency(*cur)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao settle funds-arrived: --currency: %v\n", err)
		return 2
	}
	amt, err := money.Parse(strings.ReplaceAll(*amtS, ",", ""), c)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao settle funds-arrived: --amount: %v\n", err)
		return 2
	}
	if *ch == "" || *ref == "" {
		fmt.Fprintln(stderr, "tongdao settle funds-arrived: --channel and --ref are required")
		return 2
	}
	env, code := openSettle(ctx, "funds-arrived", *dsn, *cfg, stderr)
	if env == nil {
		return code
	}
	defer env.close()
	res, err := env.s.FundsArrived(ctx, clearing.Arrival{Channel: *ch, Day: day, Amount: amt, Ref: *ref})
	if err != nil {
		fmt.Fprintf(stderr, "tongdao settle funds-arrived: %v\n", err)
		return 1
	}
	if *asJSON {
		writeJSON(stdout, map[string]any{"entry_seq": res.Entry.Seq, "channel": *ch, "day": day, "ref": *ref, "amount": amt,
			"due": res.Due, "difference": res.Difference})
		return 0
	}
	fmt.Fprintf(stdout, "funds from %s for %s: %s arrived (entry %d), %s due by the day's orders, difference %s\n",
		*ch, day, amt.Grouped(), res.Entry.Seq, res.Due.Grouped(), res.Difference.Grouped())
	return 0
}

func settleAgeing(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn, cfg, asJSON := settleFlags("ageing", stderr)
	dayS := fs.String("day", "", "as of the end of this Beijing day, YYYY-MM-DD (default now)")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	var day clock.Date
	if *dayS != "" {
		var err error
		if day, err = clock.ParseDate(*dayS); err != nil {
			fmt.Fprintf(stderr, "tongdao settle ageing: --day: %v\n", err)
			return 2
		}
	}
	env, code := openSettle(ctx, "ageing", *dsn, *cfg, stderr)
	if env == nil {
		return code
	}
	defer env.close()
	limits := env.file.Clearing.ageLimits()
	if len(limits) == 0 {
		fmt.Fprintln(stderr, "tongdao settle ageing: the config has no clearing.ageing limits")
		return 2
	}
	if err := clearing.ApplyAgeLimits(ctx, env.l, env.db, limits, money.CNY); err != nil {
		fmt.Fprintf(stderr, "tongdao settle ageing: %v\n", err)
		return 1
	}
	od, err := clearing.OverdueReceivables(ctx, env.db, clock.Real(), day)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao settle ageing: %v\n", err)
		return 1
	}
	if *asJSON {
		if od == nil {
			od = []clearing.Overdue{}
		}
		writeJSON(stdout, map[string]any{"ok": len(od) == 0, "overdue": od})
	} else if len(od) == 0 {
		fmt.Fprintf(stdout, "ageing: no receivable awaiting clearing is past its limit (%d channels checked)\n", len(limits))
	} else {
		for _, o := range od {
			fmt.Fprintf(stdout, "OVERDUE %s %s (account %d, limit %s): %s\n", o.Channel, o.Currency, o.Account, o.Limit, o.Detail)
		}
	}
	if len(od) > 0 {
		return 1
	}
	return 0
}

func settleBatches(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn, _, asJSON := settleFlags("batches", stderr)
	dayS := fs.String("day", "", "the clearing day, YYYY-MM-DD (required)")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	day, err := clock.ParseDate(*dayS)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao settle batches: --day: %v\n", err)
		return 2
	}
	db, err := openStore(ctx, *dsn, false)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao settle batches: %v\n", err)
		return 1
	}
	defer db.Close()
	bs, err := db.SettlementBatches(ctx, day)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao settle batches: %v\n", err)
		return 1
	}
	unposted := 0
	for _, b := range bs {
		if b.EntrySeq == 0 && (b.Gross != b.Refunded || !b.Fees.IsZero()) {
			unposted++
		}
	}
	if *asJSON {
		if bs == nil {
			bs = []clearing.Batch{}
		}
		writeJSON(stdout, map[string]any{"day": day, "batches": bs, "unposted": unposted})
	} else {
		fmt.Fprintf(stdout, "clearing day %s: %d batches, %d not posted\n", day, len(bs), unposted)
		printBatches(stdout, bs)
	}
	if unposted > 0 {
		return 1
	}
	return 0
}
