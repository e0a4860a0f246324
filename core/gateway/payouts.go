package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
)

// PayoutStore is the storage payouts need beyond Store; core/store's *DB implements it.
// A Config.Store without it answers the payout routes with 501.
type PayoutStore interface {
	order.PayoutStore
	// StopQuery removes an order's query-back task.
	StopQuery(ctx context.Context, id string) error
}

// Defaults for payouts.
const (
	// DefaultPayoutReturnWindow is how long after a payout succeeded the gateway keeps asking
	// the channel whether the receiving bank returned it (banks return within days).
	DefaultPayoutReturnWindow = 5 * 24 * time.Hour
	// payoutWatchEvery is how often a succeeded payout is queried for a return.
	payoutWatchEvery = 6 * time.Hour
	// payoutNotFoundAfter is how long after creation a payout the channel still does not
	// know is failed (the request never reached it): an hour is far beyond any bank's
	// processing delay, and the channel's number is never reused.
	payoutNotFoundAfter = time.Hour
)

// PayoutCardJSON is the receiving card of POST /v1/payouts. The number is used for the
// channel call and never stored or answered: answers carry card_masked.
type PayoutCardJSON struct {
	Number     string `json:"number"`      // 13–19 digits, Luhn-valid
	HolderName string `json:"holder_name"` // as the bank has it
}

// CreatePayoutRequest is the body of POST /v1/payouts.
type CreatePayoutRequest struct {
	PayoutNo string         `json:"payout_no"`         // the merchant's payout number, unique per merchant: 1–64 of A–Z a–z 0–9 _ -
	Account  string         `json:"account,omitempty"` // the channel account; may be left out when only one can pay out
	Amount   int64          `json:"amount"`            // minor units (fen), > 0
	Currency string         `json:"currency,omitempty"`
	Card     PayoutCardJSON `json:"card"`
	Purpose  string         `json:"purpose"`             // shown to the receiving bank, 1–64 characters
	BankCode string         `json:"bank_code,omitempty"` // the receiving bank's code, where the channel needs it
}

// PayoutJSON is a payout as the API shows it.
type PayoutJSON struct {
	ID              string      `json:"id"`
	PayoutNo        string      `json:"payout_no"`
	Account         string      `json:"account"`
	Channel         string      `json:"channel"`
	Amount          int64       `json:"amount"`
	Currency        string      `json:"currency"`
	CardMasked      string      `json:"card_masked"`
	HolderName      string      `json:"holder_name"`
	Purpose         string      `json:"purpose"`
	State           order.State `json:"state"`
	Unresolved      bool        `json:"unresolved"`
	ChannelPayoutNo string      `json:"channel_payout_no"`
	ChannelTxnID    string      `json:"channel_txn_id,omitempty"`
	FailCode        string      `json:"fail_code,omitempty"`
	FailMessage     string      `json:"fail_message,omitempty"`
	ReturnNo        string      `json:"return_no,omitempty"`
	Alert           string      `json:"alert,omitempty"`
	CreatedAt       string      `json:"created_at"`
	CompletedAt     string      `json:"completed_at,omitempty"`
	ReturnedAt      string      `json:"returned_at,omitempty"`
}

func payoutJSON(p *order.Payout) PayoutJSON {
	return PayoutJSON{ID: p.ID, PayoutNo: p.PayoutNo, Account: p.Account, Channel: p.Channel, Amount: p.Amount.Minor(),
		Currency: string(p.Amount.Currency()), CardMasked: p.CardMasked, HolderName: p.HolderName, Purpose: p.Purpose, State: p.State,
		Unresolved: p.Unresolved, ChannelPayoutNo: p.ChannelPayoutNo, ChannelTxnID: p.ChannelTxnID, FailCode: p.FailCode,
		FailMessage: p.FailMsg, ReturnNo: p.ReturnNo, Alert: p.Alert, CreatedAt: ts(p.CreatedAt), CompletedAt: ts(p.CompletedAt), ReturnedAt: ts(p.ReturnedAt)}
}

func (req *CreatePayoutRequest) validate() (money.Amount, string, *apiErr) {
	if err := orderNoRule.Check(req.PayoutNo); err != nil {
		return money.Amount{}, "", badParam("payout_no", "payout_no %v", err)
	}
	cur := money.CNY
	if req.Currency != "" {
		cur = money.Currency(req.Currency)
		if !cur.Valid() {
			return money.Amount{}, "", badParam("currency", "currency %q is not an ISO 4217 code tongdao knows", req.Currency)
		}
	}
	if req.Amount <= 0 {
		return money.Amount{}, "", badParam("amount", "amount must be a positive integer in minor units (fen), got %d", req.Amount)
	}
	if err := card.CheckPAN(req.Card.Number); err != nil {
		return money.Amount{}, "", badParam("card.number", "card.number is not a valid card number (13–19 digits with a correct check digit)")
	}
	name, err := card.CleanHolderName(req.Card.HolderName)
	if err != nil {
		return money.Amount{}, "", badParam("card.holder_name", "card.holder_name must be 1–30 CJK characters, '·' or upper-case letters")
	}
	if n := len([]rune(req.Purpose)); n == 0 || n > 64 {
		return money.Amount{}, "", badParam("purpose", "purpose must be 1–64 characters, got %d", n)
	}
	if len(req.BankCode) > 16 {
		return money.Amount{}, "", badParam("bank_code", "bank_code is at most 16 characters")
	}
	return money.New(req.Amount, cur), name, nil
}

// capableAccount returns the account named id (or, with id empty, the only configured
// account) whose channel has the capability ok tests; what names it in errors.
func (g *Gateway) capableAccount(id string, ok func(channel.Channel) bool, what string) (*Account, *apiErr) {
	if id != "" {
		a := g.accounts[id]
		if a == nil {
			return nil, badParam("account", "no channel account %q", id)
		}
		if !ok(a.Channel) {
			return nil, &apiErr{http.StatusUnprocessableEntity, APIError{Code: "unsupported", Param: "account",
				Message: fmt.Sprintf("channel account %s (%s) does not support %s", id, a.Channel.Name(), what)}}
		}
		return a, nil
	}
	var found *Account
	for i := range g.cfg.Accounts {
		a := g.accounts[g.cfg.Accounts[i].ID]
		if ok(a.Channel) {
			if found != nil {
				return nil, badParam("account", "several channel accounts support %s (%s, %s, …): name one in account", what, found.ID, a.ID)
			}
			found = a
		}
	}
	if found == nil {
		return nil, &apiErr{http.StatusUnprocessableEntity, APIError{Code: "unsupported", Message: "no configured channel account supports " + what}}
	}
	return found, nil
}

func isPayouter(c channel.Channel) bool { _, ok := c.(channel.Payouter); return ok }

func (g *Gateway) payoutsOrError() (PayoutStore, error) {
	if g.payouts == nil {
		return nil, &apiErr{http.StatusNotImplemented, APIError{Code: "unsupported", Message: "this gateway's store does not keep payouts"}}
	}
	return g.payouts, nil
}

func (g *Gateway) createPayout(ctx context.Context, m *Merchant, _ *http.Request, body []byte) (int, any, error) {
	var req CreatePayoutRequest
	if err := decodeStrict(body, &req); err != nil {
		return 0, nil, err
	}
	p, created, err := g.Payout(ctx, m.ID, &req)
	if err != nil {
		return 0, nil, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return status, payoutJSON(p), nil
}

func (g *Gateway) getPayout(ctx context.Context, m *Merchant, r *http.Request, _ []byte) (int, any, error) {
	st, err := g.payoutsOrError()
	if err != nil {
		return 0, nil, err
	}
	p, err := st.PayoutByNo(ctx, m.ID, mux.Vars(r)["payout_no"])
	if errors.Is(err, order.ErrNotFound) {
		return 0, nil, &apiErr{http.StatusNotFound, APIError{Code: "not_found", Message: "no payout with this payout_no", Param: "payout_no"}}
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, payoutJSON(p), nil
}

// Payout creates merchant's payout (or, for a payout_no it has already, returns it when the
// request agrees) and asks the channel to pay it. An unknown answer leaves the payout
// processing and Unresolved: the query-back worker settles it; it is never sent again under
// another number. The card number is used for the call and never stored.
func (g *Gateway) Payout(ctx context.Context, merchantID string, req *CreatePayoutRequest) (*order.Payout, bool, error) {
	st, err := g.payoutsOrError()
	if err != nil {
		return nil, false, err
	}
	amount, holder, aerr := req.validate()
	if aerr != nil {
		return nil, false, aerr
	}
	same := func(p *order.Payout) (*order.Payout, bool, error) {
		if p.Amount != amount || p.CardMasked != card.Mask(req.Card.Number) || p.HolderName != holder || (req.Account != "" && req.Account != p.Account) {
			return nil, false, &apiErr{http.StatusConflict, APIError{Code: "duplicate_payout", Param: "payout_no",
				Message: "payout_no was used before with a different amount, card or account"}}
		}
		return p, false, nil
	}
	if p, err := st.PayoutByNo(ctx, merchantID, req.PayoutNo); err == nil {
		return same(p)
	} else if !errors.Is(err, order.ErrNotFound) {
		return nil, false, err
	}
	acct, aerr := g.capableAccount(req.Account, isPayouter, "payouts")
	if aerr != nil {
		return nil, false, aerr
	}
	now := g.clk.Now()
	id := newID("po_")
	p := &order.Payout{ID: id, MerchantID: merchantID, PayoutNo: req.PayoutNo, Channel: acct.Channel.Name(), Account: acct.ID,
		ChannelPayoutNo: "TO" + id[3:], ChannelPayoutTime: now.Truncate(time.Second), Amount: amount, CardMasked: card.Mask(req.Card.Number),
		HolderName: holder, Purpose: req.Purpose, CreatedAt: now}
	if _, err := st.CreatePayout(ctx, p); errors.Is(err, order.ErrDuplicate) {
		existing, err := st.PayoutByNo(ctx, merchantID, req.PayoutNo)
		if err != nil {
			return nil, false, err
		}
		return same(existing)
	} else if err != nil {
		return nil, false, err
	}
	g.stats.PayoutsCreated.Add(1)
	// The merchant hanging up must not cut the call short: its outcome would become unknown.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.cfg.CallTimeout)
	defer cancel()
	res, callErr := acct.Channel.(channel.Payouter).Payout(cctx, &channel.PayoutRequest{PayoutNo: p.ChannelPayoutNo, PayoutTime: p.ChannelPayoutTime,
		Card: channel.Card{Number: req.Card.Number, HolderName: holder}, Amount: amount, Purpose: req.Purpose, BankCode: req.BankCode,
		NotifyURL: g.NotifyURL(acct)})
	t := payoutCallTransition(res, callErr, g.clk.Now())
	if t.Unresolved {
		g.stats.ChannelUnknown.Add(1)
		g.log.Warn("payout outcome unknown; querying", "payout", p.ID, "account", acct.ID, "kind", channel.KindOf(callErr).String())
	}
	np, err := g.transitionPayout(context.WithoutCancel(ctx), p, t)
	if err != nil {
		return nil, false, err
	}
	return np, true, nil
}

// payoutCallTransition maps the channel's answer to Payout.
func payoutCallTransition(res *channel.PayoutResult, err error, at time.Time) order.PayoutTransition {
	if err != nil {
		switch channel.KindOf(err) {
		case channel.KindUnknown, channel.KindAlreadyDone:
			// Unknown: the money may have moved. AlreadyDone: the channel has this number
			// already — a query says in which state.
			return order.PayoutTransition{To: order.PayoutProcessing, Cause: order.CauseChannel, At: at, Unresolved: true}
		}
		// A definitive refusal, or surely not executed: nothing moved.
		t := order.PayoutTransition{To: order.Failed, Cause: order.CauseChannel, At: at, FailMsg: channel.KindOf(err).String()}
		var ce *channel.Error
		if errors.As(err, &ce) {
			t.FailCode, t.FailMsg = ce.Code, redact(ce.Message)
		}
		return t
	}
	return payoutResultTransition(res, order.CauseChannel, at)
}

// payoutResultTransition maps a payout result (from Payout, QueryPayout or a notification).
func payoutResultTransition(res *channel.PayoutResult, cause order.Cause, at time.Time) order.PayoutTransition {
	t := order.PayoutTransition{Cause: cause, At: at, ChannelTxnID: res.ChannelTxnID, FailCode: res.FailCode, FailMsg: redact(res.FailMessage)}
	switch res.Status {
	case channel.StatusSucceeded:
		t.To, t.CompletedAt = order.Succeeded, res.CompletedAt
	case channel.StatusFailed, channel.StatusClosed:
		t.To = order.Failed
	case channel.StatusReversed:
		t.To, t.ReturnedAt, t.ReturnNo = order.PayoutReturned, res.CompletedAt, res.ReturnNo
	case channel.StatusProcessing, channel.StatusPending:
		t.To = order.PayoutProcessing
	default: // Unknown
		t.To, t.Unresolved = order.PayoutProcessing, true
	}
	return t
}

// payoutQueryAt is when a payout entering t.To is next queried: on the channel's back-off
// while processing, every payoutWatchEvery while succeeded (a return may follow).
func (g *Gateway) payoutQueryAt(p *order.Payout, t order.PayoutTransition, attempts int) time.Time {
	if t.To == order.Succeeded {
		return t.At.Add(payoutWatchEvery)
	}
	if a := g.accounts[p.Account]; a != nil {
		return t.At.Add(a.info.QueryBackoff.Next(attempts))
	}
	return t.At.Add(channel.DefaultQueryBackoff.Next(attempts))
}

// transitionPayout applies t to p, re-reading and retrying on a lost compare-and-set; a
// transition the table refuses is logged and answers the stored payout unchanged.
func (g *Gateway) transitionPayout(ctx context.Context, p *order.Payout, t order.PayoutTransition) (*order.Payout, error) {
	for attempt := 0; attempt < 8; attempt++ {
		np, _, err := g.payouts.TransitionPayout(ctx, p.ID, p.Version, t, g.payoutQueryAt(p, t, 0))
		switch {
		case err == nil:
			if t.To == order.Succeeded && p.State == order.Failed {
				g.log.Error("ALERT: late payout success: paid after it was recorded failed", "payout", p.ID)
			}
			if t.To == order.PayoutReturned && p.State != order.PayoutReturned && np.State == order.PayoutReturned {
				g.stats.PayoutsReturned.Add(1)
				g.log.Warn("payout returned by the receiving bank", "payout", p.ID, "code", np.FailCode)
			}
			return np, nil
		case errors.Is(err, order.ErrConflict):
			if p, err = g.payouts.Payout(ctx, p.ID); err != nil {
				return nil, err
			}
		case errors.Is(err, order.ErrTransition):
			g.log.Info("payout transition not applied", "payout", p.ID, "reason", err)
			return g.payouts.Payout(ctx, p.ID)
		default:
			return nil, err
		}
	}
	return nil, fmt.Errorf("payout %s: too many concurrent changes", p.ID)
}

// queryPayout is the query-back of one payout task; it reports whether the task is done
// (the payout final, or past its return window).
func (g *Gateway) queryPayout(ctx context.Context, t order.QueryTask) (bool, error) {
	if g.payouts == nil {
		return false, errors.New("a payout query-back task, but the store keeps no payouts")
	}
	p, err := g.payouts.Payout(ctx, t.OrderID)
	if err != nil {
		return false, err
	}
	now := g.clk.Now()
	if order.PayoutFinal(p.State) {
		return true, g.payouts.StopQuery(ctx, p.ID)
	}
	acct := g.accounts[p.Account]
	if acct == nil {
		return false, fmt.Errorf("payout %s: account %s is not configured", p.ID, p.Account)
	}
	po, ok := acct.Channel.(channel.Payouter)
	if !ok {
		return false, fmt.Errorf("payout %s: account %s cannot pay out", p.ID, p.Account)
	}
	cctx, cancel := context.WithTimeout(ctx, g.cfg.CallTimeout)
	defer cancel()
	res, err := po.QueryPayout(cctx, &channel.PayoutQuery{PayoutNo: p.ChannelPayoutNo, PayoutTime: p.ChannelPayoutTime})
	if err != nil {
		if channel.KindOf(err) == channel.KindNotFound && p.State != order.Succeeded {
			if now.Sub(p.CreatedAt) < payoutNotFoundAfter {
				return false, nil // not visible yet
			}
			_, err := g.transitionPayout(ctx, p, order.PayoutTransition{To: order.Failed, Cause: order.CauseQuery, At: now,
				FailCode: "not_found", FailMsg: "the channel has no record of this payout an hour after it was sent",
				Alert: "payout unknown to the channel after an hour: marked failed; check the channel's statement"})
			return err == nil, err
		}
		return false, err
	}
	tr := payoutResultTransition(res, order.CauseQuery, now)
	if tr.To == p.State && tr.Unresolved == p.Unresolved {
		if p.State == order.Succeeded && now.Sub(p.CompletedAt) >= g.cfg.PayoutReturnWindow {
			return true, g.payouts.StopQuery(ctx, p.ID) // past the window in which banks return payouts
		}
		return false, nil
	}
	np, err := g.transitionPayout(ctx, p, tr)
	if err != nil {
		return false, err
	}
	g.stats.QueriesResolved.Add(1)
	return order.PayoutFinal(np.State), nil
}

// applyPayoutNotification checks a payout notification against its payout and applies it.
func (g *Gateway) applyPayoutNotification(ctx context.Context, acct *Account, n *channel.Notification) error {
	if g.payouts == nil {
		return fmt.Errorf("payout notification, but the store keeps no payouts: %w", order.ErrNotFound)
	}
	p, err := g.payouts.PayoutByChannelNo(ctx, acct.ID, n.Payout.PayoutNo)
	if err != nil {
		return fmt.Errorf("payout notification for channel payout %q: %w", n.Payout.PayoutNo, err)
	}
	if err := n.Check(channel.Expectation{OrderNo: p.ChannelPayoutNo, Amount: p.Amount}); err != nil {
		return err
	}
	t := payoutResultTransition(n.Payout, order.CauseNotification, g.clk.Now())
	if t.To == order.PayoutProcessing {
		return nil // nothing final to apply; acknowledge
	}
	t.Ref = n.DedupKey()
	_, err = g.transitionPayout(ctx, p, t)
	return err
}
