package ledger_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
)

// tamperBooks writes a small history: 1 fund, 2 pay O1, 3 settle S1 (day 20, closed), 4 pay O2
// (day 21). It returns the exported seals.
func tamperBooks(t *testing.T, f *fixture) []ledger.Seal {
	t.Helper()
	f.fund("fund", 1000)
	f.pay("pay-O1", "O1", 10000)
	if _, err := f.l.Post(f.ctx, ledger.Posting{Key: "settle-S1", Voucher: ledger.Voucher{Kind: ledger.VoucherSettlement, ID: "S1", Amount: money.Fen(9990)},
		Lines: []ledger.Line{{Account: f.bank, Side: ledger.Debit, Amount: money.Fen(9990)}, {Account: f.recvWx, Side: ledger.Credit, Amount: money.Fen(9990)}}}); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(24 * time.Hour)
	if _, err := f.l.CloseDay(f.ctx, day20); err != nil {
		t.Fatal(err)
	}
	f.pay("pay-O2", "O2", 5000)
	seals, err := f.l.Seals(f.ctx)
	if err != nil || len(seals) != 1 {
		t.Fatalf("seals %v %v", seals, err)
	}
	return seals
}

type fakeStatements map[ledger.AccountID]money.Amount

func (s fakeStatements) Positions(_ context.Context, _ clock.Date) ([]ledger.Position, error) {
	var out []ledger.Position
	for id, a := range s {
		out = append(out, ledger.Position{Account: id, Amount: a, Source: "wechat statement"})
	}
	return out, nil
}

type fakeVouchers map[ledger.VoucherRef]money.Amount

func (v fakeVouchers) Vouchers(_ context.Context, refs []ledger.VoucherRef) (map[ledger.VoucherRef]money.Amount, error) {
	out := map[ledger.VoucherRef]money.Amount{}
	for _, r := range refs {
		if a, ok := v[r]; ok {
			out[r] = a
		}
	}
	return out, nil
}

// rewriteFrom recomputes the hash chain from entry seq to the head after the test edited
// entries, as an attacker who knows the (public) hash function would.
func rewriteFrom(t *testing.T, f *fixture, seq int64, edit func(e *ledger.Entry)) []byte {
	t.Helper()
	prev, err := f.l.Entry(f.ctx, seq-1)
	if err != nil {
		t.Fatal(err)
	}
	h := prev.Hash
	for s := seq; ; s++ {
		e, err := f.l.Entry(f.ctx, s)
		if err != nil {
			break
		}
		if s == seq {
			edit(e)
		}
		e.PrevHash = h
		e.Hash = ledger.EntryHash(e)
		f.exec(`UPDATE entries SET v_amount = ?, prev_hash = ?, hash = ? WHERE seq = ?`, e.Voucher.Amount.Minor(), e.PrevHash, e.Hash, e.Seq)
		h = e.Hash
	}
	f.exec(`UPDATE ledger_head SET hash = ? WHERE id = 1`, h)
	return h
}

func TestVerify_CatchesEachKindOfDirectDatabaseTampering(t *testing.T) {
	cases := []struct {
		name   string
		check  string
		record func(f *fixture) string
		tamper func(t *testing.T, f *fixture, seals []ledger.Seal) ledger.VerifyOptions
	}{
		{"balance edited", ledger.CheckBalances, func(f *fixture) string { return fmt.Sprintf("account %d", f.merchant) },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.exec(`UPDATE accounts SET cp = cp + 100 WHERE id = ?`, int64(f.merchant))
				return ledger.VerifyOptions{}
			}},
		{"closing balance of a closed day edited", ledger.CheckBalances, func(f *fixture) string { return fmt.Sprintf("close 2026-11-20 account %d", f.merchant) },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.exec(`UPDATE day_balances SET c_cp = c_cp + 100 WHERE account_id = ?`, int64(f.merchant))
				return ledger.VerifyOptions{}
			}},
		{"what remains of a hold raised", ledger.CheckBalances, func(f *fixture) string { return "hold 5" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				h, err := f.l.Hold(f.ctx, ledger.HoldRequest{Key: "h", Voucher: ledger.Voucher{Kind: "preauth", ID: "P1", Amount: money.Fen(300)},
					Debit: f.wallet, Credit: f.merchant, Amount: money.Fen(300)})
				if err != nil || h.Seq != 5 {
					t.Fatalf("hold %v %v", h, err)
				}
				if r := f.verify(ledger.VerifyOptions{}); !r.OK() {
					t.Fatalf("verify with an open hold: %+v", r.Checks)
				}
				f.exec(`UPDATE holds SET remaining = remaining + 100000 WHERE seq = 5`)
				return ledger.VerifyOptions{}
			}},
		{"voucher forged", ledger.CheckVouchers, func(f *fixture) string { return "entry 2" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.exec(`UPDATE vouchers SET amount = 20000 WHERE kind = 'order' AND id = 'O1'`)
				return ledger.VerifyOptions{}
			}},
		{"voucher deleted", ledger.CheckVouchers, func(f *fixture) string { return "entry 4" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.exec(`DELETE FROM vouchers WHERE id = 'O2'`)
				return ledger.VerifyOptions{}
			}},
		{"voucher missing from the business records", ledger.CheckVouchers, func(f *fixture) string { return "voucher order O2" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				return ledger.VerifyOptions{Vouchers: fakeVouchers{
					{Kind: "topup", ID: "fund"}: money.Fen(1000), {Kind: "order", ID: "O1"}: money.Fen(10000), {Kind: "settlement", ID: "S1"}: money.Fen(9990)}}
			}},
		{"matching journal line added with the balance", ledger.CheckDoubleEntry, func(f *fixture) string { return "entry 4" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.editLines(4, func(ls []ledger.Line) []ledger.Line {
					return append(ls, ledger.Line{Account: f.merchant, Side: ledger.Credit, Amount: money.Fen(100)})
				})
				f.exec(`UPDATE accounts SET cp = cp + 100 WHERE id = ?`, int64(f.merchant))
				return ledger.VerifyOptions{}
			}},
		{"both sides of an entry and the balances edited", ledger.CheckChain, func(f *fixture) string { return "entry 4" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.editLines(4, doubleAmounts)
				f.exec(`UPDATE entries SET v_amount = 10000 WHERE seq = 4`)
				f.exec(`UPDATE vouchers SET amount = 10000 WHERE id = 'O2'`)
				f.exec(`UPDATE accounts SET dp = dp + 4995 WHERE id = ?`, int64(f.recvWx))
				f.exec(`UPDATE accounts SET dp = dp + 5 WHERE id = ?`, int64(f.fees))
				f.exec(`UPDATE accounts SET cp = cp + 5000 WHERE id = ?`, int64(f.merchant))
				return ledger.VerifyOptions{}
			}},
		{"history rewritten with recomputed hashes", ledger.CheckChain, func(f *fixture) string { return "seal 2026-11-20" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.editLines(2, doubleAmounts)
				f.exec(`UPDATE vouchers SET amount = 20000 WHERE id = 'O1'`)
				rewriteFrom(t, f, 2, func(e *ledger.Entry) {
					for i := range e.Lines {
						e.Lines[i].Amount = money.Fen(e.Lines[i].Amount.Minor() * 2)
					}
					e.Voucher.Amount = money.Fen(20000)
				})
				return ledger.VerifyOptions{}
			}},
		{"history and the seal rewritten", ledger.CheckChain, func(f *fixture) string { return "exported seal 2026-11-20" },
			func(t *testing.T, f *fixture, seals []ledger.Seal) ledger.VerifyOptions {
				f.editLines(2, doubleAmounts)
				var h3 []byte
				rewriteFrom(t, f, 2, func(e *ledger.Entry) {
					for i := range e.Lines {
						e.Lines[i].Amount = money.Fen(e.Lines[i].Amount.Minor() * 2)
					}
				})
				e3, err := f.l.Entry(f.ctx, 3)
				if err != nil {
					t.Fatal(err)
				}
				h3 = e3.Hash
				f.exec(`UPDATE day_closes SET head_hash = ?`, h3)
				return ledger.VerifyOptions{Seals: seals}
			}},
		{"lines edited into text that does not parse", ledger.CheckChain, func(f *fixture) string { return "entry 3" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.exec(`UPDATE entries SET lines = '[[1,"D",0,5000,"CNY"],' WHERE seq = 3`)
				return ledger.VerifyOptions{}
			}},
		{"accounting day edited into nonsense", ledger.CheckChain, func(f *fixture) string { return "entry 2" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.exec(`UPDATE entries SET day = 'someday' WHERE seq = 2`)
				return ledger.VerifyOptions{}
			}},
		{"entry deleted", ledger.CheckChain, func(f *fixture) string { return "entry 4" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.exec(`DELETE FROM entries WHERE seq = 3`)
				return ledger.VerifyOptions{}
			}},
		{"receivable not cleared within its limit", ledger.CheckAgeing, func(f *fixture) string { return fmt.Sprintf("account %d", f.recvWx) },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.clk.Advance(3 * 24 * time.Hour)
				return ledger.VerifyOptions{}
			}},
		{"position differs from the channel statement", ledger.CheckExternal, func(f *fixture) string { return fmt.Sprintf("account %d", f.recvWx) },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				return ledger.VerifyOptions{Statements: fakeStatements{f.recvWx: money.Fen(4995 + 1)}}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, f *fixture) {
				seals := tamperBooks(t, f)
				if r := f.verify(ledger.VerifyOptions{Seals: seals, Statements: fakeStatements{f.recvWx: money.Fen(4995)}}); !r.OK() {
					t.Fatalf("untouched books fail: %+v", r.Checks)
				}
				opt := c.tamper(t, f, seals)
				r := f.verify(opt)
				if r.OK() || r.Check(c.check).Passed() {
					t.Fatalf("check %s did not catch it: %+v", c.check, r.Checks)
				}
				if rec := c.record(f); !r.Check(c.check).Names(rec) {
					t.Fatalf("check %s findings %+v do not name %q", c.check, r.Check(c.check).Findings, rec)
				}
				for _, fd := range r.Check(c.check).Findings {
					if strings.TrimSpace(fd.Detail) == "" {
						t.Fatalf("finding without detail: %+v", fd)
					}
				}
			})
		})
	}
}

func TestVerify_UntouchedBooksPassEveryCheck(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		seals := tamperBooks(t, f)
		r := f.verify(ledger.VerifyOptions{Seals: seals, Statements: fakeStatements{f.recvWx: money.Fen(4995)}})
		if !r.OK() || r.Entries != 4 || r.Lines != 10 || r.Head != 4 {
			t.Fatalf("report %+v", r)
		}
		for _, c := range r.Checks {
			if c.Skipped {
				t.Errorf("check %s skipped", c.Name)
			}
		}
	})
}

func TestVerify_AgeingIsFirstInFirstOut(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		tamperBooks(t, f) // O1 settled by S1; O2 (49.95 receivable) open since day 21
		settle := func(key string, fen int64) {
			if _, err := f.l.Post(f.ctx, ledger.Posting{Key: key, Voucher: ledger.Voucher{Kind: ledger.VoucherSettlement, ID: key, Amount: money.Fen(fen)},
				Lines: []ledger.Line{{Account: f.bank, Side: ledger.Debit, Amount: money.Fen(fen)}, {Account: f.recvWx, Side: ledger.Credit, Amount: money.Fen(fen)}}}); err != nil {
				t.Fatal(err)
			}
		}
		f.clk.Advance(3 * 24 * time.Hour)
		settle("S2a", 2000) // part of O2: 29.95 still older than two days
		r := f.verify(ledger.VerifyOptions{})
		if fd := r.Check(ledger.CheckAgeing).Findings; len(fd) != 1 || !strings.HasPrefix(fd[0].Detail, "29.95 of 29.95") {
			t.Fatalf("ageing findings %+v", fd)
		}
		f.pay("pay-O3", "O3", 1000) // new receivable today: 9.99, not aged
		settle("S2b", 2995)
		if r := f.verify(ledger.VerifyOptions{}); !r.Check(ledger.CheckAgeing).Passed() {
			t.Fatalf("cleared FIFO, yet: %+v", r.Check(ledger.CheckAgeing).Findings)
		}
	})
}

// doubleAmounts is a line edit for f.editLines.
func doubleAmounts(ls []ledger.Line) []ledger.Line {
	for i := range ls {
		ls[i].Amount = money.New(ls[i].Amount.Minor()*2, ls[i].Amount.Currency())
	}
	return ls
}
