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
	"github.com/tongdao/tongdao/core/store"
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
		{"entry dated a closed day appended after its seal", ledger.CheckChain, func(f *fixture) string { return "entry 5" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				forgeClosedDay(t, f, false)
				return ledger.VerifyOptions{}
			}},
		{"closing rows recomputed for an entry appended after the seal", ledger.CheckBalances, func(f *fixture) string { return "seal 2026-11-20" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				forgeClosedDay(t, f, false)
				return ledger.VerifyOptions{}
			}},
		{"closing rows and the seal's digest recomputed", ledger.CheckChain, func(f *fixture) string { return "exported seal 2026-11-20" },
			func(t *testing.T, f *fixture, seals []ledger.Seal) ledger.VerifyOptions {
				forgeClosedDay(t, f, true)
				return ledger.VerifyOptions{Seals: seals}
			}},
		{"last entry back-dated with its hash recomputed", ledger.CheckChain, func(f *fixture) string { return "entry 4" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				rewriteLast(t, f, func(e *ledger.Entry) { e.PostedAt = start.Add(-time.Hour).UTC() })
				return ledger.VerifyOptions{}
			}},
		{"last entry dated after the day it was posted", ledger.CheckChain, func(f *fixture) string { return "entry 4" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				rewriteLast(t, f, func(e *ledger.Entry) { e.Day = e.Day.AddDays(1) })
				return ledger.VerifyOptions{}
			}},
		{"last entry forward-dated past now", ledger.CheckChain, func(f *fixture) string { return "entry 4" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				rewriteLast(t, f, func(e *ledger.Entry) { e.PostedAt = e.PostedAt.Add(72 * time.Hour) })
				return ledger.VerifyOptions{}
			}},
		{"age limit set to 0 in place", ledger.CheckControl, func(f *fixture) string { return fmt.Sprintf("account %d", f.recvWx) },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.exec(`UPDATE accounts SET age_limit_s = 0 WHERE id = ?`, int64(f.recvWx))
				return ledger.VerifyOptions{}
			}},
		{"age limit set to 0 in place does not silence ageing", ledger.CheckAgeing, func(f *fixture) string { return fmt.Sprintf("account %d", f.recvWx) },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.exec(`UPDATE accounts SET age_limit_s = 0 WHERE id = ?`, int64(f.recvWx))
				f.clk.Advance(3 * 24 * time.Hour)
				return ledger.VerifyOptions{}
			}},
		{"account unfrozen in place", ledger.CheckControl, func(f *fixture) string { return fmt.Sprintf("account %d", f.wallet) },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				if err := f.l.SetFlags(f.ctx, f.wallet, ledger.Frozen); err != nil {
					t.Fatal(err)
				}
				f.exec(`UPDATE accounts SET flags = 0 WHERE id = ?`, int64(f.wallet))
				return ledger.VerifyOptions{}
			}},
		{"normal side of a chart code flipped in place", ledger.CheckControl, func(f *fixture) string { return "chart 2202.01" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.exec(`UPDATE chart SET normal = 'D' WHERE code = '2202.01'`)
				return ledger.VerifyOptions{}
			}},
		{"change log rewritten with recomputed hashes", ledger.CheckControl, func(f *fixture) string { return "seal 2026-11-20" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.exec(`UPDATE accounts SET age_limit_s = 0 WHERE id = ?`, int64(f.recvWx))
				rewriteChanges(t, f, func(c *ledger.Change) {
					if c.Account != nil && c.Account.ID == f.recvWx {
						c.Account.AgeLimitSeconds = 0
					}
				})
				return ledger.VerifyOptions{}
			}},
		{"posted_at edited into garbage", ledger.CheckChain, func(f *fixture) string { return "entry 3" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				garble(t, f, "entries", "posted_at", "seq = 3")
				return ledger.VerifyOptions{}
			}},
		{"seal stripped to version 1 to hide rewritten closing rows", ledger.CheckChain, func(f *fixture) string { return "seal 2026-11-20" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				f.exec(`UPDATE day_closes SET rows_digest = NULL, prev_day = '', control_seq = 0, control_hash = NULL`)
				return ledger.VerifyOptions{}
			}},
		{"seal's close time edited into garbage", ledger.CheckChain, func(f *fixture) string { return "seal 2026-11-20" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				garble(t, f, "day_closes", "closed_at", "day = '2026-11-20'")
				return ledger.VerifyOptions{}
			}},
		{"head edited into garbage", ledger.CheckChain, func(f *fixture) string { return "head" },
			func(t *testing.T, f *fixture, _ []ledger.Seal) ledger.VerifyOptions {
				garble(t, f, "ledger_head", "gen", "id = 1")
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

// forgeClosedDay appends an entry dated day 20 — hash chained and with its voucher — after
// day 20's seal, and recomputes day 20's closing rows to include it; with digest it also
// rewrites the seal's rows digest to match (an attacker who cannot sign leaves the
// signature).
func forgeClosedDay(t *testing.T, f *fixture, digest bool) {
	t.Helper()
	last, err := f.l.Entry(f.ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(time.Minute)
	e := &ledger.Entry{Seq: 5, Key: "forged", Kind: ledger.KindPost, Day: day20, PostedAt: last.PostedAt.Add(time.Minute),
		Voucher: ledger.Voucher{Kind: ledger.VoucherOrder, ID: "O9", Amount: money.Fen(7000)}, Fingerprint: make([]byte, 32), PrevHash: last.Hash,
		Lines: []ledger.Line{{Account: f.recvWx, Side: ledger.Debit, Amount: money.Fen(7000)}, {Account: f.merchant, Side: ledger.Credit, Amount: money.Fen(7000)}}}
	e.Hash = ledger.EntryHash(e)
	lines := fmt.Sprintf(`[[%d,"D",0,7000,"CNY"],[%d,"C",0,7000,"CNY"]]`, f.recvWx, f.merchant)
	f.exec(`INSERT INTO entries (seq, idem_key, kind, day, late_for, posted_at, ref, v_kind, v_id, v_amount, v_cur, memo, fp, prev_hash, hash, lines)
		VALUES (5, 'forged', 'post', '2026-11-20', '', ?, 0, 'order', 'O9', 7000, 'CNY', '', ?, ?, ?, ?)`, e.PostedAt.UnixNano(), e.Fingerprint, e.PrevHash, e.Hash, lines)
	f.exec(`INSERT INTO vouchers (kind, id, amount, currency) VALUES ('order', 'O9', 7000, 'CNY')`)
	f.exec(`UPDATE ledger_head SET seq = 5, hash = ? WHERE id = 1`, e.Hash)
	f.exec(`UPDATE day_balances SET m_dp = m_dp + 7000, c_dp = c_dp + 7000 WHERE day = '2026-11-20' AND account_id = ?`, int64(f.recvWx))
	f.exec(`UPDATE day_balances SET m_cp = m_cp + 7000, c_cp = c_cp + 7000 WHERE day = '2026-11-20' AND account_id = ?`, int64(f.merchant))
	if r := f.verify(ledger.VerifyOptions{}); !r.Check(ledger.CheckBalances).Passed() && !digest {
		// The journal and the rows agree: only the order of days and the digest can tell.
		for _, fd := range r.Check(ledger.CheckBalances).Findings {
			if fd.Record != "seal 2026-11-20" {
				t.Fatalf("forgery is not consistent: %+v", fd)
			}
		}
	}
	if digest {
		rows, err := f.l.DayClose(f.ctx, day20)
		if err != nil {
			t.Fatal(err)
		}
		f.exec(`UPDATE day_closes SET rows_digest = ? WHERE day = '2026-11-20'`, ledger.RowsDigest(day20, rows))
	}
}

// rewriteLast edits the journal's last entry (4) and recomputes its hash and the head's, as
// an attacker who knows the (public) hash function would.
func rewriteLast(t *testing.T, f *fixture, edit func(e *ledger.Entry)) {
	t.Helper()
	e, err := f.l.Entry(f.ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	edit(e)
	e.Hash = ledger.EntryHash(e)
	f.exec(`UPDATE entries SET posted_at = ?, day = ?, hash = ? WHERE seq = 4`, e.PostedAt.UnixNano(), e.Day.String(), e.Hash)
	f.exec(`UPDATE ledger_head SET hash = ? WHERE id = 1`, e.Hash)
}

// rewriteChanges edits the change log with edit and recomputes its chain.
func rewriteChanges(t *testing.T, f *fixture, edit func(c *ledger.Change)) {
	t.Helper()
	cs, err := f.l.Changes(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		edit(c)
	}
	ledger.ChainChanges(0, nil, cs)
	for _, c := range cs {
		body := ""
		if c.Account != nil {
			a := c.Account
			body = fmt.Sprintf(`{"id":%d,"code":%q,"owner_kind":%q,"owner_id":%q,"currency":%q,"name":%q,"flags":%d,"age_limit_s":%d}`,
				a.ID, a.Code, a.OwnerKind, a.OwnerID, a.Currency, a.Name, a.Flags, a.AgeLimitSeconds)
			f.exec(`UPDATE control_log SET body = ? WHERE seq = ?`, body, c.Seq)
		}
		f.exec(`UPDATE control_log SET prev_hash = ?, hash = ? WHERE seq = ?`, c.PrevHash, c.Hash, c.Seq)
	}
}

// garble makes column col of table unreadable where cond holds, as an edit outside the
// ledger can: text in an INTEGER column on SQLite; on PostgreSQL, whose types refuse that,
// NOT NULL dropped and NULL written.
func garble(t *testing.T, f *fixture, table, col, cond string) {
	t.Helper()
	if f.db.Dialect() == store.Postgres {
		f.exec(`ALTER TABLE ` + table + ` ALTER COLUMN ` + col + ` DROP NOT NULL`)
		f.exec(`UPDATE ` + table + ` SET ` + col + ` = NULL WHERE ` + cond)
		return
	}
	f.exec(`UPDATE ` + table + ` SET ` + col + ` = 'garbage' WHERE ` + cond)
}
