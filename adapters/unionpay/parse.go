package unionpay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tongdao/tongdao/core/channel"
)

// maxNotification bounds a notification body (a few KB in practice).
const maxNotification = 1 << 20

// alert42 is Notification.Alert for respCode 42.
const alert42 = "UnionPay respCode 42: the card was debited after the order's payTimeout; the money moved and must be accepted or returned by a person"

// ParseNotification verifies and decodes a back (or front) notification (unionpay.md §8):
// the form's fields less the query parameters of the notify URL (Config.NotifyURL,
// Config.NotifyQueryKeys) are verified — signature and signing certificate — before
// anything is read. By txnType it decodes into a PaymentResult (01 consume), RefundResult
// (04), CancelResult (31 undo), AuthResult (02, 32, 03, 33) or Binding (79 front open).
// respCode 42 sets Alert. EventID is UnionPay's queryId, the same on every re-send; the
// acknowledgement is HTTP 200.
func (c *Client) ParseNotification(ctx context.Context, header http.Header, body []byte) (*channel.Notification, error) {
	const op = "notification"
	if len(body) > maxNotification {
		return nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindInvalidRequest, Message: fmt.Sprintf("body larger than %d bytes", maxNotification)}
	}
	v, err := c.w.cfg.trust.decodeNotification(body, c.strip, c.clk.Now())
	if err != nil {
		kind := channel.KindInvalidRequest
		if errors.Is(err, errSignature) {
			kind = channel.KindSignature
		}
		// No Raw: a notification may carry cardholder data, and not every test card number
		// passes the Luhn check channel.RedactPANs relies on.
		return nil, &channel.Error{Channel: Name, Op: op, Kind: kind, Message: err.Error(), Err: err}
	}
	return c.decodeVerified(v)
}

func (c *Client) decodeVerified(v *verified) (*channel.Notification, error) {
	const op = "notification"
	n := &channel.Notification{Channel: Name, EventID: v.get("queryId"), Ack: c.Info().Notify.Ack, Nack: nack}
	code := v.get("respCode")
	ok := code == "00" || code == "A6"
	if code == "42" {
		n.Alert, ok = alert42, true
	}
	status := channel.StatusFailed
	if ok {
		status = channel.StatusSucceeded
	}
	if code == "03" || code == "04" || code == "05" {
		status = channel.StatusProcessing
	}
	switch t := v.get("txnType"); t {
	case "01":
		n.Type = channel.NotifyPayment
		p := c.payment(v)
		p.ChannelStatus, p.Status = code, status
		if status != channel.StatusSucceeded {
			p.PaidAt = time.Time{}
		}
		n.Payment = p
	case "04":
		n.Type = channel.NotifyRefund
		r := c.refundResult(v)
		r.ChannelStatus, r.Status = code, status
		n.Refund = r
	case "31":
		n.Type = channel.NotifyCancel
		r := c.cancelResult(v, codeRule{outcome: outSucceeded})
		r.ChannelStatus, r.Status = code, status
		if status == channel.StatusSucceeded {
			r.Status = channel.StatusReversed
		}
		n.Cancel = r
	case "02", "32", "03", "33":
		n.Type = channel.NotifyAuth
		a := c.authResult(v, authOps[t])
		a.ChannelStatus, a.Status = code, status
		c.amounts(a)
		n.Auth = a
	case "79":
		n.Type = channel.NotifyBinding
		b, err := c.binding(v)
		if err != nil {
			return nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindInvalidRequest, Message: err.Error(), Err: err}
		}
		b.Status = status
		n.Binding = b
	default:
		return nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindInvalidRequest, Code: t,
			Message: "txnType " + t + " is not a notification this adapter decodes"}
	}
	return n, nil
}
