package bank

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

func TestParseStatement_Golden(t *testing.T) {
	b, err := os.ReadFile("testdata/statement_20240603.txt")
	if err != nil {
		t.Fatal(err)
	}
	st, err := parseStatement(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if st.MerchantID != "M0000001" || st.Date != (clock.Date{Year: 2024, Month: 6, Day: 3}) || st.Generated.Format(timeCompact) != "20240604060000" {
		t.Fatalf("header: %+v", st)
	}
	if len(st.Records) != 5 {
		t.Fatalf("%d records", len(st.Records))
	}
	p := st.Records[0]
	if p.TxType != "PAY" || p.Amount != money.Fen(10000) || p.Fee != money.Fen(30) || p.Net != money.Fen(9970) ||
		p.CardNoMasked != "621626*********0018" || p.ProtocolNo != "P20240603000000000001" || p.FinishTime.Format(timeCompact) != "20240603100001" {
		t.Fatalf("PAY record: %+v", p)
	}
	if r := st.Records[1]; r.TxType != "REFUND" || r.OrigOrderNo != "P1" || r.MerchantNo != "R1" || r.Fee != money.Fen(0) {
		t.Fatalf("REFUND record: %+v", r)
	}
	if r := st.Records[3]; r.TxType != "RETURN" || r.Status != "RETURNED" || r.OrigOrderNo != "O0" {
		t.Fatalf("RETURN record: %+v", r)
	}
	want := stmtTotals{Records: 5, PayCount: 2, PayAmount: money.Fen(10001), RefundCount: 1, RefundAmount: money.Fen(4000),
		PayoutCount: 1, PayoutAmount: money.Fen(50000), ReturnCount: 1, ReturnAmount: money.Fen(700), FeeTotal: money.Fen(30)}
	if st.Totals != want {
		t.Fatalf("totals %+v", st.Totals)
	}
}

func TestParseStatement_RejectsByRule(t *testing.T) {
	const h = "H|BDC|1.0|M1|20240603|20240604060000\n"
	const d = "D|1|PAY|B1|P1||20240603100000|20240603100001|20240603|100|1|99|SUCCESS|621626*********0018|DC|PN\n"
	const tl = "T|1|1|100|0|0|0|0|0|0|1\n"
	tests := []struct{ name, in, want string }{
		{"empty day ok", h + "T|0|0|0|0|0|0|0|0|0|0\n", ""},
		{"one record ok", h + d + tl, ""},
		{"no H", d + tl, "D line before the H line"},
		{"no T", h + d, "missing H or T"},
		{"after T", h + d + tl + d, "after the T line"},
		{"two H", h + h + tl, "H line not first"},
		{"bad version", strings.Replace(h, "1.0", "2.0", 1) + tl, "want H|BDC|1.0"},
		{"seq", h + strings.Replace(d, "D|1|", "D|2|", 1) + tl, "field seq"},
		{"seq leading zero", h + strings.Replace(d, "D|1|", "D|01|", 1) + tl, "field seq"},
		{"type", h + strings.Replace(d, "|PAY|", "|CHARGE|", 1) + tl, "field txType"},
		{"amount zero", h + strings.Replace(d, "|100|1|99|", "|0|0|0|", 1) + "T|1|1|0|0|0|0|0|0|0|0\n", "field amount"},
		{"amount sign", h + strings.Replace(d, "|100|1|99|", "|-100|1|99|", 1) + tl, "field amount"},
		{"amount decimals", h + strings.Replace(d, "|100|1|99|", "|1.00|1|99|", 1) + tl, "field amount"},
		{"net", h + strings.Replace(d, "|100|1|99|", "|100|1|100|", 1) + tl, "field netAmount"},
		{"fee on refund", h + "D|1|REFUND|B1|R1|P1|20240603100000|20240603100001|20240603|100|1|99|SUCCESS||DC|\n" + "T|1|0|0|1|100|0|0|0|0|1\n", "field fee"},
		{"refund without orig", h + "D|1|REFUND|B1|R1||20240603100000|20240603100001|20240603|100|0|100|SUCCESS||DC|\n" + "T|1|0|0|1|100|0|0|0|0|0\n", "field origOrderNo"},
		{"settle date", h + strings.Replace(d, "|20240603|100|", "|20240602|100|", 1) + tl, "field settleDate"},
		{"finish time", h + strings.Replace(d, "20240603100001", "20240603250001", 1) + tl, "field finishTime"},
		{"full card number", h + strings.Replace(d, "621626*********0018", "6216261000000000018", 1) + tl, "field cardNoMasked"},
		{"status", h + strings.Replace(d, "|SUCCESS|", "|FAIL|", 1) + tl, "field status"},
		{"fields", h + strings.Replace(d, "|PN\n", "|PN|x\n", 1) + tl, "17 fields"},
		{"T mismatch", h + d + "T|1|1|101|0|0|0|0|0|0|1\n", "does not match"},
		{"T count", h + d + "T|2|1|100|0|0|0|0|0|0|1\n", "does not match"},
		{"T fields", h + d + "T|1|1|100\n", "4 fields"},
		{"unknown line", h + "X|1\n" + tl, "want an H, D or T line"},
		{"crlf tolerated", strings.ReplaceAll(h+d+tl, "\n", "\r\n"), ""},
		{"long line", h + strings.Repeat("D", 5000) + "\n" + tl, "token too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseStatement(strings.NewReader(tc.in))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				return
			}
			if !errors.Is(err, errStatement) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want errStatement mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "6216261000000000018") {
				t.Fatal("error reveals a card number")
			}
		})
	}
}

func TestOpenStatementFile_ChecksSM3AndGzip(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("H|BDC|1.0|M1|20240603|20240604060000\nT|0|0|0|0|0|0|0|0|0|0\n"))
	zw.Close()
	sum := sign.SM3(gz.Bytes())
	raw, err := openStatementFile(gz.Bytes(), hex.EncodeToString(sum[:]))
	if err != nil || !strings.HasPrefix(string(raw), "H|BDC") {
		t.Fatalf("open: %v", err)
	}
	bad := append([]byte(nil), gz.Bytes()...)
	bad[len(bad)-1] ^= 1
	if _, err := openStatementFile(bad, hex.EncodeToString(sum[:])); !errors.Is(err, errStatement) {
		t.Fatalf("changed file: %v", err)
	}
	notgz := []byte("plain")
	s2 := sign.SM3(notgz)
	if _, err := openStatementFile(notgz, hex.EncodeToString(s2[:])); !errors.Is(err, errStatement) {
		t.Fatalf("not gzip: %v", err)
	}
	if _, err := openStatementFile(gz.Bytes(), "zz"); !errors.Is(err, errStatement) {
		t.Fatalf("bad fileSm3: %v", err)
	}
}
