package notify_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/order"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

type fakeOrders struct {
	payments map[string]*order.Payment
	refunds  map[string]*order.Refund
}

func (f fakeOrders) Payment(_ context.Context, id string) (*order.Payment, error) {
	if p, ok := f.payments[id]; ok {
		return p, nil
	}
	return nil, order.ErrNotFound
}

func (f fakeOrders) Refund(_ context.Context, id string) (*order.Refund, error) {
	if r, ok := f.refunds[id]; ok {
		return r, nil
	}
	return nil, order.ErrNotFound
}

func TestMarshal_Golden(t *testing.T) {
	at := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC) // 10:00 in Beijing
	p := &order.Payment{ID: "pay_1", MerchantID: "M1", OrderNo: "A1001", Channel: "wechat", Account: "wx1",
		ChannelOrderNo: "Cpay_1", ChannelTxnID: "4200001", Method: channel.MethodQR, Amount: money.Fen(199900),
		RefundedAmount: money.Fen(1), Subject: "咖啡", State: order.PartiallyRefunded, ExpiresAt: at.Add(2 * time.Hour),
		PaidAt: at.Add(time.Minute), CreatedAt: at, UpdatedAt: at.Add(time.Hour), Version: 4}
	r := &order.Refund{ID: "ref_1", PaymentID: "pay_1", MerchantID: "M1", RefundNo: "R1", ChannelRefundID: "5000001",
		Amount: money.Fen(1), Reason: "damaged", State: order.Succeeded, CreatedAt: at.Add(30 * time.Minute),
		UpdatedAt: at.Add(time.Hour), CompletedAt: at.Add(time.Hour), Version: 2}
	orders := fakeOrders{payments: map[string]*order.Payment{"pay_1": p}, refunds: map[string]*order.Refund{"ref_1": r}}
	tests := []struct {
		golden string
		ev     *order.Event
	}{
		{"payment_succeeded.json", &order.Event{ID: "evt_p", Type: "payment.succeeded", OrderKind: "payment", OrderID: "pay_1", PaymentID: "pay_1", MerchantID: "M1", At: at.Add(time.Minute)}},
		{"refund_succeeded.json", &order.Event{ID: "evt_r", Type: "refund.succeeded", OrderKind: "refund", OrderID: "ref_1", PaymentID: "pay_1", MerchantID: "M1", At: at.Add(time.Hour)}},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			got, err := notify.Marshal(context.Background(), orders, tc.ev)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(want) != string(got)+"\n" {
				t.Errorf("payload changed (stable format; run with -update only on purpose):\n got %s\nwant %s", got, want)
			}
		})
	}
	if _, err := notify.Marshal(context.Background(), orders, &order.Event{ID: "evt_x", OrderKind: "payment", OrderID: "pay_missing"}); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("missing payment: %v", err)
	}
	if _, err := notify.Marshal(context.Background(), orders, &order.Event{ID: "evt_x", OrderKind: "payout", OrderID: "pay_1"}); err == nil {
		t.Error("unknown order kind accepted")
	}
}
