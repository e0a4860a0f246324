package alipay_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/tongdao/tongdao/adapters/alipay"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
	simalipay "github.com/tongdao/tongdao/simulator/alipay"
	"github.com/tongdao/tongdao/simulator/demo"
)

// Example pays a QR (precreate) order, handles its notification and refunds part of it,
// against the simulator in process, in public-key mode (leave BaseURL empty, or set it to
// https://openapi.alipay.com, in production).
func Example() {
	ctx := context.Background()

	proto, err := simalipay.New(simalipay.Config{})
	if err != nil {
		log.Fatal(err)
	}
	sim, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{proto}, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	gw := httptest.NewServer(sim)
	defer gw.Close()

	client, err := alipay.New(alipay.Config{
		AppID:           simalipay.DemoMerchant().AppID,
		AppPrivateKey:   demo.MustFile(demo.AlipayAppPrivate),
		AlipayPublicKey: demo.MustFile(demo.AlipayPlatformPublic),
		BaseURL:         gw.URL, // the adapter appends /gateway.do
		HTTPClient:      gw.Client(),
		Clock:           sim.Clock(), // the simulator's virtual clock, so timestamps agree
	})
	if err != nil {
		log.Fatal(err)
	}

	// The merchant's notify URL: verify, check against our own order, apply, then ack.
	order := channel.Expectation{OrderNo: "EX20261206002", Amount: money.Fen(2580), AppID: simalipay.DemoMerchant().AppID}
	paid := make(chan string, 1)
	notify := httptest.NewServer(channel.NotificationHandler(client, func(ctx context.Context, n *channel.Notification) error {
		if err := n.Check(order); err != nil {
			return err // a signed notification for the wrong order or amount: refuse
		}
		if n.Type == channel.NotifyPayment && n.Payment.Status == channel.StatusSucceeded {
			paid <- fmt.Sprintf("notified: %s %s %s", n.Payment.OrderNo, n.Payment.Status, n.Payment.Amount)
		}
		return nil // commit the change before returning: the Ack ("success") goes out after this
	}))
	defer notify.Close()

	res, err := client.Pay(ctx, &channel.PayRequest{
		OrderNo: order.OrderNo, Amount: order.Amount, Method: channel.MethodQR,
		Subject: "Noodles", NotifyURL: notify.URL,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pay:", res.Status, res.Action.Kind)

	// The payer scans and pays (a control call of the simulator).
	if _, err := sim.Pay(ctx, simulator.PayerAction{Channel: "alipay", OutTradeNo: order.OrderNo}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-paid)

	refund, err := client.Refund(ctx, &channel.RefundRequest{
		RefundNo: "EX20261206002R1", OrderNo: order.OrderNo, Amount: money.Fen(580),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("refund:", refund.Status, refund.Amount, "refunded so far:", refund.RefundedTotal)
	// Output:
	// pay: PENDING qr_code
	// notified: EX20261206002 SUCCEEDED CNY 25.80
	// refund: SUCCEEDED CNY 5.80 refunded so far: CNY 5.80
}
