package conformance

import (
	"context"
	"errors"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

func (s *suite) refund(ctx context.Context, orderNo, refundNo string, minor, total int64) (*channel.RefundResult, error) {
	// Channels that refund by the payment's channel id (UnionPay origQryId) need it: ask.
	var txnID string
	if q, err := s.h.Channel.Query(ctx, &channel.QueryRequest{OrderNo: orderNo, OrderTime: s.orderTime(orderNo)}); err == nil {
		txnID = q.ChannelTxnID
	}
	return s.h.Channel.Refund(ctx, &channel.RefundRequest{
		RefundNo:     refundNo,
		RefundTime:   s.stamp(refundNo),
		OrderNo:      orderNo,
		OrderTime:    s.orderTime(orderNo),
		ChannelTxnID: txnID,
		Amount:       s.amount(minor),
		OrderAmount:  s.amount(total),
		Reason:       "conformance",
		NotifyURL:    s.h.NotifyCollector.URL(),
	})
}

// settledRefund queries a refund, advancing the simulator's clock until it is final.
func (s *suite) settledRefund(t T, ctx context.Context, orderNo, refundNo string) *channel.RefundResult {
	t.Helper()
	var last *channel.RefundResult
	for _, d := range []time.Duration{0, time.Minute, 30 * time.Minute, 3 * time.Hour} {
		s.advance(t, ctx, d)
		r, err := s.h.Channel.QueryRefund(ctx, &channel.RefundQueryRequest{RefundNo: refundNo, RefundTime: s.orderTime(refundNo), OrderNo: orderNo, OrderTime: s.orderTime(orderNo)})
		if err != nil {
			t.Fatalf("%s: QueryRefund(%s) failed: %v", s.name(), refundNo, err)
		}
		last = r
		if r.Status.Final() {
			return r
		}
	}
	t.Fatalf("%s: refund %s still %v after 3.5 hours; the contract expects it to become final", s.name(), refundNo, last.Status)
	return nil
}

func (s *suite) refunds(t T) {
	s.needMethod(t)
	ctx := s.ctx(t)
	name := s.name()

	t.Run("PartialRetryOverRefund", func(t T) {
		no := s.createPaid(t, ctx, "F", 1000)
		r1, r2, r3 := s.number("Ra"), s.number("Rb"), s.number("Rc")
		res, err := s.refund(ctx, no, r1, 300, 1000)
		if err != nil {
			t.Fatalf("%s: Refund(%s, 300 of 1000) failed: %v", name, r1, err)
		}
		if res.Status != channel.StatusProcessing && res.Status != channel.StatusSucceeded {
			t.Errorf("%s: Refund(%s) gave %v; the contract expects PROCESSING or SUCCEEDED", name, r1, res.Status)
		}
		if _, err := s.refund(ctx, no, r1, 300, 1000); err != nil && !errors.Is(err, channel.ErrAlreadyDone) {
			t.Errorf("%s: retrying Refund(%s) with the same number and amount gave %v; the contract expects the same refund (at most once)", name, r1, err)
		}
		if got := s.settledRefund(t, ctx, no, r1); got.Status != channel.StatusSucceeded || got.Amount != s.amount(300) {
			t.Errorf("%s: refund %s settled as %v %v; want SUCCEEDED %v", name, r1, got.Status, got.Amount, s.amount(300))
		}
		_, err = s.refund(ctx, no, r3, 701, 1000)
		if err == nil || !(errors.Is(err, channel.ErrInvalidRequest) || errors.Is(err, channel.ErrDeclined)) {
			t.Errorf("%s: Refund(%s, 701) with 700 left to refund gave %s; the contract expects an InvalidRequest or Declined error", name, r3, describe(channel.StatusUnknown, err))
		}
		if _, err := s.refund(ctx, no, r2, 700, 1000); err != nil {
			t.Fatalf("%s: Refund(%s, the remaining 700) failed: %v", name, r2, err)
		}
		s.settledRefund(t, ctx, no, r2)
		r4 := s.number("Rd")
		_, err = s.refund(ctx, no, r4, 1, 1000)
		if err == nil || !(errors.Is(err, channel.ErrInvalidRequest) || errors.Is(err, channel.ErrDeclined) || errors.Is(err, channel.ErrAlreadyDone)) {
			t.Errorf("%s: Refund(%s, 1) of a fully refunded order gave %s; the contract expects a refusal (InvalidRequest, Declined or AlreadyDone)", name, r4, describe(channel.StatusUnknown, err))
		}
		if q := s.query(t, ctx, no); !q.Status.Paid() {
			t.Errorf("%s: Query(%s) after full refund gave %v; a refunded payment still counts as paid (REFUNDED or SUCCEEDED)", name, no, q.Status)
		}
		s.assertRefundsOnce(t, ctx, no, map[string]int64{r1: 300, r2: 700})
	})

	t.Run("TimeoutAfterProcessingThenRetry", func(t T) {
		no := s.createPaid(t, ctx, "G", 500)
		rn := s.number("Rt")
		s.fault(t, ctx, Fault{Op: OpRefund, OrderNo: no, Kind: FaultTimeoutAfter, Count: 1})
		// Where a refund is a transaction of its own (UnionPay 04 with its own orderId), the
		// simulator knows the call by the refund number: plan the same fault for it too. At
		// most one of the two plans matches the call.
		s.fault(t, ctx, Fault{Op: OpRefund, OrderNo: rn, Kind: FaultTimeoutAfter, Count: 1})
		res, err := s.refund(ctx, no, rn, 200, 500)
		status := channel.StatusUnknown
		if res != nil {
			status = res.Status
		}
		if !isUnknown(status, err) {
			t.Fatalf("%s: Refund(%s) whose response was lost after processing gave %s; the contract expects an unknown outcome", name, rn, describe(status, err))
		}
		if _, err := s.refund(ctx, no, rn, 200, 500); err != nil && !errors.Is(err, channel.ErrAlreadyDone) {
			t.Errorf("%s: retrying Refund(%s) after an unknown outcome failed: %v", name, rn, err)
		}
		if got := s.settledRefund(t, ctx, no, rn); got.Status != channel.StatusSucceeded {
			t.Errorf("%s: refund %s settled as %v", name, rn, got.Status)
		}
		s.assertRefundsOnce(t, ctx, no, map[string]int64{rn: 200})
	})
}

// assertRefundsOnce checks against the simulator's own records that each refund of the
// order happened exactly once, for the given amount.
func (s *suite) assertRefundsOnce(t T, ctx context.Context, orderNo string, want map[string]int64) {
	t.Helper()
	now, err := s.h.Sim.Now(ctx)
	if err != nil {
		t.Fatalf("simulator: clock: %v", err)
	}
	got := map[string][]int64{}
	// Refunds made in this test fall on today or yesterday's accounting day. The simulator
	// shows a day's records once its statement is available, so move past that first.
	day := s.info.AccountingDay(now)
	if ready := s.info.StatementReadyAt(day).Add(time.Minute); now.Before(ready) {
		if err := s.h.Sim.SetTime(ctx, ready); err != nil {
			t.Fatalf("simulator: set time %v: %v", ready, err)
		}
	}
	for _, d := range []clock.Date{day.AddDays(-1), day} {
		recs, err := s.h.Sim.Records(ctx, s.name(), d)
		if err != nil {
			t.Fatalf("simulator: records for %s: %v", d, err)
		}
		for _, r := range recs {
			if r.Type == channel.RecordRefund && r.OrderNo == orderNo {
				got[r.RefundNo] = append(got[r.RefundNo], r.Amount.Minor())
			}
		}
	}
	for no, amt := range want {
		if len(got[no]) != 1 || got[no][0] != amt {
			t.Errorf("%s: the simulator holds refunds %v for number %s; the contract expects exactly one of %d", s.name(), got[no], no, amt)
		}
	}
	for no := range got {
		if _, ok := want[no]; !ok {
			t.Errorf("%s: the simulator holds an unexpected refund %s of order %s", s.name(), no, orderNo)
		}
	}
}

func (s *suite) businessCodes(t T) {
	s.needMethod(t)
	ctx := s.ctx(t)
	name := s.name()
	cases := []struct {
		op        Op
		code      string
		wantKind  channel.Kind
		existing  bool // the order exists before the faulted call
		retryable bool
	}{
		{OpPay, CodeSystemError, channel.KindUnknown, false, false},
		{OpPay, CodeOrderPaid, channel.KindAlreadyDone, false, false},
		{OpQuery, CodeSystemError, channel.KindUnknown, true, true},
		{OpQuery, CodeNotFound, channel.KindNotFound, true, false},
		{OpClose, CodeOrderPaid, channel.KindAlreadyDone, true, false},
	}
	for _, c := range cases {
		t.Run(string(c.op)+"_"+c.code, func(t T) {
			if _, ok := s.h.Channel.(channel.Closer); c.op == OpClose && !ok {
				t.Skipf("%s: no Closer", name)
			}
			no := s.number("B")
			if c.existing {
				if _, err := s.h.Channel.Pay(ctx, s.payRequest(no, 100)); err != nil {
					t.Fatalf("%s: Pay(%s): %v", name, no, err)
				}
			}
			if _, ok := s.h.Channel.(channel.Closer); c.op == OpClose && !ok {
				t.Skipf("%s: no Closer", name)
			}
			s.fault(t, ctx, Fault{Op: c.op, OrderNo: no, Kind: FaultBusinessCode, Code: c.code, Count: 1})
			var status channel.Status
			var err error
			switch c.op {
			case OpPay:
				var r *channel.PaymentResult
				if r, err = s.h.Channel.Pay(ctx, s.payRequest(no, 100)); r != nil {
					status = r.Status
				}
			case OpQuery:
				var r *channel.PaymentResult
				if r, err = s.h.Channel.Query(ctx, &channel.QueryRequest{OrderNo: no, OrderTime: s.orderTime(no)}); r != nil {
					status = r.Status
				}
			case OpClose:
				cl, ok := s.h.Channel.(channel.Closer)
				if !ok {
					t.Skipf("%s: no Closer", name)
				}
				var r *channel.CloseResult
				if r, err = cl.Close(ctx, &channel.CloseRequest{OrderNo: no, OrderTime: s.orderTime(no)}); r != nil {
					status = r.Status
				}
			}
			if c.wantKind == channel.KindUnknown {
				if !isUnknown(status, err) {
					t.Errorf("%s: %s answered %s gave %s; the contract expects an unknown outcome", name, c.op, c.code, describe(status, err))
				}
			} else if err == nil || channel.KindOf(err) != c.wantKind {
				t.Errorf("%s: %s answered %s gave %s; the contract expects a %q error", name, c.op, c.code, describe(status, err), c.wantKind)
			}
			if c.retryable && err != nil && !channel.IsRetryable(err) {
				t.Errorf("%s: %s answered %s gave a non-retryable error %v; a read-only call after %s is safe to retry", name, c.op, c.code, err, c.code)
			}
		})
	}
}
