package wallet_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/wallet"
)

// Two customers of merchant M1 with wallets; a transfer between them is one ledger entry,
// and the balances are the ledger's.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "wallet-example")
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "tongdao.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	clk := clock.NewVirtual(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
	led, _ := ledger.New(ledger.Config{Store: db, Clock: clk})
	defer led.Close()
	keys, _ := card.NewKeyring(card.KeyringConfig{Keys: map[string][]byte{"k1": bytes.Repeat([]byte{7}, 16)}, Active: "k1",
		FingerprintKey: bytes.Repeat([]byte{9}, 32)}) // from a secret store in real use
	svc, err := wallet.New(wallet.Config{Store: db, Ledger: led, Clock: clk, Keyring: keys})
	if err != nil {
		panic(err)
	}
	zhang, _ := svc.CreateCustomer(ctx, "M1", wallet.CustomerRequest{CustomerNo: "U1", Kind: wallet.Individual, Name: "张三", IDNo: "11010519491231002X"})
	li, _ := svc.CreateCustomer(ctx, "M1", wallet.CustomerRequest{CustomerNo: "U2", Kind: wallet.Individual, Name: "李四", IDNo: "110101199003070011"})
	a, _ := svc.OpenAccount(ctx, "M1", zhang.ID, wallet.KindWallet, money.CNY)
	b, _ := svc.OpenAccount(ctx, "M1", li.ID, wallet.KindWallet, money.CNY)

	// Money normally arrives by a top-up; here an adjustment entry stands in for one.
	_ = led.PutChart(ctx, ledger.ChartAccount{Code: "1002", Name: "bank deposits", Type: ledger.Asset})
	bank, _ := led.CreateAccount(ctx, ledger.AccountSpec{Code: "1002", OwnerKind: ledger.OwnerInternal, OwnerID: "bank", Currency: money.CNY, Name: "bank"})
	_, _ = led.Post(ctx, ledger.Posting{Key: "opening", Voucher: ledger.Voucher{Kind: ledger.VoucherAdjustment, ID: "opening", Amount: money.Fen(100_00)},
		Lines: []ledger.Line{{Account: bank.ID, Side: ledger.Debit, Amount: money.Fen(100_00)}, {Account: ledger.AccountID(a.LedgerID), Side: ledger.Credit, Amount: money.Fen(100_00)}}})

	op, err := svc.Transfer(ctx, "M1", wallet.TransferRequest{RequestNo: "T1", From: a.ID, To: b.ID, Amount: 30_00})
	if err != nil {
		panic(err)
	}
	e, _ := led.Entry(ctx, op.EntrySeq)
	va, _ := svc.View(ctx, "M1", a.ID)
	vb, _ := svc.View(ctx, "M1", b.ID)
	fmt.Println(op.State, e.Voucher.Kind, len(e.Lines), "lines")
	fmt.Println(va.Available, vb.Available)
	// Output:
	// done wallet_transfer 2 lines
	// CNY 70.00 CNY 30.00
}
