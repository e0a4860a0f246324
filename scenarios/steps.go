package scenarios

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// outcome is what a step produced, for the expectations.
type outcome struct {
	status   *channel.Status
	amount   *money.Amount
	refunded *money.Amount
	final    *bool         // payouts: PayoutResult.Final
	frozen   *money.Amount // balance
	err      error
	summary  string
}

// step runs one step, logs it with the simulator records it caused, and checks its
// expectations. A returned error (other than errStop) is the step's failure message.
func (r *run) step(ctx context.Context, st *Step) error {
	st, err := r.expandStep(st)
	if err != nil {
		return err
	}
	r.logf("step %d %s [%s] %s", st.Index, st.Pos, fmtTime(r.now(ctx)), describeStep(st))
	out, err := r.exec(ctx, st)
	r.copyRecords(ctx)
	if err != nil {
		return err
	}
	if out.summary != "" {
		r.logf("  => %s", out.summary)
	}
	if st.Expect == nil {
		if out.err != nil {
			return fmt.Errorf("%s failed: %v (add `expect: {error: %s}` if that is intended)", st.Action, out.err, errorName(out.err))
		}
		return nil
	}
	failed := false
	if hasResultCheck(st.Expect) || out.err != nil {
		if err := checkResult(st.Expect, out); err != nil {
			r.fail(st.Expect.Pos, st.Index, err.Error())
			failed = true
		}
	}
	// The callback, record and statement checks do not depend on the result: make them
	// too, so one run reports every failing expectation of the step.
	if err := r.checkShared(ctx, st.Expect, st, st.Index); err != nil {
		if failed && !errors.Is(err, errStop) {
			r.fail(st.Expect.Pos, st.Index, err.Error())
			return errStop
		}
		return err
	}
	if failed {
		return errStop
	}
	return nil
}

func hasResultCheck(e *Expect) bool {
	return len(e.Status) > 0 || len(e.Error) > 0 || e.AnyError || e.Code != "" || e.Retryable != nil || e.Amount != nil || e.RefundedAmount != nil ||
		e.Final != nil || e.Frozen != nil
}

func describeStep(st *Step) string {
	parts := []string{string(st.Action)}
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("channel", st.Channel)
	add("merchant", st.Merchant)
	add("order", st.Order)
	add("refund", st.Refund)
	add("bind", st.Bind)
	add("user", st.User)
	add("payout", st.Payout)
	add("sms", st.SMSNo)
	if st.BankCard != nil {
		add("card", channel.MaskPAN(st.BankCard.Number))
	}
	if !st.Amount.IsZero() {
		add("amount", st.Amount.String())
	}
	if st.Action == ActPay {
		add("method", string(st.Method))
	}
	add("bind", st.Bind)
	add("sms", st.SMSNo)
	add("op_no", st.OpNo)
	if st.Fault != nil {
		add("kind", string(st.Fault.Kind))
		add("op", st.Fault.Op)
		add("code", st.Fault.Code)
	}
	switch st.Action {
	case ActAdvance:
		add("by", st.Duration.String())
	case ActSetTime:
		add("to", fmtTime(st.Time))
	case ActWaitCallbacks:
		add("count", fmt.Sprint(st.Count))
		add("within", st.Duration.String())
	case ActDownloadStatement:
		add("day", st.Day.String())
	}
	return strings.Join(parts, " ")
}

func errorName(err error) string {
	var ce *channel.Error
	if errors.As(err, &ce) {
		return KindName(ce.Kind)
	}
	return KindName(channel.KindOf(err))
}

func (r *run) exec(ctx context.Context, st *Step) (outcome, error) {
	switch st.Action {
	case ActAdvance:
		if err := r.drv.Advance(ctx, st.Duration); err != nil {
			return outcome{}, fmt.Errorf("advance: %w", err)
		}
		return outcome{summary: "now " + fmtTime(r.now(ctx))}, nil
	case ActSetTime:
		if err := r.drv.SetTime(ctx, r.at(st.Time)); err != nil {
			return outcome{}, fmt.Errorf("set_time: %w", err)
		}
		return outcome{summary: "now " + fmtTime(r.now(ctx))}, nil
	case ActFault:
		return r.addFault(ctx, st)
	case ActClearFaults:
		return outcome{}, r.drv.ClearFaults(ctx)
	case ActPayerPay, ActPayerCancel:
		return r.payer(ctx, st)
	case ActWaitCallbacks:
		return r.waitCallbacks(ctx, st)
	}
	if out, ok, err := r.execTarget(ctx, st); ok {
		return out, err
	}
	m, err := r.merchant(st.Channel, st.Merchant)
	if err != nil {
		return outcome{}, err
	}
	ch, err := r.channelFor(m)
	if err != nil {
		return outcome{}, err
	}
	now := r.now(ctx)
	key := st.Channel + "/" + st.Order
	o := r.orders[key]
	switch st.Action {
	case ActPay:
		if o == nil {
			o = &orderState{merchant: m, amount: st.Amount, time: now}
			r.orders[key] = o
		}
		req := &channel.PayRequest{OrderNo: st.Order, OrderTime: o.time, Amount: st.Amount, Method: st.Method,
			Subject: st.Subject, ClientIP: "127.0.0.1", ReturnURL: "http://127.0.0.1/return", PayerID: st.PayerID,
			AuthCode: st.AuthCode, Attach: st.Attach}
		if !st.NoNotify {
			req.NotifyURL = r.notifyURL(m)
		}
		if st.ExpiresIn > 0 {
			req.ExpiresAt = now.Add(st.ExpiresIn)
		}
		if req.PayerID == "" && st.Method == channel.MethodJSAPI {
			req.PayerID = "oScenarioPayer0000000000000"
		}
		if st.Bind != "" {
			b := r.bindings[st.Channel+"/"+st.Bind]
			if b == nil || b.token == "" {
				return outcome{}, fmt.Errorf("pay: binding %s has no token yet (bind and confirm_bind it first)", st.Bind)
			}
			req.Token = b.token
			if req.PayerID == "" {
				req.PayerID = b.user
			}
			req.SMSCode = st.SMSCode
		}
		res, err := ch.Pay(ctx, req)
		return r.payment(o, res, err), nil
	case ActQuery:
		res, err := ch.Query(ctx, &channel.QueryRequest{OrderNo: st.Order, OrderTime: orderTime(o)})
		return r.payment(o, res, err), nil
	case ActClose:
		c, ok := ch.(channel.Closer)
		if !ok {
			return outcome{err: channel.Unsupported(ch.Name(), "close", ""), summary: "not supported"}, nil
		}
		req := &channel.CloseRequest{OrderNo: st.Order, OrderTime: orderTime(o)}
		res, err := c.Close(ctx, req)
		if err != nil {
			return r.payment(o, nil, err), nil
		}
		s := res.Status
		return outcome{status: &s, summary: fmt.Sprintf("%s (%s, %s)", s, res.Outcome, res.ChannelStatus)}, nil
	case ActCancel:
		c, ok := ch.(channel.Canceller)
		if !ok {
			return outcome{err: channel.Unsupported(ch.Name(), "cancel", ""), summary: "not supported"}, nil
		}
		ckey := st.Channel + "/C" + st.Order
		ct, seen := r.cancels[ckey]
		if !seen { // a repeated cancel is the same undo: same number, same time
			ct = now
			r.cancels[ckey] = ct
		}
		req := &channel.CancelRequest{OrderNo: st.Order, OrderTime: orderTime(o), CancelNo: "C" + st.Order, CancelTime: ct, NotifyURL: r.notifyURL(m)}
		if o != nil {
			req.Amount = o.amount
			req.ChannelTxnID = txnFor(st.Channel, o)
		}
		res, err := c.Cancel(ctx, req)
		if err != nil {
			return outcome{err: err, summary: "error: " + err.Error()}, nil
		}
		s := res.Status
		return outcome{status: &s, summary: fmt.Sprintf("%s (%s) retry_needed=%t", s, res.ChannelStatus, res.RetryNeeded)}, nil
	case ActRefund:
		rkey := st.Channel + "/" + st.Refund
		rt, seen := r.refunds[rkey]
		if !seen {
			rt = now
			r.refunds[rkey] = rt
		}
		req := &channel.RefundRequest{RefundNo: st.Refund, RefundTime: rt, OrderNo: st.Order, OrderTime: orderTime(o),
			Amount: st.Amount, OrderAmount: st.OrderAmount, Reason: st.Reason}
		if o != nil {
			req.ChannelTxnID = txnFor(st.Channel, o)
			if req.OrderAmount.IsZero() {
				req.OrderAmount = o.amount
			}
		}
		if !st.NoNotify {
			req.NotifyURL = r.notifyURL(m)
		}
		res, err := ch.Refund(ctx, req)
		return refundOutcome(res, err), nil
	case ActQueryRefund:
		req := &channel.RefundQueryRequest{RefundNo: st.Refund, RefundTime: r.refunds[st.Channel+"/"+st.Refund], OrderNo: st.Order}
		if o != nil {
			req.ChannelTxnID = txnFor(st.Channel, o)
		}
		res, err := ch.QueryRefund(ctx, req)
		return refundOutcome(res, err), nil
	case ActDownloadStatement:
		return r.download(ctx, ch, r.day(st.Day), st.StatementType)
	case ActBind, ActResendSMS, ActConfirmBind, ActUnbind, ActQueryBinding, ActPayout, ActQueryPayout, ActReturnPayout, ActBalance:
		return r.bankStep(ctx, st, m, ch)
	}
	return r.execCards(ctx, ch, m, st, now)
}

// needsTxnID lists the channels whose refunds and cancellations must name the original
// payment's channel transaction id (core/channel RefundRequest.ChannelTxnID: UnionPay).
// Elsewhere the runner names the order by its merchant number only, so fault plans and
// records keyed by order number see the call.
var needsTxnID = map[string]bool{"unionpay": true}

func txnFor(chName string, o *orderState) string {
	if o == nil || !needsTxnID[chName] {
		return ""
	}
	return o.txnID
}

func orderTime(o *orderState) time.Time {
	if o == nil {
		return time.Time{}
	}
	return o.time
}

func (r *run) payment(o *orderState, res *channel.PaymentResult, err error) outcome {
	if err != nil {
		return outcome{err: err, summary: "error: " + err.Error()}
	}
	if res == nil {
		return outcome{err: errors.New("adapter returned neither a result nor an error"), summary: "nil result"}
	}
	if o != nil && res.ChannelTxnID != "" {
		o.txnID = res.ChannelTxnID
	}
	s, a, ra := res.Status, res.Amount, res.RefundedAmount
	sum := fmt.Sprintf("%s (%s)", s, res.ChannelStatus)
	if !a.IsZero() {
		sum += " amount=" + a.String()
	}
	if !ra.IsZero() {
		sum += " refunded=" + ra.String()
	}
	if res.ChannelTxnID != "" {
		sum += " txn=" + res.ChannelTxnID
	}
	return outcome{status: &s, amount: &a, refunded: &ra, summary: sum}
}

func refundOutcome(res *channel.RefundResult, err error) outcome {
	if err != nil {
		return outcome{err: err, summary: "error: " + err.Error()}
	}
	if res == nil {
		return outcome{err: errors.New("adapter returned neither a result nor an error"), summary: "nil result"}
	}
	s, a, rt := res.Status, res.Amount, res.RefundedTotal
	sum := fmt.Sprintf("%s (%s)", s, res.ChannelStatus)
	if !a.IsZero() {
		sum += " amount=" + a.String()
	}
	if !rt.IsZero() {
		sum += " refunded_total=" + rt.String()
	}
	return outcome{status: &s, amount: &a, refunded: &rt, summary: sum}
}

func (r *run) addFault(ctx context.Context, st *Step) (outcome, error) {
	p := *st.Fault
	p.Op = faultOp(r.sc, st)
	if p.Until != nil {
		u := r.at(*p.Until)
		p.Until = &u
	}
	if st.Merchant != "" {
		m, err := r.merchant(st.Channel, st.Merchant)
		if err != nil {
			return outcome{}, err
		}
		p.Merchant = m.cfg.ID
	}
	id, err := r.drv.AddFault(ctx, p)
	if err != nil {
		return outcome{}, fmt.Errorf("fault refused by the simulator: %w", err)
	}
	r.faults = append(r.faults, addedFault{id: id, step: st.Index, desc: describeStep(st)})
	sum := "fault plan " + id
	if p.Op != "" {
		sum += " op=" + p.Op
	}
	return outcome{summary: sum}, nil
}

func (r *run) payer(ctx context.Context, st *Step) (outcome, error) {
	m, err := r.merchant(st.Channel, st.Merchant)
	if err != nil {
		return outcome{}, err
	}
	op := "pay"
	if st.Action == ActPayerCancel {
		op = "cancel"
	}
	res, perr := r.drv.Payer(ctx, op, simulator.PayerAction{Channel: st.Channel, Merchant: m.cfg.ID, OutTradeNo: st.Order, Card: st.Card})
	if err := r.syncClock(ctx); err != nil {
		return outcome{}, err
	}
	if perr != nil {
		ce := payerError(st.Channel, op, perr)
		return outcome{err: ce, summary: "error: " + ce.Error()}, nil
	}
	sum := "state=" + res.State
	if res.ScheduledAt != nil {
		sum += " completes at " + fmtTime(*res.ScheduledAt)
	}
	return outcome{summary: sum}, nil
}

// payerError classifies a simulator refusal of a payer action in the contract's kinds, so
// `expect: {error: not_found}` reads the same for payer steps.
func payerError(chName, op string, err error) *channel.Error {
	k := channel.KindUnknown
	switch {
	case errors.Is(err, simulator.ErrNotFound):
		k = channel.KindNotFound
	case errors.Is(err, simulator.ErrConflict):
		k = channel.KindAlreadyDone
	case errors.Is(err, simulator.ErrInvalid):
		k = channel.KindInvalidRequest
	}
	// The simulator's text once: as Message and as Err it was printed twice.
	return &channel.Error{Channel: chName, Op: "payer " + op, Kind: k, Message: err.Error()}
}

// waitCallbacks advances the clock from one due timer to the next until enough callbacks
// for the order have been parsed or `within` has passed.
func (r *run) waitCallbacks(ctx context.Context, st *Step) (outcome, error) {
	if err := r.flush(ctx); err != nil {
		return outcome{}, err
	}
	deadline := r.now(ctx).Add(st.Duration)
	// A timer that keeps re-arming itself at the same instant would otherwise hold the
	// loop until the scenario's wall-clock timeout.
	const maxSteps = 100_000
	for i := 0; ; i++ {
		if i == maxSteps {
			return outcome{}, fmt.Errorf("wait_callbacks: the simulator kept scheduling timers (%d clock steps) without the callbacks arriving", maxSteps)
		}
		n := r.countParsed(st.Channel, st.Order, st.NotifyOf)
		if n >= st.Count {
			return outcome{summary: fmt.Sprintf("%d callback(s) by %s", n, fmtTime(r.now(ctx)))}, nil
		}
		if err := ctx.Err(); err != nil {
			return outcome{}, err
		}
		next, ok, err := r.drv.NextDue(ctx)
		if err != nil {
			return outcome{}, fmt.Errorf("wait_callbacks: %w", err)
		}
		if !ok || next.After(deadline) {
			if err := r.drv.SetTime(ctx, deadline); err != nil {
				return outcome{}, err
			}
			_ = r.syncClock(ctx)
			if n = r.countParsed(st.Channel, st.Order, st.NotifyOf); n >= st.Count {
				continue
			}
			what := "callback(s)"
			if st.NotifyOf != "" {
				what = string(st.NotifyOf) + " callback(s)"
			}
			if st.Order != "" {
				what += " for order " + st.Order
			}
			return outcome{}, fmt.Errorf("wait_callbacks: %d of %d %s parsed within %s (until %s)", n, st.Count, what, st.Duration, fmtTime(deadline))
		}
		if next.After(r.now(ctx)) {
			if err := r.drv.SetTime(ctx, next); err != nil {
				return outcome{}, err
			}
		} else if err := r.drv.Advance(ctx, 0); err != nil {
			return outcome{}, err
		}
		_ = r.syncClock(ctx)
	}
}

// countParsed counts the parsed callbacks of a channel (and order, and type).
func (r *run) countParsed(chName, order string, typ channel.NotificationType) int {
	n := 0
	for _, d := range r.coll.all() {
		if d.Err != nil || d.Note == nil || d.Channel != chName {
			continue
		}
		if order != "" && d.orderNo() != order {
			continue
		}
		if typ != "" && d.Note.Type != typ {
			continue
		}
		n++
	}
	return n
}
