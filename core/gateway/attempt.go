package gateway

import (
	"context"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
)

// AttemptObserver is an optional interface of a Router: the payment flow tells it about
// every call it makes to a channel account in step 5, so the Router can count limits and
// keep health (core/router implements it).
type AttemptObserver interface {
	// BeginAttempt is called just before the flow sends a payment to account. An error
	// means the account must not be tried now (its limit was used up by a concurrent
	// payment, its breaker only lets probes through): the flow moves to the next candidate
	// as if the account were unavailable. A nil error reserves what EndAttempt settles.
	BeginAttempt(account string, amount money.Amount, at time.Time) error
	// EndAttempt reports the attempt's outcome: err is the channel's error (nil for an
	// answer), Latency the call's duration on the gateway's clock.
	EndAttempt(a Attempt)
}

// Attempt is one call of the payment flow to a channel account.
type Attempt struct {
	PaymentID string
	Account   string
	Amount    money.Amount
	At        time.Time
	Latency   time.Duration
	Err       error
}

// PaymentMover is the optional Store method failover needs (core/store implements it):
// move a payment that is still Created to another account, by compare-and-set on version
// and the Created state. Without it the flow never fails over.
type PaymentMover interface {
	MovePayment(ctx context.Context, id string, version int64, account, channelName string, at time.Time) (*order.Payment, error)
}

// attempt runs step 5 of the payment flow: it sends p to acct and, only while every attempt
// so far surely did not reach its channel, to the next of candidates (moving the Created
// payment first). It returns the payment (moved or not), the account of the last attempt
// and that attempt's answer.
func (g *Gateway) attempt(ctx context.Context, p *order.Payment, acct *Account, candidates []string, req *CreatePaymentRequest) (*order.Payment, *Account, *channel.PaymentResult, error) {
	obs, _ := g.cfg.Router.(AttemptObserver)
	mover, _ := g.store.(PaymentMover)
	next := 0 // index in candidates after the current account
	for i, c := range candidates {
		if c == acct.ID {
			next = i + 1
			break
		}
	}
	for {
		res, err, sent := g.tryAccount(ctx, p, acct, obs, req)
		if sent && channel.KindOf(err) != channel.KindUnavailable || err == nil || mover == nil {
			return p, acct, res, err
		}
		// Surely not executed: the next candidate that can take this payment, if any.
		var nacct *Account
		for ; next < len(candidates) && nacct == nil; next++ {
			a := g.accounts[candidates[next]]
			if a == nil || a == acct || !channel.Supports(a.Channel, p.Method) || a.info.OrderNo.Check(p.ChannelOrderNo) != nil {
				continue
			}
			nacct = a
		}
		if nacct == nil {
			return p, acct, res, err
		}
		np, merr := mover.MovePayment(context.WithoutCancel(ctx), p.ID, p.Version, nacct.ID, nacct.Channel.Name(), g.clk.Now())
		if merr != nil {
			g.log.Error("failover: cannot move payment; keeping the first answer", "payment", p.ID, "to", nacct.ID, "err", merr)
			return p, acct, res, err
		}
		g.stats.Failovers.Add(1)
		g.log.Warn("failover: attempt surely did not reach the channel; trying the next candidate",
			"payment", p.ID, "from", acct.ID, "to", nacct.ID, "err", err)
		p, acct = np, nacct
	}
}

// tryAccount makes one attempt; sent reports that the request may have left the gateway.
func (g *Gateway) tryAccount(ctx context.Context, p *order.Payment, acct *Account, obs AttemptObserver, req *CreatePaymentRequest) (*channel.PaymentResult, error, bool) {
	start := g.clk.Now()
	if obs != nil {
		if err := obs.BeginAttempt(acct.ID, p.Amount, start); err != nil {
			g.log.Info("router refused the attempt before sending", "payment", p.ID, "account", acct.ID, "reason", err)
			return nil, &channel.Error{Channel: acct.Channel.Name(), Op: "pay", Kind: channel.KindUnavailable, Message: err.Error(), Err: err}, false
		}
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.cfg.CallTimeout)
	defer cancel()
	res, err := acct.Channel.Pay(cctx, &channel.PayRequest{
		OrderNo: p.ChannelOrderNo, OrderTime: p.ChannelOrderTime, Amount: p.Amount, Method: p.Method, Subject: req.Subject,
		NotifyURL: g.NotifyURL(acct), ReturnURL: req.ReturnURL, ClientIP: req.ClientIP, ExpiresAt: p.ExpiresAt,
		PayerID: g.payerFor(ctx, p, acct, req), AuthCode: req.AuthCode, Token: req.Token, SMSCode: req.SMSCode,
	})
	if obs != nil {
		obs.EndAttempt(Attempt{PaymentID: p.ID, Account: acct.ID, Amount: p.Amount, At: start, Latency: g.clk.Now().Sub(start), Err: err})
	}
	g.log.Info("channel attempt", "payment", p.ID, "account", acct.ID, "err", err)
	return res, err, true
}
