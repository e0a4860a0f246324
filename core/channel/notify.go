package channel

import (
	"fmt"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/money"
)

// NotificationType says what a notification is about.
type NotificationType string

const (
	NotifyPayment NotificationType = "payment" // a payment reached a state (usually paid)
	NotifyRefund  NotificationType = "refund"  // a refund reached a state
	NotifyCancel  NotificationType = "cancel"  // an undo/cancel completed (UnionPay undo)
	NotifyBinding NotificationType = "binding" // a card binding completed (front open)
	NotifyPayout  NotificationType = "payout"  // a payout reached a state
	NotifyAuth    NotificationType = "auth"    // a pre-authorisation operation reached a state
)

// Notification is a verified, decoded callback. Exactly one of Payment, Refund, Cancel,
// Binding, Payout and Auth is set, according to Type.
//
// Verified means the signature is the channel's: it does not mean the content is right for
// the merchant's order. Check it against the order with Check (order number, amount,
// currency, merchant and app) before acting on it: a correctly signed notification for the
// wrong amount must be refused.
type Notification struct {
	Channel string           // the adapter's name
	Type    NotificationType // which result field is set
	// EventID is the channel's id for this event where it has one (Alipay notify_id); it
	// stays the same across re-sends. Empty when the channel has none; DedupKey works in
	// both cases.
	EventID string
	// SentAt is when the channel says it sent the notification (Beijing time), if it says.
	SentAt  time.Time
	Payment *PaymentResult // set for NotifyPayment
	Refund  *RefundResult  // set for NotifyRefund
	Cancel  *CancelResult  // set for NotifyCancel
	Binding *Binding       // set for NotifyBinding
	Payout  *PayoutResult  // set for NotifyPayout
	Auth    *AuthResult    // set for NotifyAuth
	// Alert is set when the notification reports something a person must look at although
	// it verified, e.g. UnionPay response code 42 (the card was debited after the allowed
	// time). The result fields still say what happened.
	Alert string
	// Ack is the exact response that tells the channel the notification was received and
	// processed. Write it only after the change it carries has been committed; until then
	// answer with Nack (or any non-success) so the channel retries.
	Ack Response
	// Nack is a response the channel reads as "not processed, send again".
	Nack Response
}

// DedupKey returns a key that is the same for every re-send of one event and differs
// between events: channel, type, the business number, and the state reached. Store it with
// the change a notification caused, and a duplicate (or a replay) is recognised without
// comparing payloads. Two notifications with the same key carry the same facts.
func (n *Notification) DedupKey() string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(n.Channel)
	b.WriteByte('|')
	b.WriteString(string(n.Type))
	b.WriteByte('|')
	switch {
	case n.Payment != nil:
		fmt.Fprintf(&b, "%s|%s|%s", n.Payment.OrderNo, n.Payment.Status, n.Payment.RefundedAmount)
	case n.Refund != nil:
		fmt.Fprintf(&b, "%s|%s|%s|%s", n.Refund.OrderNo, n.Refund.RefundNo, n.Refund.Status, n.Refund.RefundedTotal)
	case n.Cancel != nil:
		fmt.Fprintf(&b, "%s|%s|%s", n.Cancel.OrderNo, n.Cancel.CancelNo, n.Cancel.Status)
	case n.Binding != nil:
		fmt.Fprintf(&b, "%s|%s|%s", n.Binding.BindNo, n.Binding.Token, n.Binding.Status)
	case n.Payout != nil:
		fmt.Fprintf(&b, "%s|%s", n.Payout.PayoutNo, n.Payout.Status)
	case n.Auth != nil:
		fmt.Fprintf(&b, "%s|%s|%s", n.Auth.Op, n.Auth.OpNo, n.Auth.Status)
	}
	if n.EventID != "" {
		b.WriteByte('|')
		b.WriteString(n.EventID)
	}
	return b.String()
}

// Expectation is what the merchant's own records say about the object a notification
// claims to be about. Empty fields are not checked; a zero Amount is not checked.
type Expectation struct {
	OrderNo    string       // the merchant order number
	RefundNo   string       // for refund notifications: the merchant refund number
	Amount     money.Amount // the order amount (payments) or the refund amount (refunds)
	MerchantID string       // the channel merchant id the order was paid to (mch_id, seller_id, merId)
	AppID      string       // the app id the order was created under, where the channel has one
}

// MismatchError is the error Notification.Check returns: a verified notification whose
// content disagrees with the merchant's order. It is KindInvalidRequest (errors.Is(err,
// ErrInvalidRequest) holds) and must be refused, changed nothing and alerted: a correctly
// signed notification with the wrong amount is either a bug or an attack.
type MismatchError struct {
	Channel string // the adapter's name
	Field   string // "OrderNo", "Amount", "Currency", "MerchantID", "AppID", "RefundNo"
	Want    string // what the merchant's order says
	Got     string // what the notification says
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s notification: %s mismatch: order has %q, notification says %q", e.Channel, e.Field, e.Want, e.Got)
}

// Is makes errors.Is(err, ErrInvalidRequest) hold.
func (e *MismatchError) Is(target error) bool { return target == ErrInvalidRequest }

// Check compares a verified notification with the merchant's own order and returns a
// *MismatchError naming the first field that differs: the order number, the refund number,
// the amount and its currency (for payments the order amount; for refunds this refund's
// amount, or the cumulative total when the channel reports only that and exp.Amount is at
// least it), the merchant id and the app id (checked only when the notification reports
// them). A notification that reports no amount at all where exp has one is a mismatch too:
// nothing unverified is trusted.
func (n *Notification) Check(exp Expectation) error {
	if n == nil {
		return &MismatchError{Field: "Notification", Want: "a notification", Got: "nil"}
	}
	mis := func(field, want, got string) error {
		return &MismatchError{Channel: n.Channel, Field: field, Want: want, Got: got}
	}
	var orderNo, merchant, app string
	var amount money.Amount
	switch {
	case n.Payment != nil:
		orderNo, amount, merchant, app = n.Payment.OrderNo, n.Payment.Amount, n.Payment.MerchantID, n.Payment.AppID
	case n.Refund != nil:
		orderNo, amount = n.Refund.OrderNo, n.Refund.Amount
		if exp.RefundNo != "" && n.Refund.RefundNo != exp.RefundNo {
			return mis("RefundNo", exp.RefundNo, n.Refund.RefundNo)
		}
		if amount.IsZero() && !n.Refund.RefundedTotal.IsZero() && !exp.Amount.IsZero() {
			// Only the cumulative total is reported: it must at least cover this refund.
			if c, err := n.Refund.RefundedTotal.Cmp(exp.Amount); err != nil {
				return mis("Currency", string(exp.Amount.Currency()), string(n.Refund.RefundedTotal.Currency()))
			} else if c < 0 {
				return mis("Amount", exp.Amount.String(), "refunded total "+n.Refund.RefundedTotal.String())
			}
			amount = exp.Amount
		}
	case n.Cancel != nil:
		orderNo, amount = n.Cancel.OrderNo, n.Cancel.Amount
	case n.Auth != nil:
		orderNo, amount = n.Auth.OpNo, n.Auth.Amount
	case n.Payout != nil:
		orderNo, amount = n.Payout.PayoutNo, n.Payout.Amount
	case n.Binding != nil:
		orderNo = n.Binding.BindNo
	}
	if exp.OrderNo != "" && orderNo != exp.OrderNo {
		return mis("OrderNo", exp.OrderNo, orderNo)
	}
	if !exp.Amount.IsZero() {
		if amount.IsZero() {
			return mis("Amount", exp.Amount.String(), "not reported")
		}
		if amount.Currency() != exp.Amount.Currency() {
			return mis("Currency", string(exp.Amount.Currency()), string(amount.Currency()))
		}
		if amount.Minor() != exp.Amount.Minor() {
			return mis("Amount", exp.Amount.String(), amount.String())
		}
	}
	if exp.MerchantID != "" && merchant != "" && merchant != exp.MerchantID {
		return mis("MerchantID", exp.MerchantID, merchant)
	}
	if exp.AppID != "" && app != "" && app != exp.AppID {
		return mis("AppID", exp.AppID, app)
	}
	return nil
}

// Response is an HTTP response to write back to the channel, byte for byte.
type Response struct {
	StatusCode  int    // e.g. 200
	ContentType string // e.g. "text/xml; charset=utf-8"; empty = write no Content-Type
	Body        []byte // e.g. WeChat's <xml><return_code>…, Alipay's "success"
}
