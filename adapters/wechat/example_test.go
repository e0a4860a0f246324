package wechat_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// Example pays a QR order, handles its notification and refunds part of it, against the
// simulator in process (point BaseURL at https://api.mch.weixin.qq.com in production).
func Example() {
	ctx := context.Background()

	// The simulator stands in for WeChat Pay; its demo merchant has known keys.
	proto, err := simwechat.New(simwechat.Config{})
	if err != nil {
		log.Fatal(err)
	}
	sim, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{proto}, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	wx := httptest.NewServer(sim)
	defer wx.Close()
	demo := simwechat.DemoMerchant()

	client, err := wechat.New(wechat.Config{
		AppID: demo.AppIDs[0], MchID: demo.MchID, Key: demo.Key,
		BaseURL: wx.URL, HTTPClient: wx.Client(), TLSClient: wx.Client(),
	})
	if err != nil {
		log.Fatal(err)
	}

	// The merchant's notify URL: verify, check against our own order, apply, then ack.
	order := channel.Expectation{OrderNo: "EX20261206001", Amount: money.Fen(1999), MerchantID: demo.MchID}
	paid := make(chan string, 1)
	notify := httptest.NewServer(channel.NotificationHandler(client, func(ctx context.Context, n *channel.Notification) error {
		if err := n.Check(order); err != nil {
			return err // a signed notification for the wrong order or amount: refuse
		}
		paid <- fmt.Sprintf("notified: %s %s %s", n.Payment.OrderNo, n.Payment.Status, n.Payment.Amount)
		return nil // commit the change before returning: the Ack goes out after this
	}))
	defer notify.Close()

	res, err := client.Pay(ctx, &channel.PayRequest{
		OrderNo: order.OrderNo, Amount: order.Amount, Method: channel.MethodQR,
		Subject: "Coffee", NotifyURL: notify.URL, ClientIP: "127.0.0.1",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pay:", res.Status, res.Action.Kind)

	// The payer scans and pays (a control call of the simulator).
	if _, err := sim.Pay(ctx, simulator.PayerAction{Channel: "wechat", OutTradeNo: order.OrderNo}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-paid)

	refund, err := client.Refund(ctx, &channel.RefundRequest{
		RefundNo: "EX20261206001R1", OrderNo: order.OrderNo,
		Amount: money.Fen(500), OrderAmount: order.Amount,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("refund:", refund.Status, refund.Amount)
	// Output:
	// pay: PENDING qr_code
	// notified: EX20261206001 SUCCEEDED CNY 19.99
	// refund: PROCESSING CNY 5.00
}
