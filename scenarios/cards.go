package scenarios

import (
	"context"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/channel"
)

// Steps for a token payment's SMS (channel.PaySMSSender) and pre-authorisation
// (channel.Authorizer): UnionPay's consume SMS and pre-auth family, and any channel with
// the same capabilities. Binding itself is bank_steps.go's.

// cardArgs decodes the arguments of the SMS and pre-authorisation steps.
func (c *stepCtx) cardArgs(st *Step, m *mapNode) {
	d := c.d
	switch st.Action {
	case ActPaySMS:
		st.Order = m.required("order")
		st.Amount = c.positiveAmount(m, "amount")
		st.Bind = m.required("bind")
	case ActPreAuth:
		st.Order = m.required("order")
		st.Amount = c.positiveAmount(m, "amount")
		st.Method = channel.MethodApp
		if v := m.str("method"); v != "" {
			st.Method = channel.Method(v)
			if st.Method != channel.MethodApp && st.Method != channel.MethodWeb && st.Method != channel.MethodH5 {
				d.errorf(m.get("method"), m.field("method"), "a preauth is paid by the payer: app, web or h5, not %q", v)
			}
		}
		st.NoNotify = m.boolVal("no_notify")
	case ActPreAuthUndo, ActCapture, ActCaptureUndo:
		st.OpNo = m.required("op_no")
		st.Order = m.required("order")
		st.Amount = c.positiveAmount(m, "amount")
	case ActQueryAuth:
		st.OpNo = m.required("op_no")
	}
}

// execCards runs a binding, SMS or pre-authorisation step. A channel without the
// capability answers with an Unsupported (invalid_request) error, as cancel does.
func (r *run) execCards(ctx context.Context, ch channel.Channel, m *merchantEntry, st *Step, now time.Time) (outcome, error) {
	b := r.bindings[st.Channel+"/"+st.Bind]
	switch st.Action {
	case ActPaySMS:
		ps, ok := ch.(channel.PaySMSSender)
		if !ok {
			return outcome{err: channel.Unsupported(ch.Name(), "pay sms", ""), summary: "not supported"}, nil
		}
		if b == nil || b.token == "" {
			return outcome{}, fmt.Errorf("pay_sms: binding %s has no token yet (bind and confirm_bind it first)", st.Bind)
		}
		key := st.Channel + "/" + st.Order
		o := r.orders[key]
		if o == nil { // the pay step that follows uses the same order time
			o = &orderState{merchant: m, amount: st.Amount, time: now}
			r.orders[key] = o
		}
		res, err := ps.SendPaySMS(ctx, &channel.PaySMSRequest{SMSNo: st.Order, SMSTime: now, OrderNo: st.Order, OrderTime: o.time,
			Amount: st.Amount, Token: b.token, UserID: b.user})
		if err != nil {
			return outcome{err: err, summary: "error: " + err.Error()}, nil
		}
		return outcome{summary: "sms sent for " + res.OrderNo}, nil
	}
	au, ok := ch.(channel.Authorizer)
	if !ok {
		return outcome{err: channel.Unsupported(ch.Name(), string(st.Action), ""), summary: "not supported"}, nil
	}
	var res *channel.AuthResult
	var err error
	switch st.Action {
	case ActPreAuth:
		o := &orderState{merchant: m, amount: st.Amount, time: now}
		if prev := r.orders[st.Channel+"/"+st.Order]; prev != nil {
			o = prev
		}
		r.orders[st.Channel+"/"+st.Order] = o
		req := &channel.PayRequest{OrderNo: st.Order, OrderTime: o.time, Amount: st.Amount, Method: st.Method,
			Subject: "scenario " + st.Order, ReturnURL: "http://127.0.0.1/return", ClientIP: "127.0.0.1"}
		if !st.NoNotify {
			req.NotifyURL = r.notifyURL(m)
		}
		res, err = au.PreAuth(ctx, req)
	case ActQueryAuth:
		o := r.orders[st.Channel+"/"+st.OpNo]
		res, err = au.QueryAuth(ctx, &channel.AuthQuery{OpNo: st.OpNo, OpTime: orderTime(o)})
		if err == nil && o != nil && res.ChannelTxnID != "" {
			o.txnID = res.ChannelTxnID
		}
	default:
		orig := r.orders[st.Channel+"/"+st.Order]
		okey := st.Channel + "/" + st.OpNo
		o := r.orders[okey]
		if o == nil { // a repeated operation keeps its number and time
			o = &orderState{merchant: m, amount: st.Amount, time: now}
			r.orders[okey] = o
		}
		req := &channel.AuthRequest{OpNo: st.OpNo, OpTime: o.time, OrigOrderNo: st.Order, OrigOrderTime: orderTime(orig),
			Amount: st.Amount, NotifyURL: r.notifyURL(m)}
		switch st.Action {
		case ActPreAuthUndo:
			res, err = au.UndoPreAuth(ctx, req)
		case ActCapture:
			res, err = au.Capture(ctx, req)
		default:
			res, err = au.UndoCapture(ctx, req)
		}
	}
	if err != nil {
		return outcome{err: err, summary: "error: " + err.Error()}, nil
	}
	s, a := res.Status, res.Amount
	sum := fmt.Sprintf("%s %s (%s)", res.Op, s, res.ChannelStatus)
	if !a.IsZero() {
		sum += " amount=" + a.String()
	}
	if !res.FrozenAmount.IsZero() {
		sum += " frozen=" + res.FrozenAmount.String()
	}
	if !res.CapturedAmount.IsZero() {
		sum += " captured=" + res.CapturedAmount.String()
	}
	return outcome{status: &s, amount: &a, summary: sum}, nil
}
