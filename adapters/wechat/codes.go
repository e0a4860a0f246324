package wechat

import (
	"strings"

	"github.com/tongdao/tongdao/core/channel"
)

// CodeKind classifies a WeChat v2 err_code (wechat-v2.md §6–§7) for any operation: the
// channel.Kind a caller acts on and whether the identical request may be sent again.
// known is false for a code not in the table; such a code is KindUnknown (the cautious
// reading: the channel said FAIL but we cannot tell what happened). Operation-specific
// readings override it: USERPAYING from micropay is a Processing result, ORDERCLOSED
// from closeorder is success, and for operations whose outcome is unknown the
// retryability follows the operation (see Client's methods).
//
// The table, by outcome (§7, with the deviations noted):
//
//	KindUnknown, retryable:     SYSTEMERROR, BANKERROR, USERPAYING, BIZERR_NEED_RETRY
//	KindRateLimited, retryable: FREQUENCY_LIMITED, INVALID_REQ_TOO_MUCH — §7 lists them
//	                            as "unknown", but WeChat's own descriptions say the request
//	                            was not accepted ("该笔退款未受理", "被系统短暂屏蔽"), which is
//	                            exactly KindRateLimited (not executed; retry later, same request)
//	KindAlreadyDone:            ORDERPAID, ORDERCLOSED, ORDERREVERSED
//	KindInsufficientFunds:      NOTENOUGH (payer's balance on pay, merchant's on refund)
//	KindDeclined:               AUTH_CODE_INVALID, AUTH_CODE_ERROR, AUTHCODEEXPIRE,
//	                            NOTSUPORTCARD, BUYER_MISMATCH, TRADE_ERROR, TRADE_OVERDUE,
//	                            USER_ACCOUNT_ABNORMAL, REVERSE_EXPIRE, ERROR
//	KindNotFound:               ORDERNOTEXIST, REFUNDNOTEXIST
//	KindSignature:              SIGNERROR (WeChat rejected our signature)
//	KindInvalidRequest:         INVALID_REQUEST, PARAM_ERROR, LACK_PARAMS, OUT_TRADE_NO_USED,
//	                            INVALID_TRANSACTIONID, NOAUTH, APPID_NOT_EXIST, MCHID_NOT_EXIST,
//	                            APPID_MCHID_NOT_MATCH, XML_FORMAT_ERROR, REQUIRE_POST_METHOD,
//	                            POST_DATA_EMPTY, NOT_UTF8
func CodeKind(errCode string) (kind channel.Kind, retryable, known bool) {
	switch errCode {
	// Outcome unknown: query (or resend the identical request) before deciding (§6.4, §6.6, §7).
	case "SYSTEMERROR", "BANKERROR", "USERPAYING", "BIZERR_NEED_RETRY":
		return channel.KindUnknown, true, true
	// Refused before execution because of request rate (§6.6).
	case "FREQUENCY_LIMITED", "INVALID_REQ_TOO_MUCH":
		return channel.KindRateLimited, true, true
	// The order is already final: paid, closed or reversed (§6.1, §6.3, §7).
	case "ORDERPAID", "ORDERCLOSED", "ORDERREVERSED":
		return channel.KindAlreadyDone, false, true
	case "NOTENOUGH":
		return channel.KindInsufficientFunds, false, true
	// Definitive refusals: a new attempt needs a new number (§6.4–§6.6, §7).
	case "AUTH_CODE_INVALID", "AUTH_CODE_ERROR", "AUTHCODEEXPIRE", "NOTSUPORTCARD",
		"BUYER_MISMATCH", "TRADE_ERROR", "TRADE_OVERDUE", "USER_ACCOUNT_ABNORMAL",
		"REVERSE_EXPIRE", "ERROR":
		return channel.KindDeclined, false, true
	case "ORDERNOTEXIST", "REFUNDNOTEXIST":
		return channel.KindNotFound, false, true
	case "SIGNERROR":
		return channel.KindSignature, false, true
	// Caller bugs: nothing happened; fix the request (§7).
	case "INVALID_REQUEST", "PARAM_ERROR", "LACK_PARAMS", "OUT_TRADE_NO_USED",
		"INVALID_TRANSACTIONID", "NOAUTH", "APPID_NOT_EXIST", "MCHID_NOT_EXIST",
		"APPID_MCHID_NOT_MATCH", "XML_FORMAT_ERROR", "REQUIRE_POST_METHOD",
		"POST_DATA_EMPTY", "NOT_UTF8":
		return channel.KindInvalidRequest, false, true
	}
	return channel.KindUnknown, false, false
}

// returnFailKind classifies a return_code=FAIL answer by its return_msg: the request was
// refused at the protocol level (§4), so nothing happened — except for a "system error"
// message, where we stay cautious.
func returnFailKind(msg string) (channel.Kind, bool) {
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(msg, "签名") || strings.Contains(lower, "sign"):
		return channel.KindSignature, false
	case strings.Contains(msg, "系统") || strings.Contains(lower, "system"):
		return channel.KindUnknown, true
	case strings.Contains(msg, "频率") || strings.Contains(lower, "frequency"):
		return channel.KindRateLimited, true
	}
	return channel.KindInvalidRequest, false
}
