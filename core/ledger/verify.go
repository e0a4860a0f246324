package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// The names of Verify's checks, as they appear in a Report.
const (
	CheckBalances    = "balances"     // (1) balance = opening + movements, for accounts and day closes
	CheckVouchers    = "vouchers"     // (2) 账证核对: every entry's voucher exists and matches in amount
	CheckDoubleEntry = "double-entry" // (3) 借贷平衡: every entry and the books balance
	CheckAgeing      = "ageing"       // (4) 账龄: receivables awaiting clearing within their limit
	CheckExternal    = "external"     // (5) 账实核对: positions match external statements
	CheckChain       = "chain"        // (6) hash chain, time along it, and sealed heads
	CheckControl     = "control"      // (7) chart and account attributes match their change log
)

// checkNames lists the checks in report order.
var checkNames = []string{CheckBalances, CheckVouchers, CheckDoubleEntry, CheckAgeing, CheckExternal, CheckChain, CheckControl}

var checkTitles = map[string]string{
	CheckBalances:    "balance equals opening plus movements",
	CheckVouchers:    "every line has a voucher that exists and matches in amount (账证核对)",
	CheckDoubleEntry: "every entry balances and the books balance (借贷平衡)",
	CheckAgeing:      "receivables awaiting clearing within their age limit (账龄)",
	CheckExternal:    "internal positions match external statements (账实核对)",
	CheckChain:       "hash chain, days and time along it, and sealed heads",
	CheckControl:     "chart and account attributes match their sealed change log",
}

// Position is an external party's figure for one account: a channel's or bank's statement
// balance at the end of a day.
type Position struct {
	Account AccountID
	Amount  money.Amount // signed on the account's normal side, like Balance.Posted
	Source  string       // e.g. "wechat statement 2026-11-21"
}

// StatementSource supplies external positions to Verify (账实核对). Reconciliation implements it.
type StatementSource interface {
	// Positions returns the external positions at the end of day; a zero day means the
	// latest the source has, compared with current balances.
	Positions(ctx context.Context, day clock.Date) ([]Position, error)
}

// VoucherSource looks vouchers up in the business records (orders, refunds, settlements), so
// a voucher forged in the ledger's own table is still caught.
type VoucherSource interface {
	// Vouchers returns the amounts of the records among refs that exist.
	Vouchers(ctx context.Context, refs []VoucherRef) (map[VoucherRef]money.Amount, error)
}

// VerifyOptions tunes Verify. The zero value runs every check that needs nothing external.
type VerifyOptions struct {
	// Day, when set, is the as-of day for ageing and external positions (end of that day,
	// Beijing time), and external positions are compared with that day's closing.
	Day clock.Date
	// Seals exported earlier and kept out of the database's reach; each must still match.
	Seals []Seal
	// Verifier checks seal signatures; nil skips signature checks.
	Verifier Verifier
	// Statements feeds check (5); nil marks the check skipped.
	Statements StatementSource
	// Vouchers, when set, makes check (2) also look every voucher up in the business records.
	Vouchers VoucherSource
	// MaxFindings caps the findings kept per check (the total is still counted). Default 100.
	MaxFindings int
	// Cutoff is the ledger's accounting-day cut-off (Config.Cutoff), against which each
	// entry's day is checked with the time it was posted. Ledger.Verify sets it from its
	// Config; the zero value is clock.NaturalDay.
	Cutoff time.Duration
}

// Finding is one offending record.
type Finding struct {
	Record string `json:"record"` // e.g. "account 12", "entry 345", "seal 2026-11-21"
	Detail string `json:"detail"`
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	Name     string    `json:"name"`
	Title    string    `json:"title"`
	Skipped  bool      `json:"skipped,omitempty"`
	Note     string    `json:"note,omitempty"`
	Failures int       `json:"failures"`
	Findings []Finding `json:"findings,omitempty"`
}

// Passed reports whether the check ran and found nothing.
func (c CheckResult) Passed() bool { return c.Failures == 0 }

// Names tells whether one of c's findings is about record (e.g. "account 12").
func (c CheckResult) Names(record string) bool {
	for _, f := range c.Findings {
		if f.Record == record {
			return true
		}
	}
	return false
}

// Report is the result of Verify.
type Report struct {
	Head     int64         `json:"head_seq"`
	Entries  int64         `json:"entries"`
	Lines    int64         `json:"lines"`
	Accounts int64         `json:"accounts"`
	Checks   []CheckResult `json:"checks"`
}

// OK reports whether every check passed (skipped checks do not fail).
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if c.Failures > 0 {
			return false
		}
	}
	return true
}

// Check returns the result of the named check.
func (r *Report) Check(name string) CheckResult {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return CheckResult{Name: name}
}

type reporter struct {
	max    int
	checks map[string]*CheckResult
}

func (rp *reporter) add(check, record, format string, args ...any) {
	c := rp.checks[check]
	c.Failures++
	if len(c.Findings) < rp.max {
		c.Findings = append(c.Findings, Finding{Record: record, Detail: fmt.Sprintf(format, args...)})
	}
}

// Verify recomputes the ledger from its journal in one read snapshot and reports every
// disagreement by check. It never writes. The error is for failures to read, not findings.
func (l *Ledger) Verify(ctx context.Context, opt VerifyOptions) (*Report, error) {
	opt.Cutoff = l.cfg.Cutoff
	return Verify(ctx, l.cfg.Store, l.cfg.Clock, opt)
}

// Verify is Ledger.Verify without a running writer, for tools that only read. clk gives
// "now" for ageing when opt.Day is zero.
func Verify(ctx context.Context, st Store, clk clock.Clock, opt VerifyOptions) (*Report, error) {
	if opt.MaxFindings <= 0 {
		opt.MaxFindings = 100
	}
	rp := &reporter{max: opt.MaxFindings, checks: map[string]*CheckResult{}}
	rep := &Report{}
	for _, n := range checkNames {
		rp.checks[n] = &CheckResult{Name: n, Title: checkTitles[n]}
	}
	if opt.Cutoff <= -24*time.Hour || opt.Cutoff >= 24*time.Hour {
		return nil, fmt.Errorf("ledger: VerifyOptions.Cutoff %v out of (-24h, 24h)", opt.Cutoff)
	}
	now := clk.Now()
	asOf := now
	if opt.Day != (clock.Date{}) {
		asOf = opt.Day.AddDays(1).Start(clock.Beijing())
	}
	err := st.Read(ctx, func(tx ReadTx) error {
		v := &verifier{tx: tx, rp: rp, rep: rep, opt: opt, asOf: asOf, now: now}
		if sk, ok := tx.(SkippingReadTx); ok {
			sk.SkipUnreadable(v.unreadableRecord)
		}
		return v.run(ctx)
	})
	if err != nil {
		return nil, err
	}
	for _, n := range checkNames {
		rep.Checks = append(rep.Checks, *rp.checks[n])
	}
	return rep, nil
}

// acct is the verifier's per-account state.
type acct struct {
	Account
	sum    Counters // all lines
	aged   int64    // normal-side posted balance as of asOf (accounts with an age limit)
	recent int64    // normal-side posted additions within the age window
}

type verifier struct {
	tx   ReadTx
	rp   *reporter
	rep  *Report
	opt  VerifyOptions
	asOf time.Time
	now  time.Time
	// headBad: the stored head could not be read (reported); nothing is compared with it.
	headBad bool
	accts   map[AccountID]*acct
	seals   []Seal
	days    []clock.Date              // sealed days, ascending
	delta   []map[AccountID]*Counters // per period: len(days)+1 (last = open period)
	want    map[int64][]byte          // seq -> hash, for seqs that seals name
	holds   map[int64]*HoldState      // as the journal says
	// Along the chain (owned by the goroutine that checks entries): the PostedAt of the
	// last readable entry, and how many of bySeq precede the current entry with the latest
	// sealed day among them.
	prevAt   time.Time
	prevSeq  int64
	sealed   int
	lastSeal clock.Date
	// bySeq: the seals of the database and the exported ones, by head sequence, for the
	// rule that an entry after a seal is dated after the sealed day.
	bySeq []Seal
	// The change log replayed (see control.go): chart and account attributes as logged,
	// and the hash at each change a seal names.
	chart  map[string]ChartAccount
	attrs  map[AccountID]AccountSpec
	cwant  map[int64][]byte
	clast  int64
	digest map[clock.Date][]byte // rows digest of each sealed day's stored close
}

// unreadableRecord reports a stored record the store skipped because it cannot read it,
// under the check that uses the record.
func (v *verifier) unreadableRecord(u *UnreadableError) {
	check := CheckBalances
	switch strings.SplitN(u.Record, " ", 2)[0] {
	case "entry", "seal", "head":
		check = CheckChain
	case "change", "chart":
		check = CheckControl
	case "voucher":
		check = CheckVouchers
	}
	v.rp.add(check, u.Record, "stored record cannot be read (%v): it was changed outside the ledger", u.Err)
}

func (v *verifier) run(ctx context.Context) error {
	head, err := v.tx.Head(ctx)
	var ue *UnreadableError
	if errors.As(err, &ue) {
		// The head row was garbled: report it, and compare nothing with it.
		v.unreadableRecord(ue)
		v.headBad, err = true, nil
	}
	if err != nil {
		return err
	}
	v.rep.Head = head.Seq
	if v.seals, err = v.tx.Seals(ctx); err != nil {
		return err
	}
	v.want = map[int64][]byte{0: zeroHash}
	for _, s := range v.seals {
		v.days = append(v.days, s.Day)
		v.want[s.HeadSeq] = nil
	}
	for _, s := range v.opt.Seals {
		v.want[s.HeadSeq] = nil
	}
	v.want[0] = zeroHash // a day closed before the first entry seals the empty chain
	v.bySeq = append(append([]Seal(nil), v.seals...), v.opt.Seals...)
	sort.SliceStable(v.bySeq, func(i, j int) bool { return v.bySeq[i].HeadSeq < v.bySeq[j].HeadSeq })
	if err := v.replayControl(ctx); err != nil {
		return err
	}
	v.delta = make([]map[AccountID]*Counters, len(v.days)+1)
	for i := range v.delta {
		v.delta[i] = map[AccountID]*Counters{}
	}
	v.accts = map[AccountID]*acct{}
	v.holds = map[int64]*HoldState{}
	if err := v.tx.Accounts(ctx, func(a Account) error {
		v.accts[a.ID] = &acct{Account: a}
		return nil
	}); err != nil {
		return err
	}
	v.rep.Accounts = int64(len(v.accts))
	if err := v.checkControl(ctx); err != nil {
		return err
	}
	// Reading the journal (driver work) and checking it (hashing, sums) overlap: the store
	// streams chunks to a goroutine that owns the verifier's state until the stream ends.
	// An entry the store cannot read back (edited into unparseable text) is reported, and
	// the scan resumes after it.
	type chunk struct {
		entries []*Entry
		bad     *UnreadableEntryError // after entries
	}
	last, lastHash := int64(0), zeroHash
	chunks := make(chan chunk, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range chunks {
			for _, e := range c.entries {
				v.entry(e, last, lastHash)
				last, lastHash = e.Seq, e.Hash
			}
			if c.bad != nil {
				v.unreadable(c.bad, last, lastHash)
				last, lastHash = c.bad.Seq, c.bad.Hash
			}
		}
	}()
	cur := chunk{entries: make([]*Entry, 0, 1024)}
	for after := int64(0); ; {
		err = v.tx.Entries(ctx, after, func(e *Entry) error {
			cur.entries = append(cur.entries, e)
			if len(cur.entries) == cap(cur.entries) {
				chunks <- cur
				cur = chunk{entries: make([]*Entry, 0, 1024)}
			}
			return nil
		})
		if !errors.As(err, &cur.bad) {
			break
		}
		after = cur.bad.Seq
		chunks <- cur
		cur = chunk{entries: make([]*Entry, 0, 1024)}
	}
	if len(cur.entries) > 0 && err == nil {
		chunks <- cur
	}
	close(chunks)
	<-done
	if err != nil {
		return err
	}
	if v.headBad {
		v.rep.Head = last
	} else if head.Seq != last || (last > 0 && !bytes.Equal(head.Hash, lastHash)) {
		v.rp.add(CheckChain, "head", "stored head is entry %d, journal ends at entry %d (hash %x)", head.Seq, last, short(lastHash))
	}
	v.checkSeals(head)
	if err := v.checkBalances(ctx); err != nil {
		return err
	}
	v.checkSealedRows()
	if err := v.checkHolds(ctx); err != nil {
		return err
	}
	v.checkBooks()
	if err := v.checkVouchers(ctx); err != nil {
		return err
	}
	v.checkAgeing()
	return v.checkExternal(ctx)
}

func short(h []byte) []byte {
	if len(h) > 8 {
		return h[:8]
	}
	return h
}

// unreadable reports an entry whose stored record the store could not read, checking what
// it can: its place in the chain.
func (v *verifier) unreadable(u *UnreadableEntryError, last int64, lastHash []byte) {
	v.rep.Entries++
	rec := fmt.Sprintf("entry %d", u.Seq)
	v.chainLink(rec, u.Seq, u.PrevHash, last, lastHash)
	if _, ok := v.want[u.Seq]; ok {
		v.want[u.Seq] = append([]byte{}, u.Hash...) // a seal still compares its stored hash
	}
	v.rp.add(CheckChain, rec, "stored record cannot be read (%v): it was changed outside the ledger", u.Err)
}

// chainLink checks that entry seq follows entry last and links to its hash.
func (v *verifier) chainLink(rec string, seq int64, prevHash []byte, last int64, lastHash []byte) {
	if seq != last+1 {
		v.rp.add(CheckChain, rec, "sequence gap: previous entry is %d", last)
	}
	if !bytes.Equal(prevHash, lastHash) {
		v.rp.add(CheckChain, rec, "prev_hash %x does not match the hash %x of entry %d", short(prevHash), short(lastHash), last)
	}
}

// entry checks one journal entry and accumulates its lines.
func (v *verifier) entry(e *Entry, last int64, lastHash []byte) {
	v.rep.Entries++
	v.rep.Lines += int64(len(e.Lines))
	rec := fmt.Sprintf("entry %d", e.Seq)
	// (6) chain
	v.chainLink(rec, e.Seq, e.PrevHash, last, lastHash)
	if h := EntryHash(e); !bytes.Equal(h, e.Hash) {
		v.rp.add(CheckChain, rec, "content hash %x differs from stored %x: the entry or its lines were changed", short(h), short(e.Hash))
	}
	if _, ok := v.want[e.Seq]; ok {
		v.want[e.Seq] = append([]byte(nil), e.Hash...)
	}
	v.entryTime(e, rec)
	// (3) balance of the entry, (2) voucher amount
	if err := checkBalanced("", e.Kind, e.Voucher, e.Lines); err != nil {
		if re, ok := err.(*RequestError); ok && re.Err == ErrVoucherMismatch {
			v.rp.add(CheckVouchers, rec, "%s", re.Detail)
		} else {
			v.rp.add(CheckDoubleEntry, rec, "%v", err)
		}
	}
	if len(e.Lines) < 2 {
		v.rp.add(CheckDoubleEntry, rec, "entry has %d lines", len(e.Lines))
	}
	v.holdEntry(e, rec)
	p := sort.Search(len(v.days), func(i int) bool { return !v.days[i].Before(e.Day) })
	for i, ln := range e.Lines {
		a := v.accts[ln.Account]
		if a == nil {
			v.rp.add(CheckBalances, rec, "line %d names unknown account %d", i, ln.Account)
			continue
		}
		if ln.Amount.Currency() != a.Currency || ln.Amount.Minor() <= 0 {
			v.rp.add(CheckDoubleEntry, rec, "line %d: %s on %s account %d", i, ln.Amount, a.Currency, a.ID)
		}
		_ = a.sum.Add(ln.Side, ln.Effect, ln.Amount.Minor())
		d := v.delta[p][ln.Account]
		if d == nil {
			d = &Counters{}
			v.delta[p][ln.Account] = d
		}
		_ = d.Add(ln.Side, ln.Effect, ln.Amount.Minor())
		if a.AgeLimitSeconds > 0 && ln.Effect == EffectPost && !e.PostedAt.After(v.asOf) {
			amt := ln.Amount.Minor()
			if ln.Side != a.Normal {
				amt = -amt
			} else if e.PostedAt.After(v.asOf.Add(-time.Duration(a.AgeLimitSeconds) * time.Second)) {
				a.recent += amt
			}
			a.aged += amt
		}
	}
}

// MaxClockSkew is how far in the future (by the verifier's clock) an entry may be stamped
// before Verify reports it: the writer and the verifier may run on different machines, and
// the writer never stamps an entry before the last one even if its clock steps back.
const MaxClockSkew = 5 * time.Minute

// entryTime checks an entry's day and time against the chain: its day is after every day
// sealed before it (a closed day cannot gain entries), not after the accounting day it was
// posted on, and after the day it is late for; its time is not before the previous entry's
// nor after now (give or take MaxClockSkew).
func (v *verifier) entryTime(e *Entry, rec string) {
	for v.sealed < len(v.bySeq) && v.bySeq[v.sealed].HeadSeq < e.Seq {
		if d := v.bySeq[v.sealed].Day; d.After(v.lastSeal) {
			v.lastSeal = d
		}
		v.sealed++
	}
	if v.lastSeal != (clock.Date{}) && !e.Day.After(v.lastSeal) {
		v.rp.add(CheckChain, rec, "dated %s, but it follows the seal of %s in the chain: an entry was added to a closed day", e.Day, v.lastSeal)
	}
	if e.LateFor != (clock.Date{}) && !e.LateFor.Before(e.Day) {
		v.rp.add(CheckChain, rec, "late for %s, which is not before its day %s", e.LateFor, e.Day)
	}
	at := e.PostedAt.In(clock.Beijing())
	if d := clock.AccountingDay(e.PostedAt, v.opt.Cutoff); d.Before(e.Day) {
		v.rp.add(CheckChain, rec, "dated %s but posted at %s, on accounting day %s: no entry is dated after the day it is posted", e.Day, at.Format(time.RFC3339), d)
	}
	if e.PostedAt.After(v.now.Add(MaxClockSkew)) {
		v.rp.add(CheckChain, rec, "posted at %s, which is in the future", at.Format(time.RFC3339))
	}
	if v.prevSeq > 0 && e.PostedAt.Before(v.prevAt) {
		v.rp.add(CheckChain, rec, "posted at %s, before entry %d (%s): time went backwards along the chain",
			at.Format(time.RFC3339Nano), v.prevSeq, v.prevAt.In(clock.Beijing()).Format(time.RFC3339Nano))
	}
	v.prevAt, v.prevSeq = e.PostedAt, e.Seq
}

// VoucherSources asks each source in turn and merges their answers: give it to
// VerifyOptions.Vouchers when vouchers come from several kinds of business record (orders,
// settlement batches, wallet operations, reconciliation corrections). A record found by
// several sources keeps the last source's amount.
type VoucherSources []VoucherSource

// Vouchers implements VoucherSource.
func (vs VoucherSources) Vouchers(ctx context.Context, refs []VoucherRef) (map[VoucherRef]money.Amount, error) {
	out := map[VoucherRef]money.Amount{}
	for _, v := range vs {
		got, err := v.Vouchers(ctx, refs)
		if err != nil {
			return nil, err
		}
		for k, a := range got {
			out[k] = a
		}
	}
	return out, nil
}
