package wechat

import (
	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
)

// wechatCode maps the engine's generic business codes to the err_code WeChat uses for
// the operation (§6, §7); any other code is passed through as a raw WeChat err_code.
func wechatCode(op, generic string) string {
	switch generic {
	case simulator.CodeSystemError:
		return codeSystemError
	case simulator.CodeUserPaying:
		return codeUserPaying
	case simulator.CodeOrderPaid:
		return codeOrderPaid
	case simulator.CodeOrderClosed:
		return codeOrderClosed
	case simulator.CodeNotFound:
		if op == OpRefundQuery {
			return codeRefundNotExist
		}
		return codeOrderNotExist
	case simulator.CodeInsufficientFunds:
		return codeNotEnough
	case simulator.CodeDeclined:
		return codeTradeError
	case simulator.CodeRateLimited:
		return codeFrequencyLimited
	case simulator.CodeInvalidRequest:
		return codeParamError
	}
	return generic
}

// applyBusinessFault answers a call with the error a business_code plan asks for, with
// one exception: on refund, the codes CHANGE and REFUNDCLOSE are not errors but the
// final status the new refund will reach.
// USER_PAYING on micropay always creates the order in USERPAYING (the payer then pays
// or cancels through the control API); with Process the request is handled first, so
// its state change is committed and its notifications are sent, and only the answer is
// replaced (e.g. SYSTEMERROR after the order was created).
func (s *Server) applyBusinessFault(rc *reqCtx, rt route, bf businessFault) (sign.Params, *bizError, []outbound) {
	code := wechatCode(rc.op, bf.code)
	be := biz(code)
	if bf.message != "" {
		be.Des = bf.message
	}
	// A refund fault with a refund status as its code is accepted like any refund but
	// ends CHANGE (abnormal: manual handling) or REFUNDCLOSE instead of SUCCESS (§6.7).
	if rc.op == OpRefund && (bf.code == string(RefundChange) || bf.code == string(RefundClose)) {
		return s.refundEnding(rc, RefundStatus(bf.code))
	}
	if rc.op == OpMicropay && code == codeUserPaying {
		_, hbe, out := s.micropayWith(rc, true)
		if hbe != nil && hbe.Code != codeUserPaying {
			return nil, hbe, out
		}
		return nil, be, out
	}
	if !bf.process {
		return nil, be, nil
	}
	_, _, out := rt.handler(s, rc)
	return nil, be, out
}
