package recon

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
)

// Adjuster corrects the ledger for an item (ActionAdjust): a reversal of the entry the core
// booked and, where the statement's figure should stand instead, a correction entry. It never
// edits an entry. It returns what it posted, for the audit.
type Adjuster interface {
	Adjust(ctx context.Context, it *Item) (detail string, err error)
}

// Errors of Resolve.
var (
	// ErrResolved: the item is already resolved; a second resolution is refused.
	ErrResolved = errors.New("recon: item already resolved")
	// ErrResolution: the action is not possible for this item (the message says why).
	ErrResolution = errors.New("recon: resolution not possible")
)

// Resolve applies one step of the workflow to item id and audits it (who, when, why):
//
//   - ActionConfirm queries the channel about the item's order and applies the answer
//     through the order's normal transition; the item is resolved when the order is then
//     paid (payments) or succeeded (refunds) and the amounts agree, else it stays open with
//     the answer noted (the attempt is audited either way).
//   - ActionException accepts the item as an exception with the reason; it is resolved.
//   - ActionAdjust has the Adjuster reverse and correct the ledger; it is resolved.
//
// actor and reason are required. A resolved item is refused (ErrResolved); nothing changes
// on an error.
func (r *Runner) Resolve(ctx context.Context, accounts map[string]Account, id int64, action Action, actor, reason string) (*Item, error) {
	actor, reason = strings.TrimSpace(actor), strings.TrimSpace(reason)
	if actor == "" || reason == "" {
		return nil, fmt.Errorf("%w: who (actor) and why (reason) are both required", ErrResolution)
	}
	it, err := r.cfg.Store.ReconItem(ctx, id)
	if err != nil {
		return nil, err
	}
	if it.Status == ItemResolved {
		return nil, fmt.Errorf("%w: item %d", ErrResolved, id)
	}
	res := Resolution{ItemID: id, Action: action, Actor: actor, Reason: reason, At: r.cfg.Clock.Now()}
	status := ItemResolved
	var note string
	switch action {
	case ActionException:
		res.Detail = "accepted as an exception"
		note = "exception: " + reason
	case ActionAdjust:
		if r.cfg.Adjuster == nil {
			return nil, fmt.Errorf("%w: no ledger is configured for adjustments", ErrResolution)
		}
		d, err := r.cfg.Adjuster.Adjust(ctx, it)
		if err != nil {
			return nil, err
		}
		res.Detail, note = d, "adjusted: "+d
	case ActionConfirm:
		acct, ok := accounts[it.Account]
		if !ok || acct.Channel == nil {
			return nil, fmt.Errorf("%w: channel account %q is not configured", ErrResolution, it.Account)
		}
		done, detail, err := r.confirm(ctx, acct, it)
		if err != nil {
			return nil, err
		}
		res.Detail = detail
		if done {
			note = "confirmed by query: " + detail
		} else {
			status, note = it.Status, it.Note+"; confirm: "+detail
		}
	default:
		return nil, fmt.Errorf("%w: unknown action %q (confirm, exception or adjust)", ErrResolution, action)
	}
	if err := r.cfg.Store.ReconResolve(ctx, res, status, note); err != nil {
		return nil, err
	}
	it.Status, it.Note = status, note
	return it, nil
}

// confirm asks the channel about the item's order and applies the answer; done reports that
// the core now agrees with the statement.
func (r *Runner) confirm(ctx context.Context, acct Account, it *Item) (bool, string, error) {
	switch it.Kind {
	case KindPayment:
		p, err := r.cfg.Orders.PaymentByChannelOrderNo(ctx, it.Account, it.No)
		if errors.Is(err, order.ErrNotFound) {
			return false, "", fmt.Errorf("%w: the core has no payment %s to confirm", ErrResolution, it.No)
		}
		if err != nil {
			return false, "", err
		}
		if !p.State.Paid() {
			np, detail, err := r.confirmPayment(ctx, acct, p, it.Day)
			if err != nil {
				return false, "", err
			}
			if !np.State.Paid() {
				return false, detail, nil
			}
			p = np
		} else {
			// Paid in the core: does the channel have it paid, with this amount?
			cctx, cancel := context.WithTimeout(ctx, r.cfg.CallTimeout)
			defer cancel()
			res, err := acct.Channel.Query(cctx, &channel.QueryRequest{OrderNo: p.ChannelOrderNo, OrderTime: p.ChannelOrderTime, ChannelTxnID: p.ChannelTxnID})
			if err != nil {
				return false, "", err
			}
			detail := fmt.Sprintf("query: %s (%s)", res.Status, res.ChannelStatus)
			if res.Status != channel.StatusSucceeded && res.Status != channel.StatusRefunded {
				return false, detail + "; the core has it " + string(p.State), nil
			}
			if !res.Amount.IsZero() && res.Amount != p.Amount {
				return false, fmt.Sprintf("%s; the channel's amount is %s, the order's %s", detail, res.Amount, p.Amount), nil
			}
		}
		if it.ChannelAmount != 0 && p.Amount.Minor() != it.ChannelAmount {
			return false, fmt.Sprintf("the order is paid with %s; the statement says %s", p.Amount, money.New(it.ChannelAmount, p.Amount.Currency())), nil
		}
		return true, "payment " + p.ID + " is " + string(p.State) + " on both sides", nil
	case KindRefund:
		rf, err := r.cfg.Orders.RefundByChannelNo(ctx, it.No)
		if errors.Is(err, order.ErrNotFound) {
			return false, "", fmt.Errorf("%w: the core has no refund %s to confirm", ErrResolution, it.No)
		}
		if err != nil {
			return false, "", err
		}
		if rf.State == order.Succeeded {
			return true, "refund " + rf.ID + " is succeeded", nil
		}
		p, err := r.cfg.Orders.Payment(ctx, rf.PaymentID)
		if err != nil {
			return false, "", err
		}
		cctx, cancel := context.WithTimeout(ctx, r.cfg.CallTimeout)
		defer cancel()
		res, err := acct.Channel.QueryRefund(cctx, &channel.RefundQueryRequest{RefundNo: rf.ChannelRefundNo, RefundTime: rf.ChannelRefundTime,
			OrderNo: p.ChannelOrderNo, OrderTime: p.ChannelOrderTime, ChannelTxnID: p.ChannelTxnID, ChannelRefundID: rf.ChannelRefundID})
		if err != nil {
			return false, "", err
		}
		detail := fmt.Sprintf("refund query: %s (%s)", res.Status, res.ChannelStatus)
		var to order.State
		switch res.Status {
		case channel.StatusSucceeded:
			to = order.Succeeded
		case channel.StatusFailed, channel.StatusClosed:
			to = order.Failed
		default:
			return false, detail, nil
		}
		t := order.Transition{To: to, Cause: order.CauseQuery, Ref: "recon:" + it.Day.String(), At: r.cfg.Clock.Now(), ChannelTxnID: res.ChannelRefundID}
		nr, _, _, err := r.cfg.Orders.TransitionRefund(ctx, rf.ID, rf.Version, t)
		if err != nil {
			return false, "", err
		}
		return nr.State == order.Succeeded, detail, nil
	}
	return false, "", fmt.Errorf("%w: unknown kind %q", ErrResolution, it.Kind)
}
