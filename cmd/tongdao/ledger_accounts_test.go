package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/store"
)

func execSQL(t *testing.T, dsn, q string, args ...any) {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL().Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

func TestLedgerAccounts_SetIsLoggedAnEditInPlaceIsAFinding(t *testing.T) {
	dsn, merchant := seedLedger(t)
	code, out, errs := runLedger("accounts", "set", "1122:channel:wechat", "--age-limit", "48h", "--db", dsn)
	if code != 0 || !strings.Contains(out, "age limit 48h0m0s") {
		t.Fatalf("set exit %d: %s%s", code, out, errs)
	}
	if code, out, errs = runLedger("accounts", "set", fmt.Sprint(merchant), "--flags", "frozen,allow-negative", "--db", dsn); code != 0 || !strings.Contains(out, "flags allow-negative,frozen") {
		t.Fatalf("set flags exit %d: %s%s", code, out, errs)
	}
	code, out, _ = runLedger("accounts", "list", "--db", dsn)
	if code != 0 || !strings.Contains(out, "48h0m0s") || !strings.Contains(out, "allow-negative,frozen") {
		t.Fatalf("list exit %d:\n%s", code, out)
	}
	code, out, _ = runLedger("accounts", "history", "--db", dsn, "1")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(lines) != 2 || !strings.Contains(lines[0], "opened") || !strings.Contains(lines[1], "age limit: ") {
		t.Fatalf("history exit %d:\n%s", code, out)
	}
	if code, out, _ := runLedger("verify", "--db", dsn); code != 0 {
		t.Fatalf("verify after logged changes exit %d:\n%s", code, out)
	}
	execSQL(t, dsn, `UPDATE accounts SET age_limit_s = 0 WHERE id = 1`)
	code, out, _ = runLedger("verify", "--db", dsn)
	if code != 1 || !strings.Contains(out, "FAIL  control") || !strings.Contains(out, "account 1: stored") {
		t.Fatalf("verify after an edit in place exit %d:\n%s", code, out)
	}
	for _, bad := range [][]string{{"accounts", "set", "1", "--age-limit", "-1h"}, {"accounts", "set", "1", "--flags", "gold"}, {"accounts", "set", "1"}, {"accounts", "frob"}} {
		if code, _, _ := runLedger(append(bad, "--db", dsn)...); code != 2 {
			t.Errorf("%v exit %d, want 2", bad, code)
		}
	}
}

func TestLedgerSeals_ExportAppendsAndRefusesARewrittenSeal(t *testing.T) {
	dsn, _ := seedLedger(t)
	path := filepath.Join(t.TempDir(), "seals.json")
	today := clock.AccountingDay(time.Now(), clock.NaturalDay)
	export := func() (int, string, string) { return runLedger("seals", "--db", dsn, "--export", path) }
	if code, out, errs := export(); code != 0 || !strings.Contains(out, "exported 0 new seal(s)") {
		t.Fatalf("empty export exit %d: %s%s", code, out, errs)
	}
	for _, d := range []clock.Date{today.AddDays(-2), today.AddDays(-1)} {
		if code, out, errs := runLedger("close-day", "--db", dsn, "--day", d.String()); code != 0 {
			t.Fatalf("close %s exit %d: %s%s", d, code, out, errs)
		}
		if code, out, errs := export(); code != 0 || !strings.Contains(out, "exported 1 new seal(s)") {
			t.Fatalf("export exit %d: %s%s", code, out, errs)
		}
	}
	b, err := os.ReadFile(path)
	var seals []ledger.Seal
	if err != nil || json.Unmarshal(b, &seals) != nil || len(seals) != 2 || seals[1].PrevDay != seals[0].Day {
		t.Fatalf("exported file: %s (%v)", b, err)
	}
	if code, out, _ := runLedger("verify", "--db", dsn, "--seals", path); code != 0 {
		t.Fatalf("verify with the export exit %d:\n%s", code, out)
	}
	execSQL(t, dsn, `UPDATE day_closes SET closed_at = closed_at + 1 WHERE day = ?`, today.AddDays(-2).String())
	if code, _, errs := export(); code != 1 || !strings.Contains(errs, "rewritten") {
		t.Fatalf("export over a rewritten seal exit %d: %s", code, errs)
	}
	if b2, _ := os.ReadFile(path); string(b2) != string(b) {
		t.Fatal("a refused export changed the file")
	}
	execSQL(t, dsn, `UPDATE day_closes SET closed_at = closed_at - 1 WHERE day = ?`, today.AddDays(-2).String())
	execSQL(t, dsn, `DELETE FROM day_closes WHERE day = ?`, today.AddDays(-1).String())
	if code, _, errs := export(); code != 1 || !strings.Contains(errs, "deleted") {
		t.Fatalf("export over a deleted seal exit %d: %s", code, errs)
	}
}
