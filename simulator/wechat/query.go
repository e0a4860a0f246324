package wechat

import (
	"strconv"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
)

// reverseWindow is how long after creation a barcode order can be reversed (§6.5).
const reverseWindow = 7 * 24 * time.Hour

// lookup finds the order a query-like call names: transaction_id wins over
// out_trade_no (§6.2). It answers LACK_PARAMS when neither is given and ORDERNOTEXIST
// (or INVALID_TRANSACTIONID when invalidTxn is set and a transaction_id was given) when
// there is no such order.
func (s *Server) lookup(rc *reqCtx, invalidTxn bool) (*order, *bizError) {
	txn, otn := rc.v("transaction_id"), rc.v("out_trade_no")
	if txn == "" && otn == "" {
		return nil, bizf(codeLackParams, "缺少参数out_trade_no或transaction_id")
	}
	o := s.st.findOrder(rc.realm, rc.m.MchID, txn, otn)
	if o == nil {
		if invalidTxn && txn != "" {
			return nil, biz(codeInvalidTxnID)
		}
		return nil, biz(codeOrderNotExist)
	}
	o.refresh(rc.now)
	return o, nil
}

// orderQuery serves /pay/orderquery (§6.2).
func (s *Server) orderQuery(rc *reqCtx) (sign.Params, *bizError, []outbound) {
	o, be := s.lookup(rc, false)
	if be != nil {
		return nil, be, nil
	}
	return queryFields(o), nil, nil
}

// queryFields is the orderquery body for o: the payment fields once money moved,
// otherwise the order number, amount and state only (§6.2).
func queryFields(o *order) sign.Params {
	var p sign.Params
	if o.state().paid() || (o.state() == StateRevoked && !o.paidAt().IsZero()) {
		p = paidFields(o)
	} else {
		p = sign.Params{
			{Key: "device_info", Value: o.deviceInfo()},
			{Key: "out_trade_no", Value: o.outTradeNo},
			{Key: "attach", Value: o.attach()},
			{Key: "total_fee", Value: strconv.FormatInt(o.totalFee.Minor(), 10)},
		}
	}
	return append(p,
		sign.Param{Key: "trade_state", Value: string(o.state())},
		sign.Param{Key: "trade_state_desc", Value: stateDesc[o.state()]})
}

// closeOrder serves /pay/closeorder (§6.3): NOTPAY → CLOSED; paid → ORDERPAID; closed →
// ORDERCLOSED. Barcode orders are reversed, not closed.
func (s *Server) closeOrder(rc *reqCtx) (sign.Params, *bizError, []outbound) {
	if be := rc.require("out_trade_no"); be != nil {
		return nil, be, nil
	}
	o := s.st.findOrder(rc.realm, rc.m.MchID, "", rc.v("out_trade_no"))
	if o == nil {
		return nil, biz(codeOrderNotExist), nil
	}
	o.refresh(rc.now)
	switch {
	case o.state().paid():
		return nil, biz(codeOrderPaid), nil
	case o.state() == StateClosed || o.state() == StateRevoked:
		return nil, biz(codeOrderClosed), nil
	case o.tradeType == "MICROPAY":
		// §6.3: "not for barcode orders" [inferred wording].
		return nil, bizf(codeTradeError, "付款码支付订单请调用撤销订单接口"), nil
	}
	o.setState(StateClosed)
	// The response carries no result_msg: gopay's CloseOrderResponse has no such field,
	// so including it would break struct-based verification.
	return sign.Params{{Key: "device_info", Value: rc.v("device_info")}}, nil, nil
}

// reverse serves /secapi/pay/reverse (§6.5): barcode orders only, within 7 days; an
// unpaid order is closed as REVOKED, a paid one is refunded in full and REVOKED.
// Reversing a reversed order succeeds again with recall=N.
func (s *Server) reverse(rc *reqCtx) (sign.Params, *bizError, []outbound) {
	o, be := s.lookup(rc, true)
	if be != nil {
		return nil, be, nil
	}
	if o.tradeType != "MICROPAY" {
		return nil, bizf(codeTradeError, "非付款码支付订单不能撤销"), nil
	}
	if rc.now.Sub(o.created()) > reverseWindow {
		return nil, biz(codeReverseExpire), nil
	}
	switch o.state() {
	case StateRefund:
		return nil, bizf(codeTradeError, "订单已发生退款，不能撤销"), nil
	case StateSuccess:
		o.mut().revokeID = s.ids.refundID(rc.now)
		fallthrough
	case StateNotPay, StateUserPaying, StatePayError, StateClosed:
		o.setState(StateRevoked)
		o.mut().revokedAt = rc.now
	}
	return sign.Params{{Key: "recall", Value: "N"}}, nil, nil
}
