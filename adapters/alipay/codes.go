package alipay

import (
	"strings"

	"github.com/tongdao/tongdao/core/channel"
)

// Public result codes (alipay.md §7).
const (
	codeSuccess = "10000"
	codeWaiting = "10003" // alipay.trade.pay: buyer confirming on the phone
	codeUnknown = "20000" // service unavailable: outcome unknown
)

// codeRule is one row of the result-code table.
type codeRule struct {
	kind      channel.Kind
	retryable bool
}

// publicCodes maps public codes other than 40004 (alipay.md §7). A "yes" on a KindUnknown
// row holds only where retryAfterSend does (never for pay):
//
//	code   kind             retry  why
//	20000  Unknown          yes    "service currently unavailable": query or resend identically
//	20001  InvalidRequest   no     auth token rejected; not executed
//	40001  InvalidRequest   no     missing argument; not executed
//	40002  InvalidRequest   no     invalid argument (isv.invalid-signature → Signature)
//	40003  InvalidRequest   no     app not configured / not enabled
//	40005  RateLimited      yes    call limited; explicitly not executed
//	40006  InvalidRequest   no     product not signed
//	other  Unknown          yes    unrecognised code: never assume nothing happened
var publicCodes = map[string]codeRule{
	codeUnknown: {channel.KindUnknown, true},
	"20001":     {channel.KindInvalidRequest, false},
	"40001":     {channel.KindInvalidRequest, false},
	"40002":     {channel.KindInvalidRequest, false},
	"40003":     {channel.KindInvalidRequest, false},
	"40005":     {channel.KindRateLimited, true},
	"40006":     {channel.KindInvalidRequest, false},
}

// subCodes maps 40004 sub_codes (alipay.md §7 "ACQ.* sub_codes that drive state").
// A 40004 whose sub_code is not listed is KindDeclined, not retryable: a business
// failure is a definite refusal. The Close, Pay and Refund operations refine a few of
// these (see their documentation); a "yes" on a KindUnknown row holds only where
// retryAfterSend does (never for pay).
//
//	sub_code                              kind               retry
//	ACQ.SYSTEM_ERROR                      Unknown            yes  (query, or resend identically)
//	ACQ.DISCORDANT_REPEAT_REQUEST         Unknown            no   (same out_request_no, other params: query the refund)
//	ACQ.INVALID_PARAMETER                 InvalidRequest     no
//	ACQ.CONTEXT_INCONSISTENT              InvalidRequest     no   (same out_trade_no, different amount/params)
//	ACQ.TOTAL_FEE_EXCEED                  InvalidRequest     no
//	ACQ.REFUND_AMT_NOT_EQUAL_TOTAL        InvalidRequest     no
//	ACQ.REASON_TRADE_REFUND_FEE_ERR       InvalidRequest     no   (refund exceeds the refundable amount)
//	ACQ.BUYER_SELLER_EQUAL                InvalidRequest     no
//	ACQ.PARTNER_ERROR                     InvalidRequest     no   (configuration)
//	ACQ.ACCESS_FORBIDDEN                  InvalidRequest     no   (permission)
//	ACQ.TRADE_NOT_EXIST                   NotFound           no   (for precreate/page/wap/app: "not scanned yet", §9.2)
//	ACQ.TRADE_HAS_SUCCESS                 AlreadyDone        no   (paid: query)
//	ACQ.TRADE_HAS_CLOSE                   AlreadyDone        no
//	ACQ.TRADE_HAS_FINISHED                AlreadyDone        no   (refund window over)
//	ACQ.TRADE_STATUS_ERROR                AlreadyDone        no   (wrong state: query)
//	ACQ.BUYER_BALANCE_NOT_ENOUGH          InsufficientFunds  no
//	ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH InsufficientFunds  no
//	ACQ.SELLER_BALANCE_NOT_ENOUGH         InsufficientFunds  yes  (merchant balance; retry later)
//	ACQ.PAYMENT_AUTH_CODE_INVALID         Declined           no
//	ACQ.PAYMENT_FAIL                      Declined           no
//	ACQ.REASON_TRADE_BEEN_FREEZEN         Declined           no   (manual)
//	ACQ.TRADE_CANCEL_TIME_OUT             Declined           no   (use refund)
//	ACQ.CANCEL_NOT_ALLOWED                Declined           no   (use refund)
//	isp.bill_not_exist / BILL_NOT_EXIST   NotFound           no   (DownloadStatement decides empty vs unavailable)
//	UNKNOW_ERROR, isp.unknow-error        Unknown            yes
var subCodes = map[string]codeRule{
	"ACQ.SYSTEM_ERROR":                      {channel.KindUnknown, true},
	"ACQ.DISCORDANT_REPEAT_REQUEST":         {channel.KindUnknown, false},
	"ACQ.INVALID_PARAMETER":                 {channel.KindInvalidRequest, false},
	"ACQ.CONTEXT_INCONSISTENT":              {channel.KindInvalidRequest, false},
	"ACQ.TOTAL_FEE_EXCEED":                  {channel.KindInvalidRequest, false},
	"ACQ.REFUND_AMT_NOT_EQUAL_TOTAL":        {channel.KindInvalidRequest, false},
	"ACQ.REASON_TRADE_REFUND_FEE_ERR":       {channel.KindInvalidRequest, false},
	"ACQ.BUYER_SELLER_EQUAL":                {channel.KindInvalidRequest, false},
	"ACQ.PARTNER_ERROR":                     {channel.KindInvalidRequest, false},
	"ACQ.ACCESS_FORBIDDEN":                  {channel.KindInvalidRequest, false},
	"ACQ.TRADE_NOT_EXIST":                   {channel.KindNotFound, false},
	"ACQ.TRADE_HAS_SUCCESS":                 {channel.KindAlreadyDone, false},
	"ACQ.TRADE_HAS_CLOSE":                   {channel.KindAlreadyDone, false},
	"ACQ.TRADE_HAS_FINISHED":                {channel.KindAlreadyDone, false},
	"ACQ.TRADE_STATUS_ERROR":                {channel.KindAlreadyDone, false},
	"ACQ.BUYER_BALANCE_NOT_ENOUGH":          {channel.KindInsufficientFunds, false},
	"ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH": {channel.KindInsufficientFunds, false},
	"ACQ.SELLER_BALANCE_NOT_ENOUGH":         {channel.KindInsufficientFunds, true},
	"ACQ.PAYMENT_AUTH_CODE_INVALID":         {channel.KindDeclined, false},
	"ACQ.PAYMENT_FAIL":                      {channel.KindDeclined, false},
	"ACQ.REASON_TRADE_BEEN_FREEZEN":         {channel.KindDeclined, false},
	"ACQ.TRADE_CANCEL_TIME_OUT":             {channel.KindDeclined, false},
	"ACQ.CANCEL_NOT_ALLOWED":                {channel.KindDeclined, false},
	"isp.bill_not_exist":                    {channel.KindNotFound, false},
	"BILL_NOT_EXIST":                        {channel.KindNotFound, false},
	"UNKNOW_ERROR":                          {channel.KindUnknown, true},
	"isp.unknow-error":                      {channel.KindUnknown, true},
	"aop.unknow-error":                      {channel.KindUnknown, true},
}

// classify returns the rule for a failed answer's code and sub_code.
func classify(code, subCode string) codeRule {
	if code == "40004" {
		if r, ok := subCodes[subCode]; ok {
			return r
		}
		if strings.HasSuffix(subCode, "SYSTEM_ERROR") || strings.HasSuffix(strings.ToUpper(subCode), "UNKNOW_ERROR") {
			return codeRule{channel.KindUnknown, true}
		}
		return codeRule{channel.KindDeclined, false}
	}
	if subCode == "isv.invalid-signature" {
		return codeRule{channel.KindSignature, false}
	}
	if r, ok := publicCodes[code]; ok {
		return r
	}
	return codeRule{channel.KindUnknown, true}
}

// codeError turns a failed answer into a *channel.Error. Code carries the sub_code
// when present (the most specific code), else the code; Message the sub_msg or msg.
func codeError(op string, h *header, body []byte) *channel.Error {
	r := classify(h.Code, h.SubCode)
	if r.kind == channel.KindUnknown {
		r.retryable = r.retryable && retryAfterSend(op) // the table's "yes" holds where resending is safe
	}
	code, msg := h.Code, h.Msg
	if h.SubCode != "" {
		code = h.SubCode
	}
	if h.SubMsg != "" {
		msg = h.SubMsg
	}
	return &channel.Error{Channel: Name, Op: op, Kind: r.kind, Code: code, Message: msg, Retryable: r.retryable, Raw: redact(body)}
}

// isSub reports whether err is an Alipay answer with the given sub_code.
func isSub(err error, subCode string) bool {
	e, ok := err.(*channel.Error)
	return ok && e.Code == subCode
}
