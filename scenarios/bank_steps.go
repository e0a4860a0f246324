package scenarios

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/tongdao/tongdao/core/channel"
)

// bindState is what a scenario knows of a binding: its user and, once confirmed (or found
// already bound), its token.
type bindState struct {
	user, token string
	// time and card of the bind step: channels that find a binding by number and time and
	// take the card's elements again on resend and confirm (UnionPay) need them.
	time time.Time
	card channel.Card
}

// bankStep runs the binding, payout and balance steps through channel.Binder,
// channel.Payouter and channel.BalanceQuerier, and return_payout through the simulator's
// control endpoint. A channel without the capability answers an Unsupported error.
func (r *run) bankStep(ctx context.Context, st *Step, m *merchantEntry, ch channel.Channel) (outcome, error) {
	key := st.Channel + "/" + st.Bind
	b := r.bindings[key]
	switch st.Action {
	case ActBind, ActResendSMS, ActConfirmBind, ActUnbind, ActQueryBinding:
		bd, ok := ch.(channel.Binder)
		if !ok {
			return outcome{err: channel.Unsupported(ch.Name(), string(st.Action), ""), summary: "not supported"}, nil
		}
		if st.Action != ActBind && b == nil {
			return outcome{}, fmt.Errorf("%s: no bind step for binding %s before this one", st.Action, st.Bind)
		}
		return r.bindingStep(ctx, st, bd, key, b)
	case ActPayout, ActQueryPayout:
		p, ok := ch.(channel.Payouter)
		if !ok {
			return outcome{err: channel.Unsupported(ch.Name(), string(st.Action), ""), summary: "not supported"}, nil
		}
		pkey := st.Channel + "/" + st.Payout
		var res *channel.PayoutResult
		var err error
		if st.Action == ActPayout {
			pt, seen := r.payouts[pkey]
			if !seen {
				pt = r.now(ctx)
				r.payouts[pkey] = pt
			}
			req := &channel.PayoutRequest{PayoutNo: st.Payout, PayoutTime: pt, Card: *st.BankCard, Amount: st.Amount, Purpose: st.Purpose}
			if !st.NoNotify {
				req.NotifyURL = r.notifyURL(m)
			}
			res, err = p.Payout(ctx, req)
		} else {
			res, err = p.QueryPayout(ctx, &channel.PayoutQuery{PayoutNo: st.Payout, PayoutTime: r.payouts[pkey]})
		}
		if err != nil {
			return outcome{err: err, summary: "error: " + err.Error()}, nil
		}
		s, a, f := res.Status, res.Amount, res.Final()
		sum := fmt.Sprintf("%s (%s) amount=%s final=%t", s, res.ChannelStatus, a, f)
		if res.ReturnNo != "" {
			sum += " return=" + res.ReturnNo
		}
		return outcome{status: &s, amount: &a, final: &f, summary: sum}, nil
	case ActReturnPayout:
		var v map[string]string
		err := r.drv.Control(ctx, http.MethodPost, st.Channel, "payouts/return", nil,
			map[string]string{"merchant": m.cfg.ID, "payout_no": st.Payout}, &v)
		if err := r.syncClock(ctx); err != nil {
			return outcome{}, err
		}
		if err != nil {
			ce := payerError(st.Channel, "return payout", err)
			return outcome{err: ce, summary: "error: " + ce.Error()}, nil
		}
		return outcome{summary: "returned by the receiving bank: " + v["status"]}, nil
	case ActBalance:
		bq, ok := ch.(channel.BalanceQuerier)
		if !ok {
			return outcome{err: channel.Unsupported(ch.Name(), "balance", ""), summary: "not supported"}, nil
		}
		bal, err := bq.QueryBalance(ctx, &channel.BalanceRequest{})
		if err != nil {
			return outcome{err: err, summary: "error: " + err.Error()}, nil
		}
		a, f := bal.Available, bal.Frozen
		return outcome{amount: &a, frozen: &f, summary: fmt.Sprintf("available=%s frozen=%s", a, f)}, nil
	}
	return outcome{}, fmt.Errorf("unknown action %q", st.Action)
}

// bindingStep runs bind, resend_sms, confirm_bind, unbind and query_binding. A bind step's
// status is PENDING when the SMS code was sent and SUCCEEDED when the card was bound
// already (the existing token is used from then on).
func (r *run) bindingStep(ctx context.Context, st *Step, bd channel.Binder, key string, b *bindState) (outcome, error) {
	errOut := func(err error) (outcome, error) { return outcome{err: err, summary: "error: " + err.Error()}, nil }
	switch st.Action {
	case ActBind:
		if b == nil {
			b = &bindState{user: st.User, time: r.now(ctx), card: *st.BankCard}
			r.bindings[key] = b
		}
		ch, err := bd.SendBindSMS(ctx, &channel.BindRequest{BindNo: st.Bind, BindTime: b.time, UserID: st.User, Card: *st.BankCard})
		if err != nil {
			return errOut(err)
		}
		s := channel.StatusPending
		sum := "SMS sent to " + ch.MobileMasked
		if ch.AlreadyBound != nil {
			s, b.token = channel.StatusSucceeded, ch.AlreadyBound.Token
			sum = "already bound: token " + b.token + " card " + ch.AlreadyBound.CardMasked
		}
		return outcome{status: &s, summary: fmt.Sprintf("%s (%s)", s, sum)}, nil
	case ActResendSMS:
		ch, err := bd.ResendBindSMS(ctx, &channel.ResendSMSRequest{SMSNo: st.SMSNo, SMSTime: r.now(ctx), BindNo: st.Bind, BindTime: b.time, UserID: b.user, Card: b.card})
		if err != nil {
			return errOut(err)
		}
		s := channel.StatusPending
		return outcome{status: &s, summary: fmt.Sprintf("%s (SMS resent, sms=%s)", s, ch.SMSNo)}, nil
	case ActConfirmBind:
		code := st.SMSCode
		if code == "" {
			var v struct {
				Code string `json:"code"`
			}
			if err := r.drv.Control(ctx, http.MethodGet, st.Channel, "sms", url.Values{"bind_no": {st.Bind}}, nil, &v); err != nil {
				return outcome{}, fmt.Errorf("confirm_bind: reading the SMS code of %s from the simulator: %w", st.Bind, err)
			}
			code = v.Code
		}
		res, err := bd.ConfirmBind(ctx, &channel.BindConfirmRequest{BindNo: st.Bind, BindTime: b.time, UserID: b.user, SMSCode: code, Card: b.card})
		if err != nil {
			return errOut(err)
		}
		b.token = res.Token
		s := res.Status
		return outcome{status: &s, summary: fmt.Sprintf("%s (%s) token=%s card=%s", s, res.ChannelStatus, res.Token, res.CardMasked)}, nil
	case ActUnbind:
		if b.token == "" {
			return outcome{}, fmt.Errorf("unbind: binding %s has no token (confirm_bind it first)", st.Bind)
		}
		res, err := bd.Unbind(ctx, &channel.UnbindRequest{UnbindNo: "U" + st.Bind, UnbindTime: r.now(ctx), UserID: b.user, Token: b.token})
		if err != nil {
			return errOut(err)
		}
		s := res.Status
		return outcome{status: &s, summary: fmt.Sprintf("%s (%s)", s, res.ChannelStatus)}, nil
	case ActQueryBinding:
		q := &channel.BindingQuery{UserID: b.user, Token: b.token}
		if b.token == "" {
			q.BindNo = st.Bind
		}
		list, err := bd.QueryBinding(ctx, q)
		if err != nil {
			return errOut(err)
		}
		if len(list) == 0 {
			return errOut(&channel.Error{Channel: st.Channel, Op: "query binding", Kind: channel.KindNotFound, Message: "no binding " + st.Bind})
		}
		s := list[0].Status
		return outcome{status: &s, summary: fmt.Sprintf("%s (%s) token=%s card=%s", s, list[0].ChannelStatus, list[0].Token, list[0].CardMasked)}, nil
	}
	return outcome{}, fmt.Errorf("unknown action %q", st.Action)
}
