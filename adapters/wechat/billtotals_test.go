package wechat

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/money"
)

// TestBillReader_FeeTotalIsTheSumOfTheRowFees: whatever the bill prints as 手续费总金额
// (5 decimals), Totals().FeeAmount equals the sum of the records' Fee, so recon's
// rows add up; the printed figure stays, exact, in StatedFeeAmount.
func TestBillReader_FeeTotalIsTheSumOfTheRowFees(t *testing.T) {
	header := strings.SplitN(golden(t, "bill_all.txt"), "\n", 2)[0]
	row := func(order, fee string) string {
		return "`2021-01-28 18:00:00,`wx81be3101902f7cb2,`1601959334,`0,`,`42000009252021012849977" + order + ",`" + order +
			",`ofyak5qR_1wYsC99CsWA6R9MJazA,`NATIVE,`SUCCESS,`CFT,`CNY,`1.00,`0.00,`0,`0,`0.00,`0.00,`,`,`x,`,`" + fee + ",`0.60%,`1.00,`0.00,`"
	}
	totals := func(n, fee string) string {
		return "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n`" + n + ",`3.00,`0.00,`0.00,`" + fee + ",`3.00,`0.00"
	}
	tests := []struct {
		name     string
		bill     string
		wantFee  money.Amount
		wantText string
	}{
		{"three rows of 0.00600 (printed 0.01800 rounds to 0.02)",
			strings.Join([]string{header, row("A1", "0.00600"), row("A2", "0.00600"), row("A3", "0.00600"), totals("3", "0.01800")}, "\n"),
			money.Fen(3), "0.01800"},
		{"rounding down on every row (printed 0.01200 rounds to 0.01)",
			strings.Join([]string{header, row("A1", "0.00400"), row("A2", "0.00400"), row("A3", "0.00400"), totals("3", "0.01200")}, "\n"),
			money.Fen(0), "0.01200"},
		{"the golden ALL bill", golden(t, "bill_all.txt"), money.Fen(421), "4.21410"},
		{"the golden legacy bill", golden(t, "bill_legacy.txt"), money.Fen(6), "0.06000"},
		{"the golden REFUND bill", golden(t, "bill_refund.txt"), money.Fen(-3), "-0.03000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewBillReader(strings.NewReader(tc.bill), billDate, 0)
			recs, err := readAll(r)
			if err != nil {
				t.Fatal(err)
			}
			sum := money.Fen(0)
			for _, rec := range recs {
				if sum, err = sum.Add(rec.Fee); err != nil {
					t.Fatal(err)
				}
			}
			tot := r.Totals()
			if tot == nil {
				t.Fatal("no totals")
			}
			if tot.FeeAmount != sum || sum != tc.wantFee {
				t.Errorf("Totals().FeeAmount = %v, rows sum to %v; want both %v", tot.FeeAmount, sum, tc.wantFee)
			}
			if want := decimal.RequireFromString(tc.wantText); !tot.StatedFeeAmount.Equal(want) {
				t.Errorf("StatedFeeAmount = %s, want %s", tot.StatedFeeAmount, want)
			}
		})
	}
}
