package wallet_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/wallet"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestWriteCSV_Golden pins the statement export byte for byte: the columns, yuan amounts,
// Beijing times, directions and quoting of a memo with a comma.
func TestWriteCSV_Golden(t *testing.T) {
	at := time.Date(2026, 12, 1, 16, 30, 5, 0, time.UTC) // 2026-12-02 00:30:05 in Beijing
	lines := []wallet.Line{
		{Seq: 1, AccountID: "cus_1.wallet.CNY", EntrySeq: 12, Side: "C", Amount: cny(500_00), OpID: "op_a", OpKind: wallet.OpTopUp,
			VoucherKind: "order", VoucherID: "pay_1", Memo: "top-up TU1 via wechat", At: at},
		{Seq: 2, AccountID: "cus_1.wallet.CNY", EntrySeq: 17, Side: "D", Amount: cny(1), OpID: "op_b", OpKind: wallet.OpPayment,
			VoucherKind: "wallet_payment", VoucherID: "op_b", Memo: `payment BP1 to M1, "coffee"`, At: at.Add(time.Second)},
	}
	var b bytes.Buffer
	if err := wallet.WriteCSV(&b, lines, true); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "statement.csv.golden")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("CSV differs from %s:\n%s", path, b.String())
	}
}
