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
