package wechat

import (
	"net/http"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

// NotifySchedule is WeChat's documented gap before each re-send of an unacknowledged
// notification (wechat-v2.md §8, current v2 pages): 15 re-sends over about 24 hours.
var NotifySchedule = []time.Duration{
	15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute,
	10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute,
	30 * time.Minute, 60 * time.Minute, 3 * time.Hour, 3 * time.Hour,
	3 * time.Hour, 6 * time.Hour, 6 * time.Hour,
}

// Info returns WeChat Pay v2's rules (wechat-v2.md §5, §6, §8, §9): natural accounting day,
// bills from 10:00 the next day, out_trade_no ≤ 32 and out_refund_no ≤ 64 characters of
// letters, digits and _-|*@, refunds within 365 days and at most 50 per order with the fee
// returned in proportion, reverse (Cancel) for barcode payments within 7 days, the 15-step
// notification schedule, and a query back-off of 5 s steps for the first half minute (the
// micropay recommendation, §6.4) then slower.
func (c *Client) Info() channel.Info {
	return channel.Info{
		DayCutoff:           clock.NaturalDay,
		StatementReadyAfter: 10 * time.Hour,
		OrderNo:             channel.NumberRule{MaxLen: 32, Symbols: "_-|*@"},
		RefundNo:            channel.NumberRule{MaxLen: 64, Symbols: "_-|*@"},
		Refund: channel.RefundPolicy{
			Window: 365 * 24 * time.Hour, MaxRefunds: 50, Fee: channel.FeeRefundProportional,
			Notified: true, Async: true,
		},
		Cancel: channel.CancelPolicy{Supported: true, Window: 7 * 24 * time.Hour, Methods: []channel.Method{channel.MethodBarcode}},
		Notify: channel.NotifyPolicy{
			Ack:     channel.Response{StatusCode: http.StatusOK, ContentType: ackContentType, Body: []byte(AckBody)},
			Retries: NotifySchedule,
			Types:   []channel.NotificationType{channel.NotifyPayment, channel.NotifyRefund},
		},
		QueryBackoff: channel.Backoff{
			Steps: []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute},
			Then:  5 * time.Minute,
		},
	}
}
