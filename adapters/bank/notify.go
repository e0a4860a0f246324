package bank

import (
	"context"
	"net/http"

	"github.com/tongdao/tongdao/core/channel"
)

// nack answers a notification that was not applied: the bank re-sends on anything but
// HTTP 200 with the body OK (§10).
var nack = channel.Response{StatusCode: http.StatusInternalServerError, ContentType: "text/plain; charset=utf-8", Body: []byte("FAIL")}

// ParseNotification verifies and decodes a notification (§10): PAY_RESULT (Payment),
// REFUND_RESULT (Refund) or PAYOUT_RESULT (Payout; RETURNED is Reversed with ReturnNo).
// It checks the bank's SM2 signature over the members as received, that it is for this
// merchant and that respCode is 0000. EventID is the bank's notifyId, the same for every
// re-send of one event. A body that is not the bank's JSON envelope is
// KindInvalidRequest; one that does not verify (forged, altered, another merchant's) is
// KindSignature. Answer with Ack (HTTP 200, OK) once the notification is applied.
func (c *Client) ParseNotification(ctx context.Context, header http.Header, body []byte) (*channel.Notification, error) {
	if _, err := decodeStrings(body, responseFields); err != nil {
		return nil, &channel.Error{Channel: Name, Op: opNotify, Kind: channel.KindInvalidRequest, Code: "MALFORMED",
			Message: "not a bank notification envelope: " + err.Error(), Raw: redact(body)}
	}
	r, err := c.w.openNotification(body)
	if err != nil {
		return nil, &channel.Error{Channel: Name, Op: opNotify, Kind: channel.KindSignature, Code: "UNVERIFIED",
			Message: "the notification does not verify as the bank's for this merchant", Raw: redact(body), Err: err}
	}
	x := &exchange{resp: r, raw: body}
	n := &channel.Notification{Channel: Name, EventID: r.Fields["reqSerial"], SentAt: r.Time, Ack: ack, Nack: nack}
	switch r.Fields["txCode"] {
	case "PAY_RESULT":
		n.Type = channel.NotifyPayment
		n.Payment, err = c.payment(opNotify, x)
	case "REFUND_RESULT":
		n.Type = channel.NotifyRefund
		n.Refund, err = refundResult(opNotify, x)
	default: // PAYOUT_RESULT: openNotification admits only the three
		n.Type = channel.NotifyPayout
		n.Payout, err = payoutResult(opNotify, x)
	}
	if err != nil {
		return nil, &channel.Error{Channel: Name, Op: opNotify, Kind: channel.KindInvalidRequest, Code: "MALFORMED",
			Message: "the notification's data lacks a number or amount", Raw: redact(body)}
	}
	return n, nil
}
