package ledger

import (
	"context"
	"fmt"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// build turns a request into an entry and checks it against the batch state. It changes
// nothing; the caller stages the entry only if build and the balance checks succeed.
func (w *writer) build(ctx context.Context, s *state, r *request) (*Entry, error) {
	day := r.day
	if day == (clock.Date{}) {
		day = s.today
	}
	if s.head.LastClosed != (clock.Date{}) && !day.After(s.head.LastClosed) {
		return nil, reqErr(r.key, "day", ErrDayClosed, "%s is closed (last closed %s): post to the open day with LateFor", day, s.head.LastClosed)
	}
	if day.After(s.today) {
		return nil, reqErr(r.key, "day", ErrInvalidRequest, "%s is after the current accounting day %s", day, s.today)
	}
	if r.late != (clock.Date{}) && !r.late.Before(day) {
		return nil, reqErr(r.key, "late_for", ErrInvalidRequest, "%s is not before the entry's day %s", r.late, day)
	}
	v := r.voucher
	var lines []Line
	switch r.kind {
	case KindPost:
		for i, ln := range r.lines {
			if ln.Effect != EffectPost {
				return nil, reqErr(r.key, fmt.Sprintf("lines[%d].effect", i), ErrInvalidRequest, "Post takes only EffectPost lines; use Hold/Capture/Release")
			}
		}
		lines = r.lines
	case KindHold:
		lines = r.lines
	case KindCapture, KindRelease:
		h := s.holds[r.ref]
		if h == nil || h.Remaining.Minor() == 0 {
			return nil, reqErr(r.key, "hold", ErrUnknownHold, "hold %d", r.ref)
		}
		amt := h.Remaining
		if r.kind == KindCapture {
			if !r.amount.IsPositive() {
				return nil, reqErr(r.key, "amount", ErrNonPositiveAmount, "%s", r.amount)
			}
			if r.amount.Currency() != h.Remaining.Currency() {
				return nil, reqErr(r.key, "amount", ErrCurrencyMismatch, "hold is %s, capture is %s", h.Remaining.Currency(), r.amount.Currency())
			}
			if r.amount.Minor() > h.Remaining.Minor() {
				return nil, reqErr(r.key, "amount", ErrHoldExceeded, "%s remains of hold %d", h.Remaining.Decimal(), r.ref)
			}
			amt = r.amount
		} else if v.Amount == (money.Amount{}) {
			v.Amount = amt
		}
		lines = []Line{
			{Account: h.Debit, Side: Debit, Effect: EffectUnhold, Amount: amt},
			{Account: h.Credit, Side: Credit, Effect: EffectUnhold, Amount: amt},
		}
		if r.kind == KindCapture {
			lines = append(lines,
				Line{Account: h.Debit, Side: Debit, Effect: EffectPost, Amount: amt},
				Line{Account: h.Credit, Side: Credit, Effect: EffectPost, Amount: amt})
		}
	case KindReverse:
		t := r.target
		if t == nil {
			return nil, reqErr(r.key, "entry", ErrNotFound, "entry %d", r.ref)
		}
		if t.Kind != KindPost {
			return nil, reqErr(r.key, "entry", ErrNotReversible, "entry %d is a %s entry; release holds instead", r.ref, t.Kind)
		}
		if s.reversed[r.ref] {
			return nil, reqErr(r.key, "entry", ErrAlreadyReversed, "entry %d", r.ref)
		}
		if by, err := s.tx.Reversal(ctx, r.ref); err != nil {
			return nil, err
		} else if by != 0 {
			return nil, reqErr(r.key, "entry", ErrAlreadyReversed, "entry %d reversed by %d", r.ref, by)
		}
		v = t.Voucher
		for _, ln := range t.Lines {
			lines = append(lines, Line{Account: ln.Account, Side: ln.Side.Opposite(), Effect: ln.Effect, Amount: ln.Amount})
		}
	default:
		return nil, reqErr(r.key, "kind", ErrInvalidRequest, "%q", r.kind)
	}
	if err := checkVoucher(r.key, v); err != nil {
		return nil, err
	}
	if err := checkLines(s, r.key, lines); err != nil {
		return nil, err
	}
	if err := checkBalanced(r.key, r.kind, v, lines); err != nil {
		return nil, err
	}
	if stored, ok := s.vouchers[v.Ref()]; ok && stored != v.Amount {
		return nil, reqErr(r.key, "voucher.amount", ErrVoucherMismatch, "%s %s is recorded as %s, entry says %s", v.Kind, v.ID, stored, v.Amount)
	}
	prev := s.head.Hash
	if len(prev) == 0 {
		prev = zeroHash
	}
	e := &Entry{
		Seq: s.head.Seq + 1, Key: r.key, Kind: r.kind, Day: day, LateFor: r.late, PostedAt: s.now,
		Ref: r.ref, Voucher: v, Memo: r.memo, Lines: lines, Fingerprint: r.fp, PrevHash: prev,
	}
	e.Hash = EntryHash(e)
	return e, nil
}

func checkVoucher(key string, v Voucher) error {
	if v.Kind == "" || v.ID == "" {
		return reqErr(key, "voucher", ErrInvalidRequest, "voucher kind and id are required")
	}
	if !v.Amount.Currency().Valid() {
		return reqErr(key, "voucher.amount", ErrInvalidRequest, "currency %q", v.Amount.Currency())
	}
	if !v.Amount.IsPositive() {
		return reqErr(key, "voucher.amount", ErrNonPositiveAmount, "%s", v.Amount)
	}
	return nil
}

// checkLines checks each line on its own: account, side, amount, currency, account state.
func checkLines(s *state, key string, lines []Line) error {
	if len(lines) < 2 {
		return reqErr(key, "lines", ErrUnbalanced, "an entry needs at least two lines, got %d", len(lines))
	}
	for i, ln := range lines {
		f := fmt.Sprintf("lines[%d]", i)
		a := s.accounts[ln.Account]
		if a == nil {
			return reqErr(key, f+".account", ErrUnknownAccount, "account %d", ln.Account)
		}
		if !ln.Side.Valid() {
			return reqErr(key, f+".side", ErrInvalidRequest, "side %q", ln.Side)
		}
		if !ln.Amount.IsPositive() {
			return reqErr(key, f+".amount", ErrNonPositiveAmount, "%s", ln.Amount)
		}
		if ln.Amount.Currency() != a.Currency {
			return reqErr(key, f+".amount", ErrCurrencyMismatch, "account %d is %s, line is %s", a.ID, a.Currency, ln.Amount.Currency())
		}
		if a.Flags&Closed != 0 {
			return reqErr(key, f+".account", ErrAccountClosed, "account %d", a.ID)
		}
	}
	return nil
}

type curEff struct {
	cur money.Currency
	eff Effect
}

// checkBalanced requires debits = credits per currency and effect, and the voucher amount to
// equal the debits of the kind's primary effect in the voucher's currency.
func checkBalanced(key string, kind Kind, v Voucher, lines []Line) error {
	sums := map[curEff][2]int64{}
	for _, ln := range lines {
		k := curEff{ln.Amount.Currency(), ln.Effect}
		t := sums[k]
		i := 0
		if ln.Side == Credit {
			i = 1
		}
		n := t[i] + ln.Amount.Minor()
		if n < t[i] {
			return reqErr(key, "lines", ErrOverflow, "sum of %s %s lines", k.cur, k.eff)
		}
		t[i] = n
		sums[k] = t
	}
	for k, t := range sums {
		if t[0] != t[1] {
			return reqErr(key, "lines", ErrUnbalanced, "%s %s: debits %s, credits %s", k.cur, k.eff,
				money.New(t[0], k.cur).Decimal(), money.New(t[1], k.cur).Decimal())
		}
	}
	if d := sums[curEff{v.Amount.Currency(), kind.primary()}][0]; d != v.Amount.Minor() {
		return reqErr(key, "voucher.amount", ErrVoucherMismatch, "voucher %s %s is %s but the entry moves %s", v.Kind, v.ID,
			v.Amount.Decimal(), money.New(d, v.Amount.Currency()).Decimal())
	}
	return nil
}
