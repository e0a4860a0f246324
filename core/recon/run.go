package recon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/order"
)

// Orders is what the runner needs of the order store: look-ups of the orders a statement
// names that the day's stream did not, and the normal transitions to complete them.
type Orders interface {
	PaymentByChannelOrderNo(ctx context.Context, account, channelOrderNo string) (*order.Payment, error)
	Payment(ctx context.Context, id string) (*order.Payment, error)
	TransitionPayment(ctx context.Context, id string, version int64, t order.Transition) (*order.Payment, *order.Event, error)
	RefundByChannelNo(ctx context.Context, channelRefundNo string) (*order.Refund, error)
	Refund(ctx context.Context, id string) (*order.Refund, error)
	TransitionRefund(ctx context.Context, id string, version int64, t order.Transition) (*order.Refund, *order.Payment, []*order.Event, error)
}

// Account is a channel account to reconcile: its id (the gateway config's account id) and
// its adapter.
type Account struct {
	ID      string
	Channel channel.Channel
}

// Config configures a Runner.
type Config struct {
	Store  Store  // items, audit, runs and the local side
	Orders Orders // look-ups and transitions (core/store.DB implements both)
	Clock  clock.Clock
	// Window is the cross-day window: unmatched records within it before the end of the
	// day wait for the next day's run. Default 30 minutes; negative = none.
	Window time.Duration
	// Fee gives the contract's fee per payment (nil: fees are not compared).
	Fee FeeFunc
	// CallTimeout bounds each channel call (statement download aside). Default 10 s.
	CallTimeout time.Duration
	Log         *slog.Logger
	// Adjuster makes ledger corrections for Resolve's ActionAdjust (nil: refused).
	Adjuster Adjuster
}

// Runner runs reconciliations and their resolution workflow.
type Runner struct {
	cfg Config
}

// New checks cfg and returns a Runner.
func New(cfg Config) (*Runner, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("recon: Config.Store is required")
	case cfg.Orders == nil:
		return nil, errors.New("recon: Config.Orders is required")
	case cfg.Clock == nil:
		return nil, errors.New("recon: Config.Clock is required")
	}
	if cfg.Window == 0 {
		cfg.Window = 30 * time.Minute
	} else if cfg.Window < 0 {
		cfg.Window = 0
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Runner{cfg: cfg}, nil
}

// Actor is the name the runner's own resolutions are audited under.
const Actor = "recon"

// Run reconciles acct's accounting day: downloads the statement, matches it against the
// store, confirms by query the payments the channel has as paid and the core does not,
// stores the items and the run, and returns the report. Running a day again is safe: its open
// and waiting items are found afresh, resolved ones stay resolved, and an order already
// completed is not completed twice (the transition's reference is the day).
func (r *Runner) Run(ctx context.Context, acct Account, day clock.Date) (*Report, error) {
	if acct.ID == "" || acct.Channel == nil {
		return nil, errors.New("recon: Run needs an account id and its channel")
	}
	if !day.Valid() {
		return nil, fmt.Errorf("recon: day %v is not a valid date", day)
	}
	info := acct.Channel.Info()
	st, err := acct.Channel.DownloadStatement(ctx, &channel.StatementRequest{Date: day, Type: channel.StatementAll})
	if err != nil {
		return nil, fmt.Errorf("recon: download the %s statement of %s for %s: %w", acct.Channel.Name(), acct.ID, day, err)
	}
	defer st.Close()
	if err := r.cfg.Store.ReconStart(ctx, acct.ID, day); err != nil {
		return nil, err
	}
	finished := false
	defer func() {
		if !finished {
			// A side could not be read: the day's items are left as the last run left them
			// (orders a query completed meanwhile stay completed: that is their true state).
			if err := r.cfg.Store.ReconAbort(context.WithoutCancel(ctx), acct.ID, day); err != nil {
				r.cfg.Log.Error("recon: restoring the day's items after a failed run", "account", acct.ID, "day", day, "err", err)
			}
		}
	}()
	carried, err := r.cfg.Store.ReconWaiting(ctx, acct.ID, day)
	if err != nil {
		return nil, err
	}
	prev := make(map[int64]ItemStatus, len(carried))
	for _, it := range carried {
		prev[it.ID] = it.Status
	}
	res, err := Reconcile(ctx, Input{Channel: acct.Channel.Name(), Account: acct.ID, Day: day, Cutoff: info.DayCutoff,
		Window: r.cfg.Window, Statement: st, Local: r.cfg.Store, Carried: carried, Fee: r.cfg.Fee,
		Sink: func(ctx context.Context, it *Item) error {
			if it.ID != 0 && prev[it.ID] == ItemResolved {
				// Carried and resolved by an earlier run of this day (or by a person): stays so.
				it.Status = ItemResolved
				return nil
			}
			return r.sink(ctx, acct, day, it)
		}})
	if err != nil {
		return nil, err
	}
	if err := r.cfg.Store.ReconFinish(ctx, acct.ID, day); err != nil {
		return nil, err
	}
	finished = true
	summary, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	if err := r.cfg.Store.ReconSaveRun(ctx, acct.ID, day, summary, r.cfg.Clock.Now()); err != nil {
		return nil, err
	}
	return r.report(ctx, res)
}

// sink stores each item, first examining what the day's stream could not know: whether the
// core has a channel-only record under another day or in another state.
func (r *Runner) sink(ctx context.Context, acct Account, day clock.Date, it *Item) error {
	if it.ID != 0 { // the previous day's item, matched or opened today
		if err := r.cfg.Store.ReconSaveItem(ctx, it, day); err != nil {
			return err
		}
		if it.Status == ItemResolved {
			return r.cfg.Store.ReconResolve(ctx, Resolution{ItemID: it.ID, Action: ActionNextDay, Actor: Actor,
				Reason: "cross-day window", Detail: it.Note, At: r.cfg.Clock.Now()}, ItemResolved, it.Note)
		}
		return nil
	}
	if it.LocalID == "" && it.Class != ChannelOnly {
		r.fillLocal(ctx, acct, it)
	}
	var confirmed *Resolution
	if it.Class == ChannelOnly && it.Kind == KindPayment {
		p, err := r.cfg.Orders.PaymentByChannelOrderNo(ctx, acct.ID, it.No)
		switch {
		case errors.Is(err, order.ErrNotFound):
		case err != nil:
			return err
		case p.State.Paid():
			it.OrderNo, it.LocalID, it.LocalAmount, it.LocalState = p.OrderNo, p.ID, p.Amount.Minor(), string(p.State)
			it.Note = fmt.Sprintf("the core has it paid at %s, outside the day", p.PaidAt.In(clock.Beijing()).Format(time.DateTime))
		default:
			// Local pending (or closed, failed) and paid on the channel: ask the channel.
			it.Class, it.OrderNo, it.LocalID, it.LocalAmount, it.LocalState = StatusDiffers, p.OrderNo, p.ID, p.Amount.Minor(), string(p.State)
			it.Status = ItemOpen
			np, detail, err := r.confirmPayment(ctx, acct, p, day)
			if err != nil {
				it.Note = "the channel lists it as paid and the core has it " + string(p.State) + "; the confirming query failed: " + err.Error()
				r.cfg.Log.Warn("recon: confirming query failed", "account", acct.ID, "no", it.No, "err", err)
				break
			}
			if np.State.Paid() {
				it.Status, it.Note = ItemResolved, "confirmed by query and completed: "+detail
				it.LocalState = string(np.State)
				confirmed = &Resolution{Action: ActionConfirm, Actor: Actor, Reason: "channel lists it as paid; core had it " + string(p.State), Detail: detail, At: r.cfg.Clock.Now()}
			} else {
				it.Note = "the channel lists it as paid but its query says otherwise: " + detail
			}
		}
	}
	if it.Class == ChannelOnly && it.Kind == KindRefund {
		rf, err := r.cfg.Orders.RefundByChannelNo(ctx, it.No)
		switch {
		case errors.Is(err, order.ErrNotFound):
		case err != nil:
			return err
		case rf.State == order.Succeeded:
			it.OrderNo, it.LocalID, it.LocalAmount, it.LocalState = rf.RefundNo, rf.ID, rf.Amount.Minor(), string(rf.State)
			it.Note = fmt.Sprintf("the core completed it at %s, outside the day", rf.CompletedAt.In(clock.Beijing()).Format(time.DateTime))
		default:
			// Local pending, channel succeeded: ask the channel, as for payments.
			it.Class, it.OrderNo, it.LocalID, it.LocalAmount, it.LocalState = StatusDiffers, rf.RefundNo, rf.ID, rf.Amount.Minor(), string(rf.State)
			it.Status = ItemOpen
			done, detail, err := r.confirm(ctx, acct, it)
			switch {
			case err != nil:
				it.Note = "the channel lists the refund as succeeded and the core has it " + string(rf.State) + "; the confirming query failed: " + err.Error()
			case done:
				it.Status, it.Note, it.LocalState = ItemResolved, "confirmed by query and completed: "+detail, string(order.Succeeded)
				confirmed = &Resolution{Action: ActionConfirm, Actor: Actor, Reason: "channel lists the refund as succeeded; core had it " + string(rf.State), Detail: detail, At: r.cfg.Clock.Now()}
			default:
				it.Note = "the channel lists the refund as succeeded but its query says otherwise: " + detail
			}
		}
	}
	if err := r.cfg.Store.ReconSaveItem(ctx, it, clock.Date{}); err != nil {
		return err
	}
	if confirmed != nil && it.Status == ItemResolved {
		confirmed.ItemID = it.ID
		return r.cfg.Store.ReconResolve(ctx, *confirmed, ItemResolved, it.Note)
	}
	return nil
}

// confirmPayment queries p on its channel and applies the answer through the order's normal
// transition (cause query), as the gateway's query-back worker does. A succeeded answer whose
// amount is not the order's is not applied.
func (r *Runner) confirmPayment(ctx context.Context, acct Account, p *order.Payment, day clock.Date) (*order.Payment, string, error) {
	cctx, cancel := context.WithTimeout(ctx, r.cfg.CallTimeout)
	defer cancel()
	res, err := acct.Channel.Query(cctx, &channel.QueryRequest{OrderNo: p.ChannelOrderNo, OrderTime: p.ChannelOrderTime, ChannelTxnID: p.ChannelTxnID})
	if err != nil {
		return nil, "", err
	}
	detail := fmt.Sprintf("query: %s (%s)", res.Status, res.ChannelStatus)
	if res.Status != channel.StatusSucceeded && res.Status != channel.StatusRefunded {
		return p, detail, nil
	}
	if !res.Amount.IsZero() && res.Amount != p.Amount {
		return p, detail + fmt.Sprintf("; amount %s, the order's %s: not completed", res.Amount, p.Amount), nil
	}
	t := order.Transition{To: order.Succeeded, Cause: order.CauseQuery, Ref: "recon:" + day.String(), At: r.cfg.Clock.Now(),
		ChannelTxnID: res.ChannelTxnID, PaidAt: res.PaidAt}
	for attempt := 0; attempt < 8; attempt++ {
		np, _, err := r.cfg.Orders.TransitionPayment(ctx, p.ID, p.Version, t)
		switch {
		case err == nil:
			return np, detail + ", txn " + res.ChannelTxnID, nil
		case errors.Is(err, order.ErrConflict):
			if p, err = r.cfg.Orders.Payment(ctx, p.ID); err != nil {
				return nil, "", err
			}
			if p.State.Paid() {
				return p, detail + " (completed meanwhile)", nil
			}
		default:
			return nil, "", err
		}
	}
	return nil, "", fmt.Errorf("payment %s: too many concurrent changes", p.ID)
}

// fillLocal looks up the merchant number, id and state of an item's order, which the
// streamed local side does not carry.
func (r *Runner) fillLocal(ctx context.Context, acct Account, it *Item) {
	switch it.Kind {
	case KindPayment:
		if p, err := r.cfg.Orders.PaymentByChannelOrderNo(ctx, acct.ID, it.No); err == nil {
			it.OrderNo, it.LocalID, it.LocalState = p.OrderNo, p.ID, string(p.State)
		}
	case KindRefund:
		if rf, err := r.cfg.Orders.RefundByChannelNo(ctx, it.No); err == nil {
			it.OrderNo, it.LocalID, it.LocalState = rf.RefundNo, rf.ID, string(rf.State)
		}
	}
}
