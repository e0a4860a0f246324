package ledger

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

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
		if !v.headBad && s.HeadSeq > head.Seq {
			v.rp.add(CheckChain, rec, "seals entry %d beyond the journal's end %d", s.HeadSeq, head.Seq)
		} else if h := v.want[s.HeadSeq]; h == nil {
			v.rp.add(CheckChain, rec, "the journal has no entry %d, which this seal's head names (sealed hash %x): it was deleted", s.HeadSeq, short(s.HeadHash))
		} else if !bytes.Equal(h, s.HeadHash) {
			v.rp.add(CheckChain, rec, "sealed hash %x of entry %d differs from the journal's %x: history before the seal was rewritten", short(s.HeadHash), s.HeadSeq, short(h))
		}
		if prev != nil && s.HeadSeq < prev.HeadSeq {
			v.rp.add(CheckChain, rec, "head %d is before the previous seal's %d", s.HeadSeq, prev.HeadSeq)
		}
		if d := clock.AccountingDay(s.ClosedAt, v.opt.Cutoff); !d.After(s.Day) {
			v.rp.add(CheckChain, rec, "closed at %s, before the day was over", s.ClosedAt.In(clock.Beijing()).Format(time.RFC3339))
		}
		if s.Version() >= 2 {
			var want clock.Date
			if prev != nil {
				want = prev.Day
			}
			if s.PrevDay != want {
				v.rp.add(CheckChain, rec, "sealed after the seal of %s, but the previous seal in the database is of %s: a seal was deleted or added", dayOrNone(s.PrevDay), dayOrNone(want))
			}
			if s.ControlSeq > v.clast {
				v.rp.add(CheckControl, rec, "seals change %d beyond the change log's end %d: changes were deleted", s.ControlSeq, v.clast)
			} else if h := v.cwant[s.ControlSeq]; !bytes.Equal(h, s.ControlHash) {
				v.rp.add(CheckControl, rec, "sealed change log hash %x at change %d differs from the log's %x: control data was rewritten", short(s.ControlHash), s.ControlSeq, short(h))
			}
		} else if prev != nil && prev.Version() >= 2 {
			v.rp.add(CheckChain, rec, "has no rows digest although the seal of %s before it has: the seal was stripped", prev.Day)
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
	if n := len(v.seals); !v.headBad && ((n == 0 && head.LastClosed != (clock.Date{})) || (n > 0 && head.LastClosed != v.seals[n-1].Day)) {
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
		case !bytes.Equal(SealMessage(*found), SealMessage(ext)):
			v.rp.add(CheckChain, rec, "database seal differs from the exported in what it seals (closing rows %x vs %x, change log %d %x vs %d %x, previous day %s vs %s)",
				short(found.Rows), short(ext.Rows), found.ControlSeq, short(found.ControlHash), ext.ControlSeq, short(ext.ControlHash), dayOrNone(found.PrevDay), dayOrNone(ext.PrevDay))
		}
		if h := v.want[ext.HeadSeq]; h == nil && ext.HeadSeq > 0 {
			v.rp.add(CheckChain, rec, "the journal has no entry %d, which the exported seal's head names (hash %x): it was deleted", ext.HeadSeq, short(ext.HeadHash))
		} else if !bytes.Equal(h, ext.HeadHash) {
			v.rp.add(CheckChain, rec, "journal hash %x at entry %d differs from the exported %x", short(h), ext.HeadSeq, short(ext.HeadHash))
		}
		if ext.Version() >= 2 {
			if ext.ControlSeq > v.clast {
				v.rp.add(CheckControl, rec, "seals change %d beyond the change log's end %d: changes were deleted", ext.ControlSeq, v.clast)
			} else if h := v.cwant[ext.ControlSeq]; !bytes.Equal(h, ext.ControlHash) {
				v.rp.add(CheckControl, rec, "exported change log hash %x at change %d differs from the log's %x: control data was rewritten", short(ext.ControlHash), ext.ControlSeq, short(h))
			}
		}
	}
	v.sealNote()
}

// sealNote says in the chain check's note what the seals can and cannot prove.
func (v *verifier) sealNote() {
	var notes []string
	legacy := 0
	for _, s := range v.seals {
		if s.Version() < 2 {
			legacy++
		}
	}
	if legacy > 0 {
		notes = append(notes, fmt.Sprintf("%d seal(s) predate sealed closing rows and change log (version 1): their closing rows are checked against the journal only", legacy))
	}
	switch {
	case len(v.opt.Seals) == 0 && v.opt.Verifier == nil:
		notes = append(notes, "no exported seals and no signature key given: this ledger cannot prove its past — whoever can write the database can rewrite history together with its seals; export the seals after every day close to a place the database's owner cannot edit, and pass them to verify")
	case len(v.opt.Seals) == 0:
		notes = append(notes, "no exported seals given: signatures prove each seal, but deleting the newest seals (with the head's last closed day) goes unnoticed; export the seals after every day close and pass them to verify")
	}
	v.rp.checks[CheckChain].Note = strings.Join(notes, "; ")
}

func dayOrNone(d clock.Date) string {
	if d == (clock.Date{}) {
		return "none"
	}
	return d.String()
}

// checkSealedRows compares each version-2 seal's (and exported seal's) rows digest with the
// digest of the stored close of its day, which checkBalances computed.
func (v *verifier) checkSealedRows() {
	for _, s := range v.seals {
		if d, ok := v.digest[s.Day]; ok && s.Version() >= 2 && !bytes.Equal(d, s.Rows) {
			v.rp.add(CheckBalances, "seal "+s.Day.String(), "sealed closing rows digest %x differs from the stored close's %x: the day's closing rows were rewritten", short(s.Rows), short(d))
		}
	}
	for _, s := range v.opt.Seals {
		if d, ok := v.digest[s.Day]; ok && s.Version() >= 2 && !bytes.Equal(d, s.Rows) {
			v.rp.add(CheckBalances, "exported seal "+s.Day.String(), "exported closing rows digest %x differs from the stored close's %x: the day's closing rows were rewritten", short(s.Rows), short(d))
		}
	}
}

// checkBalances compares each stored day close and each account's counters with the sums of
// the journal.
func (v *verifier) checkBalances(ctx context.Context) error {
	cum := map[AccountID]Counters{}
	v.digest = map[clock.Date][]byte{}
	for p, day := range v.days {
		prev := map[AccountID]Counters{}
		for id, c := range cum {
			prev[id] = c
		}
		for id, d := range v.delta[p] {
			cum[id] = cum[id].plus(*d)
		}
		seen := map[AccountID]bool{}
		var rows []DayBalance
		if err := v.tx.DayBalances(ctx, day, func(b DayBalance) error {
			rec := fmt.Sprintf("close %s account %d", day, b.Account)
			seen[b.Account] = true
			rows = append(rows, b)
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
		v.digest[day] = RowsDigest(day, rows)
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
