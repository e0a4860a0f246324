package simulator

import (
	"context"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

// PayOutcome is the engine's answer to a payer action.
type PayOutcome struct {
	PayerResult
	// ScheduledAt is set when a complete_after_midnight plan moved the completion: the
	// action runs when the clock passes this time (Beijing time).
	ScheduledAt *time.Time `json:"scheduled_at,omitempty"`
}

// Pay makes the payer pay: the protocol of a.Channel must implement Payer. A
// complete_after_midnight plan defers the completion to just after the next Beijing
// midnight (the order stays unpaid until the clock passes it). In virtual mode, callbacks
// due now are delivered before Pay returns.
func (s *Server) Pay(ctx context.Context, a PayerAction) (PayOutcome, error) {
	return s.payer(ctx, a, "pay")
}

// Cancel makes the payer abandon the order, as Pay.
func (s *Server) Cancel(ctx context.Context, a PayerAction) (PayOutcome, error) {
	return s.payer(ctx, a, "cancel")
}

func (s *Server) payer(ctx context.Context, a PayerAction, op string) (PayOutcome, error) {
	if a.Channel == "" {
		return PayOutcome{}, fieldErr("channel", "required")
	}
	if a.OutTradeNo == "" {
		return PayOutcome{}, fieldErr("out_trade_no", "required")
	}
	e, ok := s.byName[a.Channel]
	if !ok {
		return PayOutcome{}, &FieldError{Field: "channel", Reason: fmt.Sprintf("unknown channel %q", a.Channel)}
	}
	p, ok := e.proto.(Payer)
	if !ok {
		return PayOutcome{}, &FieldError{Field: "channel", Reason: fmt.Sprintf("channel %q has no payer actions", a.Channel)}
	}
	now := s.clk.Now()
	a.Time = now
	rec := Record{Kind: RecordPayer, Channel: a.Channel, Op: op, Merchant: a.Merchant, OutTradeNo: a.OutTradeNo, Note: "card=" + MaskCard(a.Card)}
	faults := s.faults.match(event{cat: catPayer, channel: a.Channel, op: op, merchant: a.Merchant, outTradeNo: a.OutTradeNo}, s.rand.Float64)
	if f, ok := findKind(faults, FaultCompleteAfterMidnight); ok {
		after := time.Duration(f.Delay)
		if after == 0 {
			after = time.Second
		}
		at := clock.DateOf(now, clock.Beijing()).AddDays(1).Start(clock.Beijing()).Add(after)
		a.Time = at
		rec.Faults = []string{faultTag(f)}
		rec.Note += "; completes at " + at.Format(time.RFC3339)
		s.record(rec)
		e.AfterFunc(at.Sub(now), func() { // cancelled by Reset
			res, err := s.runPayer(context.Background(), p, a, op)
			r := Record{Kind: RecordPayer, Channel: a.Channel, Op: op, Merchant: a.Merchant, OutTradeNo: a.OutTradeNo, Note: "deferred completion", Faults: []string{faultTag(f)}}
			if err != nil {
				r.Error = err.Error()
			} else {
				r.Note += ": " + res.State
			}
			s.record(r)
		})
		return PayOutcome{ScheduledAt: &at}, nil
	}
	res, err := s.runPayer(ctx, p, a, op)
	if err != nil {
		rec.Error = err.Error()
		s.record(rec)
		return PayOutcome{}, err
	}
	rec.Note += "; state=" + res.State
	s.record(rec)
	if s.virt != nil {
		// Deliver what the action made due now (the payment callback), deterministically,
		// before answering.
		s.virt.Advance(0)
	}
	return PayOutcome{PayerResult: res}, nil
}

func (s *Server) runPayer(ctx context.Context, p Payer, a PayerAction, op string) (PayerResult, error) {
	if op == "cancel" {
		return p.Cancel(ctx, a)
	}
	return p.Pay(ctx, a)
}
