package store_test

import (
	"context"
	"os"
	"testing"

	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store/storetest"
)

func TestOrderAmounts_ReadsManyOrdersAtOnce(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		paid(t, db, "pay_a", 100)
		paid(t, db, "pay_b", 250)
		if _, err := db.CreateRefund(ctx, &order.Refund{ID: "ref_a", PaymentID: "pay_a", MerchantID: "M1", RefundNo: "R1", ChannelRefundNo: "CR1", Amount: money.Fen(40), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		got, err := db.OrderAmounts(ctx, "payment", []string{"pay_a", "pay_b", "pay_none", "ref_a"})
		if err != nil || len(got) != 2 || got["pay_a"] != money.Fen(100) || got["pay_b"] != money.Fen(250) {
			t.Errorf("payments: %v %v", got, err)
		}
		got, err = db.OrderAmounts(ctx, "refund", []string{"ref_a", "pay_a"})
		if err != nil || len(got) != 1 || got["ref_a"] != money.Fen(40) {
			t.Errorf("refunds: %v %v", got, err)
		}
		if _, err := db.OrderAmounts(ctx, "payments; DROP TABLE payments", []string{"x"}); err == nil {
			t.Error("unknown kind accepted")
		}
		ps, err := db.PaymentsByID(ctx, []string{"pay_b", "pay_none", "pay_a"})
		if err != nil || len(ps) != 2 || ps["pay_a"].Amount != money.Fen(100) || ps["pay_b"].State != order.Succeeded || ps["pay_a"].Channel != "wechat" {
			t.Errorf("payments by id: %+v %v", ps, err)
		}
	})
}
