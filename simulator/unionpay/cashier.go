package unionpay

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// CashierPrefix is where the simulator's cashier pages live: GET CashierPrefix+id shows
// the order, POST CashierPrefix+id+"/pay" and "/cancel" are the buttons.
const CashierPrefix = "/unionpay/cashier/"

var pageTmpl = template.Must(template.New("cashier").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}} - tongdao 模拟银联收银台</title>
<style>body{font-family:sans-serif;max-width:32em;margin:3em auto}dt{color:#666}form{display:inline}button{font-size:1.2em;margin:1em .5em 0 0}</style>
</head><body>
<h1>{{.Title}}</h1>
<p><em>tongdao simulator — TEST cashier, no real money moves.</em></p>
{{if .Code}}<p><strong id="respCode">{{.Code}}</strong></p><p id="respMsg">{{.Error}}</p>{{else}}
<dl>
<dt>商户号 merId</dt><dd id="merId">{{.MerID}}</dd>
<dt>订单号 orderId</dt><dd id="orderId">{{.OrderID}}</dd>
<dt>交易 txnType</dt><dd id="txnType">{{.TxnType}}</dd>
<dt>金额 txnAmt</dt><dd id="txnAmt">{{.Amount}}</dd>
<dt>状态</dt><dd id="state">{{.State}}</dd>
</dl>
{{if .Open}}<form method="post" action="{{.PayURL}}"><button id="pay" type="submit">支付 Pay</button></form>
<form method="post" action="{{.CancelURL}}"><button id="cancel" type="submit">取消 Cancel</button></form>{{end}}
{{end}}
</body></html>
`))

// returnTmpl is the auto-submitting form that takes the browser back to frontUrl with the
// signed result (the front notification, unionpay.md §2).
var returnTmpl = template.Must(template.New("return").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>返回商户</title></head>
<body onload="document.forms[0].submit()"><form id="return" method="post" action="{{.Action}}">
{{range .Fields}}<input type="hidden" name="{{.Key}}" value="{{.Value}}">
{{end}}<button type="submit">返回商户 Back to the merchant</button></form></body></html>
`))

type pageView struct {
	Title, Code, Error                     string
	MerID, OrderID, TxnType, Amount, State string
	Open                                   bool
	PayURL, CancelURL                      string
}

func htmlPage(status int, v pageView) *simulator.Reply {
	var b bytes.Buffer
	_ = pageTmpl.Execute(&b, v)
	return &simulator.Reply{Status: status, ContentType: contentHTML, Body: b.Bytes()}
}

func errorPage(code, msg string) *simulator.Reply {
	return htmlPage(http.StatusOK, pageView{Title: "银联在线支付 - 错误", Code: code, Error: msg})
}

func (t *txn) view() pageView {
	state := map[string]string{"": "待支付", "00": "成功"}[t.state]
	if t.cancelled {
		state = "已取消"
	} else if state == "" {
		state = t.state
	}
	amt := ""
	if t.amount > 0 {
		amt = money.Fen(t.amount).Decimal()
	}
	return pageView{Title: "银联在线支付收银台", MerID: t.key.merID, OrderID: t.key.orderID, TxnType: t.txnType + "/" + t.txnSubType,
		Amount: amt, State: state, Open: t.state == "" && !t.cancelled,
		PayURL: CashierPrefix + t.cashierID + "/pay", CancelURL: CashierPrefix + t.cashierID + "/cancel"}
}

// frontOrder serves frontTransReq (consume, pre-auth, token open, open-and-consume) and
// appTransReq (consume, pre-auth): the order waits for the payer. The browser gets the
// cashier page; the app gets tn.
func (s *Server) frontOrder(x *exchange) *simulator.Reply {
	r := x.r
	t := r.str("txnType")
	var amount int64
	if t != ttOpen {
		var bad string
		if amount, bad = amountOf(r); bad != "" {
			return s.answer(x, "13", msgOf("13")+": "+bad, nil)
		}
	}
	if x.ep == epFront && r.str("frontUrl") == "" {
		return s.answer(x, "13", msgOf("13")+": frontUrl is required", nil)
	}
	if r.str("backUrl") == "" {
		return s.answer(x, "13", msgOf("13")+": backUrl is required", nil)
	}
	var trID string
	if t == ttOpen || r.str("bizType") == bizToken {
		tpd, code, msg := tokenPayData(x)
		if code != "" {
			return s.answer(x, code, msg, nil)
		}
		trID = tpd["trId"]
	}
	var cardNo string
	if r.str("accNo") != "" {
		no, code, msg := s.accNo(x)
		if code != "" {
			return s.answer(x, code, msg, nil)
		}
		cardNo = no
	}
	var code, msg string
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, ok := s.newTxn(x, amount)
	if !ok {
		return s.answer(x, "12", msgOf("12")+": orderId "+r.str("orderId")+" was used before", nil)
	}
	if pt := r.str("payTimeout"); pt != "" {
		at, err := parseTxnTime(pt)
		if err != nil {
			code, msg = "10", "报文格式错误: payTimeout: "+err.Error()
		}
		tx.payTimeout = at
	}
	if code != "" {
		delete(s.st.orders, [2]string{x.m.MerID, r.str("orderId")})
		delete(s.st.txns, tx.key)
		s.st.seq = s.st.seq[:len(s.st.seq)-1]
		return s.answer(x, code, msg, nil)
	}
	tx.card, tx.trID = cardNo, trID
	tx.cashierID = s.eng.Rand().Hex(24)
	s.st.byCashier[tx.cashierID] = tx
	if x.ep == epApp {
		tx.tn = wireTime(x.now)[2:] + s.eng.Rand().Digits(9)
		s.st.byTN[tx.tn] = tx
		return s.answer(x, "00", msgOf("00"), sign.Params{{Key: "tn", Value: tx.tn}})
	}
	return htmlPage(http.StatusOK, tx.view())
}

// serveCashier serves the cashier's own paths: GET shows the order, POST .../pay pays it
// (as the control API's payer pay does) and sends the browser back to frontUrl with the
// signed result, POST .../cancel closes the page.
func (s *Server) serveCashier(c *simulator.Call) *simulator.Reply {
	rest := strings.TrimPrefix(c.Request.URL.Path, CashierPrefix)
	id, action, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	t := s.st.byCashier[id]
	var mer, oid string
	if t != nil {
		mer, oid = t.key.merID, t.key.orderID
	}
	s.mu.Unlock()
	op := "cashier"
	if action != "" {
		op = "cashier." + action
	}
	if c.Identify(op, mer, oid) {
		return nil
	}
	if t == nil {
		return htmlPage(http.StatusNotFound, pageView{Title: "银联在线支付 - 错误", Code: "34", Error: "收银台不存在 (unknown cashier)"})
	}
	switch {
	case c.Request.Method == http.MethodGet && action == "":
		s.mu.Lock()
		v := t.view()
		s.mu.Unlock()
		return htmlPage(http.StatusOK, v)
	case c.Request.Method == http.MethodPost && (action == "pay" || action == "cancel"):
	default:
		return htmlPage(http.StatusMethodNotAllowed, pageView{Title: "银联在线支付 - 错误", Code: "10", Error: "method not allowed"})
	}
	a := simulator.PayerAction{Channel: Name, Merchant: mer, OutTradeNo: oid, Time: c.Now()}
	var err error
	if action == "pay" {
		_, err = s.Pay(c.Context(), a)
	} else {
		_, err = s.Cancel(c.Context(), a)
	}
	if vc, ok := s.eng.Clock().(*clock.Virtual); ok {
		vc.Advance(0) // deliver the notification due now before answering
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		v := t.view()
		v.Code, v.Error = "35", err.Error()
		return htmlPage(http.StatusConflict, v)
	}
	if action == "pay" && t.state == "00" && t.frontURL != "" {
		var b bytes.Buffer
		fields := s.sign(s.notices(t)[0].params.Clone(), t.signMethod, s.st.merchants[t.key.merID], false)
		var kept sign.Params
		for _, kv := range fields {
			if kv.Value != "" {
				kept = append(kept, kv)
			}
		}
		_ = returnTmpl.Execute(&b, struct {
			Action string
			Fields sign.Params
		}{t.frontURL, kept})
		return &simulator.Reply{ContentType: contentHTML, Body: b.Bytes()}
	}
	return htmlPage(http.StatusOK, t.view())
}

// findPending resolves a payer action's order. Caller holds s.mu.
func (s *Server) findPayerTxn(a simulator.PayerAction) (*txn, error) {
	var found []*txn
	for _, id := range s.st.merchantIDs {
		if a.Merchant != "" && id != a.Merchant {
			continue
		}
		if t := s.st.orders[[2]string{id, a.OutTradeNo}]; t != nil {
			found = append(found, t)
		}
	}
	if len(found) == 0 {
		if t := s.st.byTN[a.OutTradeNo]; t != nil {
			found = append(found, t) // the app's tn names the order too
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("unionpay: order %q: %w", a.OutTradeNo, simulator.ErrNotFound)
	case 1:
		t := found[0]
		if t.cashierID == "" || t.state != "" || t.cancelled {
			return nil, fmt.Errorf("unionpay: order %q is not waiting for the payer: %w", a.OutTradeNo, simulator.ErrConflict)
		}
		return t, nil
	}
	return nil, fmt.Errorf("unionpay: order %q exists for several merchants, name one: %w", a.OutTradeNo, simulator.ErrConflict)
}

// Pay makes the payer pay a front or app order at a.Time with card a.Card (default: the
// card in the request's accNo, else DemoDebitCard): a consume is debited, a pre-auth
// freezes the amount, a token open (and an open-and-consume) issues the card's token, and
// the back notification is sent. After payTimeout the order is ErrConflict, unless
// Options["late"] = "true": then the card is debited anyway and the transaction ends with
// respCode 42 (debited beyond the allowed time, no notification, listed in the ZME file).
// A card whose balance is too low ends the transaction with 64.
func (s *Server) Pay(ctx context.Context, a simulator.PayerAction) (simulator.PayerResult, error) {
	s.mu.Lock()
	t, err := s.findPayerTxn(a)
	if err != nil {
		s.mu.Unlock()
		return simulator.PayerResult{}, err
	}
	no := a.Card
	if no == "" {
		no = t.card
	}
	if no == "" {
		no = DemoDebitCard
	}
	if len(no) < 12 || len(no) > 19 || !digits(no) {
		s.mu.Unlock()
		return simulator.PayerResult{}, fmt.Errorf("unionpay: field card: not a card number of 12 to 19 digits: %w", simulator.ErrInvalid)
	}
	late := !t.payTimeout.IsZero() && a.Time.After(t.payTimeout)
	if late && a.Options["late"] != "true" {
		s.mu.Unlock()
		return simulator.PayerResult{}, fmt.Errorf("unionpay: order %q expired at payTimeout %s: %w", t.key.orderID, wireTime(t.payTimeout), simulator.ErrConflict)
	}
	c := s.st.cardOf(no)
	t.card, t.payCardType = no, c.payCardType()
	var out []notice
	switch {
	case t.txnType != ttOpen && c.available < t.amount:
		s.fail(t, a.Time, "64")
	case late:
		c.available -= t.amount
		t.late = true
		s.fail(t, a.Time, "42")
		t.settle = settleDateOf(a.Time)
	default:
		switch t.txnType {
		case ttPreAuth:
			c.available -= t.amount
			c.frozen += t.amount
			t.frozen = t.amount
		case ttConsume:
			c.available -= t.amount
		}
		if t.txnType == ttOpen || t.trID != "" {
			tk := s.issueToken(t.key.merID, t.trID, no, c.phone, a.Time)
			t.token = tk.value
			t.open = t.txnType == ttOpen
		}
		s.succeed(t, a.Time)
		out = s.notices(t)
	}
	res := payerResult(t)
	s.mu.Unlock()
	s.flush(out)
	return res, nil
}

// Cancel makes the payer leave the cashier: the order stays unknown to queries (34) and
// can no longer be paid.
func (s *Server) Cancel(ctx context.Context, a simulator.PayerAction) (simulator.PayerResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.findPayerTxn(a)
	if err != nil {
		return simulator.PayerResult{}, err
	}
	t.cancelled = true
	return simulator.PayerResult{State: "cancelled"}, nil
}

func payerResult(t *txn) simulator.PayerResult {
	amt := money.Fen(t.amount)
	return simulator.PayerResult{State: t.state, ChannelTxnID: t.queryID, Amount: &amt}
}
