package alipay

import (
	"time"

	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// Methods served at /gateway.do (§9), also the op names of fault plans.
const (
	methodPrecreate    = "alipay.trade.precreate"
	methodPay          = "alipay.trade.pay"
	methodPagePay      = "alipay.trade.page.pay"
	methodWapPay       = "alipay.trade.wap.pay"
	methodAppPay       = "alipay.trade.app.pay"
	methodQuery        = "alipay.trade.query"
	methodClose        = "alipay.trade.close"
	methodCancel       = "alipay.trade.cancel"
	methodRefund       = "alipay.trade.refund"
	methodRefundQuery  = "alipay.trade.fastpay.refund.query"
	methodBillURL      = "alipay.data.dataservice.bill.downloadurl.query"
	methodCertDownload = "alipay.open.app.alipaycert.download"
)

// exchange is one API call being processed.
type exchange struct {
	c   *simulator.Call
	r   *request
	ck  checked
	now time.Time
	bf  *simulator.BusinessFault
	out []notice // notifications to hand to the engine once the lock is released
}

type apiHandler func(s *Server, x *exchange) answer

var apiHandlers = map[string]apiHandler{
	methodPrecreate:    (*Server).precreate,
	methodPay:          (*Server).barcodePay,
	methodQuery:        (*Server).query,
	methodClose:        (*Server).closeTrade,
	methodCancel:       (*Server).cancel,
	methodRefund:       (*Server).refund,
	methodRefundQuery:  (*Server).refundQuery,
	methodBillURL:      (*Server).billURL,
	methodCertDownload: (*Server).certDownload,
}

func isPageMethod(m string) bool {
	return m == methodPagePay || m == methodWapPay || m == methodAppPay
}

// serveGateway is the engine handler of GET and POST /gateway.do: it dispatches on
// method (§1). The call is identified (for fault plans) by method, app_id and
// out_trade_no (or the out_trade_no of the trade named by trade_no) before validation.
func (s *Server) serveGateway(c *simulator.Call) *simulator.Reply {
	now := c.Now()
	r := parseRequest(c.Request, c.Body)
	method := r.get("method")
	if c.Identify(method, r.get("app_id"), s.orderOf(r)) {
		return nil
	}
	if c.BodyTooLarge() {
		// [inferred] The gateway's answer to a body over its limit: an unsigned invalid-
		// parameter error, in the method's node when the query string names one.
		node := "error_response"
		if method != "" {
			node = nodeName(method)
		}
		return s.reply(c, answer{node: node, err: &apiErr{code: codeInvalid, sub: "isv.invalid-parameter", text: "参数无效: 请求体过大", unsigned: true}})
	}
	if method == "" && r.get("service") == serviceNotifyVerify {
		return s.notifyVerify(r)
	}
	if method == "" {
		return s.reply(c, answer{node: "error_response", err: &apiErr{code: codeMissing, sub: "isv.missing-method", text: "缺少方法名参数", unsigned: true}})
	}
	if isPageMethod(method) {
		return s.servePage(c, r, method, now)
	}
	h, ok := apiHandlers[method]
	if !ok {
		return s.reply(c, answer{node: "error_response", err: &apiErr{code: codeInvalid, sub: "isv.invalid-method", text: "不存在的方法名", unsigned: true}})
	}
	ck, e := s.check(r, now)
	if e != nil {
		return s.reply(c, answer{method: method, err: e, signed: true, certMode: ck.certMode})
	}
	x := &exchange{c: c, r: r, ck: ck, now: now}
	if bf, ok := c.BusinessFault(); ok {
		x.bf = &bf
		// USER_PAYING on barcode pay is the payment's own outcome (10003), not an error.
		if !(method == methodPay && bf.Code == simulator.CodeUserPaying) {
			if bf.Process {
				_ = h(s, x)
				s.flush(x.out)
			}
			return s.reply(c, s.failure(method, r, ck, faultErr(method, bf)))
		}
	}
	a := h(s, x)
	a.method, a.signed, a.certMode = method, true, ck.certMode
	if a.err != nil && a.err.code == codeBusiness && a.fields == nil {
		a.fields = zeroFields(method, r)
	}
	s.flush(x.out)
	return s.reply(c, a)
}

// failure is a signed failure answer with the method's zeroed fields (§6).
func (s *Server) failure(method string, r *request, ck checked, e *apiErr) answer {
	a := answer{method: method, err: e, signed: !e.unsigned, certMode: ck.certMode}
	if e.code == codeBusiness {
		a.fields = zeroFields(method, r)
	}
	return a
}

// zeroFields are the extra members real 40004 answers carry (§6).
func zeroFields(method string, r *request) fields {
	f := fields{}
	zero := "0.00"
	switch method {
	case methodQuery, methodPay:
		f["out_trade_no"] = r.str("out_trade_no")
		for _, k := range []string{"buyer_pay_amount", "invoice_amount", "point_amount", "receipt_amount"} {
			f[k] = zero
		}
	case methodRefund:
		f["out_trade_no"] = r.str("out_trade_no")
		f["refund_fee"], f["send_back_fee"] = zero, zero
	case methodCancel:
		f["out_trade_no"] = r.str("out_trade_no")
		f["retry_flag"] = "N"
	case methodPrecreate, methodClose, methodRefundQuery:
		f["out_trade_no"] = r.str("out_trade_no")
	}
	return f
}

// orderOf names the merchant order of a request for fault plans and records.
func (s *Server) orderOf(r *request) string {
	if o := r.str("out_trade_no"); o != "" {
		return o
	}
	if tn := r.str("trade_no"); tn != "" {
		s.mu.Lock()
		defer s.mu.Unlock()
		if t := s.st.byTradeNo[tn]; t != nil {
			return t.outTradeNo
		}
	}
	return ""
}

// findTrade resolves trade_no (which has priority, §8) or out_trade_no to a visible
// trade of the app. Caller holds s.mu.
func (s *Server) findTrade(appID string, r *request) (*trade, *apiErr) {
	tn, otn := r.str("trade_no"), r.str("out_trade_no")
	if tn == "" && otn == "" {
		return nil, bizErrMsg(subInvalidParameter, "参数无效: out_trade_no 和 trade_no 不能同时为空")
	}
	var t *trade
	if tn != "" {
		t = s.st.byTradeNo[tn]
		if t != nil && (t.appID != appID || (otn != "" && otn != t.outTradeNo)) {
			t = nil
		}
	} else {
		t = s.st.trades[tradeKey{appID, otn}]
	}
	if t == nil || !t.visible {
		return nil, bizErr(subTradeNotExist)
	}
	return t, nil
}

// parseAmount reads a yuan amount (§8: [0.01, 100000000], two decimals at most).
func parseAmount(s, field string) (money.Amount, *apiErr) {
	if s == "" {
		return money.Amount{}, bizErrMsg(subInvalidParameter, "缺少必选参数"+field)
	}
	a, err := money.Parse(s, money.CNY)
	if err != nil || !a.IsPositive() {
		return money.Amount{}, bizErrMsg(subInvalidParameter, "参数无效: "+field)
	}
	if a.Minor() > 100000000*100 {
		return money.Amount{}, bizErr(subTotalFeeExceed)
	}
	return a, nil
}
