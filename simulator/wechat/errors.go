package wechat

// Communication-level failures (return_code=FAIL, unsigned, §4, §7). WeChat reports a
// bad signature, malformed XML and problems with the request's own identity this way
// rather than as err_code. The Chinese texts are the ones developers report from real
// traffic where the spec quotes them (签名错误, XML格式错误); the others follow the
// descriptions of the matching err_code in WeChat's error tables [inferred, §14].
const (
	msgSignError       = "签名错误"
	msgXMLFormat       = "XML格式错误"
	msgRequirePost     = "请使用post方法"
	msgPostEmpty       = "post数据为空"
	msgNotUTF8         = "编码格式错误"
	msgAppIDNotExist   = "appid不存在"
	msgMchIDNotExist   = "mch_id不存在"
	msgAppIDMchIDMatch = "appid和mch_id不匹配"
	msgSignTypeInvalid = "sign_type参数格式错误"
	msgSandboxKey      = "沙箱验证签名失败，请确认是否已获取沙箱密钥"
	msgNonceTooLong    = "nonce_str参数长度有误"
)

// billMessage translates a communication-level failure into the English return_msg the
// download-bill API uses (§9.3 list of strings seen in SDKs).
func billMessage(msg string) string {
	switch msg {
	case msgSignError:
		return "sign error"
	case msgXMLFormat, msgNotUTF8:
		return "data format error"
	case msgRequirePost:
		return "require POST method"
	case msgPostEmpty:
		return "empty post data"
	case msgNonceTooLong:
		return "nonce_str too long"
	case msgAppIDNotExist, msgAppIDMchIDMatch:
		return "invalid appid"
	case msgMchIDNotExist, msgSignTypeInvalid:
		return "invalid parameter"
	case msgSandboxKey:
		return msg
	}
	return "missing parameter"
}

// missingMsg is the return_msg for a missing or over-long common field (appid, mch_id,
// nonce_str, sign), e.g. "mch_id参数格式错误" [field].
func missingMsg(field string) string { return field + "参数格式错误" }

// Business error codes (result_code=FAIL, err_code) used by this server (§6, §7).
const (
	codeSystemError       = "SYSTEMERROR"
	codeInvalidRequest    = "INVALID_REQUEST"
	codeParamError        = "PARAM_ERROR"
	codeLackParams        = "LACK_PARAMS"
	codeOrderPaid         = "ORDERPAID"
	codeOrderClosed       = "ORDERCLOSED"
	codeOrderNotExist     = "ORDERNOTEXIST"
	codeOrderReversed     = "ORDERREVERSED"
	codeUserPaying        = "USERPAYING"
	codeAuthCodeInvalid   = "AUTH_CODE_INVALID"
	codeNotEnough         = "NOTENOUGH"
	codeTradeError        = "TRADE_ERROR"
	codeReverseExpire     = "REVERSE_EXPIRE"
	codeInvalidTxnID      = "INVALID_TRANSACTIONID"
	codeError             = "ERROR"
	codeTradeOverdue      = "TRADE_OVERDUE"
	codeRefundNotExist    = "REFUNDNOTEXIST"
	codeBizNeedRetry      = "BIZERR_NEED_RETRY"
	codeFrequencyLimited  = "FREQUENCY_LIMITED"
	codeBankError         = "BANKERROR"
	codeInvalidReqTooMuch = "INVALID_REQ_TOO_MUCH"
)

// bizError is a business-level failure: result_code=FAIL with err_code and
// err_code_des, in a signed response (§4).
type bizError struct {
	Code string
	Des  string
	// protocol makes it a return_code=FAIL answer with Des as return_msg (parameter
	// format errors such as "invalid total_fee" are reported that way [field]).
	protocol bool
}

// protoFail is a return_code=FAIL answer raised from inside a handler.
func protoFail(msg string) *bizError { return &bizError{Des: msg, protocol: true} }

// errDes holds the err_code_des WeChat sends for each code this server emits. Texts
// with a numeric prefix ("201 商户订单号重复") are as reported from real traffic [field];
// the rest are the descriptions of WeChat's error tables [doc via SDK copies].
var errDes = map[string]string{
	codeSystemError:       "系统超时",
	codeInvalidRequest:    "参数错误",
	codeParamError:        "参数错误",
	codeLackParams:        "缺少参数",
	codeOrderPaid:         "该订单已支付",
	codeOrderClosed:       "该订单已关闭",
	codeOrderNotExist:     "订单不存在",
	codeOrderReversed:     "订单已撤销",
	codeUserPaying:        "需要用户输入支付密码",
	codeAuthCodeInvalid:   "101 付款码无效，请重新扫码",
	codeNotEnough:         "余额不足",
	codeTradeError:        "交易错误",
	codeReverseExpire:     "订单已经超过撤销期限",
	codeInvalidTxnID:      "无效transaction_id",
	codeError:             "业务错误",
	codeTradeOverdue:      "订单已经超过退款期限",
	codeRefundNotExist:    "退款订单查询失败",
	codeBizNeedRetry:      "退款业务流程错误，需要商户触发重试来解决",
	codeFrequencyLimited:  "频率限制",
	codeBankError:         "银行系统异常",
	codeInvalidReqTooMuch: "无效请求过多",
}

// biz returns the bizError for code with its standard description.
func biz(code string) *bizError {
	d, ok := errDes[code]
	if !ok {
		d = code
	}
	return &bizError{Code: code, Des: d}
}

// bizf returns a bizError for code with a specific description.
func bizf(code, des string) *bizError { return &bizError{Code: code, Des: des} }

// Specific business errors that carry more than the standard text.
var (
	// §6.1: same out_trade_no, different key parameters [field].
	errOutTradeNoUsed = func() *bizError { return bizf(codeInvalidRequest, "201 商户订单号重复") }
	// §6.6: the same out_refund_no with different amounts [inferred].
	errRefundMismatch = func() *bizError {
		return bizf(codeError, "订单金额或退款金额与之前请求不一致，请核实后再试")
	}
	// §6.6 / §11: the refunds would exceed the order total [inferred].
	errOverRefund = func() *bizError { return bizf(codeError, "申请退款金额超过订单可退金额") }
	// §11: every fen already refunded [field].
	errFullyRefunded = func() *bizError { return bizf(codeError, "订单已全额退款") }
)
