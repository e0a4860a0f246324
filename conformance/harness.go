package conformance

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Harness is what TestChannel needs: the channel under test, configured to talk to the
// simulator that Sim drives, and the few choices the suite cannot make itself. The channel's
// rules (accounting-day cut-off, statement availability, number rules, whether orders are
// found by number and time) come from Channel.Info.
type Harness struct {
	// Channel is the adapter under test.
	Channel channel.Channel
	// Sim drives the simulator the channel talks to.
	Sim Simulator
	// Method is the method used for the pay/notify/refund/statement behaviours. Empty: the
	// first of QR, H5, Web, App, JSAPI that the channel supports.
	Method channel.Method
	// PayerID is passed as PayRequest.PayerID (an openid for JSAPI).
	PayerID string
	// Currency of the test payments; empty = CNY.
	Currency money.Currency
	// OrderPrefix starts every order and refund number the suite makes (letters and digits
	// only, so every channel accepts them). Empty = "CT".
	OrderPrefix string
	// NotifyCollector receives the channel's callbacks; nil = the suite starts one on a
	// loopback port.
	NotifyCollector *Collector

	// BindCard is a card the simulator's issuer accepts for binding, with every element
	// (number, holder name, ID number, reserved mobile; CVN2 and expiry for a credit card).
	// With it, and a Sim that implements SMSReader, a channel.Binder runs the Binder
	// behaviours, and a channel whose only payer-driven method is missing but which
	// supports MethodToken (the bank) runs the pay/notify/refund/statement behaviours with
	// MethodToken and a token bound from this card (PayerID is its user).
	BindCard channel.Card
	// PayoutCard is the card the Payouter behaviours pay out to; empty = BindCard. It must
	// be one whose payouts succeed (the suite returns one itself through PayoutReturner).
	PayoutCard channel.Card
}

// SMSReader is implemented by simulators that show the SMS codes they "send" to the
// cardholder; the suite needs it to complete a binding. HTTPSim implements it with
// GET /_sim/{channel}/sms?bind_no=.
type SMSReader interface {
	// BindSMSCode returns the code currently valid for binding bindNo.
	BindSMSCode(ctx context.Context, channelName, bindNo string) (string, error)
}

// PayoutReturner is implemented by simulators that can make the receiving bank return a
// succeeded payout now (退票). HTTPSim implements it with POST /_sim/{channel}/payouts/return.
type PayoutReturner interface {
	// ReturnPayout bounces the succeeded payout payoutNo.
	ReturnPayout(ctx context.Context, channelName, payoutNo string) error
}

// Op names a contract operation for fault plans.
type Op string

// Operations a Fault can target.
const (
	OpPay         Op = "pay"
	OpQuery       Op = "query"
	OpClose       Op = "close"
	OpRefund      Op = "refund"
	OpQueryRefund Op = "query_refund"
	OpStatement   Op = "statement"
	OpNotify      Op = "notify" // callbacks to the merchant
)

// FaultKind names a fault the suite injects.
type FaultKind string

// Fault kinds the suite uses; a Simulator translates them into its own plans.
const (
	FaultTimeoutAfter       FaultKind = "timeout_after"       // process, then give the client no response
	FaultBusinessCode       FaultKind = "business_code"       // answer with Fault.Code, generic name
	FaultDuplicateCallbacks FaultKind = "duplicate_callbacks" // send each callback Fault.Count extra times
	FaultReorderCallbacks   FaultKind = "reorder_callbacks"   // deliver this order's callback after a later one
	FaultForgedCallback     FaultKind = "forged_callback"     // also send a callback with a bad signature
	// FaultTamperedCallback also sends a correctly signed callback whose amount was changed:
	// it verifies, and only Notification.Check against the order catches it.
	FaultTamperedCallback FaultKind = "tampered_callback"
)

// Generic business codes a FaultBusinessCode plan can name.
const (
	CodeSystemError = "SYSTEM_ERROR" // "system busy": outcome unknown
	CodeOrderPaid   = "ORDER_PAID"   // the order is already paid
	CodeNotFound    = "NOT_FOUND"    // no such order
)

// Fault is a fault plan in the suite's terms.
type Fault struct {
	Channel string
	Op      Op
	OrderNo string // the merchant order number it applies to
	Kind    FaultKind
	Code    string // for FaultBusinessCode
	Count   int    // how many times (first N matching calls); copies for duplicates
}

// Simulator is what the suite needs from the simulator the channel talks to.
// HTTPSimulator implements it over the simulator's /_sim/ control API.
type Simulator interface {
	// PayerPay makes the payer pay the order now.
	PayerPay(ctx context.Context, channelName, orderNo string) error
	// Now returns the simulator's clock.
	Now(ctx context.Context) (time.Time, error)
	// Advance moves the simulator's clock (firing due callbacks).
	Advance(ctx context.Context, d time.Duration) error
	// SetTime moves the simulator's clock forward to t.
	SetTime(ctx context.Context, t time.Time) error
	// AddFault installs a fault plan and returns its id.
	AddFault(ctx context.Context, f Fault) (string, error)
	// RemoveFault removes a plan.
	RemoveFault(ctx context.Context, id string) error
	// Records returns the simulator's own record of what happened on an accounting day —
	// the truth a downloaded statement must match.
	Records(ctx context.Context, channelName string, day clock.Date) ([]Record, error)
}

// Record is the simulator's own view of one statement line, compared field by field with
// what the adapter's statement reader produced.
type Record struct {
	Type     channel.RecordType
	OrderNo  string
	RefundNo string
	Amount   money.Amount
}

// String formats the record as "payment ORDER CNY 1.00 [refund R]", the key the suite
// compares statements by.
func (r Record) String() string {
	s := fmt.Sprintf("%s %s %s", r.Type, r.OrderNo, r.Amount)
	if r.RefundNo != "" {
		s += " refund " + r.RefundNo
	}
	return s
}

func (h *Harness) currency() money.Currency {
	if h.Currency == "" {
		return money.CNY
	}
	return h.Currency
}

// number returns a fresh order or refund number: prefix + tag + a random run + a sequence,
// letters and digits only, ≤ 32 characters. The random part keeps numbers unique across runs
// against a long-lived simulator, where a paid number can never be used again.
func (s *suite) number(tag string) string {
	p := s.h.OrderPrefix
	if p == "" {
		p = "CT"
	}
	n := fmt.Sprintf("%s%s%08d%04d", p, tag, rand.Int64N(1e8), s.seq.Add(1)%10000)
	if len(n) > 32 {
		n = n[len(n)-32:]
	}
	return n
}

func (h *Harness) method() channel.Method {
	if h.Method != "" {
		return h.Method
	}
	for _, m := range []channel.Method{channel.MethodQR, channel.MethodH5, channel.MethodWeb, channel.MethodApp, channel.MethodJSAPI} {
		if channel.Supports(h.Channel, m) {
			return m
		}
	}
	if h.canBind() && channel.Supports(h.Channel, channel.MethodToken) {
		return channel.MethodToken
	}
	return ""
}

// canBind reports whether the suite can complete a binding: a Binder channel, a card and a
// simulator that shows SMS codes.
func (h *Harness) canBind() bool {
	_, binder := h.Channel.(channel.Binder)
	_, sms := h.Sim.(SMSReader)
	return binder && sms && h.BindCard.Number != ""
}

// tokenMode reports whether the pay behaviours use MethodToken: Pay executes at once
// (there is no payer to wait for), with a token the suite bound itself.
func (h *Harness) tokenMode() bool { return h.method() == channel.MethodToken }
