package channel

import "time"

// NotificationType says what a notification is about.
type NotificationType string

const (
	NotifyPayment NotificationType = "payment" // a payment reached a state (usually paid)
	NotifyRefund  NotificationType = "refund"  // a refund reached a state
	NotifyCancel  NotificationType = "cancel"  // an undo/cancel completed (UnionPay undo)
	NotifyBinding NotificationType = "binding" // a card binding completed (front open)
	NotifyPayout  NotificationType = "payout"  // a payout reached a state
)

// Notification is a verified, decoded callback. Exactly one of Payment, Refund, Binding and
// Payout is set, according to Type (NotifyCancel sets Payment).
type Notification struct {
	Channel string
	Type    NotificationType
	// EventID is the channel's id for this event where it has one (Alipay notify_id); it
	// stays the same across re-sends. Empty when the channel has none: deduplicate by the
	// order or refund number and the state instead.
	EventID string
	// SentAt is when the channel says it sent the notification (Beijing time), if it says.
	SentAt  time.Time
	Payment *PaymentResult
	Refund  *RefundResult
	Binding *Binding
	Payout  *PayoutResult
	// Ack is the exact response that tells the channel the notification was received and
	// processed. Write it only after the change it carries has been committed; until then
	// answer with Nack (or any non-success) so the channel retries.
	Ack Response
	// Nack is a response the channel reads as "not processed, send again".
	Nack Response
}

// Response is an HTTP response to write back to the channel, byte for byte.
type Response struct {
	StatusCode  int    // e.g. 200
	ContentType string // e.g. "text/xml; charset=utf-8"; empty = write no Content-Type
	Body        []byte // e.g. WeChat's <xml><return_code>…, Alipay's "success"
}
