package alipay

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
)

// CashierPrefix is where the simulator's cashier pages live: GET CashierPrefix+id shows
// the order, POST CashierPrefix+id+"/pay" and "/cancel" are the buttons. (The engine
// reserves /_sim/ for its control API, so the cashier sits outside it.)
const CashierPrefix = "/alipay/cashier/"

const contentTypeHTML = "text/html; charset=utf-8"

var cashierTmpl = template.Must(template.New("cashier").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}} - tongdao 模拟支付宝收银台</title>
<style>body{font-family:sans-serif;max-width:32em;margin:3em auto}dt{color:#666}form{display:inline}button{font-size:1.2em;margin:1em .5em 0 0}</style>
</head><body>
<h1>{{.Title}}</h1>
<p><em>tongdao simulator — TEST cashier, no real money moves.</em></p>
{{if .Error}}<p><strong>{{.Code}} {{.SubCode}}</strong></p><p id="error">{{.Error}}</p>{{else}}
<dl>
<dt>app_id</dt><dd id="app_id">{{.AppID}}</dd>
<dt>商户订单号 out_trade_no</dt><dd id="out_trade_no">{{.OutTradeNo}}</dd>
<dt>商品 subject</dt><dd id="subject">{{.Subject}}</dd>
<dt>金额 total_amount</dt><dd id="total_amount">{{.Amount}}</dd>
<dt>状态 trade_status</dt><dd id="trade_status">{{.Status}}</dd>
</dl>
{{if .Open}}<form method="post" action="{{.PayURL}}"><button id="pay" type="submit">付款 Pay</button></form>
<form method="post" action="{{.CancelURL}}"><button id="cancel" type="submit">取消 Cancel</button></form>{{end}}
{{if .Link}}<p><a id="return" href="{{.Link}}">返回商户 Back to the merchant</a></p>{{end}}
{{end}}
</body></html>
`))

type cashierView struct {
	Title, Error, Code, SubCode                string
	AppID, OutTradeNo, Subject, Amount, Status string
	Open                                       bool
	PayURL, CancelURL, Link                    string
}

func htmlReply(status int, v cashierView) *simulator.Reply {
	var b bytes.Buffer
	_ = cashierTmpl.Execute(&b, v)
	return &simulator.Reply{Status: status, ContentType: contentTypeHTML, Body: b.Bytes()}
}

func errorPage(e *apiErr) *simulator.Reply {
	return htmlReply(http.StatusOK, cashierView{Title: "支付宝 - 错误", Code: e.code, SubCode: e.sub, Error: e.text})
}

func (t *trade) view(title string) cashierView {
	return cashierView{
		Title: title, AppID: t.appID, OutTradeNo: t.outTradeNo, Subject: t.subject, Amount: yuan(t.total),
		Status: t.status, Open: t.status == StatusWaitBuyerPay,
		PayURL: CashierPrefix + t.cashierID + "/pay", CancelURL: CashierPrefix + t.cashierID + "/cancel",
	}
}

// servePage answers page.pay, wap.pay and app.pay sent to /gateway.do by a browser (GET
// URL or auto-submitted form, §9.4): after the common checks and signature
// verification it reserves the order and shows the cashier; errors are an HTML page
// carrying the code, as the real cashier shows them. app.pay's order string can be
// opened the same way (gateway.do?<orderStr>) to play the phone.
func (s *Server) servePage(c *simulator.Call, r *request, method string, now time.Time) *simulator.Reply {
	ck, e := s.check(r, now)
	if e != nil {
		return errorPage(e)
	}
	if bf, ok := c.BusinessFault(); ok {
		return errorPage(faultErr(method, bf))
	}
	in, e := readOrder(r)
	if e != nil {
		return errorPage(e)
	}
	product := map[string]string{methodPagePay: prodPage, methodWapPay: prodWap, methodAppPay: prodApp}[method]
	x := &exchange{c: c, r: r, ck: ck, now: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.st.trades[tradeKey{ck.m.AppID, in.outTradeNo}]
	if t != nil {
		if e := existing(t, in, now); e != nil {
			return errorPage(e)
		}
	} else {
		t = s.newTrade(x, product, in)
		t.expire = expiry(r, now, 15*24*time.Hour)
	}
	if t.cashierID == "" {
		t.cashierID = s.eng.Rand().Hex(24)
		s.st.byCashier[t.cashierID] = t
	}
	return htmlReply(http.StatusOK, t.view("支付宝收银台"))
}

// serveCashier serves the cashier's own paths: GET shows the order again, POST .../pay
// pays it (the same transition as the control API's payer pay) and redirects to
// return_url with the signed return parameters (§10.6), POST .../cancel closes it.
func (s *Server) serveCashier(c *simulator.Call) *simulator.Reply {
	rest := strings.TrimPrefix(c.Request.URL.Path, CashierPrefix)
	id, action, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	t := s.st.byCashier[id]
	var app, otn string
	if t != nil {
		app, otn = t.appID, t.outTradeNo
	}
	s.mu.Unlock()
	op := "cashier"
	if action != "" {
		op = "cashier." + action
	}
	if c.Identify(op, app, otn) {
		return nil
	}
	if t == nil {
		return htmlReply(http.StatusNotFound, cashierView{Title: "支付宝 - 错误", Error: "收银台不存在 (unknown cashier)"})
	}
	now := c.Now()
	switch {
	case c.Request.Method == http.MethodGet && action == "":
		s.mu.Lock()
		t.refresh(now)
		v := t.view("支付宝收银台")
		s.mu.Unlock()
		return htmlReply(http.StatusOK, v)
	case c.Request.Method == http.MethodPost && (action == "pay" || action == "cancel"):
	default:
		return htmlReply(http.StatusMethodNotAllowed, cashierView{Title: "支付宝 - 错误", Error: "method not allowed"})
	}
	var res simulator.PayerResult
	var err error
	a := simulator.PayerAction{Channel: Name, Merchant: app, OutTradeNo: otn, Time: now}
	if action == "pay" {
		res, err = s.Pay(c.Context(), a)
	} else {
		res, err = s.Cancel(c.Context(), a)
	}
	if vc, ok := s.eng.Clock().(*clock.Virtual); ok {
		// Deliver the notification the action made due now before answering, as the
		// engine does for the control API's payer actions.
		vc.Advance(0)
	}
	s.mu.Lock()
	v := t.view("支付宝收银台")
	link := t.returnURL
	if action == "cancel" && t.quitURL != "" {
		link = t.quitURL
	}
	if err == nil && action == "pay" && t.returnURL != "" {
		loc := s.returnLocation(t, now)
		s.mu.Unlock()
		return &simulator.Reply{Status: http.StatusFound, ContentType: contentTypeHTML,
			Header: http.Header{"Location": {loc}}, Body: []byte(`<a href="` + template.HTMLEscapeString(loc) + `">return</a>`)}
	}
	s.mu.Unlock()
	if err != nil {
		v.Error = err.Error()
	}
	v.Title = map[string]string{"pay": "支付成功", "cancel": "已取消"}[action]
	if err != nil {
		v.Title = "支付宝 - 错误"
	}
	v.Status, v.Link = res.State, link
	if v.Status == "" {
		v.Status = t.status
	}
	return htmlReply(http.StatusOK, v)
}

// returnLocation is return_url plus the signed return parameters of §10.6, signed like
// a notification (sign and sign_type excluded). Caller holds s.mu.
func (s *Server) returnLocation(t *trade, now time.Time) string {
	m := s.st.merchants[t.appID]
	method := methodPagePay + ".return"
	if t.product == prodWap {
		method = methodWapPay + ".return"
	}
	p := sign.Params{
		{Key: "charset", Value: "utf-8"}, {Key: "out_trade_no", Value: t.outTradeNo}, {Key: "method", Value: method},
		{Key: "total_amount", Value: yuan(t.total)}, {Key: "trade_no", Value: t.tradeNo},
		{Key: "auth_app_id", Value: t.appID}, {Key: "version", Value: "1.0"}, {Key: "app_id", Value: t.appID},
		{Key: "sign_type", Value: "RSA2"}, {Key: "timestamp", Value: wireTime(now)},
	}
	if m != nil {
		p = append(p, sign.Param{Key: "seller_id", Value: m.PID})
	}
	p.Sort()
	key, _ := s.signer(t.certMode)
	sig, _ := sign.SignRSA2Base64(key, []byte(sign.Canonical(p, sign.AlipayNotifyCanonical())))
	v := url.Values{}
	for _, kv := range p {
		v.Set(kv.Key, kv.Value)
	}
	v.Set("sign", sig)
	sep := "?"
	if strings.Contains(t.returnURL, "?") {
		sep = "&"
	}
	return t.returnURL + sep + v.Encode()
}
