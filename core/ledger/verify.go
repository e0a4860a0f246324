package ledger

import (
	"bytes"
	"context"
	"fmt"
	"sort"
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
	CheckChain       = "chain"        // (6) hash chain and sealed heads
)

var checkTitles = map[string]string{
	CheckBalances:    "balance equals opening plus movements",
	CheckVouchers:    "every line has a voucher that exists and matches in amount (账证核对)",
	CheckDoubleEntry: "every entry balances and the books balance (借贷平衡)",
	CheckAgeing:      "receivables awaiting clearing within their age limit (账龄)",
	CheckExternal:    "internal positions match external statements (账实核对)",
	CheckChain:       "hash chain and sealed heads",
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
	for _, n := range []string{CheckBalances, CheckVouchers, CheckDoubleEntry, CheckAgeing, CheckExternal, CheckChain} {
		rp.checks[n] = &CheckResult{Name: n, Title: checkTitles[n]}
	}
	asOf := clk.Now()
	if opt.Day != (clock.Date{}) {
		asOf = opt.Day.AddDays(1).Start(clock.Beijing())
	}
	err := st.Read(ctx, func(tx ReadTx) error {
		v := &verifier{tx: tx, rp: rp, rep: rep, opt: opt, asOf: asOf}
		return v.run(ctx)
	})
	if err != nil {
		return nil, err
	}
	for _, n := range []string{CheckBalances, CheckVouchers, CheckDoubleEntry, CheckAgeing, CheckExternal, CheckChain} {
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
	tx    ReadTx
	rp    *reporter
	rep   *Report
	opt   VerifyOptions
	asOf  time.Time
	accts map[AccountID]*acct
	seals []Seal
	days  []clock.Date              // sealed days, ascending
	delta []map[AccountID]*Counters // per period: len(days)+1 (last = open period)
	want  map[int64][]byte          // seq -> hash, for seqs that seals name
	holds map[int64]*HoldState      // as the journal says
}

func (v *verifier) run(ctx context.Context) error {
	head, err := v.tx.Head(ctx)
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
	// Reading the journal (driver work) and checking it (hashing, sums) overlap: the store
	// streams chunks to a goroutine that owns the verifier's state until the stream ends.
	last, lastHash := int64(0), zeroHash
	chunks := make(chan []*Entry, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for chunk := range chunks {
			for _, e := range chunk {
				v.entry(e, last, lastHash)
				last, lastHash = e.Seq, e.Hash
			}
		}
	}()
	chunk := make([]*Entry, 0, 1024)
	err = v.tx.Entries(ctx, 0, func(e *Entry) error {
		chunk = append(chunk, e)
		if len(chunk) == cap(chunk) {
			chunks <- chunk
			chunk = make([]*Entry, 0, 1024)
		}
		return nil
	})
	if len(chunk) > 0 && err == nil {
		chunks <- chunk
	}
	close(chunks)
	<-done
	if err != nil {
		return err
	}
	if head.Seq != last || (last > 0 && !bytes.Equal(head.Hash, lastHash)) {
		v.rp.add(CheckChain, "head", "stored head is entry %d, journal ends at entry %d (hash %x)", head.Seq, last, short(lastHash))
	}
	v.checkSeals(head)
	if err := v.checkBalances(ctx); err != nil {
		return err
	}
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

// entry checks one journal entry and accumulates its lines.
func (v *verifier) entry(e *Entry, last int64, lastHash []byte) {
	v.rep.Entries++
	v.rep.Lines += int64(len(e.Lines))
	rec := fmt.Sprintf("entry %d", e.Seq)
	// (6) chain
	if e.Seq != last+1 {
		v.rp.add(CheckChain, rec, "sequence gap: previous entry is %d", last)
	}
	if !bytes.Equal(e.PrevHash, lastHash) {
		v.rp.add(CheckChain, rec, "prev_hash %x does not match the hash %x of entry %d", short(e.PrevHash), short(lastHash), last)
	}
	if h := EntryHash(e); !bytes.Equal(h, e.Hash) {
		v.rp.add(CheckChain, rec, "content hash %x differs from stored %x: the entry or its lines were changed", short(h), short(e.Hash))
	}
	if _, ok := v.want[e.Seq]; ok {
		v.want[e.Seq] = append([]byte(nil), e.Hash...)
	}
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
		_ = a.sum.add(ln.Side, ln.Effect, ln.Amount.Minor())
		d := v.delta[p][ln.Account]
		if d == nil {
			d = &Counters{}
			v.delta[p][ln.Account] = d
		}
		_ = d.add(ln.Side, ln.Effect, ln.Amount.Minor())
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

// holdEntry replays holds: a hold entry opens one, capture and release entries take their
// unhold amount off what remains.
func (v *verifier) holdEntry(e *Entry, rec string) {
	switch e.Kind {
	case KindHold:
		if len(e.Lines) == 2 {
			v.holds[e.Seq] = &HoldState{Seq: e.Seq, Debit: e.Lines[0].Account, Credit: e.Lines[1].Account, Amount: e.Lines[0].Amount, Remaining: e.Lines[0].Amount}
		}
	case KindCapture, KindRelease:
		h := v.holds[e.Ref]
		if h == nil || len(e.Lines) == 0 {
			v.rp.add(CheckBalances, rec, "%s of hold %d, which the journal does not open before", e.Kind, e.Ref)
			return
		}
		h.Remaining = money.New(h.Remaining.Minor()-e.Lines[0].Amount.Minor(), h.Remaining.Currency())
	}
}

// checkHolds compares the stored holds (what Capture and Release rely on) with the replay.
func (v *verifier) checkHolds(ctx context.Context) error {
	seen := map[int64]bool{}
	if err := v.tx.Holds(ctx, func(h HoldState) error {
		rec := fmt.Sprintf("hold %d", h.Seq)
		seen[h.Seq] = true
		j := v.holds[h.Seq]
		switch {
		case j == nil:
			v.rp.add(CheckBalances, rec, "no hold entry %d in the journal", h.Seq)
		case *j != h:
			v.rp.add(CheckBalances, rec, "stored %s of %s remaining, the journal gives %s of %s", h.Remaining, h.Amount, j.Remaining, j.Amount)
		}
		return nil
	}); err != nil {
		return err
	}
	for seq := range v.holds {
		if !seen[seq] {
			v.rp.add(CheckBalances, fmt.Sprintf("hold %d", seq), "hold entry has no stored hold")
		}
	}
	return nil
}

func (v *verifier) checkSeals(head Head) {
	var prev *Seal
	for i := range v.seals {
		s := v.seals[i]
		rec := "seal " + s.Day.String()
		if s.HeadSeq > head.Seq {
			v.rp.add(CheckChain, rec, "seals entry %d beyond the journal's end %d", s.HeadSeq, head.Seq)
		} else if h := v.want[s.HeadSeq]; !bytes.Equal(h, s.HeadHash) {
			v.rp.add(CheckChain, rec, "sealed hash %x of entry %d differs from the journal's %x: history before the seal was rewritten", short(s.HeadHash), s.HeadSeq, short(h))
		}
		if prev != nil && s.HeadSeq < prev.HeadSeq {
			v.rp.add(CheckChain, rec, "head %d is before the previous seal's %d", s.HeadSeq, prev.HeadSeq)
		}
		if v.opt.Verifier != nil {
			if len(s.Signature) == 0 {
				v.rp.add(CheckChain, rec, "seal is not signed")
			} else if err := v.opt.Verifier.Verify(s.KeyID, SealMessage(s), s.Signature); err != nil {
				v.rp.add(CheckChain, rec, "signature does not verify: %v", err)
			}
		}
		prev = &v.seals[i]
	}
	if n := len(v.seals); (n == 0 && head.LastClosed != (clock.Date{})) || (n > 0 && head.LastClosed != v.seals[n-1].Day) {
		v.rp.add(CheckChain, "head", "last closed day %s has no matching seal", head.LastClosed)
	}
	for _, ext := range v.opt.Seals {
		rec := "exported seal " + ext.Day.String()
		var found *Seal
		for i := range v.seals {
			if v.seals[i].Day == ext.Day {
				found = &v.seals[i]
			}
		}
		switch {
		case found == nil:
			v.rp.add(CheckChain, rec, "the database has no seal for this day")
		case found.HeadSeq != ext.HeadSeq || !bytes.Equal(found.HeadHash, ext.HeadHash):
			v.rp.add(CheckChain, rec, "database seal (%d, %x) differs from the exported (%d, %x)", found.HeadSeq, short(found.HeadHash), ext.HeadSeq, short(ext.HeadHash))
		}
		if h := v.want[ext.HeadSeq]; !bytes.Equal(h, ext.HeadHash) {
			v.rp.add(CheckChain, rec, "journal hash %x at entry %d differs from the exported %x", short(h), ext.HeadSeq, short(ext.HeadHash))
		}
	}
}

// checkBalances compares each stored day close and each account's counters with the sums of
// the journal.
func (v *verifier) checkBalances(ctx context.Context) error {
	cum := map[AccountID]Counters{}
	for p, day := range v.days {
		prev := map[AccountID]Counters{}
		for id, c := range cum {
			prev[id] = c
		}
		for id, d := range v.delta[p] {
			cum[id] = cum[id].plus(*d)
		}
		seen := map[AccountID]bool{}
		if err := v.tx.DayBalances(ctx, day, func(b DayBalance) error {
			rec := fmt.Sprintf("close %s account %d", day, b.Account)
			seen[b.Account] = true
			var mv Counters
			if d := v.delta[p][b.Account]; d != nil {
				mv = *d
			}
			if b.Opening.plus(b.Movement) != b.Closing {
				v.rp.add(CheckBalances, rec, "closing %v is not opening %v + movements %v", b.Closing, b.Opening, b.Movement)
			}
			if b.Opening != prev[b.Account] {
				v.rp.add(CheckBalances, rec, "opening %v differs from the previous closing %v", b.Opening, prev[b.Account])
			}
			if b.Movement != mv {
				v.rp.add(CheckBalances, rec, "stored movements %v differ from the journal's %v", b.Movement, mv)
			}
			if b.Closing != cum[b.Account] {
				v.rp.add(CheckBalances, rec, "closing %v differs from the journal's %v", b.Closing, cum[b.Account])
			}
			return nil
		}); err != nil {
			return err
		}
		for id, c := range cum {
			if !seen[id] && (c != Counters{} || v.delta[p][id] != nil) {
				v.rp.add(CheckBalances, fmt.Sprintf("close %s account %d", day, id), "row missing; the journal gives closing %v", c)
			}
		}
	}
	for id, d := range v.delta[len(v.days)] {
		cum[id] = cum[id].plus(*d)
	}
	ids := make([]AccountID, 0, len(v.accts))
	for id := range v.accts {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		a := v.accts[id]
		if a.Counters != cum[id] {
			v.rp.add(CheckBalances, fmt.Sprintf("account %d", id), "stored counters %v differ from last close + movements %v (posted balance %s, journal gives %s)",
				a.Counters, cum[id], BalanceOf(a.Account).Posted.Decimal(), BalanceOf(Account{ID: id, AccountSpec: a.AccountSpec, Normal: a.Normal, Counters: cum[id]}).Posted.Decimal())
		}
	}
	return nil
}

// checkBooks requires total debits = total credits per currency over the stored balances.
func (v *verifier) checkBooks() {
	type tot struct{ dp, cp, dh, ch int64 }
	sums := map[money.Currency]*tot{}
	for _, a := range v.accts {
		t := sums[a.Currency]
		if t == nil {
			t = &tot{}
			sums[a.Currency] = t
		}
		t.dp += a.DebitPosted
		t.cp += a.CreditPosted
		t.dh += a.DebitPending
		t.ch += a.CreditPending
	}
	curs := make([]string, 0, len(sums))
	for c := range sums {
		curs = append(curs, string(c))
	}
	sort.Strings(curs)
	for _, c := range curs {
		t := sums[money.Currency(c)]
		if t.dp != t.cp {
			v.rp.add(CheckDoubleEntry, "books "+c, "posted debits %d != posted credits %d (minor units)", t.dp, t.cp)
		}
		if t.dh != t.ch {
			v.rp.add(CheckDoubleEntry, "books "+c, "held debits %d != held credits %d (minor units)", t.dh, t.ch)
		}
	}
}

func (v *verifier) checkVouchers(ctx context.Context) error {
	probs, err := v.tx.VoucherProblems(ctx, v.rp.max)
	if err != nil {
		return err
	}
	for _, p := range probs {
		rec := fmt.Sprintf("entry %d", p.Seq)
		if p.Stored == nil {
			v.rp.add(CheckVouchers, rec, "voucher %s %s does not exist", p.Voucher.Kind, p.Voucher.ID)
		} else {
			v.rp.add(CheckVouchers, rec, "voucher %s %s is %s, the entry says %s", p.Voucher.Kind, p.Voucher.ID, *p.Stored, p.Voucher.Amount)
		}
	}
	if v.opt.Vouchers == nil {
		return nil
	}
	var batch []Voucher
	flush := func() error {
		refs := make([]VoucherRef, len(batch))
		for i, b := range batch {
			refs[i] = b.Ref()
		}
		got, err := v.opt.Vouchers.Vouchers(ctx, refs)
		if err != nil {
			return fmt.Errorf("ledger: voucher source: %w", err)
		}
		for _, b := range batch {
			rec := fmt.Sprintf("voucher %s %s", b.Kind, b.ID)
			if amt, ok := got[b.Ref()]; !ok {
				v.rp.add(CheckVouchers, rec, "no such business record")
			} else if amt != b.Amount {
				v.rp.add(CheckVouchers, rec, "business record says %s, the ledger %s", amt, b.Amount)
			}
		}
		batch = batch[:0]
		return nil
	}
	if err := v.tx.AllVouchers(ctx, func(b Voucher) error {
		batch = append(batch, b)
		if len(batch) == 1000 {
			return flush()
		}
		return nil
	}); err != nil {
		return err
	}
	return flush()
}

// checkAgeing reports the part of an aged account's balance older than its limit, first in
// first out: whatever the balance holds beyond the additions of the last limit is older.
func (v *verifier) checkAgeing() {
	ids := make([]AccountID, 0)
	for id, a := range v.accts {
		if a.AgeLimitSeconds > 0 {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		a := v.accts[id]
		if old := a.aged - a.recent; a.aged > 0 && old > 0 {
			v.rp.add(CheckAgeing, fmt.Sprintf("account %d", id), "%s of %s outstanding is older than %s at %s",
				money.New(old, a.Currency).Decimal(), money.New(a.aged, a.Currency).Decimal(),
				time.Duration(a.AgeLimitSeconds)*time.Second, v.asOf.In(clock.Beijing()).Format(time.RFC3339))
		}
	}
}

func (v *verifier) checkExternal(ctx context.Context) error {
	c := v.rp.checks[CheckExternal]
	if v.opt.Statements == nil {
		c.Skipped, c.Note = true, "no statement source configured"
		return nil
	}
	pos, err := v.opt.Statements.Positions(ctx, v.opt.Day)
	if err != nil {
		return fmt.Errorf("ledger: statement source: %w", err)
	}
	closing := map[AccountID]Counters{}
	useClose := false
	for _, d := range v.days {
		if d == v.opt.Day {
			useClose = true
		}
	}
	if useClose {
		if err := v.tx.DayBalances(ctx, v.opt.Day, func(b DayBalance) error {
			closing[b.Account] = b.Closing
			return nil
		}); err != nil {
			return err
		}
	}
	for _, p := range pos {
		rec := fmt.Sprintf("account %d", p.Account)
		a := v.accts[p.Account]
		if a == nil {
			v.rp.add(CheckExternal, rec, "%s names an unknown account", p.Source)
			continue
		}
		acc := a.Account
		if useClose {
			acc.Counters = closing[p.Account]
		}
		if ours := BalanceOf(acc).Posted; ours != p.Amount {
			v.rp.add(CheckExternal, rec, "ledger %s, %s says %s", ours, p.Source, p.Amount)
		}
	}
	return nil
}
