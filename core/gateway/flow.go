package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
)

// Pay runs the payment flow for merchant's request, in seven steps: validate, route, risk,
// create the order, call the channel, update the order from the answer, and (inside the
// store's transition) emit the event that feeds the ledger posting and the merchant's
// webhook. It returns the payment, the payer's next action for a pending payment, and
// whether this call created it (false: the merchant already had this order_no with the
// same content, and that payment is returned).
//
// An unknown answer from the channel (a timeout, "system busy") leaves the payment pending
// and Unresolved; the query-back worker resolves it. The flow never pays again under a new
// number and never tries another channel after the request may have reached one.
func (g *Gateway) Pay(ctx context.Context, merchantID string, req *CreatePaymentRequest) (*order.Payment, *channel.PayAction, bool, error) {
	// 1. Validate.
	amount, aerr := req.validate()
	if aerr != nil {
		return nil, nil, false, aerr
	}
	method := channel.Method(req.Method)
	if p, err := g.store.PaymentByOrderNo(ctx, merchantID, req.OrderNo); err == nil {
		return g.existing(ctx, p, req, amount)
	} else if !errors.Is(err, order.ErrNotFound) {
		return nil, nil, false, err
	}
	now := g.clk.Now()

	// 2. Route.
	dec, err := g.cfg.Router.Route(ctx, RouteRequest{MerchantID: merchantID, Method: method, Amount: amount, At: now, CardBIN: req.CardBIN, PayerID: req.PayerID})
	if err != nil {
		return nil, nil, false, &apiErr{http.StatusUnprocessableEntity, APIError{Code: "no_route", Message: err.Error(), Param: "method"}}
	}
	acct := g.accounts[dec.Account]
	if acct == nil {
		return nil, nil, false, fmt.Errorf("router chose unknown account %q", dec.Account)
	}
	if !channel.Supports(acct.Channel, method) {
		return nil, nil, false, &apiErr{http.StatusUnprocessableEntity, APIError{Code: "method_unsupported",
			Message: fmt.Sprintf("the routed channel %s does not support method %s", acct.Channel.Name(), method), Param: "method"}}
	}

	// 3. Risk.
	rd, err := g.cfg.Risk.Assess(ctx, RiskRequest{MerchantID: merchantID, OrderNo: req.OrderNo, Method: method, Amount: amount,
		PayerID: req.PayerID, ClientIP: req.ClientIP, Account: acct.ID, At: now,
		CardBIN: req.CardBIN, CardFingerprint: req.CardFingerprint, DeviceID: req.DeviceID, SMSVerified: req.SMSCode != ""})
	if err != nil {
		return nil, nil, false, fmt.Errorf("risk: %w", err)
	}
	switch rd.Verdict {
	case Block:
		return nil, nil, false, &apiErr{http.StatusForbidden, APIError{Code: "payment_blocked", Message: "blocked by risk rule " + rd.Rule, OrderNo: req.OrderNo}}
	case Challenge:
		if req.SMSCode == "" {
			return nil, nil, false, &apiErr{http.StatusForbidden, APIError{Code: "challenge_required", Message: "risk rule " + rd.Rule + " requires the SMS step", OrderNo: req.OrderNo}}
		}
	}

	// 4. Create the order.
	expiry := g.cfg.DefaultExpiry
	if req.ExpiresIn > 0 {
		expiry = time.Duration(req.ExpiresIn) * time.Second
	}
	id := newID("pay_")
	p := &order.Payment{ID: id, MerchantID: merchantID, OrderNo: req.OrderNo, Channel: acct.Channel.Name(), Account: acct.ID,
		ChannelOrderNo: "TD" + id[4:], ChannelOrderTime: now.Truncate(time.Second), Method: method, Amount: amount,
		Subject: req.Subject, State: order.Created, ExpiresAt: now.Add(expiry), CreatedAt: now}
	if err := acct.info.OrderNo.Check(p.ChannelOrderNo); err != nil {
		return nil, nil, false, fmt.Errorf("channel order number %s breaks %s's rule: %w", p.ChannelOrderNo, acct.Channel.Name(), err)
	}
	if _, err := g.store.CreatePayment(ctx, p); errors.Is(err, order.ErrDuplicate) {
		// A concurrent request created it first.
		existing, err := g.store.PaymentByOrderNo(ctx, merchantID, req.OrderNo)
		if err != nil {
			return nil, nil, false, err
		}
		return g.existing(ctx, existing, req, amount)
	} else if err != nil {
		return nil, nil, false, err
	}
	g.stats.PaymentsCreated.Add(1)

	// 5. Call the channel. The merchant hanging up must not cut the call short: its
	// outcome would become unknown for nothing. Failover to the next candidate happens only
	// after an attempt that surely did not reach its channel (KindUnavailable, or refused
	// by the Router before sending) while the payment is still Created.
	var res *channel.PaymentResult
	var callErr error
	p, acct, res, callErr = g.attempt(ctx, p, acct, dec.Candidates, req)

	// 6. Update the order from the answer (7. its event is written in the same transaction).
	t := payTransition(res, callErr, g.clk.Now())
	if t.Unresolved {
		g.stats.ChannelUnknown.Add(1)
		g.log.Warn("payment outcome unknown; querying", "payment", p.ID, "account", acct.ID, "err", callErr)
	}
	np, err := g.transitionPayment(context.WithoutCancel(ctx), p, t)
	if err != nil {
		return nil, nil, false, err
	}
	var action *channel.PayAction
	if res != nil {
		action = res.Action
	}
	return np, action, true, nil
}

// existing answers a create for an order_no the merchant already has: the same payment when
// the content agrees (with the payer's action again for an unpaid order, asked of the channel,
// whose Pay is idempotent by number), a conflict otherwise.
func (g *Gateway) existing(ctx context.Context, p *order.Payment, req *CreatePaymentRequest, amount money.Amount) (*order.Payment, *channel.PayAction, bool, error) {
	if p.Amount != amount || string(p.Method) != req.Method || p.Subject != req.Subject {
		return nil, nil, false, &apiErr{http.StatusConflict, APIError{Code: "duplicate_order",
			Message: "order_no was used before with a different amount, method or subject", Param: "order_no", OrderNo: p.OrderNo}}
	}
	if p.State != order.Pending || p.Unresolved || p.Method == channel.MethodBarcode || p.Method == channel.MethodToken {
		return p, nil, false, nil
	}
	acct := g.accounts[p.Account]
	if acct == nil {
		return p, nil, false, nil
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.cfg.CallTimeout)
	defer cancel()
	res, err := acct.Channel.Pay(cctx, &channel.PayRequest{OrderNo: p.ChannelOrderNo, OrderTime: p.ChannelOrderTime, Amount: p.Amount,
		Method: p.Method, Subject: p.Subject, NotifyURL: g.NotifyURL(acct), ClientIP: req.ClientIP, ExpiresAt: p.ExpiresAt, PayerID: req.PayerID})
	if err != nil || res == nil || res.Status != channel.StatusPending {
		return p, nil, false, nil // the query-back worker and notifications keep the order right
	}
	return p, res.Action, false, nil
}

// payTransition maps a channel's answer to Pay onto the payment's next state.
func payTransition(res *channel.PaymentResult, err error, at time.Time) order.Transition {
	if err != nil {
		switch channel.KindOf(err) {
		case channel.KindUnknown, channel.KindAlreadyDone:
			// Unknown: the money may have moved. AlreadyDone: the channel has this number
			// in a final state already — a query says which.
			return order.Transition{To: order.Pending, Cause: order.CauseChannel, At: at, Unresolved: true}
		}
		// Every other kind is a definitive refusal, or surely not executed (Unavailable,
		// RateLimited): no money moved.
		return order.Transition{To: order.Failed, Cause: order.CauseChannel, At: at}
	}
	return resultTransition(res, order.CauseChannel, at)
}

// resultTransition maps a payment result (from Pay, Query or a notification) to a transition.
func resultTransition(res *channel.PaymentResult, cause order.Cause, at time.Time) order.Transition {
	t := order.Transition{Cause: cause, At: at, ChannelTxnID: res.ChannelTxnID}
	switch res.Status {
	case channel.StatusSucceeded, channel.StatusRefunded:
		t.To, t.PaidAt = order.Succeeded, res.PaidAt
	case channel.StatusPending:
		t.To = order.Pending
	case channel.StatusFailed:
		t.To = order.Failed
	case channel.StatusClosed, channel.StatusReversed:
		t.To = order.Closed
	default: // Processing, Unknown: query until final
		t.To, t.Unresolved = order.Pending, true
	}
	return t
}

// transitionPayment applies t to p, re-reading and retrying on a lost compare-and-set. An
// idempotent repeat answers the stored payment; a transition the table refuses is logged and
// answers the stored payment unchanged (the order already says something more final).
func (g *Gateway) transitionPayment(ctx context.Context, p *order.Payment, t order.Transition) (*order.Payment, error) {
	for attempt := 0; attempt < 8; attempt++ {
		np, _, err := g.store.TransitionPayment(ctx, p.ID, p.Version, t)
		switch {
		case err == nil:
			if t.To == order.Succeeded && (p.State == order.Closed || p.State == order.Failed) {
				g.stats.LateSuccesses.Add(1)
				g.log.Error("late success: paid after the order was final; refund or handle manually", "payment", p.ID, "was", p.State)
			}
			return np, nil
		case errors.Is(err, order.ErrConflict):
			if p, err = g.store.Payment(ctx, p.ID); err != nil {
				return nil, err
			}
		case errors.Is(err, order.ErrTransition):
			g.log.Info("transition not applied", "payment", p.ID, "reason", err)
			return g.store.Payment(ctx, p.ID)
		default:
			return nil, err
		}
	}
	return nil, fmt.Errorf("payment %s: too many concurrent changes", p.ID)
}

// Close closes merchant's unpaid order orderNo: on the channel first where it can close,
// then in the store. An order the channel cannot close now stays pending (409 close_pending,
// naming when it expires); the expiry worker closes it then.
func (g *Gateway) Close(ctx context.Context, merchantID, orderNo string) (*order.Payment, error) {
	p, err := g.store.PaymentByOrderNo(ctx, merchantID, orderNo)
	if errors.Is(err, order.ErrNotFound) {
		return nil, &apiErr{http.StatusNotFound, APIError{Code: "not_found", Message: "no payment with this order_no", Param: "order_no"}}
	}
	if err != nil {
		return nil, err
	}
	switch {
	case p.State == order.Closed:
		return p, nil
	case p.State.Paid():
		return nil, &apiErr{http.StatusConflict, APIError{Code: "already_paid", Message: "the payment succeeded; refund it instead", OrderNo: orderNo}}
	case p.State == order.Failed:
		return nil, &apiErr{http.StatusConflict, APIError{Code: "already_failed", Message: "the payment failed; nothing to close", OrderNo: orderNo}}
	}
	np, err := g.closeOnChannel(context.WithoutCancel(ctx), p, order.CauseAPI)
	if err != nil {
		return nil, err
	}
	if np.State == order.Pending {
		return nil, &apiErr{http.StatusConflict, APIError{Code: "close_pending", OrderNo: orderNo,
			Message: fmt.Sprintf("the channel cannot close this order now; it stops being payable at %s and the gateway closes it then", ts(np.ExpiresAt))}}
	}
	if np.State.Paid() {
		return nil, &apiErr{http.StatusConflict, APIError{Code: "already_paid", Message: "the payment succeeded on the channel; refund it instead", OrderNo: orderNo}}
	}
	return np, nil
}

// closeOnChannel closes p on its channel (where the channel can) and then in the store, by
// cause. A paid answer records the success instead; an answer that cannot close leaves p
// pending. An unknown outcome is an error (the caller retries later).
func (g *Gateway) closeOnChannel(ctx context.Context, p *order.Payment, cause order.Cause) (*order.Payment, error) {
	acct := g.accounts[p.Account]
	if p.State == order.Created || acct == nil {
		return g.transitionPayment(ctx, p, order.Transition{To: order.Closed, Cause: cause, At: g.clk.Now()})
	}
	cl, ok := acct.Channel.(channel.Closer)
	if !ok {
		// The channel has no close: once the deadline passed, query it; an order still
		// unpaid (or unknown to the channel) past its deadline can no longer be paid.
		return g.resolveByQuery(ctx, p, true)
	}
	cctx, cancel := context.WithTimeout(ctx, g.cfg.CallTimeout)
	defer cancel()
	res, err := cl.Close(cctx, &channel.CloseRequest{OrderNo: p.ChannelOrderNo, OrderTime: p.ChannelOrderTime, ChannelTxnID: p.ChannelTxnID, ExpiresAt: p.ExpiresAt})
	switch {
	case channel.KindOf(err) == channel.KindAlreadyDone && err != nil:
		return g.resolveByQuery(ctx, p, false)
	case err != nil:
		return nil, &apiErr{http.StatusServiceUnavailable, APIError{Code: "channel_unavailable", Message: "closing on the channel did not complete: " + channel.KindOf(err).String() + "; retry", OrderNo: p.OrderNo}}
	case res.Final():
		return g.transitionPayment(ctx, p, order.Transition{To: order.Closed, Cause: cause, At: g.clk.Now()})
	}
	if cause == order.CauseExpiry && !g.clk.Now().Before(res.ExpiresAt) {
		// Never created, and the payer's QR code or page has expired with the order.
		return g.resolveByQuery(ctx, p, true)
	}
	return p, nil
}

// resolveByQuery queries p's channel and applies the answer. expired says p's deadline has
// passed: then "not found" and "still unpaid" mean closed.
func (g *Gateway) resolveByQuery(ctx context.Context, p *order.Payment, expired bool) (*order.Payment, error) {
	acct := g.accounts[p.Account]
	if acct == nil {
		return nil, fmt.Errorf("payment %s: account %s is not configured", p.ID, p.Account)
	}
	cctx, cancel := context.WithTimeout(ctx, g.cfg.CallTimeout)
	defer cancel()
	res, err := acct.Channel.Query(cctx, &channel.QueryRequest{OrderNo: p.ChannelOrderNo, OrderTime: p.ChannelOrderTime, ChannelTxnID: p.ChannelTxnID})
	now := g.clk.Now()
	switch {
	case err != nil && channel.KindOf(err) == channel.KindNotFound && expired:
		return g.transitionPayment(ctx, p, order.Transition{To: order.Closed, Cause: order.CauseQuery, At: now})
	case err != nil:
		return p, fmt.Errorf("query of %s: %w", p.ID, err)
	}
	t := resultTransition(res, order.CauseQuery, now)
	if expired && t.To == order.Pending && !t.Unresolved {
		t = order.Transition{To: order.Closed, Cause: order.CauseQuery, At: now}
	}
	if t.To == order.Pending && p.State == order.Pending && p.Unresolved == t.Unresolved {
		return p, nil // nothing new
	}
	return g.transitionPayment(ctx, p, t)
}

// RefundPayment creates (or, for a retried refund_no, returns) a refund of merchant's
// payment and asks the channel for it. The refund stays pending until the channel confirms.
func (g *Gateway) RefundPayment(ctx context.Context, merchantID string, req *CreateRefundRequest) (*order.Refund, bool, error) {
	if err := orderNoRule.Check(req.RefundNo); err != nil {
		return nil, false, badParam("refund_no", "refund_no %v", err)
	}
	if req.Amount <= 0 {
		return nil, false, badParam("amount", "amount must be a positive integer in minor units, got %d", req.Amount)
	}
	if n := len([]rune(req.Reason)); n > 128 {
		return nil, false, badParam("reason", "reason must be at most 128 characters, got %d", n)
	}
	p, err := g.store.PaymentByOrderNo(ctx, merchantID, req.OrderNo)
	if errors.Is(err, order.ErrNotFound) {
		return nil, false, &apiErr{http.StatusNotFound, APIError{Code: "not_found", Message: "no payment with this order_no", Param: "order_no"}}
	}
	if err != nil {
		return nil, false, err
	}
	amount := money.New(req.Amount, p.Amount.Currency())
	same := func(r *order.Refund) (*order.Refund, bool, error) {
		if r.PaymentID != p.ID || r.Amount != amount {
			return nil, false, &apiErr{http.StatusConflict, APIError{Code: "duplicate_refund", Message: "refund_no was used before for another order or amount", Param: "refund_no"}}
		}
		return r, false, nil
	}
	if r, err := g.store.RefundByNo(ctx, merchantID, req.RefundNo); err == nil {
		return same(r)
	} else if !errors.Is(err, order.ErrNotFound) {
		return nil, false, err
	}
	acct := g.accounts[p.Account]
	if acct == nil {
		return nil, false, fmt.Errorf("payment %s: account %s is not configured", p.ID, p.Account)
	}
	now := g.clk.Now()
	id := newID("ref_")
	r := &order.Refund{ID: id, PaymentID: p.ID, MerchantID: merchantID, RefundNo: req.RefundNo, ChannelRefundNo: "TR" + id[4:],
		ChannelRefundTime: now.Truncate(time.Second), Amount: amount, Reason: req.Reason, CreatedAt: now}
	if err := acct.info.RefundNo.Check(r.ChannelRefundNo); err != nil {
		return nil, false, fmt.Errorf("channel refund number breaks %s's rule: %w", acct.Channel.Name(), err)
	}
	_, err = g.store.CreateRefund(ctx, r)
	switch {
	case errors.Is(err, order.ErrDuplicate):
		existing, err := g.store.RefundByNo(ctx, merchantID, req.RefundNo)
		if err != nil {
			return nil, false, err
		}
		return same(existing)
	case errors.Is(err, order.ErrRefundExceeds):
		return nil, false, &apiErr{http.StatusUnprocessableEntity, APIError{Code: "refund_exceeds", Param: "amount", OrderNo: req.OrderNo,
			Message: fmt.Sprintf("refunds would exceed the paid amount %s (already refunded or pending: see GET /v1/payments/%s)", p.Amount, p.OrderNo)}}
	case errors.Is(err, order.ErrNotRefundable):
		return nil, false, &apiErr{http.StatusConflict, APIError{Code: "not_refundable", Message: "the payment is " + string(p.State) + ", not paid", OrderNo: req.OrderNo}}
	case err != nil:
		return nil, false, err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.cfg.CallTimeout)
	defer cancel()
	res, callErr := acct.Channel.Refund(cctx, &channel.RefundRequest{RefundNo: r.ChannelRefundNo, RefundTime: r.ChannelRefundTime,
		OrderNo: p.ChannelOrderNo, OrderTime: p.ChannelOrderTime, ChannelTxnID: p.ChannelTxnID, Amount: amount, OrderAmount: p.Amount,
		Reason: req.Reason, NotifyURL: g.NotifyURL(acct)})
	t := refundTransition(res, callErr, order.CauseChannel, g.clk.Now())
	nr, err := g.transitionRefund(context.WithoutCancel(ctx), r, t)
	if err != nil {
		return nil, false, err
	}
	return nr, true, nil
}

// refundTransition maps a refund answer (from Refund, QueryRefund or a notification).
func refundTransition(res *channel.RefundResult, err error, cause order.Cause, at time.Time) order.Transition {
	if err != nil {
		switch channel.KindOf(err) {
		case channel.KindUnknown, channel.KindAlreadyDone, channel.KindInsufficientFunds, channel.KindRateLimited:
			// Unknown, or refused for now in a way a query (or a retry with the same
			// number) settles: keep it pending and query.
			return order.Transition{To: order.Pending, Cause: cause, At: at, Unresolved: true}
		}
		return order.Transition{To: order.Failed, Cause: cause, At: at}
	}
	t := order.Transition{Cause: cause, At: at, ChannelTxnID: res.ChannelRefundID}
	switch res.Status {
	case channel.StatusSucceeded:
		t.To, t.PaidAt = order.Succeeded, res.CompletedAt
	case channel.StatusFailed, channel.StatusClosed:
		t.To = order.Failed
	default:
		t.To, t.Unresolved = order.Pending, true
	}
	return t
}

func (g *Gateway) transitionRefund(ctx context.Context, r *order.Refund, t order.Transition) (*order.Refund, error) {
	for attempt := 0; attempt < 8; attempt++ {
		nr, _, _, err := g.store.TransitionRefund(ctx, r.ID, r.Version, t)
		switch {
		case err == nil:
			return nr, nil
		case errors.Is(err, order.ErrConflict):
			if r, err = g.store.Refund(ctx, r.ID); err != nil {
				return nil, err
			}
		case errors.Is(err, order.ErrTransition):
			g.log.Info("refund transition not applied", "refund", r.ID, "reason", err)
			return g.store.Refund(ctx, r.ID)
		default:
			return nil, err
		}
	}
	return nil, fmt.Errorf("refund %s: too many concurrent changes", r.ID)
}
