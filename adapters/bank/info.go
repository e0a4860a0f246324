package bank

import (
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

// NotifySchedule is the bank's gap before each re-send of an unacknowledged notification
// (§10): 9 deliveries over about 10 hours.
var NotifySchedule = []time.Duration{
	15 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour,
}

// StatementReadyAfter: the statement of day D is available from 06:00 on D+1 (§11.1).
const StatementReadyAfter = 6 * time.Hour

// ack is the acknowledgement the bank expects (§10): HTTP 200, body OK.
var ack = channel.Response{StatusCode: 200, ContentType: "text/plain; charset=utf-8", Body: []byte("OK")}

// Info returns the bank's rules: natural accounting day (clearing day = Beijing day of
// the finish time, §11.1), statement ready at 06:00 on D+1, order, refund and payout
// numbers of 1 to 32 of A-Za-z0-9_- (§6), refunds within 365 days that keep the original
// fee, are notified and may finish later (PROCESSING), no close and no cancel, the
// acknowledgement OK with the §10 re-send schedule, and a query back-off of 5 s, 10 s,
// 30 s, 1 min, 2 min, then every 5 min.
func (c *Client) Info() channel.Info {
	return channel.Info{
		DayCutoff:           clock.NaturalDay,
		StatementReadyAfter: StatementReadyAfter,
		OrderNo:             numberRule,
		RefundNo:            numberRule,
		Refund:              channel.RefundPolicy{Window: 365 * 24 * time.Hour, Fee: channel.FeeRefundNone, Notified: true, Async: true},
		Notify: channel.NotifyPolicy{
			Ack:     ack,
			Retries: NotifySchedule,
			Types:   []channel.NotificationType{channel.NotifyPayment, channel.NotifyRefund, channel.NotifyPayout},
		},
		QueryBackoff: channel.Backoff{
			Steps: []time.Duration{5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute},
			Then:  5 * time.Minute,
		},
	}
}
