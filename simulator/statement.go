package simulator

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// NotReadyError says a statement is not available yet; protocols answer with their own
// "no bill yet" response (WeChat 20002 "No Bill Exist", UnionPay 98, bank 4006).
type NotReadyError struct {
	Day     clock.Date
	ReadyAt time.Time // Beijing time
}

// Error names the day and when its statement becomes available.
func (e *NotReadyError) Error() string {
	return fmt.Sprintf("simulator: statement for %s not ready until %s", e.Day, e.ReadyAt.Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrConflict) hold.
func (e *NotReadyError) Unwrap() error { return ErrConflict }

// StatementReadyAt returns when the statement of day becomes available under the
// protocol's spec, before any fault plan.
func (e *Engine) StatementReadyAt(day clock.Date) time.Time {
	var spec StatementSpec
	if ss, ok := e.proto.(StatementSource); ok {
		spec = ss.StatementSpec()
	}
	return day.AddDays(1).Start(clock.Beijing()).Add(spec.ReadyAfter)
}

// Statement returns the records of a statement as the channel would publish it now: it
// refuses with *NotReadyError before the statement's availability time (moved by
// statement_not_ready_until plans), asks the protocol's StatementSource for the records of
// q.Day, and applies statement fault plans (missing, extra, changed amount). Protocols call
// it from their download handlers and render the result in their format.
func (e *Engine) Statement(ctx context.Context, q StatementQuery) ([]StatementRecord, error) {
	ss, ok := e.proto.(StatementSource)
	if !ok {
		return nil, fmt.Errorf("simulator: %s publishes no statements: %w", e.name, ErrNotFound)
	}
	if !q.Day.Valid() {
		return nil, fieldErr("day", "invalid date")
	}
	s := e.s
	now := s.clk.Now()
	ready := e.StatementReadyAt(q.Day)
	faults := s.faults.match(event{cat: catStatement, channel: e.name, op: q.Type, merchant: q.Merchant}, s.rand.Float64)
	if p, ok := findKind(faults, FaultStatementNotReady); ok {
		if p.Until != nil {
			ready = *p.Until
		} else {
			ready = ready.Add(time.Duration(p.Delay))
		}
	}
	if now.Before(ready) {
		return nil, &NotReadyError{Day: q.Day, ReadyAt: ready.In(clock.Beijing())}
	}
	recs, err := ss.StatementRecords(ctx, q)
	if err != nil {
		return nil, err
	}
	return applyStatementFaults(recs, faults, q, e), nil
}

func applyStatementFaults(recs []StatementRecord, faults []FaultPlan, q StatementQuery, e *Engine) []StatementRecord {
	if len(faults) == 0 {
		return recs
	}
	// pick returns the index of the record a plan targets, or -1.
	pick := func(p FaultPlan) int {
		for i, r := range recs {
			if p.OutTradeNo == "" || r.OutTradeNo == p.OutTradeNo {
				return i
			}
		}
		return -1
	}
	out := recs
	if p, ok := findKind(faults, FaultStatementMissingRecord); ok {
		if i := pick(p); i >= 0 {
			out = append(append([]StatementRecord(nil), recs[:i]...), recs[i+1:]...)
			e.Record(Record{Kind: RecordFault, Op: "statement", Merchant: q.Merchant, OutTradeNo: recs[i].OutTradeNo,
				Faults: []string{faultTag(p)}, Note: "statement " + q.Day.String() + ": record left out"})
		}
	}
	if p, ok := findKind(faults, FaultStatementAmountChanged); ok {
		out = append([]StatementRecord(nil), out...)
		recs = out
		if i := pick(p); i >= 0 {
			r := out[i]
			old := r.Amount
			if p.Amount != nil {
				r.Amount = *p.Amount
			} else if a, err := r.Amount.Add(money.New(1, r.Amount.Currency())); err == nil {
				r.Amount = a
			}
			r.Fault = string(p.Kind)
			out[i] = r
			e.Record(Record{Kind: RecordFault, Op: "statement", Merchant: q.Merchant, OutTradeNo: r.OutTradeNo,
				Faults: []string{faultTag(p)}, Note: "statement " + q.Day.String() + ": amount " + old.Decimal() + " -> " + r.Amount.Decimal()})
		}
	}
	if p, ok := findKind(faults, FaultStatementExtraRecord); ok {
		var r StatementRecord
		if len(out) > 0 {
			r = out[0]
			r.Fields = cloneFields(r.Fields)
		} else {
			r = StatementRecord{Merchant: q.Merchant, Kind: "payment", Amount: money.Fen(1), Fee: money.Fen(0),
				Time: q.Day.Start(clock.Beijing()).Add(12 * time.Hour), Status: "SUCCESS", SettleDate: q.Day}
		}
		r.OutTradeNo = p.Code
		if r.OutTradeNo == "" {
			r.OutTradeNo = "SIMEXTRA" + e.Rand().Digits(10)
		}
		r.OutRefundNo, r.ChannelRefundID = "", ""
		r.Kind = "payment"
		r.ChannelTxnID = "SIMX" + e.Rand().Digits(16)
		if p.Amount != nil {
			r.Amount = *p.Amount
		}
		r.Fault = string(p.Kind)
		out = append(append([]StatementRecord(nil), out...), r)
		e.Record(Record{Kind: RecordFault, Op: "statement", Merchant: q.Merchant, OutTradeNo: r.OutTradeNo,
			Faults: []string{faultTag(p)}, Note: "statement " + q.Day.String() + ": extra record of " + r.Amount.Decimal() + " (" + strconv.Itoa(len(out)) + " records)"})
	}
	return out
}

func cloneFields(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
