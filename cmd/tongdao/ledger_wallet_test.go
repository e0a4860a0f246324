package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/wallet"
)

// TestLedgerVerify_WalletBalanceEditedInTheDatabase is seed 000's attack on a wallet: its
// stored balance raised in the database directly. `tongdao ledger verify` fails and names
// the wallet's ledger account; with --vouchers orders the wallet's own voucher (the transfer)
// is found in its operations and is not reported.
func TestLedgerVerify_WalletBalanceEditedInTheDatabase(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "tongdao.db")
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clk := clock.NewVirtual(time.Now().Add(-time.Hour))
	l, err := ledger.New(ledger.Config{Store: db, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	kr, err := card.NewKeyring(card.KeyringConfig{Keys: map[string][]byte{"k1": bytes.Repeat([]byte{1}, 16)}, Active: "k1", FingerprintKey: bytes.Repeat([]byte{2}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := wallet.New(wallet.Config{Store: db, Ledger: l, Clock: clk, Keyring: kr, KDF: wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	var accts []*wallet.Account
	for i, id := range []string{"11010519491231002X", "110101199003070011"} {
		c, err := svc.CreateCustomer(ctx, "M1", wallet.CustomerRequest{CustomerNo: fmt.Sprint("C", i), Kind: wallet.Individual, Name: "张三", IDNo: id})
		if err != nil {
			t.Fatal(err)
		}
		a, err := svc.OpenAccount(ctx, "M1", c.ID, wallet.KindWallet, money.CNY)
		if err != nil {
			t.Fatal(err)
		}
		accts = append(accts, a)
	}
	// Fund the first wallet straight in the ledger (an adjustment), then transfer part of it.
	if err := l.PutChart(ctx, ledger.ChartAccount{Code: "9100", Name: "funding", Type: ledger.Asset}); err != nil {
		t.Fatal(err)
	}
	src, err := l.CreateAccount(ctx, ledger.AccountSpec{Code: "9100", OwnerKind: ledger.OwnerInternal, OwnerID: "fund", Currency: money.CNY, Name: "funding", Flags: ledger.AllowNegative})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Post(ctx, ledger.Posting{Key: "fund", Voucher: ledger.Voucher{Kind: ledger.VoucherAdjustment, ID: "fund", Amount: money.Fen(100_00)},
		Lines: []ledger.Line{{Account: src.ID, Side: ledger.Debit, Amount: money.Fen(100_00)}, {Account: ledger.AccountID(accts[0].LedgerID), Side: ledger.Credit, Amount: money.Fen(100_00)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Transfer(ctx, "M1", wallet.TransferRequest{RequestNo: "T1", From: accts[0].ID, To: accts[1].ID, Amount: 40_00}); err != nil {
		t.Fatal(err)
	}
	_ = l.Close()
	if code, out, _ := runLedger("verify", "--db", dsn); code != 0 {
		t.Fatalf("clean ledger: exit %d\n%s", code, out)
	}
	if _, err := db.SQL().Exec(`UPDATE accounts SET cp = cp + 1000000 WHERE id = ?`, accts[1].LedgerID); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runLedger("verify", "--db", dsn, "--vouchers", "orders")
	rec := fmt.Sprintf("account %d:", accts[1].LedgerID)
	if code != 1 || !strings.Contains(out, rec) || strings.Contains(out, "wallet_transfer") {
		t.Fatalf("verify after the edit: exit %d, want 1 naming %q and no voucher finding\n%s", code, rec, out)
	}
}
