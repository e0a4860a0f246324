package bank

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

const (
	rdH  = "H|BDC|1.0|M1|20240603|20240604060000\n"
	rdD1 = "D|1|PAY|B1|P1||20240603100000|20240603100001|20240603|100|1|99|SUCCESS|621626*********0018|DC|PN\n"
	rdD2 = "D|2|REFUND|B2|R1|P1|20240603100000|20240603100002|20240603|40|0|40|SUCCESS|621626*********0018|DC|PN\n"
	rdD3 = "D|3|PAYOUT|B3|O1||20240603100000|20240603100003|20240603|800|0|800|SUCCESS|621626*********0034|DC|\n"
	rdD4 = "D|4|RETURN|B3|B3|O1|20240603100000|20240603100004|20240603|800|0|800|RETURNED|621626*********0034|DC|\n"
	rdT  = "T|4|1|100|1|40|1|800|1|800|1\n"
)

func readAll(t *testing.T, in string, typ channel.StatementType) ([]channel.StatementRecord, *channel.StatementTotals, error) {
	t.Helper()
	sc := newStmtScanner(strings.NewReader(in))
	if err := sc.header(); err != nil {
		t.Fatal(err)
	}
	r := newStmtReader(sc, typ)
	defer r.Close()
	var out []channel.StatementRecord
	for {
		var rec channel.StatementRecord
		err := r.Next(&rec)
		if err == io.EOF {
			return out, r.Totals(), nil
		}
		if err != nil {
			if r.Totals() != nil {
				t.Errorf("totals after an error")
			}
			return out, nil, err
		}
		out = append(out, rec)
	}
}

func TestStmtReader_MapsEveryTypeAndTotals(t *testing.T) {
	recs, tot, err := readAll(t, rdH+rdD1+rdD2+rdD3+rdD4+rdT, channel.StatementAll)
	if err != nil || len(recs) != 4 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	want := []struct {
		typ                             channel.RecordType
		order, refund, payout, returnNo string
		status                          channel.Status
	}{
		{channel.RecordPayment, "P1", "", "", "", channel.StatusSucceeded},
		{channel.RecordRefund, "P1", "R1", "", "", channel.StatusSucceeded},
		{channel.RecordPayout, "", "", "O1", "", channel.StatusSucceeded},
		{channel.RecordPayoutReturn, "", "", "O1", "B3", channel.StatusReversed},
	}
	for i, w := range want {
		r := recs[i]
		if r.Type != w.typ || r.OrderNo != w.order || r.RefundNo != w.refund || r.PayoutNo != w.payout || r.ReturnNo != w.returnNo || r.Status != w.status || r.Line != i+2 {
			t.Errorf("record %d: %+v", i, r)
		}
	}
	if recs[0].SettleAmount != money.Fen(99) || recs[0].Fee != money.Fen(1) || recs[0].CardMasked != "621626*********0018" {
		t.Errorf("payment amounts %+v", recs[0])
	}
	if tot.Count != 4 || tot.PaymentAmount != money.Fen(100) || tot.RefundAmount != money.Fen(40) || tot.PayoutCount != 1 ||
		tot.PayoutAmount != money.Fen(800) || tot.ReturnCount != 1 || tot.ReturnAmount != money.Fen(800) || tot.FeeAmount != money.Fen(1) ||
		tot.StatedFeeAmount.String() != "0.01" {
		t.Errorf("totals %+v", tot)
	}
}

func TestStmtReader_FilterKeepsFeesOfReturnedRows(t *testing.T) {
	recs, tot, err := readAll(t, rdH+rdD1+rdD2+rdD3+rdD4+rdT, channel.StatementRefunds)
	if err != nil || len(recs) != 1 || recs[0].RefundNo != "R1" || tot.FeeAmount != money.Fen(0) {
		t.Fatalf("%+v %+v %v", recs, tot, err)
	}
}

func TestStmtReader_MalformedLineIsInvalidRequestAfterGoodRecords(t *testing.T) {
	bad := strings.Replace(rdD2, "|40|0|40|", "|40|0|41|", 1)
	recs, _, err := readAll(t, rdH+rdD1+bad+rdT, channel.StatementAll)
	var ce *channel.Error
	if len(recs) != 1 || !errors.As(err, &ce) || ce.Kind != channel.KindInvalidRequest || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "netAmount") {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	_, _, err = readAll(t, rdH+rdD1+"T|1|1|101|0|0|0|0|0|0|1\n", channel.StatementAll)
	if !errors.Is(err, channel.ErrInvalidRequest) || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("T mismatch: %v", err)
	}
}
