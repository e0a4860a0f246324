package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/order"
)

// WorkReport says what one round of background work did.
type WorkReport struct {
	Queried  int // query-back tasks run
	Resolved int // of which the outcome became known
	Expired  int // expired payments closed
	Errors   int // tasks that failed and will be tried again
}

// queryLease is how long a claimed query-back task is hidden from other gateway processes;
// a process that dies mid-query leaves it to another after this.
const queryLease = time.Minute

// WorkOnce runs one round of the gateway's background work: it queries payments and refunds
// whose outcome is unknown (on each channel's Info().QueryBackoff, durably queued so a
// restart loses none), and closes payments past their deadline (on the channel first,
// where it can close). Several gateway processes may run it at once on one database: tasks
// are leased, so none is done twice at the same time.
func (g *Gateway) WorkOnce(ctx context.Context) (WorkReport, error) {
	var rep WorkReport
	now := g.clk.Now()
	tasks, err := g.store.DueQueries(ctx, now, 100, queryLease)
	if err != nil {
		return rep, err
	}
	for _, t := range tasks {
		rep.Queried++
		resolved, err := g.queryTask(ctx, t)
		switch {
		case err != nil:
			rep.Errors++
			g.log.Warn("query-back failed; will retry", "order", t.OrderID, "attempt", t.Attempts+1, "err", err)
			g.reschedule(ctx, t, now)
		case resolved:
			rep.Resolved++
			g.stats.QueriesResolved.Add(1)
		default:
			g.reschedule(ctx, t, now)
		}
	}
	// A payment still Created well after its channel call's timeout was left by a process
	// that stopped mid-flow: ask the channel what became of it (never pay it again).
	stale, err := g.store.StaleCreated(ctx, now.Add(-2*g.cfg.CallTimeout), 100)
	if err != nil {
		return rep, err
	}
	for _, p := range stale {
		expired := !p.ExpiresAt.IsZero() && !now.Before(p.ExpiresAt)
		np, err := g.resolveByQuery(ctx, p, expired)
		switch {
		case err != nil && channel.KindOf(err) == channel.KindNotFound && !expired:
			// Not on the channel (yet): the call never reached it, or not visible yet.
			// Leave it Created; the deadline closes it.
		case err != nil:
			rep.Errors++
			g.log.Warn("querying a payment left Created failed; will retry", "payment", p.ID, "err", err)
		case np.State != order.Created:
			rep.Resolved++
		}
	}
	if _, err := g.expireBindings(ctx, now); err != nil {
		rep.Errors++
		g.log.Warn("failing abandoned bindings failed; will retry", "err", err)
	}
	expired, err := g.store.ExpiredPayments(ctx, now, 100)
	if err != nil {
		return rep, err
	}
	for _, p := range expired {
		if p.Unresolved {
			continue // the query-back loop settles it first; a query past the deadline closes it
		}
		np, err := g.closeOnChannel(ctx, p, order.CauseExpiry)
		if err != nil {
			rep.Errors++
			g.log.Warn("closing an expired payment failed; will retry", "payment", p.ID, "err", err)
			continue
		}
		if np.State == order.Closed {
			rep.Expired++
			g.stats.PaymentsExpired.Add(1)
		}
	}
	return rep, nil
}

func (g *Gateway) reschedule(ctx context.Context, t order.QueryTask, now time.Time) {
	wait := channel.DefaultQueryBackoff.Next(t.Attempts)
	if acct := g.accountOf(ctx, t); acct != nil {
		wait = acct.info.QueryBackoff.Next(t.Attempts)
	}
	if t.OrderKind == "payout" && g.payouts != nil {
		if p, err := g.payouts.Payout(ctx, t.OrderID); err == nil && p.State == order.Succeeded {
			wait = payoutWatchEvery // watching for a return, not resolving an unknown
		}
	}
	if err := g.store.RescheduleQuery(ctx, t, now.Add(wait)); err != nil {
		g.log.Error("rescheduling a query-back task failed; its lease expiry retries it", "order", t.OrderID, "err", err)
	}
}

func (g *Gateway) accountOf(ctx context.Context, t order.QueryTask) *Account {
	id := t.OrderID
	switch t.OrderKind {
	case "payout":
		if g.payouts == nil {
			return nil
		}
		p, err := g.payouts.Payout(ctx, id)
		if err != nil {
			return nil
		}
		return g.accounts[p.Account]
	case "binding":
		if g.bindings == nil {
			return nil
		}
		b, err := g.bindings.Binding(ctx, id)
		if err != nil {
			return nil
		}
		return g.accounts[b.Account]
	}
	if t.OrderKind == "refund" {
		r, err := g.store.Refund(ctx, t.OrderID)
		if err != nil {
			return nil
		}
		id = r.PaymentID
	}
	p, err := g.store.Payment(ctx, id)
	if err != nil {
		return nil
	}
	return g.accounts[p.Account]
}

// queryTask queries one order and reports whether its outcome is now known.
func (g *Gateway) queryTask(ctx context.Context, t order.QueryTask) (bool, error) {
	switch t.OrderKind {
	case "payment":
		p, err := g.store.Payment(ctx, t.OrderID)
		if err != nil {
			return false, err
		}
		if !p.Unresolved {
			return true, nil // settled meanwhile (a notification)
		}
		expired := !p.ExpiresAt.IsZero() && !g.clk.Now().Before(p.ExpiresAt)
		np, err := g.resolveByQuery(ctx, p, expired)
		if err != nil {
			if channel.KindOf(errors.Unwrap(err)) == channel.KindNotFound || channel.KindOf(err) == channel.KindNotFound {
				return false, nil // not visible yet: keep querying until the deadline
			}
			return false, err
		}
		return !np.Unresolved, nil
	case "refund":
		r, err := g.store.Refund(ctx, t.OrderID)
		if err != nil {
			return false, err
		}
		if !r.Unresolved {
			return true, nil
		}
		p, err := g.store.Payment(ctx, r.PaymentID)
		if err != nil {
			return false, err
		}
		acct := g.accounts[p.Account]
		if acct == nil {
			return false, fmt.Errorf("refund %s: account %s is not configured", r.ID, p.Account)
		}
		cctx, cancel := context.WithTimeout(ctx, g.cfg.CallTimeout)
		defer cancel()
		res, err := acct.Channel.QueryRefund(cctx, &channel.RefundQueryRequest{RefundNo: r.ChannelRefundNo, RefundTime: r.ChannelRefundTime,
			OrderNo: p.ChannelOrderNo, OrderTime: p.ChannelOrderTime, ChannelTxnID: p.ChannelTxnID, ChannelRefundID: r.ChannelRefundID})
		if err != nil {
			if channel.KindOf(err) == channel.KindNotFound {
				return false, nil
			}
			return false, err
		}
		tr := refundTransition(res, nil, order.CauseQuery, g.clk.Now())
		if tr.To == order.Pending {
			return false, nil
		}
		nr, err := g.transitionRefund(ctx, r, tr)
		if err != nil {
			return false, err
		}
		return !nr.Unresolved, nil
	case "payout":
		return g.queryPayout(ctx, t)
	case "binding":
		return g.queryBinding(ctx, t)
	}
	return false, fmt.Errorf("query-back task of unknown kind %q", t.OrderKind)
}

// Work runs WorkOnce every interval (default 1 s) until ctx ends, and purges expired
// nonces and Idempotency-Key records every hour. It returns ctx's error.
func (g *Gateway) Work(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = time.Second
	}
	lastPurge := time.Time{}
	for {
		if _, err := g.WorkOnce(ctx); err != nil && ctx.Err() == nil {
			g.log.Error("background work round failed", "err", err)
		}
		if now := g.clk.Now(); now.Sub(lastPurge) >= time.Hour {
			if err := g.store.PurgeAPI(ctx, now); err != nil && ctx.Err() == nil {
				g.log.Error("purging expired nonces and idempotency keys failed", "err", err)
			}
			lastPurge = now
		}
		t := g.clk.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
}
