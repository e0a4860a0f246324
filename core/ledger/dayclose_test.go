package ledger_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

var day21 = clock.Date{Year: 2026, Month: 11, Day: 21}

func TestCloseDay_StoresOpeningMovementsClosingAndRefusesLateEntries(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.pay("p20", "O20", 10000)
		// 23:59:59 Beijing is still the 20th; a second later it is the 21st.
		f.clk.Advance(13*time.Hour + 59*time.Minute + 59*time.Second)
		if got := f.l.Today(); got != day20 {
			t.Fatalf("today = %s", got)
		}
		f.clk.Advance(time.Second)
		if _, err := f.l.CloseDay(f.ctx, day21); !errors.Is(err, ledger.ErrDayNotOver) {
			t.Fatalf("closing today: %v", err)
		}
		e21 := f.pay("p21", "O21", 2000)
		if e21.Day != day21 {
			t.Fatalf("entry day %s", e21.Day)
		}
		seal, err := f.l.CloseDay(f.ctx, day20)
		if err != nil {
			t.Fatal(err)
		}
		if seal.Day != day20 || seal.HeadSeq != 2 || string(seal.HeadHash) != string(e21.Hash) || seal.KeyID != "test-ed25519" {
			t.Fatalf("seal %+v", seal)
		}
		if err := f.signer.verifier().Verify(seal.KeyID, ledger.SealMessage(seal), seal.Signature); err != nil {
			t.Fatalf("seal signature: %v", err)
		}
		again, err := f.l.CloseDay(f.ctx, day20)
		if err != nil || string(again.Signature) != string(seal.Signature) {
			t.Fatalf("closing again: %v", err)
		}
		if _, err := f.l.CloseDay(f.ctx, clock.Date{Year: 2026, Month: 11, Day: 19}); !errors.Is(err, ledger.ErrDayClosed) {
			t.Fatalf("closing an earlier day: %v", err)
		}
		rows, err := f.l.DayClose(f.ctx, day20)
		if err != nil {
			t.Fatal(err)
		}
		want := map[ledger.AccountID]ledger.Counters{f.recvWx: {DebitPosted: 9990}, f.fees: {DebitPosted: 10}, f.merchant: {CreditPosted: 10000}}
		if len(rows) != len(want) {
			t.Fatalf("rows %+v", rows)
		}
		for _, r := range rows {
			if r.Opening != (ledger.Counters{}) || r.Movement != want[r.Account] || r.Closing != want[r.Account] {
				t.Errorf("row %+v, want movement and closing %+v", r, want[r.Account])
			}
		}
		// A late entry for the 20th is refused; it goes to the open day naming the day.
		late := ledger.Posting{Key: "late", Day: day20, Voucher: ledger.Voucher{Kind: "order", ID: "L", Amount: money.Fen(300)},
			Lines: []ledger.Line{{Account: f.recvWx, Side: ledger.Debit, Amount: money.Fen(300)}, {Account: f.merchant, Side: ledger.Credit, Amount: money.Fen(300)}}}
		if _, err := f.l.Post(f.ctx, late); !errors.Is(err, ledger.ErrDayClosed) {
			t.Fatalf("late entry: %v", err)
		}
		late.Key, late.Day, late.LateFor = "late-open", clock.Date{}, day20
		le, err := f.l.Post(f.ctx, late)
		if err != nil || le.Day != day21 || le.LateFor != day20 {
			t.Fatalf("late entry on the open day: %+v %v", le, err)
		}
		// Next close opens with the previous closing.
		f.clk.Advance(24 * time.Hour)
		if _, err := f.l.CloseDay(f.ctx, day21); err != nil {
			t.Fatal(err)
		}
		rows, _ = f.l.DayClose(f.ctx, day21)
		for _, r := range rows {
			if r.Account == f.merchant && (r.Opening.CreditPosted != 10000 || r.Movement.CreditPosted != 2300 || r.Closing.CreditPosted != 12300) {
				t.Fatalf("merchant row on the 21st: %+v", r)
			}
		}
		if rep := f.verify(ledger.VerifyOptions{Day: day21}); !rep.OK() {
			t.Fatalf("verify: %+v", rep.Checks)
		}
	})
}

func TestTrialBalance_RollsChildrenUpToParentsAndBalances(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		recvAli := f.account(ledger.AccountSpec{Code: "1122.02", OwnerKind: ledger.OwnerChannel, OwnerID: "alipay"})
		f.pay("p1", "O1", 10000)
		if _, err := f.l.Post(f.ctx, ledger.Posting{Key: "p2", Voucher: ledger.Voucher{Kind: "order", ID: "O2", Amount: money.Fen(700)},
			Lines: []ledger.Line{{Account: recvAli, Side: ledger.Debit, Amount: money.Fen(700)}, {Account: f.merchant, Side: ledger.Credit, Amount: money.Fen(700)}}}); err != nil {
			t.Fatal(err)
		}
		tb, err := f.l.TrialBalance(f.ctx, clock.Date{})
		if err != nil {
			t.Fatal(err)
		}
		if !tb.Balanced() || tb.Totals[money.CNY] != [2]int64{10700, 10700} {
			t.Fatalf("totals %+v", tb.Totals)
		}
		rows := map[string]ledger.TrialRow{}
		for _, r := range tb.Rows {
			rows[r.Code] = r
		}
		if rows["1122"].Debit != rows["1122.01"].Debit+rows["1122.02"].Debit || rows["1122"].Debit != 9990+700 {
			t.Fatalf("1122 %+v, children %+v %+v", rows["1122"], rows["1122.01"], rows["1122.02"])
		}
		if rows["2202"].Credit != rows["2202.01"].Credit || rows["2202"].Credit != 10700 || rows["6602"].Debit != 10 {
			t.Fatalf("rows %+v", rows)
		}
	})
}
