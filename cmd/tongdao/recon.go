package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/recon"
	"github.com/tongdao/tongdao/core/store"
)

const reconUsage = `Usage: tongdao recon COMMAND [flags]

Reconciles each channel account's statement of one accounting day against the payments and
refunds in the database (对账), and keeps what differs as items for people to resolve.

Commands:
  run      --day YYYY-MM-DD --db DSN --config gateway.yaml [--channel NAME] [--account ID]
           [--format text|json|csv] [--out FILE] [--window 30m] [--no-ledger-check]
           download each account's statement of the day through its channel, match it by
           merchant order / refund number, confirm by the channel's query (and complete)
           the payments it lists as paid that the database has as pending, store every
           difference, print the report, and run the ledger's external check (账实核对)
           with the statements as its source. Exit 0 when nothing is left open, 1 when
           exceptions remain or a check fails, 2 on bad usage.
  list     --db DSN [--day YYYY-MM-DD] [--account ID] [--status open|waiting|resolved]
           list stored items
  resolve  --db DSN --config gateway.yaml --item ID --action confirm|exception|adjust
           --actor WHO --reason WHY
           resolve one item; every resolution is audited (who, when, why, what was done):
             confirm    query the channel about the order and apply its answer through
                        the order's normal transition; resolved when both sides agree
             exception  accept the difference as an exception with the reason
             adjust     reverse the ledger entry of the order and, for a changed amount or
                        fee, post a correction entry with the statement's figures (a
                        reversal and a correction: entries are never edited)
  history  --db DSN --item ID
           the item and its audit trail

The accounting day is the channel's: the natural Beijing day for WeChat, Alipay and the
bank; UnionPay's day D runs from D-1 23:00 to D 23:00. A statement can be downloaded once
the channel has it ready (WeChat and UnionPay: 10:00 the next morning).

Records that cannot be matched within --window of the end of the day (轧账切分点) wait
for the next day's run before they become exceptions: run the days in order.

DSN is sqlite:PATH or postgres://…; --config is the gateway's config file (accounts,
their channels and fee_rate, which is compared with each statement's fee).
`

func reconMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, reconUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"run": reconRun, "list": reconList, "resolve": reconResolve, "history": reconHistory,
	}
	fn, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "tongdao recon: unknown command %q\n\n%s", args[0], reconUsage)
		return 2
	}
	return fn(ctx, args[1:], stdout, stderr)
}

func reconFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("tongdao recon "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), reconUsage) }
	dsn := fs.String("db", store.DefaultDSN, "store DSN: sqlite:PATH or postgres://…")
	return fs, dsn
}

// reconSetup is what run, resolve and ledger verify --statements share: the store, the
// accounts of the gateway config and a runner.
type reconSetup struct {
	db       *store.DB
	accounts []recon.Account
	runner   *recon.Runner
	ledger   *ledger.Ledger
}

func (s *reconSetup) close() {
	if s.ledger != nil {
		_ = s.ledger.Close()
	}
	if s.db != nil {
		_ = s.db.Close()
	}
}

// newReconSetup opens dsn and builds the channel accounts of cfgPath (only those of channel
// or account when given). withLedger opens the ledger for adjustments.
func newReconSetup(ctx context.Context, dsn, cfgPath, channelName, account string, window time.Duration, withLedger bool) (*reconSetup, int, error) {
	if cfgPath == "" {
		return nil, 2, errors.New("--config is required (the gateway config naming the channel accounts)")
	}
	file, err := loadGatewayFile(cfgPath)
	if err != nil {
		return nil, 2, fmt.Errorf("config: %w", err)
	}
	db, err := openStore(ctx, dsn, false)
	if err != nil {
		return nil, 1, err
	}
	s := &reconSetup{db: db}
	cfg, err := file.build(db, clock.Real(), slog.New(slog.DiscardHandler), &http.Client{Timeout: 5 * time.Minute})
	if err != nil {
		s.close()
		return nil, 2, fmt.Errorf("config: %w", err)
	}
	for _, a := range cfg.Accounts {
		if (channelName == "" || a.Channel.Name() == channelName) && (account == "" || a.ID == account) {
			s.accounts = append(s.accounts, recon.Account{ID: a.ID, Channel: a.Channel})
		}
	}
	if len(s.accounts) == 0 {
		s.close()
		return nil, 2, fmt.Errorf("no channel account in %s matches --channel %q --account %q", cfgPath, channelName, account)
	}
	rc := recon.Config{Store: db, Orders: db, Clock: clock.Real(), Window: window}
	// The fee each payment should have cost, by the account's fee contract (fees: or
	// fee_rate:, as the ledger poster charges it), is compared with the statement's fee.
	chans := map[string]channel.Channel{}
	for _, a := range cfg.Accounts {
		chans[a.ID] = a.Channel
	}
	cs, err := file.contracts(chans)
	if err != nil {
		s.close()
		return nil, 2, fmt.Errorf("config: %w", err)
	}
	rc.Fee = recon.ContractFee(cs)
	if withLedger {
		l, err := ledger.New(ledger.Config{Store: db, Clock: clock.Real(), Cutoff: clock.NaturalDay})
		if err != nil {
			s.close()
			return nil, 1, err
		}
		s.ledger = l
		rc.Adjuster = recon.LedgerAdjuster{Ledger: l, Store: db, Orders: db}
	}
	if s.runner, err = recon.New(rc); err != nil {
		s.close()
		return nil, 2, err
	}
	return s, 0, nil
}

func reconRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn := reconFlags("run", stderr)
	dayS := fs.String("day", "", "the channel's accounting day YYYY-MM-DD (required)")
	cfgPath := fs.String("config", "", "gateway config file: the channel accounts (required)")
	channelName := fs.String("channel", "", "only the accounts of this channel (wechat, alipay, unionpay, bank)")
	account := fs.String("account", "", "only this channel account")
	format := fs.String("format", "text", "report format: text, json or csv")
	out := fs.String("out", "", "write the report to FILE instead of standard output")
	window := fs.Duration("window", 30*time.Minute, "cross-day window: unmatched records this close to the day's end wait for the next day")
	noCheck := fs.Bool("no-ledger-check", false, "skip the ledger's external check")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	day, err := clock.ParseDate(*dayS)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao recon run: --day: %v\n", err)
		return 2
	}
	if *format != "text" && *format != "json" && *format != "csv" {
		fmt.Fprintf(stderr, "tongdao recon run: --format %q: one of text, json, csv\n", *format)
		return 2
	}
	if *window <= 0 {
		*window = -1 // recon.Config: zero is its default, negative is no window
	}
	s, code, err := newReconSetup(ctx, *dsn, *cfgPath, *channelName, *account, *window, false)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao recon run: %v\n", err)
		return code
	}
	defer s.close()
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintf(stderr, "tongdao recon run: %v\n", err)
			return 1
		}
		defer f.Close()
		w = f
	}
	exit := 0
	var reps []*recon.Report
	for i, a := range s.accounts {
		rep, err := s.runner.Run(ctx, a, day)
		if err != nil {
			fmt.Fprintf(stderr, "tongdao recon run: %s: %v\n", a.ID, err)
			exit = 1
			continue
		}
		reps = append(reps, rep)
		switch *format {
		case "json":
			err = rep.WriteJSON(w)
		case "csv":
			if i > 0 {
				// One header for the file: later reports skip theirs.
				err = writeCSVNoHeader(w, rep)
			} else {
				err = rep.WriteCSV(w)
			}
		default:
			if i > 0 {
				fmt.Fprintln(w)
			}
			err = rep.WriteText(w)
		}
		if err != nil {
			fmt.Fprintf(stderr, "tongdao recon run: write the report: %v\n", err)
			return 1
		}
		if !rep.OK() {
			exit = 1
		}
	}
	if !*noCheck && len(reps) > 0 {
		c, err := externalCheck(ctx, s.db, day, reps)
		if err != nil {
			fmt.Fprintf(stderr, "tongdao recon run: ledger external check: %v\n", err)
			return 1
		}
		printExternal(stderr, c)
		if !c.Skipped && !c.Passed() {
			exit = 1
		}
	}
	return exit
}

// externalCheck runs the ledger's verification with the reports as the external statement
// source and returns its external check (账实核对).
func externalCheck(ctx context.Context, db *store.DB, day clock.Date, reps []*recon.Report) (ledger.CheckResult, error) {
	rep, err := ledger.Verify(ctx, db, clock.Real(), ledger.VerifyOptions{Day: day, Statements: recon.Positions{Ledger: db, Reports: reps}})
	if err != nil {
		return ledger.CheckResult{}, err
	}
	for _, c := range rep.Checks {
		if c.Name == ledger.CheckExternal {
			return c, nil
		}
	}
	return ledger.CheckResult{}, errors.New("the ledger's report has no external check")
}

func printExternal(w io.Writer, c ledger.CheckResult) {
	switch {
	case c.Skipped:
		fmt.Fprintf(w, "ledger external check (账实核对): skipped: %s\n", c.Note)
	case c.Passed():
		fmt.Fprintln(w, "ledger external check (账实核对): ok")
	default:
		fmt.Fprintf(w, "ledger external check (账实核对): %d failures\n", c.Failures)
		for _, f := range c.Findings {
			fmt.Fprintf(w, "  %s: %s\n", f.Record, f.Detail)
		}
	}
}

func writeCSVNoHeader(w io.Writer, rep *recon.Report) error {
	var b strings.Builder
	if err := rep.WriteCSV(&b); err != nil {
		return err
	}
	s := b.String()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	_, err := io.WriteString(w, s)
	return err
}

func reconList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn := reconFlags("list", stderr)
	dayS := fs.String("day", "", "only items of this accounting day")
	account := fs.String("account", "", "only items of this channel account")
	status := fs.String("status", "", "only items in this status: open, waiting or resolved")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	f := recon.ItemFilter{Account: *account, Status: recon.ItemStatus(*status)}
	if *dayS != "" {
		d, err := clock.ParseDate(*dayS)
		if err != nil {
			fmt.Fprintf(stderr, "tongdao recon list: --day: %v\n", err)
			return 2
		}
		f.Day = d
	}
	switch f.Status {
	case "", recon.ItemOpen, recon.ItemWaiting, recon.ItemResolved:
	default:
		fmt.Fprintf(stderr, "tongdao recon list: --status %q: one of open, waiting, resolved\n", *status)
		return 2
	}
	db, err := openStore(ctx, *dsn, false)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao recon list: %v\n", err)
		return 1
	}
	defer db.Close()
	items, err := db.ReconItems(ctx, f)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao recon list: %v\n", err)
		return 1
	}
	for _, it := range items {
		printItem(stdout, it)
	}
	if len(items) == 0 {
		fmt.Fprintln(stdout, "no items")
	}
	return 0
}

func printItem(w io.Writer, it recon.Item) {
	fmt.Fprintf(w, "#%d %s %s %s %s %s %s core %d statement %d (minor units, %s) fee %d/%d: %s\n", it.ID, it.Day, it.Account, it.Status,
		it.Class, it.Kind, it.No, it.LocalAmount, it.ChannelAmount, it.Currency, it.LocalFee, it.ChannelFee, it.Note)
}

func reconResolve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn := reconFlags("resolve", stderr)
	cfgPath := fs.String("config", "", "gateway config file: the channel accounts (required)")
	itemS := fs.String("item", "", "the item id (from recon run or recon list)")
	action := fs.String("action", "", "confirm, exception or adjust")
	actor := fs.String("actor", "", "who resolves (recorded in the audit)")
	reason := fs.String("reason", "", "why (recorded in the audit)")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	id, err := strconv.ParseInt(*itemS, 10, 64)
	if err != nil || id <= 0 {
		fmt.Fprintf(stderr, "tongdao recon resolve: --item %q: a positive item id is required\n", *itemS)
		return 2
	}
	switch recon.Action(*action) {
	case recon.ActionConfirm, recon.ActionException, recon.ActionAdjust:
	default:
		fmt.Fprintf(stderr, "tongdao recon resolve: --action %q: one of confirm, exception, adjust\n", *action)
		return 2
	}
	if strings.TrimSpace(*actor) == "" || strings.TrimSpace(*reason) == "" {
		fmt.Fprintln(stderr, "tongdao recon resolve: --actor and --reason are required (who and why are audited)")
		return 2
	}
	s, code, err := newReconSetup(ctx, *dsn, *cfgPath, "", "", 0, recon.Action(*action) == recon.ActionAdjust)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao recon resolve: %v\n", err)
		return code
	}
	defer s.close()
	accts := map[string]recon.Account{}
	for _, a := range s.accounts {
		accts[a.ID] = a
	}
	it, err := s.runner.Resolve(ctx, accts, id, recon.Action(*action), *actor, *reason)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao recon resolve: %v\n", err)
		if errors.Is(err, recon.ErrResolved) || errors.Is(err, recon.ErrResolution) || errors.Is(err, recon.ErrNoItem) {
			return 2
		}
		return 1
	}
	printItem(stdout, *it)
	if it.Status != recon.ItemResolved {
		return 1
	}
	return 0
}

func reconHistory(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn := reconFlags("history", stderr)
	itemS := fs.String("item", "", "the item id")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	id, err := strconv.ParseInt(*itemS, 10, 64)
	if err != nil || id <= 0 {
		fmt.Fprintf(stderr, "tongdao recon history: --item %q: a positive item id is required\n", *itemS)
		return 2
	}
	db, err := openStore(ctx, *dsn, false)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao recon history: %v\n", err)
		return 1
	}
	defer db.Close()
	it, err := db.ReconItem(ctx, id)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao recon history: %v\n", err)
		return 1
	}
	printItem(stdout, *it)
	res, err := db.ReconResolutions(ctx, id)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao recon history: %v\n", err)
		return 1
	}
	sort.Slice(res, func(i, j int) bool { return res[i].ID < res[j].ID })
	for _, r := range res {
		fmt.Fprintf(stdout, "  %s %s by %s: %s — %s\n", r.At.In(clock.Beijing()).Format(time.DateTime), r.Action, r.Actor, r.Reason, r.Detail)
	}
	return 0
}
