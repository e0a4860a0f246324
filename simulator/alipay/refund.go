package alipay

import (
	"time"

	"github.com/tongdao/tongdao/core/money"
)

// refund serves alipay.trade.refund (§9.9): without out_request_no it is a full refund
// (the amount must equal the total); each out_request_no is one refund, idempotent for
// the same amount (fund_change N) and ACQ.DISCORDANT_REPEAT_REQUEST for another; the sum
// never exceeds the total (ACQ.REASON_TRADE_REFUND_FEE_ERR). The 3-second spacing rule
// of the real gateway is not enforced.
func (s *Server) refund(x *exchange) answer {
	amt, e := parseAmount(x.r.str("refund_amount"), "refund_amount")
	if e != nil {
		return answer{err: e}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.findTrade(x.ck.m.AppID, x.r)
	if e != nil {
		return answer{err: e}
	}
	t.refresh(x.now)
	orq := x.r.str("out_request_no")
	queryNo := orq
	if queryNo == "" {
		queryNo = t.outTradeNo // §9.10: a full refund is queried by out_trade_no
	}
	for _, rf := range t.refunds {
		if rf.queryNo != queryNo {
			continue
		}
		if rf.amount != amt {
			return answer{err: bizErr(subDiscordantRepeat)}
		}
		f := refundFields(t, rf)
		f["fund_change"] = "N"
		return answer{fields: f}
	}
	switch t.status {
	case StatusWaitBuyerPay:
		return answer{err: bizErr(subTradeStatusError)}
	case StatusTradeClosed:
		return answer{err: bizErr(subTradeHasClose)}
	case StatusTradeFinished:
		return answer{err: bizErr(subTradeHasFinished)}
	}
	if orq == "" && amt != t.total {
		return answer{err: bizErr(subRefundNotEqual)}
	}
	sum, err := t.refunded.Add(amt)
	if err != nil || sum.Minor() > t.total.Minor() {
		return answer{err: bizErr(subRefundFeeErr)}
	}
	x.out = append(x.out, s.addRefund(t, orq, queryNo, amt, x.r.str("refund_reason"), x.now)...)
	f := refundFields(t, t.refunds[len(t.refunds)-1])
	f["fund_change"] = "Y"
	if hasOption(x.r, "refund_detail_item_list") {
		f["refund_detail_item_list"] = []refundDetail{{Amount: yuan(amt), FundChannel: t.fund}}
	}
	return answer{fields: f}
}

// refundFields are the members of a refund answer (§9.9): refund_fee is cumulative.
func refundFields(t *trade, rf *refund) fields {
	return fields{
		"buyer_logon_id": t.buyerLogon, "buyer_user_id": t.buyerID, "gmt_refund_pay": wireTime(rf.at),
		"out_trade_no": t.outTradeNo, "refund_fee": yuan(t.refunded), "send_back_fee": "0.00", "trade_no": t.tradeNo,
	}
}

// addRefund records an accepted refund and returns its notification (§10.3). A refund
// of the whole remaining amount closes the trade. Caller holds s.mu.
func (s *Server) addRefund(t *trade, orq, queryNo string, amt money.Amount, reason string, at time.Time) []notice {
	rf := &refund{outRequestNo: orq, queryNo: queryNo, amount: amt, reason: reason, at: at}
	t.refunds = append(t.refunds, rf)
	t.refunded, _ = t.refunded.Add(amt)
	if t.refunded == t.total {
		t.status, t.closed = StatusTradeClosed, at
	}
	return s.refundNotice(t, rf)
}

// refundQuery serves alipay.trade.fastpay.refund.query (§9.10): the refund with
// REFUND_SUCCESS, or a bare 10000 when there is none.
func (s *Server) refundQuery(x *exchange) answer {
	orq := x.r.str("out_request_no")
	if orq == "" {
		return answer{err: bizErrMsg(subInvalidParameter, "缺少必选参数out_request_no")}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.findTrade(x.ck.m.AppID, x.r)
	if e != nil {
		return answer{err: e}
	}
	for _, rf := range t.refunds {
		if rf.queryNo == orq {
			return answer{fields: fields{
				"gmt_refund_pay": wireTime(rf.at), "out_request_no": orq, "out_trade_no": t.outTradeNo,
				"refund_amount": yuan(rf.amount), "refund_reason": rf.reason, "refund_status": "REFUND_SUCCESS",
				"send_back_fee": yuan(rf.amount), "total_amount": yuan(t.total), "trade_no": t.tradeNo,
			}}
		}
	}
	return answer{}
}
