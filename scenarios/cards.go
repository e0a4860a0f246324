package scenarios

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/channel"
)

// Steps for card binding (channel.Binder), a token payment's SMS (channel.PaySMSSender)
// and pre-authorisation (channel.Authorizer): UnionPay's token product and pre-auth
// family, and any channel with the same capabilities.

// Test cards a bind step names by word (UnionPay's published test data, as the simulator
// serves it): the credit card needs CVN2 and expiry, the debit card only the phone.
var testCards = map[string]channel.Card{
	"credit": {Number: "6221558812340000", Mobile: "13552535506", CVN2: "123", Expiry: "2311",
		HolderName: "互联网", IDType: "01", IDNumber: "341126197709218366"},
	"debit": {Number: "6216261000000000018", Mobile: "13552535506", HolderName: "互联网", IDType: "01", IDNumber: "341126197709218366"},
}

// DefaultSMSCode is the code confirm_bind and token payments send when the step gives
// none: the simulator's fixed test code.
const DefaultSMSCode = "111111"

// defaultUser is the merchant's id for the cardholder when a bind step names none.
const defaultUser = "scenariouser1"

// bindState is what a scenario remembers of a binding: its time (every later request
// names it by number and time), the card, the user and, once confirmed, the token.
type bindState struct {
	time  time.Time
	card  channel.Card
	user  string
	token string
}

// cardArgs decodes the arguments of the binding, SMS and pre-authorisation steps.
func (c *stepCtx) cardArgs(st *Step, m *mapNode) {
	d := c.d
	switch st.Action {
	case ActBind:
		st.Bind = m.required("bind")
		st.User = m.str("user")
		st.Card = m.str("card")
		if st.Card == "" {
			st.Card = "credit"
		}
		if _, ok := testCards[st.Card]; !ok && !allDigits(st.Card) {
			d.errorf(m.get("card"), m.field("card"), "unknown card %q; known: credit, debit, or a card number (digits)", st.Card)
		}
	case ActResendBindSMS:
		st.Bind = m.required("bind")
		st.SMSNo = m.required("sms")
	case ActConfirmBind:
		st.Bind = m.required("bind")
		st.SMSCode = m.str("sms_code")
	case ActQueryBinding:
		st.Bind = m.required("bind")
	case ActUnbind:
		st.Bind = m.required("bind")
		st.OpNo = m.required("op_no")
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

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// execCards runs a binding, SMS or pre-authorisation step. A channel without the
// capability answers with an Unsupported (invalid_request) error, as cancel does.
func (r *run) execCards(ctx context.Context, ch channel.Channel, m *merchantEntry, st *Step, now time.Time) (outcome, error) {
	bkey := st.Channel + "/" + st.Bind
	b := r.binds[bkey]
	switch st.Action {
	case ActBind, ActResendBindSMS, ActConfirmBind, ActQueryBinding, ActUnbind:
		bd, ok := ch.(channel.Binder)
		if !ok {
			return outcome{err: channel.Unsupported(ch.Name(), string(st.Action), ""), summary: "not supported"}, nil
		}
		if st.Action != ActBind && b == nil {
			return outcome{}, fmt.Errorf("%s: no bind step with bind %q before this one", st.Action, st.Bind)
		}
		return r.binding(ctx, bd, st, b, bkey, now)
	case ActPaySMS:
		ps, ok := ch.(channel.PaySMSSender)
		if !ok {
			return outcome{err: channel.Unsupported(ch.Name(), "pay sms", ""), summary: "not supported"}, nil
		}
		if b == nil {
			return outcome{}, fmt.Errorf("pay_sms: no bind step with bind %q before this one", st.Bind)
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

func (r *run) binding(ctx context.Context, bd channel.Binder, st *Step, b *bindState, bkey string, now time.Time) (outcome, error) {
	switch st.Action {
	case ActBind:
		if b == nil {
			card, ok := testCards[st.Card]
			if !ok {
				card = channel.Card{Number: st.Card, Mobile: testCards["debit"].Mobile}
			}
			user := st.User
			if user == "" {
				user = defaultUser
			}
			b = &bindState{time: now, card: card, user: user}
			r.binds[bkey] = b
		}
		res, err := bd.SendBindSMS(ctx, &channel.BindRequest{BindNo: st.Bind, BindTime: b.time, UserID: b.user, Card: b.card})
		if err != nil {
			return outcome{err: err, summary: "error: " + err.Error()}, nil
		}
		sum := "sms sent to " + res.MobileMasked
		if res.AlreadyBound != nil {
			b.token = res.AlreadyBound.Token
			sum = "already bound, token " + res.AlreadyBound.Token
		}
		return outcome{summary: sum}, nil
	case ActResendBindSMS:
		res, err := bd.ResendBindSMS(ctx, &channel.ResendSMSRequest{SMSNo: st.SMSNo, SMSTime: now, BindNo: st.Bind, BindTime: b.time, UserID: b.user, Card: b.card})
		if err != nil {
			return outcome{err: err, summary: "error: " + err.Error()}, nil
		}
		return outcome{summary: "sms " + res.SMSNo + " sent to " + res.MobileMasked}, nil
	case ActConfirmBind:
		code := st.SMSCode
		if code == "" {
			code = DefaultSMSCode
		}
		res, err := bd.ConfirmBind(ctx, &channel.BindConfirmRequest{BindNo: st.Bind, BindTime: b.time, UserID: b.user, SMSCode: code, Card: b.card})
		if err != nil {
			return outcome{err: err, summary: "error: " + err.Error()}, nil
		}
		b.token = res.Token
		return bindOutcome(res), nil
	case ActQueryBinding:
		res, err := bd.QueryBinding(ctx, &channel.BindingQuery{UserID: b.user, BindNo: st.Bind})
		if err != nil {
			return outcome{err: err, summary: "error: " + err.Error()}, nil
		}
		if len(res) == 0 {
			s := channel.StatusUnknown
			return outcome{status: &s, summary: "no binding"}, nil
		}
		return bindOutcome(&res[0]), nil
	}
	res, err := bd.Unbind(ctx, &channel.UnbindRequest{UnbindNo: st.OpNo, UnbindTime: now, UserID: b.user, Token: b.token})
	if err != nil {
		return outcome{err: err, summary: "error: " + err.Error()}, nil
	}
	return bindOutcome(res), nil
}

func bindOutcome(b *channel.Binding) outcome {
	s := b.Status
	parts := []string{fmt.Sprintf("%s (%s)", s, b.ChannelStatus)}
	if b.Token != "" {
		parts = append(parts, "token="+b.Token)
	}
	if b.CardMasked != "" {
		parts = append(parts, "card="+b.CardMasked)
	}
	return outcome{status: &s, summary: strings.Join(parts, " ")}
}
