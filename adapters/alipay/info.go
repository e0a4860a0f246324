package alipay

import (
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

// NotifySchedule is Alipay's documented gap before each re-send of an unacknowledged
// notification (alipay.md §10.1, mainland docs): 8 deliveries over about 25 hours.
var NotifySchedule = []time.Duration{
	4 * time.Minute, 10 * time.Minute, 10 * time.Minute, time.Hour,
	2 * time.Hour, 6 * time.Hour, 15 * time.Hour,
}

// Info returns Alipay's rules (alipay.md §8–§11): natural accounting day, bills ready
// Config.BillReadyAfter after the day ends, out_trade_no and out_request_no of up to 64
// letters, digits and underscores, partial refunds with the service fee returned in
// proportion (no window or count is stated for every product, so none is declared),
// synchronous refunds whose state also shows in the trade notification, cancel for
// face-to-face (barcode and QR) payments, the mainland notification schedule and a query
// back-off of 5 s steps for the first half minute (§9.3's barcode loop) then slower.
func (c *Client) Info() channel.Info {
	return channel.Info{
		DayCutoff:           clock.NaturalDay,
		StatementReadyAfter: c.billReady,
		OrderNo:             channel.NumberRule{MaxLen: 64, Symbols: "_"},
		RefundNo:            channel.NumberRule{MaxLen: 64, Symbols: "_"},
		Refund:              channel.RefundPolicy{Fee: channel.FeeRefundProportional, Notified: true},
		Cancel:              channel.CancelPolicy{Supported: true, Methods: []channel.Method{channel.MethodBarcode, channel.MethodQR}},
		Notify: channel.NotifyPolicy{
			Ack:     ack("success"),
			Retries: NotifySchedule,
			Types:   []channel.NotificationType{channel.NotifyPayment, channel.NotifyRefund},
		},
		QueryBackoff: channel.Backoff{
			Steps: []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute},
			Then:  5 * time.Minute,
		},
	}
}
