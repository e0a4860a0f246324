package alipay

import (
	"strings"

	"github.com/tongdao/tongdao/simulator"
)

// Public result codes and their msg texts (§7).
const (
	codeSuccess     = "10000"
	codeUserPaying  = "10003"
	codeUnknown     = "20000"
	codeMissing     = "40001"
	codeInvalid     = "40002"
	codeConditions  = "40003"
	codeBusiness    = "40004"
	codeCallLimited = "40005"
)

var codeMsg = map[string]string{
	codeSuccess:     "Success",
	codeUserPaying:  "order success pay inprocess", // [field] the text real 10003 answers carry
	codeUnknown:     "Service Currently Unavailable",
	"20001":         "Insufficient Token Permissions",
	codeMissing:     "Missing Required Arguments",
	codeInvalid:     "Invalid Arguments",
	codeConditions:  "Insufficient Conditions",
	codeBusiness:    "Business Failed",
	codeCallLimited: "Call Limited",
	"40006":         "Insufficient Permissions",
}

// Sub-codes (§7). Texts marked [inferred] in subMsg are not confirmed against traffic.
const (
	subSystemError      = "ACQ.SYSTEM_ERROR"
	subInvalidParameter = "ACQ.INVALID_PARAMETER"
	subTradeNotExist    = "ACQ.TRADE_NOT_EXIST"
	subTradeHasSuccess  = "ACQ.TRADE_HAS_SUCCESS"
	subTradeHasClose    = "ACQ.TRADE_HAS_CLOSE"
	subTradeHasFinished = "ACQ.TRADE_HAS_FINISHED"
	subTradeStatusError = "ACQ.TRADE_STATUS_ERROR"
	subContextInconsist = "ACQ.CONTEXT_INCONSISTENT"
	subTotalFeeExceed   = "ACQ.TOTAL_FEE_EXCEED"
	subAuthCodeInvalid  = "ACQ.PAYMENT_AUTH_CODE_INVALID"
	subBuyerBalance     = "ACQ.BUYER_BALANCE_NOT_ENOUGH"
	subPaymentFail      = "ACQ.PAYMENT_FAIL"
	subSellerBalance    = "ACQ.SELLER_BALANCE_NOT_ENOUGH"
	subRefundNotEqual   = "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
	subRefundFeeErr     = "ACQ.REASON_TRADE_REFUND_FEE_ERR"
	subDiscordantRepeat = "ACQ.DISCORDANT_REPEAT_REQUEST"
	subUnknownError     = "isp.unknow-error"
	subBillNotExist     = "isp.bill_not_exist"
	subRateLimited      = "aop.api-call-limited"  // [inferred]
	subCertNotExist     = "CERT_NOT_EXIST"        // [inferred]
	subInvalidArguments = "isv.invalid-arguments" // [inferred] bill date / type
)

var subMsg = map[string]string{
	subSystemError:      "系统错误",
	subInvalidParameter: "参数无效",
	subTradeNotExist:    "交易不存在",
	subTradeHasSuccess:  "交易已被支付",
	subTradeHasClose:    "交易已经关闭",
	subTradeHasFinished: "交易已经完结",
	subTradeStatusError: "交易状态不合法",
	subContextInconsist: "交易信息被篡改",
	subTotalFeeExceed:   "订单金额超过限额",
	subAuthCodeInvalid:  "付款码无效",
	subBuyerBalance:     "买家余额不足",
	subPaymentFail:      "支付失败",
	subSellerBalance:    "卖家余额不足",
	subRefundNotEqual:   "退款金额与订单金额不一致", // [inferred]
	subRefundFeeErr:     "退款金额超限",       // [inferred]
	subDiscordantRepeat: "不一致的请求",
	subUnknownError:     "系统繁忙",
	subBillNotExist:     "账单不存在",
	subRateLimited:      "调用频率超限", // [inferred]
	subCertNotExist:     "证书不存在",  // [inferred]
	subInvalidArguments: "参数不合法",  // [inferred]
}

// apiErr is one failure answer: code, sub_code and sub_msg (msg follows the code).
type apiErr struct {
	code, sub, text string
	unsigned        bool // gateway cannot identify the app: no sign (§6)
}

func bizErr(sub string) *apiErr { return &apiErr{code: codeBusiness, sub: sub, text: subMsg[sub]} }

func bizErrMsg(sub, text string) *apiErr { return &apiErr{code: codeBusiness, sub: sub, text: text} }

func missing(sub, text string) *apiErr { return &apiErr{code: codeMissing, sub: sub, text: text} }

func invalid(sub, text string) *apiErr { return &apiErr{code: codeInvalid, sub: sub, text: text} }

// faultErr maps a business_code fault plan to Alipay's answer for method (§7). Generic
// codes: SYSTEM_ERROR → 40004 ACQ.SYSTEM_ERROR on alipay.trade.* methods (a signed
// business answer that clients treat as unknown) and 20000 isp.unknow-error elsewhere;
// ORDER_PAID → ACQ.TRADE_HAS_SUCCESS; ORDER_CLOSED → ACQ.TRADE_HAS_CLOSE; NOT_FOUND →
// ACQ.TRADE_NOT_EXIST (isp.bill_not_exist on the bill API); INSUFFICIENT_FUNDS →
// ACQ.BUYER_BALANCE_NOT_ENOUGH (ACQ.SELLER_BALANCE_NOT_ENOUGH on refund and cancel);
// DECLINED → ACQ.PAYMENT_FAIL; RATE_LIMITED → 40005; INVALID_REQUEST →
// ACQ.INVALID_PARAMETER. USER_PAYING is handled by alipay.trade.pay (10003); elsewhere
// it is ACQ.SYSTEM_ERROR. A raw code is sent as given: "ACQ.*" as 40004, "isv.*" as
// 40002, "isp.*"/"aop.*" as 20000, a 5-digit public code bare.
func faultErr(method string, bf simulator.BusinessFault) *apiErr {
	trade := strings.HasPrefix(method, "alipay.trade.")
	refundish := method == methodRefund || method == methodCancel
	var e *apiErr
	switch bf.Code {
	case simulator.CodeSystemError, simulator.CodeUserPaying:
		if trade {
			e = bizErr(subSystemError)
		} else {
			e = &apiErr{code: codeUnknown, sub: subUnknownError, text: subMsg[subUnknownError]}
		}
	case simulator.CodeOrderPaid:
		e = bizErr(subTradeHasSuccess)
	case simulator.CodeOrderClosed:
		e = bizErr(subTradeHasClose)
	case simulator.CodeNotFound:
		if method == methodBillURL {
			e = bizErr(subBillNotExist)
		} else {
			e = bizErr(subTradeNotExist)
		}
	case simulator.CodeInsufficientFunds:
		if refundish {
			e = bizErr(subSellerBalance)
		} else {
			e = bizErr(subBuyerBalance)
		}
	case simulator.CodeDeclined:
		e = bizErr(subPaymentFail)
	case simulator.CodeRateLimited:
		e = &apiErr{code: codeCallLimited, sub: subRateLimited, text: subMsg[subRateLimited]}
	case simulator.CodeInvalidRequest:
		e = bizErr(subInvalidParameter)
	default:
		c := bf.Code
		switch {
		case strings.HasPrefix(c, "ACQ.") || !strings.Contains(c, ".") && !allDigits(c):
			e = bizErrMsg(c, subMsg[c])
		case strings.HasPrefix(c, "isv."):
			e = invalid(c, c)
		case strings.HasPrefix(c, "isp.") || strings.HasPrefix(c, "aop."):
			e = &apiErr{code: codeUnknown, sub: c, text: subMsg[c]}
		case len(c) == 5 && allDigits(c):
			e = &apiErr{code: c}
		default:
			e = bizErrMsg(c, "")
		}
	}
	if bf.Message != "" {
		e.text = bf.Message
	}
	if e.text == "" && e.sub != "" {
		e.text = e.sub
	}
	return e
}
