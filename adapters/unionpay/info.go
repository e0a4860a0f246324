package unionpay

import (
	"net/http"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

// NotifySchedule is UnionPay's gap before each re-send of an unacknowledged notification
// (the gateway and app SDKs: 1, 2, 4 and 5 minutes after the first send, five sends in
// all; unionpay.md §8).
var NotifySchedule = []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute}

// QueryBackoff is the query schedule of UnionPay's demos (1, 2, 4, 8, 16, 32 s), then every
// minute, then every 5 minutes (unionpay.md §7.2).
var QueryBackoff = channel.Backoff{
	Steps: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute},
	Then:  5 * time.Minute,
}

// RefundWindow is how long after a payment UnionPay accepts a refund (about 11 months).
const RefundWindow = 335 * 24 * time.Hour

// Info returns UnionPay's rules: the clearing day turns at 23:00 Beijing time; the
// reconciliation file of day D is ready from 09:00 on D+1 (10 h after the day ends);
// orders are found by orderId and txnTime, so every request needs its time; order and
// operation numbers are 8–32 letters and digits; refunds within about 11 months, as often
// as the amount allows, notified and asynchronous; consume undo (Cancel) on the payment's
// own clearing day only; notifications acknowledged by HTTP 200 and re-sent after 1, 2, 4
// and 5 minutes; queries 1, 2, 4, 8, 16, 32 s apart, then slower.
func (c *Client) Info() channel.Info {
	return channel.Info{
		DayCutoff:           clock.UnionPayCutoff,
		StatementReadyAfter: 10 * time.Hour,
		OrderTimeRequired:   true,
		OrderNo:             channel.NumberRule{MinLen: 8, MaxLen: 32},
		RefundNo:            channel.NumberRule{MinLen: 8, MaxLen: 32},
		Refund:              channel.RefundPolicy{Window: RefundWindow, Fee: channel.FeeRefundProportional, Notified: true, Async: true},
		Cancel:              channel.CancelPolicy{Supported: true, SameDayOnly: true},
		Notify: channel.NotifyPolicy{
			Ack:     channel.Response{StatusCode: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte("ok")},
			Retries: NotifySchedule,
			Types:   []channel.NotificationType{channel.NotifyPayment, channel.NotifyRefund, channel.NotifyCancel, channel.NotifyAuth, channel.NotifyBinding},
		},
		QueryBackoff: QueryBackoff,
	}
}

var nack = channel.Response{StatusCode: http.StatusServiceUnavailable, ContentType: "text/plain; charset=utf-8", Body: []byte("retry")}
