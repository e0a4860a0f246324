package notify_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store"
)

// Example wires a Notifier to a store and a merchant's endpoint, then delivers one payment's
// webhook. A gateway calls Run instead of RunOnce.
func Example() {
	ctx := context.Background()
	clk := clock.NewVirtual(time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC))
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := notify.VerifyWebhook("whsec_m1", r.Header, body, clk.Now(), 5*time.Minute); err != nil {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		fmt.Println("merchant got", r.Header.Get(notify.HeaderEventType))
	}))
	defer merchant.Close()

	db, err := store.Open(ctx, "sqlite::memory:")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	p := &order.Payment{ID: "pay_1", MerchantID: "M1", OrderNo: "A1001", Channel: "wechat", Account: "wx1",
		ChannelOrderNo: "C1", Method: channel.MethodQR, Amount: money.Fen(1999), Subject: "coffee", CreatedAt: clk.Now()}
	if _, err := db.CreatePayment(ctx, p); err != nil {
		fmt.Println(err)
		return
	}
	if _, _, err := db.TransitionPayment(ctx, "pay_1", 1, order.Transition{To: order.Succeeded, Cause: order.CauseNotification, At: clk.Now()}); err != nil {
		fmt.Println(err)
		return
	}

	n, err := notify.New(notify.Config{Outbox: db, Orders: db, Clock: clk,
		Directory: notify.StaticDirectory{"M1": {URL: merchant.URL, Secret: "whsec_m1"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	delivered, err := n.RunOnce(ctx)
	fmt.Println("delivered:", delivered, err)
	// Output:
	// merchant got payment.succeeded
	// delivered: 1 <nil>
}
