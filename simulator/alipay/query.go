package alipay

import (
	"encoding/base64"
)

// query serves alipay.trade.query (§9.6).
func (s *Server) query(x *exchange) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.findTrade(x.ck.m.AppID, x.r)
	if e != nil {
		return answer{err: e}
	}
	t.refresh(x.now)
	f := fields{
		"buyer_logon_id": t.buyerLogon, "buyer_user_id": t.buyerID, "buyer_user_type": "PRIVATE",
		"out_trade_no": t.outTradeNo, "trade_no": t.tradeNo, "trade_status": t.status,
		"total_amount": yuan(t.total), "point_amount": "0.00", "store_id": t.storeID, "terminal_id": t.terminalID,
	}
	// Amounts are what the buyer still has paid: a fully refunded trade shows 0.00 with
	// its send_pay_date, as real sandbox traffic does; there is no refund_fee in query
	// answers [field].
	paid := "0.00"
	if !t.paid.IsZero() {
		f["send_pay_date"] = wireTime(t.paid)
		if net, err := t.total.Sub(t.refunded); err == nil && net.IsPositive() {
			paid = yuan(net)
			f["fund_bill_list"] = []fundBill{{Amount: paid, FundChannel: t.fund}}
		}
	}
	for _, k := range []string{"buyer_pay_amount", "invoice_amount", "receipt_amount"} {
		f[k] = paid
	}
	return answer{fields: f}
}

// closeTrade serves alipay.trade.close (§9.7): only WAIT_BUYER_PAY trades close; a
// precreated QR code nobody scanned is ACQ.TRADE_NOT_EXIST. The TRADE_CLOSED
// notification goes to the close request's notify_url, else the trade's (§10.3 reading).
func (s *Server) closeTrade(x *exchange) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.findTrade(x.ck.m.AppID, x.r)
	if e != nil {
		return answer{err: e}
	}
	t.refresh(x.now)
	if t.status != StatusWaitBuyerPay {
		return answer{err: bizErr(subTradeStatusError), fields: fields{"out_trade_no": t.outTradeNo, "trade_no": t.tradeNo}}
	}
	url := x.r.get("notify_url")
	if url == "" {
		url = t.notifyURL
	}
	x.out = append(x.out, s.closeUnpaid(t, x.now, url)...)
	return answer{fields: fields{"out_trade_no": t.outTradeNo, "trade_no": t.tradeNo}}
}

// cancel serves alipay.trade.cancel (§9.8): an unpaid trade (also a reserved one) is
// closed (action close), a paid one refunded in full (action refund); repeating a
// completed cancel answers the same action. retry_flag is always N.
func (s *Server) cancel(x *exchange) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := x.r
	var t *trade
	if tn := r.str("trade_no"); tn != "" {
		t = s.st.byTradeNo[tn]
	} else if otn := r.str("out_trade_no"); otn != "" {
		t = s.st.trades[tradeKey{x.ck.m.AppID, otn}]
	} else {
		return answer{err: bizErrMsg(subInvalidParameter, "参数无效: out_trade_no 和 trade_no 不能同时为空")}
	}
	if t == nil || t.appID != x.ck.m.AppID {
		return answer{err: bizErr(subTradeNotExist)}
	}
	t.refresh(x.now)
	f := fields{"out_trade_no": t.outTradeNo, "retry_flag": "N"}
	switch t.status {
	case StatusWaitBuyerPay:
		x.out = append(x.out, s.closeUnpaid(t, x.now, t.notifyURL)...)
		t.cancelAct = "close"
	case StatusTradeSuccess:
		rest, _ := t.total.Sub(t.refunded)
		x.out = append(x.out, s.addRefund(t, "", t.outTradeNo, rest, "cancel", x.now)...)
		t.cancelAct = "refund"
	case StatusTradeFinished:
		return answer{err: bizErr("ACQ.CANCEL_NOT_ALLOWED"), fields: f}
	case StatusTradeClosed:
		if t.cancelAct == "" {
			t.cancelAct = "close"
		}
	}
	f["trade_no"] = t.tradeNo
	f["action"] = t.cancelAct
	if t.cancelAct == "refund" && len(t.refunds) > 0 {
		f["gmt_refund_pay"] = wireTime(t.refunds[len(t.refunds)-1].at)
	}
	return answer{fields: f}
}

// certDownload serves alipay.open.app.alipaycert.download (§5): the Alipay certificate
// with the asked SN, as base64 of its PEM.
func (s *Server) certDownload(x *exchange) answer {
	sn := x.r.str("alipay_cert_sn")
	if sn == "" {
		return answer{err: bizErrMsg(subInvalidParameter, "缺少必选参数alipay_cert_sn")}
	}
	pem, ok := s.keys.certBySN(sn)
	if !ok {
		return answer{err: bizErr(subCertNotExist)}
	}
	return answer{fields: fields{"alipay_cert_content": base64.StdEncoding.EncodeToString(pem)}}
}
