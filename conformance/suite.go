package conformance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// TestChannel runs the channel contract's behaviours against h.Channel as subtests of t.
func TestChannel(t *testing.T, h Harness) {
	t.Helper()
	Run(testingT{t}, &h)
}

// Run is TestChannel for any T (a *testing.T wrapper or a Recorder).
func Run(t T, h *Harness) {
	t.Helper()
	if h.Channel == nil || h.Sim == nil {
		t.Fatalf("conformance: Harness.Channel and Harness.Sim are required")
	}
	if h.NotifyCollector == nil {
		h.NotifyCollector = NewCollector(h.Channel)
		t.Cleanup(h.NotifyCollector.Close)
	}
	s := &suite{h: h, info: h.Channel.Info()}
	if h.tokenMode() {
		if err := s.bindToken(t.Context()); err != nil {
			t.Fatalf("conformance: binding Harness.BindCard for MethodToken payments: %v", err)
		}
	}
	t.Run("Info", s.infoRules)
	t.Run("UnsupportedMethods", s.unsupportedMethods)
	t.Run("PayQueryClose", s.payQueryClose)
	t.Run("TimeoutAfterProcessingIsUnknown", s.timeoutAfterProcessing)
	t.Run("Notifications", s.notifications)
	t.Run("Refunds", s.refunds)
	t.Run("BusinessCodes", s.businessCodes)
	t.Run("Statements", s.statements)
	// After Statements, so that payouts never fall on the days it compares.
	t.Run("Binder", s.binder)
	t.Run("Payouts", s.payouts)
}

type suite struct {
	h     *Harness
	info  channel.Info // the channel's own rules, read once
	seq   atomic.Int64
	times sync.Map // order or refund number -> the OrderTime/RefundTime sent with it
	// token and tokenUser: the binding MethodToken payments use (tokenMode).
	token, tokenUser string
}

// stamp returns the time to send with a new order or refund number where the channel finds
// orders by number and time (zero elsewhere, so adapters use their own clock): the
// simulator's clock, so the channel sees a plausible txnTime. It remembers the value for
// later requests about the same number.
func (s *suite) stamp(no string) time.Time {
	if !s.info.OrderTimeRequired {
		return time.Time{}
	}
	if v, ok := s.times.Load(no); ok {
		return v.(time.Time)
	}
	now, err := s.h.Sim.Now(context.Background())
	if err != nil {
		now = time.Now()
	}
	now = now.Truncate(time.Second)
	v, _ := s.times.LoadOrStore(no, now)
	return v.(time.Time)
}

// orderTime returns the time sent with order (or refund) number no, or zero.
func (s *suite) orderTime(no string) time.Time {
	if v, ok := s.times.Load(no); ok {
		return v.(time.Time)
	}
	return time.Time{}
}

// ctx gives each behaviour a bounded context.
func (s *suite) ctx(t T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (s *suite) name() string { return s.h.Channel.Name() }

func (s *suite) amount(minor int64) money.Amount { return money.New(minor, s.h.currency()) }

func (s *suite) payRequest(orderNo string, minor int64) *channel.PayRequest {
	if s.h.tokenMode() {
		r := s.basePayRequest(orderNo, minor)
		r.Token, r.PayerID = s.token, s.tokenUser
		return r
	}
	return s.basePayRequest(orderNo, minor)
}

func (s *suite) basePayRequest(orderNo string, minor int64) *channel.PayRequest {
	return &channel.PayRequest{
		OrderNo:   orderNo,
		OrderTime: s.stamp(orderNo),
		Amount:    s.amount(minor),
		Method:    s.h.method(),
		Subject:   "conformance",
		NotifyURL: s.h.NotifyCollector.URL(),
		ReturnURL: "http://127.0.0.1/return",
		ClientIP:  "127.0.0.1",
		PayerID:   s.h.PayerID,
	}
}

// needMethod skips when the channel has no method the suite can drive through the payer
// (or, for a token-only channel, no way to bind a token).
func (s *suite) needMethod(t T) {
	t.Helper()
	if s.h.method() == "" {
		t.Skipf("channel %s supports none of QR, H5, Web, App, JSAPI, and no token can be bound (Harness.BindCard, an SMSReader Sim); the payer-driven behaviours do not apply", s.name())
	}
}

// payerPays makes the payer pay order no. For MethodToken the Pay itself debited the card:
// there is no payer action.
func (s *suite) payerPays(t T, ctx context.Context, no string) {
	t.Helper()
	if s.h.tokenMode() {
		return
	}
	if err := s.h.Sim.PayerPay(ctx, s.name(), no); err != nil {
		t.Fatalf("simulator: payer could not pay %s: %v", no, err)
	}
}

// createPaid pays a new order through the payer and returns its number.
func (s *suite) createPaid(t T, ctx context.Context, tag string, minor int64) string {
	t.Helper()
	no := s.number(tag)
	if _, err := s.h.Channel.Pay(ctx, s.payRequest(no, minor)); err != nil {
		t.Fatalf("%s: Pay(%s) failed: %v; the contract expects an order awaiting the payer (or, for a token, paid or processing)", s.name(), no, err)
	}
	s.payerPays(t, ctx, no)
	s.advance(t, ctx, time.Second)
	q := s.query(t, ctx, no)
	if q.Status != channel.StatusSucceeded {
		t.Fatalf("%s: Query(%s) after the payer paid gave status %v; the contract expects SUCCEEDED", s.name(), no, q.Status)
	}
	return no
}

func (s *suite) query(t T, ctx context.Context, no string) *channel.PaymentResult {
	t.Helper()
	q, err := s.h.Channel.Query(ctx, &channel.QueryRequest{OrderNo: no, OrderTime: s.orderTime(no)})
	if err != nil {
		t.Fatalf("%s: Query(%s) failed: %v", s.name(), no, err)
	}
	if q.OrderNo != "" && q.OrderNo != no {
		t.Errorf("%s: Query(%s) returned order %q", s.name(), no, q.OrderNo)
	}
	return q
}

func (s *suite) advance(t T, ctx context.Context, d time.Duration) {
	t.Helper()
	if err := s.h.Sim.Advance(ctx, d); err != nil {
		t.Fatalf("simulator: advance %v: %v", d, err)
	}
}

func (s *suite) fault(t T, ctx context.Context, f Fault) {
	t.Helper()
	f.Channel = s.name()
	id, err := s.h.Sim.AddFault(ctx, f)
	if err != nil {
		t.Fatalf("simulator: adding fault %+v: %v", f, err)
	}
	t.Cleanup(func() { _ = s.h.Sim.RemoveFault(context.Background(), id) })
}

// isUnknown reports whether a call's outcome is unknown by the contract's rules.
func isUnknown(status channel.Status, err error) bool {
	if err != nil {
		return errors.Is(err, channel.ErrUnknownOutcome)
	}
	return status == channel.StatusUnknown
}

func describe(status channel.Status, err error) string {
	if err != nil {
		return fmt.Sprintf("error %v (kind %q)", err, channel.KindOf(err))
	}
	return fmt.Sprintf("status %v and no error", status)
}

func describeClose(r *channel.CloseResult, err error) string {
	if r == nil {
		return describe(channel.StatusUnknown, err)
	}
	return fmt.Sprintf("outcome %s, ", r.Outcome) + describe(r.Status, err)
}

func describeResult(r *channel.PaymentResult, err error) string {
	if r == nil {
		return describe(channel.StatusUnknown, err)
	}
	return describe(r.Status, err)
}

func (s *suite) unsupportedMethods(t T) {
	ctx := s.ctx(t)
	supported := map[channel.Method]bool{}
	for _, m := range s.h.Channel.Methods() {
		if !m.Valid() {
			t.Errorf("%s: Methods() lists %q, which is not a contract method", s.name(), m)
		}
		supported[m] = true
	}
	for _, m := range channel.Methods() {
		if supported[m] {
			continue
		}
		req := s.payRequest(s.number("U"), 1)
		req.Method = m
		_, err := s.h.Channel.Pay(ctx, req)
		if !errors.Is(err, channel.ErrUnsupported) || !errors.Is(err, channel.ErrInvalidRequest) {
			t.Errorf("%s: Pay with unsupported method %q gave %s; the contract expects an Unsupported InvalidRequest error", s.name(), m, describe(0, err))
		}
	}
}
