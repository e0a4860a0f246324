package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/order"
)

// notify handles a channel callback at /notify/{channel}/{account}: the account's adapter
// verifies and decodes it; the gateway checks it against the order (number, amount,
// currency, channel merchant and app), applies it idempotently (keyed by the
// notification's DedupKey) and answers with the channel's acknowledgement only once the
// change is committed. A callback that does not verify, does not decode, or does not match
// its order changes nothing and is refused (and logged as an alert).
func (g *Gateway) notify(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	acct := g.accounts[vars["account"]]
	if acct == nil || acct.Channel.Name() != vars["channel"] {
		http.Error(w, "unknown channel account", http.StatusNotFound)
		return
	}
	body, err := channel.ReadNotification(r, 0)
	if err != nil {
		g.stats.NotificationsBad.Add(1)
		http.Error(w, "notification refused", http.StatusRequestEntityTooLarge)
		return
	}
	n, err := acct.Channel.ParseNotification(r.Context(), r.Header, body)
	if err != nil {
		g.stats.NotificationsBad.Add(1)
		g.log.Warn("channel notification refused", "account", acct.ID, "kind", channel.KindOf(err).String(), "err", err)
		http.Error(w, "notification refused: "+channel.KindOf(err).String(), http.StatusBadRequest)
		return
	}
	// Apply even if the channel gives up on this connection: the change must not be lost
	// half-way, and the channel will send again anyway.
	ctx := context.WithoutCancel(r.Context())
	if err := g.applyNotification(ctx, acct, n); err != nil {
		var mis *channel.MismatchError
		if errors.As(err, &mis) || errors.Is(err, order.ErrNotFound) {
			g.stats.NotificationsBad.Add(1)
			g.log.Error("ALERT: verified channel notification does not match any order; refused", "account", acct.ID, "err", err)
		} else {
			g.log.Error("applying a channel notification failed; the channel will send it again", "account", acct.ID, "err", err)
		}
		if n.Nack.StatusCode == 0 && len(n.Nack.Body) == 0 {
			http.Error(w, "not processed", http.StatusInternalServerError)
			return
		}
		_ = n.Nack.Write(w)
		return
	}
	g.stats.Notifications.Add(1)
	_ = n.Ack.Write(w)
}

// applyNotification checks n against its order and applies it.
func (g *Gateway) applyNotification(ctx context.Context, acct *Account, n *channel.Notification) error {
	now := g.clk.Now()
	switch {
	case n.Payment != nil:
		p, err := g.store.PaymentByChannelOrderNo(ctx, acct.ID, n.Payment.OrderNo)
		if err != nil {
			return fmt.Errorf("payment notification for channel order %q: %w", n.Payment.OrderNo, err)
		}
		if err := n.Check(channel.Expectation{OrderNo: p.ChannelOrderNo, Amount: p.Amount, MerchantID: acct.ChannelMerchantID, AppID: acct.AppID}); err != nil {
			return err
		}
		t := resultTransition(n.Payment, order.CauseNotification, now)
		if t.To == order.Pending {
			return nil // nothing final to apply; acknowledge
		}
		t.Ref = n.DedupKey()
		_, err = g.transitionPayment(ctx, p, t)
		return err
	case n.Refund != nil:
		r, err := g.store.RefundByChannelNo(ctx, n.Refund.RefundNo)
		if err != nil {
			return fmt.Errorf("refund notification for channel refund %q: %w", n.Refund.RefundNo, err)
		}
		p, err := g.store.Payment(ctx, r.PaymentID)
		if err != nil {
			return err
		}
		if p.Account != acct.ID {
			return &channel.MismatchError{Channel: acct.Channel.Name(), Field: "account", Want: p.Account, Got: acct.ID}
		}
		if err := n.Check(channel.Expectation{OrderNo: p.ChannelOrderNo, RefundNo: r.ChannelRefundNo, Amount: r.Amount}); err != nil {
			return err
		}
		t := refundTransition(n.Refund, nil, order.CauseNotification, now)
		if t.To == order.Pending {
			return nil
		}
		t.Ref = n.DedupKey()
		_, err = g.transitionRefund(ctx, r, t)
		return err
	case n.Payout != nil:
		return g.applyPayoutNotification(ctx, acct, n)
	}
	// Other notification types (bindings completed on the channel's own page,
	// pre-authorisations) are not part of the flow yet: acknowledge, and log so nothing goes
	// unseen.
	g.log.Info("channel notification of a type the gateway does not handle; acknowledged", "account", acct.ID, "type", n.Type)
	return nil
}
