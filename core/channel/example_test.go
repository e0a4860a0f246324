package channel_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// checkout is code written against the contract only: it works with any adapter. It pays,
// and on an unknown outcome it queries on the channel's own back-off — never paying again.
func checkout(ctx context.Context, ch channel.Channel, req *channel.PayRequest, sleep func(time.Duration)) (*channel.PaymentResult, error) {
	res, err := ch.Pay(ctx, req)
	for attempt := 0; isUnknown(res, err) && attempt < 10; attempt++ {
		sleep(ch.Info().QueryBackoff.Next(attempt))
		res, err = ch.Query(ctx, &channel.QueryRequest{OrderNo: req.OrderNo, OrderTime: req.OrderTime})
	}
	return res, err
}

func isUnknown(res *channel.PaymentResult, err error) bool {
	if err != nil {
		return errors.Is(err, channel.ErrUnknownOutcome)
	}
	return res.Status == channel.StatusUnknown
}

// Example shows the contract end to end with the WeChat adapter against the simulator:
// the channel's rules from Info, a payment, its notification checked against the order,
// a partial refund, and closing through the optional Closer.
func Example() {
	ctx := context.Background()
	proto, err := simwechat.New(simwechat.Config{})
	if err != nil {
		log.Fatal(err)
	}
	sim, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{proto}, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	demo := simwechat.DemoMerchant()
	var ch channel.Channel
	ch, err = wechat.New(wechat.Config{AppID: demo.AppIDs[0], MchID: demo.MchID, Key: demo.Key,
		BaseURL: srv.URL, HTTPClient: srv.Client(), TLSClient: srv.Client()})
	if err != nil {
		log.Fatal(err)
	}

	info := ch.Info()
	fmt.Println("order numbers:", info.OrderNo)
	fmt.Println("refunds:", info.Refund.MaxRefunds, "per order, fee", info.Refund.Fee)

	order := channel.Expectation{OrderNo: "CX1001", Amount: money.Fen(880)}
	done := make(chan string, 1)
	notify := httptest.NewServer(channel.NotificationHandler(ch, func(ctx context.Context, n *channel.Notification) error {
		if err := n.Check(order); err != nil {
			return err
		}
		done <- "notification " + n.DedupKey()
		return nil
	}))
	defer notify.Close()

	res, err := checkout(ctx, ch, &channel.PayRequest{OrderNo: order.OrderNo, Amount: order.Amount,
		Method: channel.MethodQR, Subject: "Tea", NotifyURL: notify.URL, ClientIP: "127.0.0.1"}, func(time.Duration) {})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pay:", res.Status)
	if _, err := sim.Pay(ctx, simulator.PayerAction{Channel: ch.Name(), OutTradeNo: order.OrderNo}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-done)

	ref, err := ch.Refund(ctx, &channel.RefundRequest{RefundNo: "CX1001R1", OrderNo: order.OrderNo, Amount: money.Fen(80), OrderAmount: order.Amount})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("refund:", ref.Status, ref.Amount)

	if c, ok := ch.(channel.Closer); ok { // not every channel can close an order
		_, err := c.Close(ctx, &channel.CloseRequest{OrderNo: order.OrderNo})
		fmt.Println("close a paid order:", channel.KindOf(err))
	}
	// Output:
	// order numbers: 1–32 letters, digits or _-|*@
	// refunds: 50 per order, fee proportional
	// pay: PENDING
	// notification wechat|payment|CX1001|SUCCEEDED|0
	// refund: PROCESSING CNY 0.80
	// close a paid order: already done
}
