package conformance

import (
	"errors"
	"reflect"
	"time"

	"github.com/tongdao/tongdao/core/channel"
)

func (s *suite) payQueryClose(t T) {
	s.needMethod(t)
	ctx := s.ctx(t)
	name := s.name()

	t.Run("PayThenPayerPays", func(t T) {
		no := s.number("P")
		res, err := s.h.Channel.Pay(ctx, s.payRequest(no, 1234))
		if err != nil {
			t.Fatalf("%s: Pay(%s, %s) failed: %v; the contract expects an order awaiting the payer", name, no, s.h.method(), err)
		}
		if res.Status != channel.StatusPending && res.Status != channel.StatusProcessing {
			t.Errorf("%s: Pay(%s) gave status %v; the contract expects PENDING (awaiting the payer)", name, no, res.Status)
		}
		if res.Action == nil {
			t.Errorf("%s: Pay(%s, %s) gave no Action; the payer has nothing to act on", name, no, s.h.method())
		}
		// Repeating the same request is idempotent.
		if again, err := s.h.Channel.Pay(ctx, s.payRequest(no, 1234)); err != nil {
			t.Errorf("%s: repeating Pay(%s) with identical content failed: %v; the contract expects the same order again", name, no, err)
		} else if again.Status.Final() {
			t.Errorf("%s: repeating Pay(%s) gave final status %v for an unpaid order", name, no, again.Status)
		}
		if q, err := s.h.Channel.Query(ctx, &channel.QueryRequest{OrderNo: no}); err != nil {
			if !errors.Is(err, channel.ErrNotFound) { // not visible before the payer acts (Alipay precreate)
				t.Errorf("%s: Query(%s) of an unpaid order gave %s; the contract expects PENDING (or NotFound before the payer acts)", name, no, describe(0, err))
			}
		} else if q.Status != channel.StatusPending && q.Status != channel.StatusProcessing {
			t.Errorf("%s: Query(%s) of an unpaid order gave %v; the contract expects PENDING", name, no, q.Status)
		}
		if err := s.h.Sim.PayerPay(ctx, name, no); err != nil {
			t.Fatalf("simulator: payer could not pay %s: %v", no, err)
		}
		s.advance(t, ctx, time.Second)
		q := s.query(t, ctx, no)
		if q.Status != channel.StatusSucceeded {
			t.Fatalf("%s: Query(%s) after the payer paid gave %v; the contract expects SUCCEEDED", name, no, q.Status)
		}
		if q.Amount != s.amount(1234) {
			t.Errorf("%s: Query(%s) reports amount %v; the order was for %v", name, no, q.Amount, s.amount(1234))
		}
		if q.ChannelTxnID == "" {
			t.Errorf("%s: Query(%s) of a paid order has no ChannelTxnID", name, no)
		}
		if q.PaidAt.IsZero() {
			t.Errorf("%s: Query(%s) of a paid order has no PaidAt", name, no)
		}
		if r, err := s.h.Channel.Pay(ctx, s.payRequest(no, 1234)); !errors.Is(err, channel.ErrAlreadyDone) {
			t.Errorf("%s: Pay(%s) of a paid order gave %s; the contract expects an AlreadyDone error", name, no, describeResult(r, err))
		}
		if r, err := s.h.Channel.Close(ctx, &channel.CloseRequest{OrderNo: no}); !errors.Is(err, channel.ErrAlreadyDone) {
			t.Errorf("%s: Close(%s) of a paid order gave %s; the contract expects an AlreadyDone error (treat as paid)", name, no, describeResult(r, err))
		}
	})

	t.Run("CloseUnpaid", func(t T) {
		no := s.number("C")
		if _, err := s.h.Channel.Pay(ctx, s.payRequest(no, 500)); err != nil {
			t.Fatalf("%s: Pay(%s) failed: %v", name, no, err)
		}
		neverCreated := false
		for i := 1; i <= 2; i++ { // closing twice is idempotent
			res, err := s.h.Channel.Close(ctx, &channel.CloseRequest{OrderNo: no})
			switch {
			case err != nil && errors.Is(err, channel.ErrNotFound):
				// The channel never created the trade (Alipay precreate before a scan): there
				// was nothing to close, and the caller must let it expire instead.
				neverCreated = true
			case err != nil:
				t.Fatalf("%s: Close #%d of unpaid %s failed: %v; the contract expects CLOSED", name, i, no, err)
			case res.Status != channel.StatusClosed:
				t.Errorf("%s: Close #%d of unpaid %s gave %v; the contract expects CLOSED", name, i, no, res.Status)
			}
		}
		if neverCreated {
			t.Logf("%s: Close(%s) found no trade to close (not created before the payer acts); skipping the payment-after-close check", name, no)
			return
		}
		if err := s.h.Sim.PayerPay(ctx, name, no); err == nil {
			s.advance(t, ctx, time.Second)
		}
		q, err := s.h.Channel.Query(ctx, &channel.QueryRequest{OrderNo: no})
		if err == nil && q.Status.Paid() {
			t.Errorf("%s: a closed order %s was paid afterwards (status %v); closing must prevent payment", name, no, q.Status)
		}
		if err == nil && q.Status != channel.StatusClosed {
			t.Errorf("%s: Query(%s) after Close gave %v; the contract expects CLOSED", name, no, q.Status)
		}
	})
}

func (s *suite) timeoutAfterProcessing(t T) {
	s.needMethod(t)
	ctx := s.ctx(t)
	name := s.name()
	no := s.number("T")
	s.fault(t, ctx, Fault{Op: OpPay, OrderNo: no, Kind: FaultTimeoutAfter, Count: 1})
	res, err := s.h.Channel.Pay(ctx, s.payRequest(no, 777))
	status := channel.StatusUnknown
	if res != nil {
		status = res.Status
	}
	if !isUnknown(status, err) {
		t.Fatalf("%s: Pay(%s) whose response was lost after the channel processed it gave %s; the contract expects StatusUnknown or an ErrUnknownOutcome error (the money may have moved)", name, no, describe(status, err))
	}
	if err := s.h.Sim.PayerPay(ctx, name, no); err != nil {
		t.Fatalf("simulator: the order the channel processed (%s) could not be paid: %v", no, err)
	}
	s.advance(t, ctx, time.Second)
	if q := s.query(t, ctx, no); q.Status != channel.StatusSucceeded {
		t.Errorf("%s: Query(%s) after an unknown Pay and the payer paying gave %v; the contract expects the truth: SUCCEEDED", name, no, q.Status)
	}
}

func (s *suite) notifications(t T) {
	s.needMethod(t)
	ctx := s.ctx(t)
	name := s.name()
	coll := s.h.NotifyCollector

	t.Run("DeliveredVerifiedAcked", func(t T) {
		no := s.createPaid(t, ctx, "N", 888)
		s.advance(t, ctx, time.Minute)
		got, _ := coll.For(no)
		if len(got) == 0 {
			t.Fatalf("%s: no payment notification for %s parsed after the payer paid", name, no)
		}
		p := got[0].Notification.Payment
		if got[0].Notification.Type != channel.NotifyPayment || p == nil {
			t.Fatalf("%s: notification for %s has type %q; the contract expects a payment notification", name, no, got[0].Notification.Type)
		}
		if p.Status != channel.StatusSucceeded || p.Amount != s.amount(888) || p.ChannelTxnID == "" {
			t.Errorf("%s: payment notification for %s decoded to status %v amount %v txn %q; want SUCCEEDED %v and a transaction id", name, no, p.Status, p.Amount, p.ChannelTxnID, s.amount(888))
		}
		if len(got[0].Notification.Ack.Body) == 0 && got[0].Notification.Ack.StatusCode == 0 {
			t.Errorf("%s: notification for %s has an empty Ack", name, no)
		}
		before := len(got)
		s.advance(t, ctx, 25*time.Hour)
		if after, _ := coll.For(no); len(after) != before {
			t.Errorf("%s: the channel re-sent an acknowledged notification for %s (%d deliveries, then %d); the Ack was not understood", name, no, before, len(after))
		}
	})

	t.Run("RetriedUntilAcked", func(t T) {
		no := s.number("R")
		if _, err := s.h.Channel.Pay(ctx, s.payRequest(no, 321)); err != nil {
			t.Fatalf("%s: Pay(%s): %v", name, no, err)
		}
		coll.FailNext(1)
		if err := s.h.Sim.PayerPay(ctx, name, no); err != nil {
			t.Fatalf("simulator: pay %s: %v", no, err)
		}
		s.advance(t, ctx, 2*time.Hour)
		if got, _ := coll.For(no); len(got) < 2 {
			t.Errorf("%s: after a Nack the notification for %s was delivered %d time(s); the channel must retry", name, no, len(got))
		}
	})

	t.Run("DuplicatesDecodeIdentically", func(t T) {
		no := s.number("D")
		s.fault(t, ctx, Fault{Op: OpNotify, OrderNo: no, Kind: FaultDuplicateCallbacks, Count: 2})
		if _, err := s.h.Channel.Pay(ctx, s.payRequest(no, 456)); err != nil {
			t.Fatalf("%s: Pay(%s): %v", name, no, err)
		}
		if err := s.h.Sim.PayerPay(ctx, name, no); err != nil {
			t.Fatalf("simulator: pay %s: %v", no, err)
		}
		s.advance(t, ctx, 10*time.Minute)
		got, _ := coll.For(no)
		if len(got) < 3 {
			t.Fatalf("%s: %d notification(s) for %s parsed; the simulator sent the callback 3 times and each must verify", name, len(got), no)
		}
		for i := 1; i < len(got); i++ {
			if !reflect.DeepEqual(got[i].Notification.Payment, got[0].Notification.Payment) {
				t.Errorf("%s: duplicate notification %d for %s decoded to %+v, the first to %+v; duplicates must decode identically", name, i, no, got[i].Notification.Payment, got[0].Notification.Payment)
			}
		}
	})

	t.Run("ReorderedDecode", func(t T) {
		a, b := s.number("A"), s.number("B")
		s.fault(t, ctx, Fault{Op: OpNotify, OrderNo: a, Kind: FaultReorderCallbacks, Count: 1})
		for _, no := range []string{a, b} {
			if _, err := s.h.Channel.Pay(ctx, s.payRequest(no, 100)); err != nil {
				t.Fatalf("%s: Pay(%s): %v", name, no, err)
			}
		}
		for _, no := range []string{a, b} {
			if err := s.h.Sim.PayerPay(ctx, name, no); err != nil {
				t.Fatalf("simulator: pay %s: %v", no, err)
			}
		}
		s.advance(t, ctx, 30*time.Minute)
		for _, no := range []string{a, b} {
			if got, _ := coll.For(no); len(got) == 0 {
				t.Errorf("%s: no notification for %s parsed when callbacks were reordered", name, no)
			} else if got[0].Notification.Payment.Status != channel.StatusSucceeded {
				t.Errorf("%s: reordered notification for %s decoded to %v", name, no, got[0].Notification.Payment.Status)
			}
		}
	})

	t.Run("ForgedRejected", func(t T) {
		no := s.number("F")
		_, failedBefore := coll.For("")
		s.fault(t, ctx, Fault{Op: OpNotify, OrderNo: no, Kind: FaultForgedCallback, Count: 1})
		if _, err := s.h.Channel.Pay(ctx, s.payRequest(no, 999)); err != nil {
			t.Fatalf("%s: Pay(%s): %v", name, no, err)
		}
		if err := s.h.Sim.PayerPay(ctx, name, no); err != nil {
			t.Fatalf("simulator: pay %s: %v", no, err)
		}
		s.advance(t, ctx, 10*time.Minute)
		_, failed := coll.For("")
		forged := failed[len(failedBefore):]
		if len(forged) == 0 {
			t.Fatalf("%s: the forged notification for %s was accepted; the contract expects a Signature error", name, no)
		}
		for _, d := range forged {
			if !errors.Is(d.Err, channel.ErrSignature) {
				t.Errorf("%s: a forged notification was rejected with %v (kind %q); the contract expects a Signature error", name, d.Err, channel.KindOf(d.Err))
			}
		}
		if got, _ := coll.For(no); len(got) == 0 {
			t.Errorf("%s: the genuine notification for %s did not parse next to the forged one", name, no)
		}
	})
}
