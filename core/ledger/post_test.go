package ledger_test

import (
	"errors"
	"testing"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

func TestPost_PaymentMovesBalancesOnTheirNormalSides(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		e := f.pay("pay-1", "O1", 10000)
		if e.Seq != 1 || e.Day != day20 || len(e.Lines) != 3 {
			t.Fatalf("entry = seq %d day %s lines %d", e.Seq, e.Day, len(e.Lines))
		}
		if string(e.PrevHash) != string(ledger.ZeroHash()) || string(e.Hash) != string(ledger.EntryHash(e)) {
			t.Fatal("first entry must chain from the zero hash with its own content hash")
		}
		for _, c := range []struct {
			id   ledger.AccountID
			want int64
		}{{f.recvWx, 9990}, {f.fees, 10}, {f.merchant, 10000}} {
			if b := f.balance(c.id); b.Posted != money.Fen(c.want) || b.Available != money.Fen(c.want) || !b.Held.IsZero() {
				t.Errorf("account %d balance %+v, want posted %d", c.id, b, c.want)
			}
		}
		got, err := f.l.Entry(f.ctx, 1)
		if err != nil || got.Voucher != e.Voucher || len(got.Lines) != 3 || got.Lines[2] != e.Lines[2] || !got.PostedAt.Equal(e.PostedAt) {
			t.Fatalf("stored entry %+v, %v; want %+v", got, err, e)
		}
		if string(ledger.EntryHash(got)) != string(got.Hash) {
			t.Fatal("hash of the entry read back differs")
		}
	})
}

func TestPost_BadInputIsRefusedWithItsOwnErrorAndWritesNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.fund("fund-1", 500)
		v := func(fen int64) ledger.Voucher {
			return ledger.Voucher{Kind: ledger.VoucherOrder, ID: "X", Amount: money.Fen(fen)}
		}
		line := func(id ledger.AccountID, s ledger.Side, a money.Amount) ledger.Line {
			return ledger.Line{Account: id, Side: s, Amount: a}
		}
		for _, c := range []struct {
			name  string
			p     ledger.Posting
			want  error
			field string
		}{
			{"unbalanced", ledger.Posting{Voucher: v(100), Lines: []ledger.Line{line(f.recvWx, ledger.Debit, money.Fen(100)), line(f.merchant, ledger.Credit, money.Fen(99))}}, ledger.ErrUnbalanced, "lines"},
			{"single line", ledger.Posting{Voucher: v(100), Lines: []ledger.Line{line(f.recvWx, ledger.Debit, money.Fen(100))}}, ledger.ErrUnbalanced, "lines"},
			{"unknown account", ledger.Posting{Voucher: v(100), Lines: []ledger.Line{line(9999, ledger.Debit, money.Fen(100)), line(f.merchant, ledger.Credit, money.Fen(100))}}, ledger.ErrUnknownAccount, "lines[0].account"},
			{"currency mismatch", ledger.Posting{Voucher: ledger.Voucher{Kind: "order", ID: "X", Amount: money.New(100, money.USD)}, Lines: []ledger.Line{line(f.recvWx, ledger.Debit, money.New(100, money.USD)), line(f.merchant, ledger.Credit, money.New(100, money.USD))}}, ledger.ErrCurrencyMismatch, "lines[0].amount"},
			{"zero amount", ledger.Posting{Voucher: v(100), Lines: []ledger.Line{line(f.recvWx, ledger.Debit, money.Fen(100)), line(f.merchant, ledger.Credit, money.Fen(100)), line(f.fees, ledger.Debit, money.Fen(0))}}, ledger.ErrNonPositiveAmount, "lines[2].amount"},
			{"negative amount", ledger.Posting{Voucher: v(100), Lines: []ledger.Line{line(f.recvWx, ledger.Debit, money.Fen(-100)), line(f.merchant, ledger.Credit, money.Fen(-100))}}, ledger.ErrNonPositiveAmount, "lines[0].amount"},
			{"overdraw wallet", ledger.Posting{Voucher: v(501), Lines: []ledger.Line{line(f.wallet, ledger.Debit, money.Fen(501)), line(f.merchant, ledger.Credit, money.Fen(501))}}, ledger.ErrInsufficientFunds, "lines"},
			{"closed day", ledger.Posting{Day: clock.Date{Year: 2026, Month: 11, Day: 19}, Voucher: v(100), Lines: []ledger.Line{line(f.recvWx, ledger.Debit, money.Fen(100)), line(f.merchant, ledger.Credit, money.Fen(100))}}, ledger.ErrDayClosed, "day"},
			{"voucher amount differs from lines", ledger.Posting{Voucher: v(90), Lines: []ledger.Line{line(f.recvWx, ledger.Debit, money.Fen(100)), line(f.merchant, ledger.Credit, money.Fen(100))}}, ledger.ErrVoucherMismatch, "voucher.amount"},
			{"missing voucher", ledger.Posting{Lines: []ledger.Line{line(f.recvWx, ledger.Debit, money.Fen(100)), line(f.merchant, ledger.Credit, money.Fen(100))}}, ledger.ErrInvalidRequest, "voucher"},
			{"future day", ledger.Posting{Day: clock.Date{Year: 2026, Month: 11, Day: 21}, Voucher: v(100), Lines: []ledger.Line{line(f.recvWx, ledger.Debit, money.Fen(100)), line(f.merchant, ledger.Credit, money.Fen(100))}}, ledger.ErrInvalidRequest, "day"},
		} {
			t.Run(c.name, func(t *testing.T) {
				if c.want == ledger.ErrDayClosed {
					closeDayBefore(t, f)
				}
				before := f.verify(ledger.VerifyOptions{})
				c.p.Key = "bad-" + c.name
				_, err := f.l.Post(f.ctx, c.p)
				var re *ledger.RequestError
				if !errors.Is(err, c.want) || !errors.As(err, &re) || re.Field != c.field {
					t.Fatalf("err = %v, want %v on field %q", err, c.want, c.field)
				}
				after := f.verify(ledger.VerifyOptions{})
				if after.Head != before.Head || after.Lines != before.Lines || !after.OK() {
					t.Fatalf("something was written: head %d -> %d, lines %d -> %d", before.Head, after.Head, before.Lines, after.Lines)
				}
				if b := f.balance(f.wallet); b.Posted != money.Fen(500) {
					t.Fatalf("wallet changed to %s", b.Posted)
				}
			})
		}
	})
}

// closeDayBefore closes 2026-11-19 once (the fixture starts on the 20th).
func closeDayBefore(t *testing.T, f *fixture) {
	t.Helper()
	if _, err := f.l.CloseDay(f.ctx, clock.Date{Year: 2026, Month: 11, Day: 19}); err != nil {
		t.Fatal(err)
	}
}

func TestPost_FrozenAndClosedAccounts(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.fund("fund", 1000)
		if err := f.l.SetFlags(f.ctx, f.wallet, ledger.Frozen); err != nil {
			t.Fatal(err)
		}
		spend := ledger.Posting{Key: "spend", Voucher: ledger.Voucher{Kind: "order", ID: "S", Amount: money.Fen(10)},
			Lines: []ledger.Line{{Account: f.wallet, Side: ledger.Debit, Amount: money.Fen(10)}, {Account: f.merchant, Side: ledger.Credit, Amount: money.Fen(10)}}}
		if _, err := f.l.Post(f.ctx, spend); !errors.Is(err, ledger.ErrAccountFrozen) {
			t.Fatalf("spend from frozen: %v", err)
		}
		f.fund("fund-more", 5) // money may still come in
		if err := f.l.SetFlags(f.ctx, f.wallet, ledger.Closed); err != nil {
			t.Fatal(err)
		}
		if _, err := f.l.Post(f.ctx, ledger.Posting{Key: "in", Voucher: ledger.Voucher{Kind: "topup", ID: "in", Amount: money.Fen(1)},
			Lines: []ledger.Line{{Account: f.bank, Side: ledger.Debit, Amount: money.Fen(1)}, {Account: f.wallet, Side: ledger.Credit, Amount: money.Fen(1)}}}); !errors.Is(err, ledger.ErrAccountClosed) {
			t.Fatalf("post to closed: %v", err)
		}
		if b := f.balance(f.wallet); b.Posted != money.Fen(1005) {
			t.Fatalf("wallet %s", b.Posted)
		}
	})
}

func TestPost_IdempotencyKey(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		first := f.pay("k1", "O1", 10000)
		again := f.pay("k1", "O1", 10000)
		if again.Seq != first.Seq || string(again.Hash) != string(first.Hash) {
			t.Fatalf("retry gave entry %d, first was %d", again.Seq, first.Seq)
		}
		_, err := f.l.Post(f.ctx, ledger.Posting{Key: "k1", Voucher: ledger.Voucher{Kind: "order", ID: "O1", Amount: money.Fen(200)},
			Lines: []ledger.Line{{Account: f.recvWx, Side: ledger.Debit, Amount: money.Fen(200)}, {Account: f.merchant, Side: ledger.Credit, Amount: money.Fen(200)}}})
		if !errors.Is(err, ledger.ErrIdempotencyConflict) {
			t.Fatalf("different content under the same key: %v", err)
		}
		if b := f.balance(f.merchant); b.Posted != money.Fen(10000) {
			t.Fatalf("merchant %s, want applied once", b.Posted)
		}
	})
}

func TestPost_SameVoucherWithAnotherAmountIsRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.pay("a", "O1", 10000)
		_, err := f.l.Post(f.ctx, ledger.Posting{Key: "b", Voucher: ledger.Voucher{Kind: "order", ID: "O1", Amount: money.Fen(5000)},
			Lines: []ledger.Line{{Account: f.recvWx, Side: ledger.Debit, Amount: money.Fen(5000)}, {Account: f.merchant, Side: ledger.Credit, Amount: money.Fen(5000)}}})
		if !errors.Is(err, ledger.ErrVoucherMismatch) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestHold_CaptureInPartThenRelease(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.fund("fund", 1000)
		h, err := f.l.Hold(f.ctx, ledger.HoldRequest{Key: "h", Voucher: ledger.Voucher{Kind: "preauth", ID: "P1", Amount: money.Fen(600)},
			Debit: f.wallet, Credit: f.merchant, Amount: money.Fen(600)})
		if err != nil {
			t.Fatal(err)
		}
		if b := f.balance(f.wallet); b.Posted != money.Fen(1000) || b.Held != money.Fen(600) || b.Available != money.Fen(400) {
			t.Fatalf("after hold: %+v", b)
		}
		if b := f.balance(f.merchant); !b.Posted.IsZero() || b.Incoming != money.Fen(600) {
			t.Fatalf("merchant after hold: %+v", b)
		}
		// A second hold larger than what is available is refused.
		if _, err := f.l.Hold(f.ctx, ledger.HoldRequest{Key: "h2", Voucher: ledger.Voucher{Kind: "preauth", ID: "P2", Amount: money.Fen(401)},
			Debit: f.wallet, Credit: f.merchant, Amount: money.Fen(401)}); !errors.Is(err, ledger.ErrInsufficientFunds) {
			t.Fatalf("over-hold: %v", err)
		}
		if _, err := f.l.Capture(f.ctx, ledger.CaptureRequest{Key: "c", Voucher: ledger.Voucher{Kind: "capture", ID: "C1", Amount: money.Fen(250)}, Hold: h.Seq, Amount: money.Fen(250)}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.l.Capture(f.ctx, ledger.CaptureRequest{Key: "c-too-much", Voucher: ledger.Voucher{Kind: "capture", ID: "C2", Amount: money.Fen(351)}, Hold: h.Seq, Amount: money.Fen(351)}); !errors.Is(err, ledger.ErrHoldExceeded) {
			t.Fatalf("capture beyond hold: %v", err)
		}
		if b := f.balance(f.wallet); b.Posted != money.Fen(750) || b.Held != money.Fen(350) || b.Available != money.Fen(400) {
			t.Fatalf("after capture: %+v", b)
		}
		rel, err := f.l.Release(f.ctx, ledger.ReleaseRequest{Key: "r", Voucher: ledger.Voucher{Kind: "release", ID: "R1"}, Hold: h.Seq})
		if err != nil {
			t.Fatal(err)
		}
		if rel.Voucher.Amount != money.Fen(350) {
			t.Fatalf("release voucher %s, want the remainder", rel.Voucher.Amount)
		}
		if b := f.balance(f.wallet); b.Posted != money.Fen(750) || !b.Held.IsZero() || b.Available != money.Fen(750) {
			t.Fatalf("after release: %+v", b)
		}
		if b := f.balance(f.merchant); b.Posted != money.Fen(250) || !b.Incoming.IsZero() {
			t.Fatalf("merchant after release: %+v", b)
		}
		hs, err := f.l.HoldState(f.ctx, h.Seq)
		if err != nil || !hs.Remaining.IsZero() || hs.Amount != money.Fen(600) {
			t.Fatalf("hold state %+v %v", hs, err)
		}
		if _, err := f.l.Release(f.ctx, ledger.ReleaseRequest{Key: "r2", Voucher: ledger.Voucher{Kind: "release", ID: "R2"}, Hold: h.Seq}); !errors.Is(err, ledger.ErrUnknownHold) {
			t.Fatalf("second release: %v", err)
		}
		if r := f.verify(ledger.VerifyOptions{}); !r.OK() {
			t.Fatalf("verify: %+v", r.Checks)
		}
	})
}

func TestReverse_MirrorsOnceAndKeepsTheOriginal(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		e := f.pay("p", "O1", 10000)
		r, err := f.l.Reverse(f.ctx, ledger.ReverseRequest{Key: "rev", Entry: e.Seq, Memo: "duplicate order"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Ref != e.Seq || r.Kind != ledger.KindReverse || r.Voucher != e.Voucher || r.Lines[0].Side != ledger.Credit {
			t.Fatalf("reversal %+v", r)
		}
		for _, id := range []ledger.AccountID{f.recvWx, f.fees, f.merchant} {
			if b := f.balance(id); !b.Posted.IsZero() {
				t.Fatalf("account %d = %s after reversal", id, b.Posted)
			}
		}
		if orig, err := f.l.Entry(f.ctx, e.Seq); err != nil || orig.Lines[0].Amount != money.Fen(9990) {
			t.Fatalf("original changed: %+v %v", orig, err)
		}
		if _, err := f.l.Reverse(f.ctx, ledger.ReverseRequest{Key: "rev2", Entry: e.Seq}); !errors.Is(err, ledger.ErrAlreadyReversed) {
			t.Fatalf("second reversal: %v", err)
		}
		if _, err := f.l.Reverse(f.ctx, ledger.ReverseRequest{Key: "rev3", Entry: r.Seq + 10}); !errors.Is(err, ledger.ErrNotFound) {
			t.Fatalf("reverse unknown: %v", err)
		}
		if rep := f.verify(ledger.VerifyOptions{}); !rep.OK() {
			t.Fatalf("verify: %+v", rep.Checks)
		}
	})
}
