package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/recon"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/wallet"
)

const ledgerUsage = `Usage: tongdao ledger COMMAND [flags]

Commands:
  verify     --db DSN [--day YYYY-MM-DD] [--seals FILE] [--sm2-pub FILE] [--json]
             [--vouchers orders] [--statements GATEWAY.yaml [--channel NAME]]
             run every check; exit 1 if any fails. The external check (账实核对) runs
             with --statements: each channel account's statement of --day is downloaded
             and reconciled (as tongdao recon run does, storing its items) and the
             receivable from each channel (1122) is checked against it; without it the
             check is skipped
  close-day  --db DSN --day YYYY-MM-DD [--sm2-key FILE]
             close a Beijing accounting day (日切) and seal the chain head, the closing rows
             and the change log, signed with SM2 if given a key
  balance    --db DSN ACCOUNT
             ACCOUNT is an id or CODE:OWNERKIND:OWNERID[:CURRENCY]
  seals      --db DSN [--export FILE]
             print the seals as JSON; with --export, append the new ones to FILE after
             checking that the seals FILE holds are still in the database unchanged
  accounts   list | set ACCOUNT [--age-limit D] [--flags LIST] | history [ACCOUNT]
             list accounts, change their age limit or flags (recorded in the change log
             that every day close seals), review the change log
  load       --db DSN [--entries N] [--callers 64] [--hot 0.2] [--rate R] [--accounts 1000]
             [--checkpoint N] [--cpuprofile FILE]
             post 3-line entries and report entries/s and latency percentiles
             (writes synthetic accounts under chart codes 9122/9202: use a scratch database)

DSN is sqlite:PATH or postgres://…; the default is ` + store.DefaultDSN + `.
Seals are unsigned unless close-day gets an SM2 private key (PEM, PKCS#8 or SEC1);
verify --sm2-pub then checks every seal's signature.

Without exported or signed seals a ledger cannot prove its past: whoever can write the
database can rewrite history together with its seals. After every close-day, export the
seals to a place the database's owner cannot edit, and verify against them:
  tongdao ledger close-day --db DSN --day D --sm2-key KEY && tongdao ledger seals --db DSN --export /mnt/audit/seals.json
  tongdao ledger verify --db DSN --seals /mnt/audit/seals.json --sm2-pub PUB
The commands use the natural (calendar) Beijing accounting day.
`

// ledgerMain runs "tongdao ledger …". Exit codes: 0 ok, 1 a check failed or the command
// failed, 2 usage.
func ledgerMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, ledgerUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"verify": ledgerVerify, "close-day": ledgerCloseDay, "balance": ledgerBalance, "seals": ledgerSeals, "load": ledgerLoad,
		"accounts": ledgerAccounts,
	}
	fn, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "tongdao ledger: unknown command %q\n\n%s", args[0], ledgerUsage)
		return 2
	}
	return fn(ctx, args[1:], stdout, stderr)
}

// parseInterleaved parses flags that may come before or after positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("tongdao ledger "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", store.DefaultDSN, "store DSN: sqlite:PATH or postgres://…")
	return fs, dsn
}

// openStore opens an existing store; for SQLite a missing file is an error rather than a new
// empty ledger.
func openStore(ctx context.Context, dsn string, create bool) (*store.DB, error) {
	if p, ok := strings.CutPrefix(dsn, "sqlite:"); ok && p != ":memory:" && !create {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("no ledger at %s: %w", p, err)
		}
	}
	return store.Open(ctx, dsn)
}

func ledgerVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn := newFlags("verify", stderr)
	dayS := fs.String("day", "", "as-of accounting day YYYY-MM-DD for ageing and external positions")
	sealsPath := fs.String("seals", "", "JSON file of exported seals (from `tongdao ledger seals`) that must still match")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pubPath := fs.String("sm2-pub", "", "SM2 public key (PEM) that must have signed every seal")
	vouchers := fs.String("vouchers", "", `"orders": also compare every voucher with the payment, refund or wallet operation of the same --db (账证核对)`)
	statements := fs.String("statements", "", "gateway config FILE: download and reconcile each channel account's statement of --day (as `tongdao recon run` does) and check the ledger's receivables against them (账实核对)")
	stChannel := fs.String("channel", "", "with --statements: only the accounts of this channel")
	if _, err := parseInterleaved(fs, args); err != nil {
		return 2
	}
	if *statements != "" && *dayS == "" {
		fmt.Fprintln(stderr, "tongdao ledger verify: --statements needs --day (the statements' accounting day)")
		return 2
	}
	if *vouchers != "" && *vouchers != "orders" {
		fmt.Fprintf(stderr, "tongdao ledger verify: --vouchers %q: the only source is \"orders\"\n", *vouchers)
		return 2
	}
	var opt ledger.VerifyOptions
	if *pubPath != "" {
		b, err := os.ReadFile(*pubPath)
		var pub *sign.SM2PublicKey
		if err == nil {
			pub, err = sign.ParseSM2PublicKey(b)
		}
		if err != nil {
			fmt.Fprintf(stderr, "tongdao ledger verify: --sm2-pub: %v\n", err)
			return 2
		}
		opt.Verifier = sm2Verifier{pub}
	}
	if *dayS != "" {
		d, err := clock.ParseDate(*dayS)
		if err != nil {
			fmt.Fprintf(stderr, "tongdao ledger verify: --day: %v\n", err)
			return 2
		}
		opt.Day = d
	}
	if *sealsPath != "" {
		b, err := os.ReadFile(*sealsPath)
		if err == nil {
			err = json.Unmarshal(b, &opt.Seals)
		}
		if err != nil {
			fmt.Fprintf(stderr, "tongdao ledger verify: --seals: %v\n", err)
			return 2
		}
	}
	db, err := openStore(ctx, *dsn, false)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao ledger verify: %v\n", err)
		return 1
	}
	defer db.Close()
	if *vouchers == "orders" {
		// Orders as posting.Vouchers reads them, plus the wallet's operations (core/wallet).
		opt.Vouchers = ledger.VoucherSources{wallet.Vouchers{Wallet: db, Orders: db}, clearing.Vouchers{Store: db}, recon.Vouchers{Store: db}}
	}
	if *statements != "" {
		rs, code, err := newReconSetup(ctx, *dsn, *statements, *stChannel, "", 0, false)
		if err != nil {
			fmt.Fprintf(stderr, "tongdao ledger verify: --statements: %v\n", err)
			return code
		}
		defer rs.close()
		var reps []*recon.Report
		for _, a := range rs.accounts {
			rep, err := rs.runner.Run(ctx, a, opt.Day)
			if err != nil {
				fmt.Fprintf(stderr, "tongdao ledger verify: --statements: %s: %v\n", a.ID, err)
				return 1
			}
			reps = append(reps, rep)
		}
		opt.Statements = recon.Positions{Ledger: db, Reports: reps}
	}
	began := time.Now()
	rep, err := ledger.Verify(ctx, db, clock.Real(), opt)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao ledger verify: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			OK bool `json:"ok"`
			*ledger.Report
		}{rep.OK(), rep})
	} else {
		printReport(stdout, rep, time.Since(began))
		if *sealsPath == "" {
			fmt.Fprintln(stderr, "hint: keep the seals out of the database's reach — `tongdao ledger seals --db DSN --export FILE` after every close-day — and verify with --seals FILE")
		}
	}
	if !rep.OK() {
		return 1
	}
	return 0
}

func printReport(w io.Writer, rep *ledger.Report, took time.Duration) {
	fmt.Fprintf(w, "ledger verify: %d entries, %d lines, %d accounts, head %d (%.2fs)\n",
		rep.Entries, rep.Lines, rep.Accounts, rep.Head, took.Seconds())
	failed := 0
	for _, c := range rep.Checks {
		status := "ok  "
		switch {
		case c.Skipped:
			status = "skip"
		case !c.Passed():
			status = "FAIL"
			failed++
		}
		fmt.Fprintf(w, "  %s  %-12s  %s", status, c.Name, c.Title)
		if c.Note != "" {
			fmt.Fprintf(w, " (%s)", c.Note)
		}
		if c.Failures > 0 {
			fmt.Fprintf(w, " — %d finding(s)", c.Failures)
		}
		fmt.Fprintln(w)
		for _, f := range c.Findings {
			fmt.Fprintf(w, "          %s: %s\n", f.Record, f.Detail)
		}
		if n := c.Failures - len(c.Findings); n > 0 {
			fmt.Fprintf(w, "          … and %d more\n", n)
		}
	}
	if failed > 0 {
		fmt.Fprintf(w, "FAILED: %d check(s)\n", failed)
	} else {
		fmt.Fprintln(w, "OK")
	}
}

// withLedger opens dsn and runs fn with a Ledger on the real clock (natural accounting day).
func withLedger(ctx context.Context, dsn string, create bool, signer ledger.Signer, fn func(*ledger.Ledger) error) error {
	db, err := openStore(ctx, dsn, create)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := ledger.New(ledger.Config{Store: db, Clock: clock.Real(), Cutoff: clock.NaturalDay, Signer: signer})
	if err != nil {
		return err
	}
	defer l.Close()
	return fn(l)
}

func ledgerCloseDay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn := newFlags("close-day", stderr)
	dayS := fs.String("day", "", "accounting day YYYY-MM-DD to close (required)")
	keyPath := fs.String("sm2-key", "", "SM2 private key (PEM, PKCS#8 or SEC1, unencrypted) to sign the seal with")
	if _, err := parseInterleaved(fs, args); err != nil {
		return 2
	}
	day, err := clock.ParseDate(*dayS)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao ledger close-day: --day: %v\n", err)
		return 2
	}
	var signer ledger.Signer
	if *keyPath != "" {
		b, err := os.ReadFile(*keyPath)
		var priv *sign.SM2PrivateKey
		if err == nil {
			priv, err = sign.ParseSM2PrivateKey(b, nil)
		}
		if err != nil {
			fmt.Fprintf(stderr, "tongdao ledger close-day: --sm2-key: %v\n", err)
			return 2
		}
		signer = sm2Signer{priv}
	}
	err = withLedger(ctx, *dsn, false, signer, func(l *ledger.Ledger) error {
		began := time.Now()
		s, err := l.CloseDay(ctx, day)
		if err != nil {
			return err
		}
		rows, err := l.DayClose(ctx, day)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "closed %s: %d account rows, sealed head %d %x (%.2fs)\n", s.Day, len(rows), s.HeadSeq, s.HeadHash, time.Since(began).Seconds())
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "tongdao ledger close-day: %v\n", err)
		return 1
	}
	return 0
}

func ledgerBalance(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn := newFlags("balance", stderr)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "tongdao ledger balance: want exactly one ACCOUNT (id or CODE:OWNERKIND:OWNERID[:CURRENCY])")
		return 2
	}
	err = withLedger(ctx, *dsn, false, nil, func(l *ledger.Ledger) error {
		a, err := findAccount(ctx, l, pos[0])
		if err != nil {
			return err
		}
		b := ledger.BalanceOf(a)
		fmt.Fprintf(stdout, "account %d  %s %s:%s (%s, normal %s)\n", a.ID, a.Code, a.OwnerKind, a.OwnerID, a.Type, a.Normal)
		fmt.Fprintf(stdout, "  posted     %s\n  held       %s\n  available  %s\n  incoming   %s\n", b.Posted, b.Held, b.Available, b.Incoming)
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "tongdao ledger balance: %v\n", err)
		return 1
	}
	return 0
}

func findAccount(ctx context.Context, l *ledger.Ledger, s string) (ledger.Account, error) {
	if id, err := strconv.ParseInt(s, 10, 64); err == nil {
		return l.Account(ctx, ledger.AccountID(id))
	}
	parts := strings.Split(s, ":")
	if len(parts) < 3 || len(parts) > 4 {
		return ledger.Account{}, fmt.Errorf("account %q: want an id or CODE:OWNERKIND:OWNERID[:CURRENCY]", s)
	}
	cur := money.CNY
	if len(parts) == 4 {
		c, err := money.ParseCurrency(parts[3])
		if err != nil {
			return ledger.Account{}, fmt.Errorf("account %q: %w", s, err)
		}
		cur = c
	}
	return l.FindAccount(ctx, parts[0], ledger.OwnerKind(parts[1]), parts[2], cur)
}

func ledgerSeals(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn := newFlags("seals", stderr)
	export := fs.String("export", "", "append the seals FILE does not hold yet to FILE (JSON, as verify --seals reads it), after checking the ones it holds")
	if _, err := parseInterleaved(fs, args); err != nil {
		return 2
	}
	err := withLedger(ctx, *dsn, false, nil, func(l *ledger.Ledger) error {
		s, err := l.Seals(ctx)
		if err != nil {
			return err
		}
		if *export != "" {
			added, total, err := exportSeals(*export, s)
			if err != nil {
				return fmt.Errorf("--export %s: %w", *export, err)
			}
			fmt.Fprintf(stdout, "exported %d new seal(s) to %s (%d in all)\n", added, *export, total)
			return nil
		}
		if s == nil {
			s = []ledger.Seal{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	})
	if err != nil {
		fmt.Fprintf(stderr, "tongdao ledger seals: %v\n", err)
		return 1
	}
	return 0
}

// sm2Signer signs sealed heads with SM2 (default UID, DER signature): the ledger's Signer,
// wired here because core/ may not import adapters.
type sm2Signer struct{ priv *sign.SM2PrivateKey }

// KeyID names the key by the start of its public point, so a verifier can tell keys apart.
func (s sm2Signer) KeyID() string { return "sm2:" + s.priv.Public().Hex()[:16] }

func (s sm2Signer) Sign(msg []byte) ([]byte, error) {
	return sign.SignSM2(s.priv, msg, sign.SM2SignOptions{})
}

// sm2Verifier checks seals signed by sm2Signer.
type sm2Verifier struct{ pub *sign.SM2PublicKey }

func (v sm2Verifier) Verify(keyID string, msg, sig []byte) error {
	if want := "sm2:" + v.pub.Hex()[:16]; keyID != want {
		return fmt.Errorf("seal signed by key %q, expected %q", keyID, want)
	}
	return sign.VerifySM2(v.pub, msg, sig, sign.SM2SignOptions{})
}

// ledgerLoad posts synthetic 3-line entries from concurrent callers: a share --hot of them
// debit one hot receivable, the rest spread over --accounts accounts.
func ledgerLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dsn := newFlags("load", stderr)
	n := fs.Int("entries", 100000, "entries to post")
	callers := fs.Int("callers", 64, "concurrent callers")
	hot := fs.Float64("hot", 0.2, "share of entries that touch the hot account")
	rate := fs.Int("rate", 0, "target entries per second (0: as fast as possible)")
	naccts := fs.Int("accounts", 1000, "accounts the non-hot lines spread over")
	batch := fs.Int("batch", 0, "writer MaxBatch (0: default)")
	checkpoint := fs.Int64("checkpoint", 0, "entries between the writer's counter checkpoints (0: default, every batch; see ledger.CheckpointEvery)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the postings (not the set-up) to this file")
	if _, err := parseInterleaved(fs, args); err != nil {
		return 2
	}
	if *n <= 0 || *callers <= 0 || *naccts < 3 || *hot < 0 || *hot > 1 || *rate < 0 || *checkpoint < 0 {
		fmt.Fprintln(stderr, "tongdao ledger load: --entries, --callers > 0, --accounts >= 3, 0 <= --hot <= 1, --rate >= 0, --checkpoint >= 0")
		return 2
	}
	db, err := openStore(ctx, *dsn, true)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao ledger load: %v\n", err)
		return 1
	}
	defer db.Close()
	l, err := ledger.New(ledger.Config{Store: db, Clock: clock.Real(), MaxBatch: *batch, CheckpointEvery: *checkpoint})
	if err != nil {
		fmt.Fprintf(stderr, "tongdao ledger load: %v\n", err)
		return 1
	}
	defer l.Close()
	hotID, ids, err := loadAccounts(ctx, l, *naccts)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao ledger load: %v\n", err)
		return 1
	}
	run := fmt.Sprintf("load-%d", time.Now().UnixNano())
	var tokens chan struct{}
	if *rate > 0 {
		tokens = make(chan struct{}, *callers)
		go pace(ctx, tokens, *rate, *n)
	}
	lat := make([][]time.Duration, *callers)
	var next atomic.Int64
	var failed atomic.Int64
	var firstErr sync.Once
	var wg sync.WaitGroup
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "tongdao ledger load: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "tongdao ledger load: cpu profile: %v\n", err)
			return 1
		}
	}
	cpu0 := selfCPU()
	began := time.Now()
	for c := 0; c < *callers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			for {
				i := next.Add(1)
				if i > int64(*n) {
					return
				}
				if tokens != nil {
					select {
					case <-tokens:
					case <-ctx.Done():
						return
					}
				}
				p := loadPosting(rng, fmt.Sprintf("%s-%d", run, i), hotID, ids, *hot)
				t0 := time.Now()
				if _, err := l.Post(ctx, p); err != nil {
					failed.Add(1)
					firstErr.Do(func() { fmt.Fprintf(stderr, "tongdao ledger load: %v\n", err) })
					continue
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}(c)
	}
	wg.Wait()
	took := time.Since(began)
	cpu := selfCPU() - cpu0
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	pct := percentiles(all)
	cpuPer := time.Duration(0)
	if len(all) > 0 {
		cpuPer = cpu / time.Duration(len(all))
	}
	fmt.Fprintf(stdout, "load %s: %d entries (%d failed) from %d callers, %.0f%% hot, in %.2fs = %.0f entries/s; latency p50 %v p99 %v max %v; process CPU %v/entry\n",
		db.Dialect(), len(all), failed.Load(), *callers, *hot*100, took.Seconds(), float64(len(all))/took.Seconds(),
		pct(0.50), pct(0.99), pct(1), cpuPer)
	if failed.Load() > 0 {
		return 1
	}
	return 0
}

// pace releases n tokens at rate per second, a millisecond's worth at a time.
func pace(ctx context.Context, tokens chan<- struct{}, rate, n int) {
	defer close(tokens)
	t := clock.Real().NewTimer(time.Millisecond)
	defer t.Stop()
	began := time.Now()
	sent := 0
	for sent < n {
		select {
		case <-t.C():
		case <-ctx.Done():
			return
		}
		due := min(n, int(time.Since(began).Seconds()*float64(rate)))
		for ; sent < due; sent++ {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
		t.Reset(time.Millisecond)
	}
}

func loadAccounts(ctx context.Context, l *ledger.Ledger, n int) (ledger.AccountID, []ledger.AccountID, error) {
	for _, c := range []ledger.ChartAccount{
		{Code: "9122", Name: "load: receivables", Type: ledger.Common, Normal: ledger.Debit},
		{Code: "9202", Name: "load: payables", Type: ledger.Common, Normal: ledger.Debit},
	} {
		if err := l.PutChart(ctx, c); err != nil {
			return 0, nil, err
		}
	}
	open := func(code, owner string) (ledger.AccountID, error) {
		a, err := l.CreateAccount(ctx, ledger.AccountSpec{Code: code, OwnerKind: ledger.OwnerInternal, OwnerID: owner,
			Currency: money.CNY, Name: owner, Flags: ledger.AllowNegative})
		return a.ID, err
	}
	hot, err := open("9122", "hot")
	if err != nil {
		return 0, nil, err
	}
	ids := make([]ledger.AccountID, n)
	for i := range ids {
		if ids[i], err = open("9202", fmt.Sprintf("acct-%d", i)); err != nil {
			return 0, nil, err
		}
	}
	return hot, ids, nil
}

// loadPosting builds one 3-line entry: Dr a, Dr b, Cr c, with a the hot account for a share
// hot of entries.
func loadPosting(rng *rand.Rand, key string, hotID ledger.AccountID, ids []ledger.AccountID, hot float64) ledger.Posting {
	x, y := int64(1+rng.IntN(99999)), int64(1+rng.IntN(999))
	a, b, c := ids[rng.IntN(len(ids))], ids[rng.IntN(len(ids))], ids[rng.IntN(len(ids))]
	if rng.Float64() < hot {
		a = hotID
	}
	return ledger.Posting{
		Key:     key,
		Voucher: ledger.Voucher{Kind: "load", ID: key, Amount: money.Fen(x + y)},
		Lines: []ledger.Line{
			{Account: a, Side: ledger.Debit, Amount: money.Fen(x)},
			{Account: b, Side: ledger.Debit, Amount: money.Fen(y)},
			{Account: c, Side: ledger.Credit, Amount: money.Fen(x + y)},
		},
	}
}
