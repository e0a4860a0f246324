package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/order"
)

// bindingQuerierAt is implemented by adapters whose binding look-up needs the binding's
// number and time (UnionPay's open query); the gateway stores both, so it can query after a
// restart.
type bindingQuerierAt interface {
	QueryBindingAt(ctx context.Context, bindNo string, bindTime time.Time) ([]channel.Binding, error)
}

// queryBinding is the query-back of a binding whose confirm or unbind had an unknown
// outcome; it reports whether the outcome is known now.
func (g *Gateway) queryBinding(ctx context.Context, t order.QueryTask) (bool, error) {
	if g.bindings == nil {
		return false, errors.New("a binding query-back task, but the store keeps no bindings")
	}
	b, err := g.bindings.Binding(ctx, t.OrderID)
	if err != nil {
		return false, err
	}
	if !b.Unresolved {
		return true, g.stopQuery(ctx, b.ID) // settled meanwhile
	}
	acct := g.accounts[b.Account]
	if acct == nil {
		return false, fmt.Errorf("binding %s: account %s is not configured", b.ID, b.Account)
	}
	cctx, cancel := context.WithTimeout(ctx, g.cfg.CallTimeout)
	defer cancel()
	var list []channel.Binding
	if qa, ok := acct.Channel.(bindingQuerierAt); ok {
		list, err = qa.QueryBindingAt(cctx, b.ChannelBindNo, b.ChannelBindTime)
	} else {
		q := &channel.BindingQuery{UserID: b.ChannelUserID, BindNo: b.ChannelBindNo}
		if b.State == order.Bound {
			q = &channel.BindingQuery{UserID: b.ChannelUserID, Token: b.Token}
		}
		list, err = acct.Channel.(channel.Binder).QueryBinding(cctx, q)
	}
	now := g.clk.Now()
	if err != nil && channel.KindOf(err) != channel.KindNotFound {
		return false, err
	}
	var found *channel.Binding
	for i := range list {
		if list[i].BindNo == b.ChannelBindNo || (b.Token != "" && list[i].Token == b.Token) || len(list) == 1 {
			found = &list[i]
		}
	}
	var tr order.BindingTransition
	switch {
	case b.State == order.BindSMSSent && (found == nil || found.Status == channel.StatusFailed):
		// The confirm did not bind: the binding waits for a code again.
		tr = order.BindingTransition{To: order.BindSMSSent, Cause: order.CauseQuery, At: now}
	case b.State == order.BindSMSSent && found.Status == channel.StatusSucceeded:
		tr = boundTransition(found, order.CauseQuery, now)
	case b.State == order.Bound && found != nil && found.Status == channel.StatusSucceeded:
		tr = order.BindingTransition{To: order.Bound, Cause: order.CauseQuery, At: now} // the unbind did not happen
	case b.State == order.Bound && (found == nil || found.Status == channel.StatusClosed):
		tr = order.BindingTransition{To: order.Unbound, Cause: order.CauseQuery, At: now}
	default:
		return false, nil // still in progress on the channel
	}
	if _, err := g.transitionBinding(ctx, b, tr); err != nil {
		return false, err
	}
	g.stats.QueriesResolved.Add(1)
	return true, nil
}

// payerFor is the payer id sent to the channel with a payment: for a token payment with a
// token bound through /v1/bindings by this merchant on this account, the binding's channel
// user (the channel knows the agreement under it, not under the merchant's user id); the
// merchant's payer_id otherwise (a token obtained outside the gateway).
func (g *Gateway) payerFor(ctx context.Context, p *order.Payment, acct *Account, req *CreatePaymentRequest) string {
	if p.Method != channel.MethodToken || g.bindings == nil || req.Token == "" {
		return req.PayerID
	}
	b, err := g.bindings.BindingByToken(ctx, p.MerchantID, acct.ID, req.Token)
	if err != nil || b.State != order.Bound {
		return req.PayerID
	}
	return b.ChannelUserID
}

// bindingAbandonAfter is how long a binding may wait for its SMS code (from its last change:
// the send, a resend, a wrong code) before the gateway fails it and erases its sealed card
// elements. Channels void an application much sooner (the bank after 10 minutes).
const bindingAbandonAfter = 30 * time.Minute

// expireBindings fails bindings abandoned while waiting for their SMS code, so sealed card
// data does not stay at rest longer than the binding can use it. It returns how many.
func (g *Gateway) expireBindings(ctx context.Context, now time.Time) (int, error) {
	if g.bindings == nil {
		return 0, nil
	}
	bs, err := g.bindings.AbandonedBindings(ctx, now.Add(-bindingAbandonAfter), 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, b := range bs {
		nb, err := g.transitionBinding(ctx, b, order.BindingTransition{To: order.Failed, Cause: order.CauseExpiry, At: now,
			FailCode: "expired", FailMsg: "the SMS code was not confirmed in time; start a new binding"})
		if err != nil {
			return n, err
		}
		if nb.State == order.Failed {
			n++
		}
	}
	return n, nil
}

// stopQuery removes a query-back task whose order needs no more queries, where the store can.
func (g *Gateway) stopQuery(ctx context.Context, id string) error {
	if s, ok := g.store.(interface {
		StopQuery(ctx context.Context, id string) error
	}); ok {
		return s.StopQuery(ctx, id)
	}
	return nil
}
