package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
)

// seedLedger writes a small ledger to a new SQLite file: one payment of 100.00.
func seedLedger(t *testing.T) (dsn string, merchant ledger.AccountID) {
	t.Helper()
	dsn = "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := ledger.New(ledger.Config{Store: db, Clock: clock.Real()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, c := range []ledger.ChartAccount{{Code: "1122", Name: "receivables", Type: ledger.Asset}, {Code: "2202", Name: "payables", Type: ledger.Liability}} {
		if err := l.PutChart(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	recv, err := l.CreateAccount(ctx, ledger.AccountSpec{Code: "1122", OwnerKind: ledger.OwnerChannel, OwnerID: "wechat", Currency: money.CNY, Name: "wx"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := l.CreateAccount(ctx, ledger.AccountSpec{Code: "2202", OwnerKind: ledger.OwnerMerchant, OwnerID: "M1", Currency: money.CNY, Name: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Post(ctx, ledger.Posting{Key: "p1", Voucher: ledger.Voucher{Kind: "order", ID: "O1", Amount: money.Fen(10000)},
		Lines: []ledger.Line{{Account: recv.ID, Side: ledger.Debit, Amount: money.Fen(10000)}, {Account: m.ID, Side: ledger.Credit, Amount: money.Fen(10000)}}}); err != nil {
		t.Fatal(err)
	}
	return dsn, m.ID
}

func runLedger(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := ledgerMain(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestLedgerCommand_Usage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
	}{{nil, 2}, {[]string{"--help"}, 0}, {[]string{"frobnicate"}, 2}, {[]string{"close-day", "--day", "yesterday"}, 2}, {[]string{"balance"}, 2}} {
		if code, _, _ := runLedger(c.args...); code != c.code {
			t.Errorf("ledger %v exit %d, want %d", c.args, code, c.code)
		}
	}
}

func TestLedgerVerify_ReportsEachCheckAndFailsOnTampering(t *testing.T) {
	dsn, merchant := seedLedger(t)
	code, out, errs := runLedger("verify", "--db", dsn)
	if code != 0 || !strings.Contains(out, "ok    balances") || !strings.Contains(out, "skip  external") || !strings.HasSuffix(out, "OK\n") {
		t.Fatalf("clean verify exit %d\n%s%s", code, out, errs)
	}
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`UPDATE accounts SET cp = cp + 1 WHERE id = ?`, int64(merchant)); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	code, out, _ = runLedger("verify", "--db", dsn)
	if code != 1 || !strings.Contains(out, "FAIL  balances") || !strings.Contains(out, fmt.Sprintf("account %d:", merchant)) || !strings.Contains(out, "FAILED: 2 check(s)") {
		t.Fatalf("tampered verify exit %d\n%s", code, out)
	}
	code, out, _ = runLedger("verify", "--json", "--db", dsn)
	var rep struct {
		OK     bool `json:"ok"`
		Checks []struct {
			Name     string `json:"name"`
			Failures int    `json:"failures"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.OK || len(rep.Checks) != 7 || rep.Checks[0].Failures != 1 {
		t.Fatalf("json verify exit %d err %v: %s", code, err, out)
	}
}

func TestLedgerVerify_MissingFileIsAnError(t *testing.T) {
	code, _, errs := runLedger("verify", "--db", "sqlite:"+filepath.Join(t.TempDir(), "nope.db"))
	if code != 1 || !strings.Contains(errs, "no ledger at") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

func TestLedgerBalance_ByIDAndByKeys(t *testing.T) {
	dsn, merchant := seedLedger(t)
	for _, acct := range []string{fmt.Sprint(merchant), "2202:merchant:M1", "2202:merchant:M1:CNY"} {
		code, out, errs := runLedger("balance", acct, "--db", dsn)
		if code != 0 || !strings.Contains(out, "posted     CNY 100.00") || !strings.Contains(out, "available  CNY 100.00") {
			t.Fatalf("balance %s exit %d: %s%s", acct, code, out, errs)
		}
	}
	if code, _, errs := runLedger("balance", "--db", dsn, "2202:merchant:nobody"); code != 1 || !strings.Contains(errs, "not found") {
		t.Fatalf("unknown account exit %d: %s", code, errs)
	}
}

func TestLedgerCloseDay_ClosesYesterdayNotToday(t *testing.T) {
	dsn, _ := seedLedger(t)
	today := clock.AccountingDay(time.Now(), clock.NaturalDay)
	code, out, errs := runLedger("close-day", "--db", dsn, "--day", today.AddDays(-1).String())
	if code != 0 || !strings.Contains(out, "closed "+today.AddDays(-1).String()) {
		t.Fatalf("close yesterday exit %d: %s%s", code, out, errs)
	}
	if code, _, errs := runLedger("close-day", "--db", dsn, "--day", today.String()); code != 1 || !strings.Contains(errs, "not over") {
		t.Fatalf("close today exit %d: %s", code, errs)
	}
	code, out, _ = runLedger("seals", "--db", dsn)
	var seals []ledger.Seal
	if err := json.Unmarshal([]byte(out), &seals); code != 0 || err != nil || len(seals) != 1 || seals[0].HeadSeq != 1 {
		t.Fatalf("seals exit %d %v: %s", code, err, out)
	}
	path := filepath.Join(t.TempDir(), "seals.json")
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runLedger("verify", "--db", dsn, "--seals", path, "--day", today.AddDays(-1).String()); code != 0 {
		t.Fatalf("verify with exported seals exit %d: %s", code, out)
	}
}

func TestLedgerLoad_PostsAndReportsThroughput(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "load.db")
	code, out, errs := runLedger("load", "--db", dsn, "--entries", "300", "--callers", "8", "--accounts", "10")
	if code != 0 || !strings.Contains(out, "300 entries (0 failed)") || !strings.Contains(out, "p99") {
		t.Fatalf("load exit %d: %s%s", code, out, errs)
	}
	if code, out, _ := runLedger("verify", "--db", dsn); code != 0 || !strings.Contains(out, "300 entries") {
		t.Fatalf("verify after load exit %d: %s", code, out)
	}
}

func TestLedgerCloseDay_SM2SignedSealsVerifyOnlyWithTheirKey(t *testing.T) {
	dsn, _ := seedLedger(t)
	dir := t.TempDir()
	keyFile := func(name string) (priv, pub string) {
		k, err := sign.GenerateSM2Key(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		kp, err := k.MarshalPKCS8PEM()
		if err != nil {
			t.Fatal(err)
		}
		pp, err := k.Public().MarshalPEM()
		if err != nil {
			t.Fatal(err)
		}
		priv, pub = filepath.Join(dir, name+".key"), filepath.Join(dir, name+".pub")
		if os.WriteFile(priv, kp, 0o600) != nil || os.WriteFile(pub, pp, 0o600) != nil {
			t.Fatal("write key files")
		}
		return priv, pub
	}
	priv, pub := keyFile("ledger")
	_, otherPub := keyFile("other")
	yesterday := clock.AccountingDay(time.Now(), clock.NaturalDay).AddDays(-1).String()
	if code, out, errs := runLedger("close-day", "--db", dsn, "--day", yesterday, "--sm2-key", priv); code != 0 {
		t.Fatalf("close-day exit %d: %s%s", code, out, errs)
	}
	if code, out, _ := runLedger("verify", "--db", dsn, "--sm2-pub", pub); code != 0 {
		t.Fatalf("verify with the signing key exit %d: %s", code, out)
	}
	code, out, _ := runLedger("verify", "--db", dsn, "--sm2-pub", otherPub)
	if code != 1 || !strings.Contains(out, "FAIL  chain") || !strings.Contains(out, "seal "+yesterday) {
		t.Fatalf("verify with another key exit %d: %s", code, out)
	}
}
