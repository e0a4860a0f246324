package ledger_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
)

// TestVerify_UnreadableRecordsAreFindingsAndTheScanGoesOn garbles one column in each table
// Verify reads and forges a balance besides: every unreadable record is a finding, and the
// forgery is still named.
func TestVerify_UnreadableRecordsAreFindingsAndTheScanGoesOn(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		tamperBooks(t, f)
		garble(t, f, "entries", "posted_at", "seq = 3")
		garble(t, f, "accounts", "age_limit_s", fmt.Sprintf("id = %d", f.fees))
		garble(t, f, "day_balances", "c_dp", fmt.Sprintf("day = '2026-11-20' AND account_id = %d", f.bank))
		garble(t, f, "vouchers", "amount", "id = 'fund'")
		garble(t, f, "control_log", "at", "seq = 1")
		f.exec(`UPDATE accounts SET cp = cp + 100 WHERE id = ?`, int64(f.merchant))
		r := f.verify(ledger.VerifyOptions{})
		for _, want := range []struct{ check, record string }{
			{ledger.CheckChain, "entry 3"},
			{ledger.CheckBalances, fmt.Sprintf("account %d", f.fees)},
			{ledger.CheckBalances, fmt.Sprintf("close 2026-11-20 account %d", f.bank)},
			{ledger.CheckVouchers, "voucher topup fund"},
			{ledger.CheckControl, "change 1"},
			{ledger.CheckBalances, fmt.Sprintf("account %d", f.merchant)},
		} {
			if !r.Check(want.check).Names(want.record) {
				t.Errorf("check %s does not name %q: %+v", want.check, want.record, r.Check(want.check).Findings)
			}
		}
	})
}

// TestVerify_DeletedSealBetweenSignedSealsIsCaught: each seal names the day of the one
// before it, so with signatures a seal deleted in the middle (with its closing rows) shows.
func TestVerify_DeletedSealBetweenSignedSealsIsCaught(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		tamperBooks(t, f)
		for _, d := range []clock.Date{day20.AddDays(1), day20.AddDays(2)} {
			f.clk.Advance(24 * time.Hour)
			if _, err := f.l.CloseDay(f.ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		if r := f.verify(ledger.VerifyOptions{}); !r.Check(ledger.CheckChain).Passed() {
			t.Fatalf("untouched: %+v", r.Checks)
		}
		f.exec(`DELETE FROM day_closes WHERE day = '2026-11-21'`)
		f.exec(`DELETE FROM day_balances WHERE day = '2026-11-21'`)
		r := f.verify(ledger.VerifyOptions{})
		if !r.Check(ledger.CheckChain).Names("seal 2026-11-22") {
			t.Fatalf("deleted seal not caught: %+v", r.Checks)
		}
	})
}

// TestVerify_ReportSaysWhatTheSealsCannotProve: without exported or signed seals the report
// says plainly that the ledger cannot prove its past; with exported ones it does not.
func TestVerify_ReportSaysWhatTheSealsCannotProve(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		seals := tamperBooks(t, f)
		r, err := f.l.Verify(f.ctx, ledger.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if note := r.Check(ledger.CheckChain).Note; !r.OK() || !strings.Contains(note, "cannot prove its past") {
			t.Fatalf("note %q (ok %v)", note, r.OK())
		}
		r = f.verify(ledger.VerifyOptions{Seals: seals})
		if note := r.Check(ledger.CheckChain).Note; !r.OK() || note != "" {
			t.Fatalf("with exported and signed seals, note %q (ok %v)", note, r.OK())
		}
	})
}

// TestVerify_DeletedSealedEntrySaysWhatIsMissing: the findings about a deleted sealed head
// name the missing entry instead of printing an empty hash.
func TestVerify_DeletedSealedEntrySaysWhatIsMissing(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		seals := tamperBooks(t, f)
		f.exec(`DELETE FROM entries WHERE seq = 3`)
		r := f.verify(ledger.VerifyOptions{Seals: seals})
		c := r.Check(ledger.CheckChain)
		if !c.Names("exported seal 2026-11-20") || !c.Names("seal 2026-11-20") {
			t.Fatalf("findings %+v", c.Findings)
		}
		for _, fd := range c.Findings {
			if strings.HasSuffix(fd.Record, "seal 2026-11-20") && !strings.Contains(fd.Detail, "has no entry 3") && !strings.Contains(fd.Detail, "differs from the exported") {
				t.Errorf("%s: %s", fd.Record, fd.Detail)
			}
			if strings.Contains(fd.Detail, "hash  ") {
				t.Errorf("empty hash printed: %s: %s", fd.Record, fd.Detail)
			}
		}
	})
}

// backClock is a virtual clock set back by an offset (a wall clock stepped backwards).
type backClock struct {
	*clock.Virtual
	back time.Duration
}

func (b backClock) Now() time.Time                  { return b.Virtual.Now().Add(-b.back) }
func (b backClock) Since(t time.Time) time.Duration { return b.Now().Sub(t) }

// TestWriter_TimeNeverGoesBackwardsAlongTheChain: a clock stepped back, in the running
// writer or in a new one over the same store, does not stamp an entry before the last.
func TestWriter_TimeNeverGoesBackwardsAlongTheChain(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		last := f.pay("p1", "O1", 1000)
		_ = f.l.Close()
		l, err := ledger.New(ledger.Config{Store: f.db, Clock: backClock{f.clk, time.Hour}, Signer: f.signer})
		if err != nil {
			t.Fatal(err)
		}
		f.l = l
		t.Cleanup(func() { _ = l.Close() })
		e := f.pay("p2", "O2", 1000)
		if e.PostedAt.Before(last.PostedAt) {
			t.Fatalf("entry %d posted %v, before entry %d's %v", e.Seq, e.PostedAt, last.Seq, last.PostedAt)
		}
		e2 := f.pay("p3", "O3", 1000)
		if e2.PostedAt.Before(e.PostedAt) {
			t.Fatalf("entry %d posted %v, before entry %d's %v", e2.Seq, e2.PostedAt, e.Seq, e.PostedAt)
		}
		// Verify by the clock that did not step back.
		r, err := ledger.Verify(f.ctx, f.db, f.clk, ledger.VerifyOptions{})
		if err != nil || !r.OK() {
			t.Fatalf("verify: %+v %v", r, err)
		}
	})
}
