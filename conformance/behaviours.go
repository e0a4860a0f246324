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
		if s.h.tokenMode() {
			s.tokenPay(t, ctx)
			return
		}
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
		if q, err := s.h.Channel.Query(ctx, &channel.QueryRequest{OrderNo: no, OrderTime: s.orderTime(no)}); err != nil {
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
		if cl, ok := s.h.Channel.(channel.Closer); ok {
			if r, err := cl.Close(ctx, &channel.CloseRequest{OrderNo: no, OrderTime: s.orderTime(no)}); !errors.Is(err, channel.ErrAlreadyDone) {
				t.Errorf("%s: Close(%s) of a paid order gave %s; the contract expects an AlreadyDone error (treat as paid)", name, no, describeClose(r, err))
			}
		}
	})

	t.Run("CloseUnpaid", func(t T) {
		cl, ok := s.h.Channel.(channel.Closer)
		if !ok {
			t.Skipf("%s: no Closer: unpaid orders expire instead of being closed", name)
		}
		no := s.number("C")
		if _, err := s.h.Channel.Pay(ctx, s.payRequest(no, 500)); err != nil {
			t.Fatalf("%s: Pay(%s) failed: %v", name, no, err)
		}
		final := false
		for i := 1; i <= 2; i++ { // closing twice is idempotent
			res, err := cl.Close(ctx, &channel.CloseRequest{OrderNo: no, OrderTime: s.orderTime(no)})
			if err != nil {
				t.Fatalf("%s: Close #%d of unpaid %s failed: %v; the contract expects a CloseResult", name, i, no, err)
			}
			switch res.Outcome {
			case channel.CloseClosed, channel.CloseAlreadyClosed:
				if res.Status != channel.StatusClosed {
					t.Errorf("%s: Close #%d of unpaid %s: outcome %s with status %v; the contract expects CLOSED", name, i, no, res.Outcome, res.Status)
				}
				if i == 2 && res.Outcome != channel.CloseAlreadyClosed {
					t.Errorf("%s: the second Close of %s gave outcome %s; the contract expects already_closed", name, no, res.Outcome)
				}
				final = true
			case channel.CloseNeverCreated, channel.CloseWillExpire:
				if final {
					t.Errorf("%s: Close #%d of %s gave %s after an earlier close succeeded", name, i, no, res.Outcome)
				}
				if res.Status.Final() {
					t.Errorf("%s: Close of %s gave outcome %s with final status %v; an order that was not closed is not final", name, no, res.Outcome, res.Status)
				}
			default:
				t.Errorf("%s: Close #%d of %s gave an unknown outcome %q", name, i, no, res.Outcome)
			}
		}
		if !final {
			t.Logf("%s: Close(%s) could not close (not created before the payer acts); skipping the payment-after-close check", name, no)
			return
		}
		if err := s.h.Sim.PayerPay(ctx, name, no); err == nil {
			s.advance(t, ctx, time.Second)
		}
		q, err := s.h.Channel.Query(ctx, &channel.QueryRequest{OrderNo: no, OrderTime: s.orderTime(no)})
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
	s.payerPays(t, ctx, no)
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
		coll.FailNext(1) // before Pay: a token payment's notification is due at once
		if _, err := s.h.Channel.Pay(ctx, s.payRequest(no, 321)); err != nil {
			t.Fatalf("%s: Pay(%s): %v", name, no, err)
		}
		s.payerPays(t, ctx, no)
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
		s.payerPays(t, ctx, no)
		s.advance(t, ctx, 10*time.Minute)
		got, _ := coll.For(no)
		if len(got) < 3 {
			t.Fatalf("%s: %d notification(s) for %s parsed; the simulator sent the callback 3 times and each must verify", name, len(got), no)
		}
		for i := 1; i < len(got); i++ {
			if !reflect.DeepEqual(got[i].Notification.Payment, got[0].Notification.Payment) {
				t.Errorf("%s: duplicate notification %d for %s decoded to %+v, the first to %+v; duplicates must decode identically", name, i, no, got[i].Notification.Payment, got[0].Notification.Payment)
			}
			if k, k0 := got[i].Notification.DedupKey(), got[0].Notification.DedupKey(); k != k0 {
				t.Errorf("%s: duplicate notification %d for %s has DedupKey %q, the first %q; re-sends of one event must share it", name, i, no, k, k0)
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
			s.payerPays(t, ctx, no)
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
		s.payerPays(t, ctx, no)
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
	t.Run("TamperedAmountFailsCheck", func(t T) {
		no := s.number("T")
		s.fault(t, ctx, Fault{Op: OpNotify, OrderNo: no, Kind: FaultTamperedCallback, Count: 1})
		if _, err := s.h.Channel.Pay(ctx, s.payRequest(no, 777)); err != nil {
			t.Fatalf("%s: Pay(%s): %v", name, no, err)
		}
		s.payerPays(t, ctx, no)
		s.advance(t, ctx, 10*time.Minute)
		got, _ := coll.For(no)
		exp := channel.Expectation{OrderNo: no, Amount: s.amount(777)}
		var tampered, genuine int
		for _, d := range got {
			err := d.Notification.Check(exp)
			var mis *channel.MismatchError
			switch {
			case err == nil:
				genuine++
			case errors.As(err, &mis) && errors.Is(err, channel.ErrInvalidRequest):
				tampered++
			default:
				t.Errorf("%s: Check of a notification for %s gave %v; want nil or a *MismatchError", name, no, err)
			}
		}
		if tampered == 0 {
			t.Errorf("%s: the signed notification with a changed amount for %s was not caught by Notification.Check (%d parsed)", name, no, len(got))
		}
		if genuine == 0 {
			t.Errorf("%s: the genuine notification for %s did not pass Notification.Check", name, no)
		}
	})
}

// infoRules checks that Info is usable: a cut-off the clock accepts, number rules that accept
// the suite's own numbers, an acknowledgement, and that a channel which finds orders by number
// and time refuses a Pay without OrderTime and echoes the time it used.
func (s *suite) infoRules(t T) {
	name := s.name()
	in := s.info
	if in.DayCutoff <= -24*time.Hour || in.DayCutoff >= 24*time.Hour {
		t.Fatalf("%s: Info.DayCutoff %v outside (-24h, 24h)", name, in.DayCutoff)
	}
	if in.OrderNo.MaxLen == 0 || in.RefundNo.MaxLen == 0 {
		t.Errorf("%s: Info.OrderNo/RefundNo state no maximum length (%+v, %+v)", name, in.OrderNo, in.RefundNo)
	}
	if no := s.number("I"); in.OrderNo.Check(no) != nil {
		t.Errorf("%s: Info.OrderNo (%s) refuses the suite's number %q: %v", name, in.OrderNo, no, in.OrderNo.Check(no))
	}
	if len(in.Notify.Ack.Body) == 0 && in.Notify.Ack.StatusCode == 0 {
		t.Errorf("%s: Info.Notify.Ack is empty", name)
	}
	if !reflect.DeepEqual(in, s.h.Channel.Info()) {
		t.Errorf("%s: Info differs between two calls", name)
	}
	_, isCanceller := s.h.Channel.(channel.Canceller)
	if in.Cancel.Supported != isCanceller {
		t.Errorf("%s: Info.Cancel.Supported is %v but the channel implements Canceller: %v", name, in.Cancel.Supported, isCanceller)
	}
	if !in.OrderTimeRequired || s.h.method() == "" {
		return
	}
	ctx := s.ctx(t)
	no := s.number("O")
	req := s.payRequest(no, 100)
	req.OrderTime = time.Time{}
	if _, err := s.h.Channel.Pay(ctx, req); !errors.Is(err, channel.ErrInvalidRequest) {
		t.Errorf("%s: Pay without OrderTime gave %v; Info.OrderTimeRequired says it must be refused (InvalidRequest)", name, err)
	}
	req = s.payRequest(no, 100)
	res, err := s.h.Channel.Pay(ctx, req)
	if err != nil {
		t.Fatalf("%s: Pay(%s): %v", name, no, err)
	}
	if !res.OrderTime.Equal(req.OrderTime) {
		t.Errorf("%s: Pay result echoes OrderTime %v, the request had %v", name, res.OrderTime, req.OrderTime)
	}
}
