package channel

import (
	"fmt"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

// Info is what a channel's rules are, as its adapter declares them through Channel.Info, so
// that no caller (the conformance suite, an order layer, clearing, reconciliation) has to be
// told them separately. The values are the channel's documented rules; an adapter's config
// may narrow them (a shorter refund window, a different notification schedule) and Info
// then reports the configured value. Durations of zero mean "the channel states none".
type Info struct {
	// DayCutoff is the Beijing time of day at which the channel's accounting (clearing) day
	// turns: clock.NaturalDay (0) for WeChat, Alipay and the bank; clock.UnionPayCutoff
	// (23h) for UnionPay, whose day D runs from D-1 23:00 to D 23:00. Pass it to
	// clock.AccountingDay, or use Info.AccountingDay.
	DayCutoff time.Duration
	// StatementReadyAfter is how long after the end of an accounting day its statement can
	// be downloaded (WeChat: 10h, i.e. 10:00 the next morning). Before that,
	// DownloadStatement answers KindUnavailable.
	StatementReadyAfter time.Duration

	// OrderTimeRequired reports that the channel identifies an order by its number plus the
	// time the merchant sent with it (UnionPay orderId + txnTime). Then PayRequest.OrderTime
	// must be set by the caller (no adapter default), every later request about the order
	// (Query, Cancel, Refund's OrderTime, AuthRequest.OrigOrderTime) must carry the same
	// value, and RefundRequest.RefundTime / RefundQueryRequest.RefundTime likewise. Adapters
	// refuse a request without them (KindInvalidRequest naming the field). Results echo the
	// times the adapter used (PaymentResult.OrderTime, RefundResult.RefundTime), so a caller
	// that stores the result always has what a later Query needs.
	OrderTimeRequired bool

	// OrderNo is the rule for merchant order numbers (PayRequest.OrderNo).
	OrderNo NumberRule
	// RefundNo is the rule for merchant refund numbers (RefundRequest.RefundNo) and other
	// operation numbers (CancelNo, OpNo) where the channel has them.
	RefundNo NumberRule

	Refund RefundPolicy // refund window, count, fee and notification rules
	Cancel CancelPolicy // whether and when Cancel works
	Notify NotifyPolicy // acknowledgement and re-send schedule

	// QueryBackoff is the recommended schedule for querying a payment, refund or payout
	// whose outcome is unknown (a timeout, "system busy", StatusProcessing).
	QueryBackoff Backoff
}

// AccountingDay returns the channel's accounting day of instant t (Beijing time, with
// DayCutoff applied).
func (i Info) AccountingDay(t time.Time) clock.Date { return clock.AccountingDay(t, i.DayCutoff) }

// StatementReadyAt returns the earliest instant at which the statement of accounting day d
// can be downloaded: the end of d under DayCutoff plus StatementReadyAfter.
func (i Info) StatementReadyAt(d clock.Date) time.Time {
	end := d.AddDays(1).Start(clock.Beijing()) // 00:00 Beijing of the next calendar day
	switch {
	case i.DayCutoff > 0: // day D ends at D cutoff
		end = d.Start(clock.Beijing()).Add(i.DayCutoff)
	case i.DayCutoff < 0: // day D ends at D+1 |cutoff|
		end = end.Add(-i.DayCutoff)
	}
	return end.Add(i.StatementReadyAfter)
}

// NumberRule says which merchant numbers a channel accepts. Letters and digits are ASCII;
// Symbols lists the other characters allowed (WeChat: "_-|*").
type NumberRule struct {
	MinLen, MaxLen int    // in bytes; MinLen 0 = 1
	Symbols        string // characters allowed besides A–Z, a–z, 0–9
}

// Check returns nil when s follows the rule, or an error that says why (the length or the
// first character not allowed).
func (r NumberRule) Check(s string) error {
	minLen := max(r.MinLen, 1)
	if len(s) < minLen || (r.MaxLen > 0 && len(s) > r.MaxLen) {
		return fmt.Errorf("must be %s, got %d characters", r.lengthText(), len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || strings.IndexByte(r.Symbols, c) >= 0 {
			continue
		}
		return fmt.Errorf("must be %s; character %q at %d is not allowed", r, s[i:i+1], i)
	}
	return nil
}

// Validate checks s against the rule and returns the KindInvalidRequest error an adapter
// gives, naming the field: "unionpay pay: INVALID_FIELD: OrderNo must be 8–32 letters or
// digits, got 5 characters".
func (r NumberRule) Validate(channelName, op, field, s string) error {
	if err := r.Check(s); err != nil {
		return invalid(channelName, op, field, "%s", err.Error())
	}
	return nil
}

// String describes the rule: "1–32 letters, digits or _-|*".
func (r NumberRule) String() string {
	s := r.lengthText() + " letters"
	if r.Symbols == "" {
		return s + " or digits"
	}
	return s + ", digits or " + r.Symbols
}

func (r NumberRule) lengthText() string {
	minLen := max(r.MinLen, 1)
	switch {
	case r.MaxLen <= 0:
		return fmt.Sprintf("at least %d", minLen)
	case minLen == r.MaxLen:
		return fmt.Sprintf("exactly %d", minLen)
	}
	return fmt.Sprintf("%d–%d", minLen, r.MaxLen)
}

// FeeRefund says what happens to the channel's fee on a payment when it is refunded.
type FeeRefund string

const (
	// FeeRefundNone: the fee is kept by the channel; a refund returns the refunded amount
	// only and the merchant bears the fee.
	FeeRefundNone FeeRefund = "none"
	// FeeRefundProportional: the channel returns the part of the fee proportional to the
	// refunded amount (WeChat and Alipay today; statements show it as a negative fee on the
	// refund record).
	FeeRefundProportional FeeRefund = "proportional"
	// FeeRefundFull: a refund (any refund) returns the whole fee of the payment.
	FeeRefundFull FeeRefund = "full"
)

// RefundPolicy is a channel's refund rule.
type RefundPolicy struct {
	// Window is how long after the payment a refund is accepted (WeChat: 365 days); zero
	// when the channel states none. Later refunds are KindDeclined on the channel.
	Window time.Duration
	// MaxRefunds is the most refunds one payment may have (WeChat: 50); 0 = no stated limit.
	MaxRefunds int
	// Fee says whether a refund returns the channel's fee.
	Fee FeeRefund
	// Notified reports that the channel sends a notification when a refund reaches a final
	// state (WeChat with a refund notify URL; UnionPay; the bank). When false the caller
	// must QueryRefund until final.
	Notified bool
	// Async reports that Refund usually answers StatusProcessing and the final state comes
	// later (from QueryRefund or a notification).
	Async bool
}

// CancelPolicy is a channel's rule for Canceller.Cancel (undo / reverse).
type CancelPolicy struct {
	// Supported reports that the adapter implements Canceller.
	Supported bool
	// SameDayOnly reports that a payment can be cancelled only within its own accounting
	// day (UnionPay consume undo: before the 23:00 cut-off); afterwards it must be refunded.
	// Adapters refuse such a Cancel before sending it.
	SameDayOnly bool
	// Window is how long after the payment Cancel is accepted where the channel states a
	// time rather than a day (zero = not stated).
	Window time.Duration
	// Methods lists the payment methods whose payments can be cancelled (empty = all).
	Methods []Method
}

// NotifyPolicy is how a channel sends notifications and how it wants them acknowledged.
type NotifyPolicy struct {
	// Ack is the response that acknowledges a notification (the same as
	// Notification.Ack); a caller that wants to answer without parsing (a health check)
	// can use it.
	Ack Response
	// Retries is the documented gap before each re-send after the first delivery, until
	// acknowledged (WeChat: 15s, 15s, 30s, 3m, …). Empty when unknown.
	Retries []time.Duration
	// Types lists the notification types the channel sends.
	Types []NotificationType
}

// Span returns the time from the first delivery to the last re-send.
func (p NotifyPolicy) Span() time.Duration {
	var s time.Duration
	for _, d := range p.Retries {
		s += d
	}
	return s
}

// Backoff is a query schedule: Steps in order, then Then repeated. The zero Backoff is
// DefaultQueryBackoff.
type Backoff struct {
	Steps []time.Duration // waits in order
	Then  time.Duration   // the wait after the last step, repeated (0 = the last step's)
}

// DefaultQueryBackoff is what Backoff.Next uses for a zero Backoff: 5s, 10s, 30s, 1m, 2m,
// then every 5 minutes.
var DefaultQueryBackoff = Backoff{
	Steps: []time.Duration{5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute},
	Then:  5 * time.Minute,
}

// Next returns the wait before query number attempt (0-based: Next(0) is the wait before the
// first query after the unknown outcome).
func (b Backoff) Next(attempt int) time.Duration {
	if len(b.Steps) == 0 && b.Then == 0 {
		b = DefaultQueryBackoff
	}
	if attempt < 0 {
		attempt = 0
	}
	if attempt < len(b.Steps) {
		return b.Steps[attempt]
	}
	if b.Then > 0 {
		return b.Then
	}
	return b.Steps[len(b.Steps)-1]
}

// RequireTime returns the KindInvalidRequest error an adapter gives when t is zero and the
// channel finds orders by number and time (OrderTimeRequired); nil otherwise.
func (i Info) RequireTime(channelName, op, field string, t time.Time) error {
	if i.OrderTimeRequired && t.IsZero() {
		return invalid(channelName, op, field, "is zero: %s finds orders by number and time, so the caller must set it (and pass the same value again later)", channelName)
	}
	return nil
}

// Nower is what TimeOr needs of a clock (clock.Clock has it).
type Nower interface{ Now() time.Time }

// TimeOr returns t, or c.Now() truncated to the second when t is zero: the order or refund
// time an adapter uses and echoes when the caller left it to the adapter.
func TimeOr(t time.Time, c Nower) time.Time {
	if t.IsZero() {
		return c.Now().Truncate(time.Second)
	}
	return t
}

// EchoOrderTime returns a function that sets PaymentResult.OrderTime to t on a non-nil
// result that has none, and passes the result and error through; adapters wrap their Pay
// and Query answers with it so every result carries the time used.
func EchoOrderTime(t time.Time) func(*PaymentResult, error) (*PaymentResult, error) {
	return func(r *PaymentResult, err error) (*PaymentResult, error) {
		if r != nil && r.OrderTime.IsZero() {
			r.OrderTime = t
		}
		return r, err
	}
}

// EchoRefundTime is EchoOrderTime for refund results (RefundResult.RefundTime).
func EchoRefundTime(t time.Time) func(*RefundResult, error) (*RefundResult, error) {
	return func(r *RefundResult, err error) (*RefundResult, error) {
		if r != nil && r.RefundTime.IsZero() {
			r.RefundTime = t
		}
		return r, err
	}
}
