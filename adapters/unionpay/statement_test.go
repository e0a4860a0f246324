package unionpay

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

func TestDownloadStatement_ZMZMEAndTotals(t *testing.T) {
	e := newClientEnv(t, "01", time.Date(2026, 3, 10, 21, 0, 0, 0, clock.Beijing()))
	ctx := context.Background()
	token := e.bind()
	paid, paidAt := e.payToken(token, 10000)
	if _, err := e.c.Refund(ctx, &channel.RefundRequest{RefundNo: e.no("REF"), RefundTime: e.now(), OrderNo: paid, OrderTime: paidAt, Amount: money.Fen(2500)}); err != nil {
		t.Fatal(err)
	}
	undone, undoneAt := e.payToken(token, 300)
	if _, err := e.c.Cancel(ctx, &channel.CancelRequest{OrderNo: undone, OrderTime: undoneAt, CancelNo: e.no("UNDO"), CancelTime: e.now()}); err != nil {
		t.Fatal(err)
	}
	// An App order paid after its payTimeout: respCode 42, listed in ZME.
	late, lateAt := e.no("LATE"), e.now()
	if _, err := e.c.Pay(ctx, &channel.PayRequest{OrderNo: late, OrderTime: lateAt, Amount: money.Fen(1200), Method: channel.MethodApp, ExpiresAt: lateAt.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	e.advance(10 * time.Minute)
	res, err := e.sim.Client().Post(e.sim.URL+"/_sim/payer/pay", "application/json",
		strings.NewReader(`{"channel":"unionpay","out_trade_no":"`+late+`","options":{"late":"true"}}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// The 22:59:59 and 23:00:01 payments land in different files.
	e.setTime(time.Date(2026, 3, 10, 22, 59, 59, 0, clock.Beijing()))
	before, _ := e.payToken(token, 111)
	e.setTime(time.Date(2026, 3, 10, 23, 0, 1, 0, clock.Beijing()))
	after, _ := e.payToken(token, 222)

	day, _ := clock.ParseDate("2026-03-10")
	if _, err := e.c.DownloadStatement(ctx, &channel.StatementRequest{Date: day}); !errors.Is(err, channel.ErrUnavailable) || !channel.IsRetryable(err) {
		t.Fatalf("before 09:00 the next day: %v", err)
	}
	e.setTime(time.Date(2026, 3, 11, 9, 1, 0, 0, clock.Beijing()))
	rd, err := e.c.DownloadStatement(ctx, &channel.StatementRequest{Date: day})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	byType := map[channel.RecordType][]channel.StatementRecord{}
	fees := money.Fen(0)
	var rec channel.StatementRecord
	n := 0
	for {
		err := rd.Next(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		byType[rec.Type] = append(byType[rec.Type], rec)
		fees, _ = fees.Add(rec.Fee)
		if rec.SettlementDate != day || strings.Contains(rec.CardMasked, "58812340") {
			t.Errorf("record %+v", rec)
		}
		if rec.OrderNo == after {
			t.Errorf("the 23:00:01 payment %s is in the file of %s", after, day)
		}
	}
	tot := rd.Totals()
	if tot == nil || tot.Count != int64(n) || tot.FeeAmount != fees || tot.PaymentCount != 3 || tot.RefundCount != 1 {
		t.Fatalf("totals %+v, %d records, fees %v", tot, n, fees)
	}
	// The RD report's fee total, exact: the rows' fees plus the fee of the late payment
	// (0.6 % of 12.00), which the ZME line does not carry — the cross-check shows it.
	if want := decimal.New(fees.Minor()+7, -2); !tot.StatedFeeAmount.Equal(want) {
		t.Errorf("stated fee %s, rows %s", tot.StatedFeeAmount, want)
	}
	pays := map[string]channel.StatementRecord{}
	for _, r := range byType[channel.RecordPayment] {
		pays[r.OrderNo] = r
	}
	if p, ok := pays[paid]; !ok || p.Fee != money.Fen(60) || p.SettleAmount.IsZero() || p.CardMasked != "622155******0000" {
		t.Errorf("payment %s: %+v", paid, p)
	}
	if _, ok := pays[before]; !ok {
		t.Errorf("the 22:59:59 payment %s is missing", before)
	}
	if r := byType[channel.RecordRefund]; len(r) != 1 || r[0].OrderNo != paid || r[0].Amount != money.Fen(2500) || !r[0].Fee.IsNegative() {
		t.Errorf("refunds %+v", r)
	}
	if r := byType[channel.RecordReversal]; len(r) != 1 || r[0].OrderNo != undone || r[0].CancelNo == "" {
		t.Errorf("reversals %+v", r)
	}
	if r := byType[channel.RecordDispute]; len(r) != 1 || r[0].OrderNo != late || r[0].Amount != money.Fen(1200) {
		t.Errorf("disputes %+v", r)
	}
}
