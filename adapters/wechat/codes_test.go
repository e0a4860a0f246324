package wechat

import (
	"context"
	"testing"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// errCodeTable is every err_code named in wechat-v2.md §6–§7 with its expected reading.
var errCodeTable = []struct {
	code      string
	kind      channel.Kind
	retryable bool
}{
	{"SYSTEMERROR", channel.KindUnknown, true},
	{"BANKERROR", channel.KindUnknown, true},
	{"USERPAYING", channel.KindUnknown, true},
	{"BIZERR_NEED_RETRY", channel.KindUnknown, true},
	{"FREQUENCY_LIMITED", channel.KindRateLimited, true},
	{"INVALID_REQ_TOO_MUCH", channel.KindRateLimited, true},
	{"ORDERPAID", channel.KindAlreadyDone, false},
	{"ORDERCLOSED", channel.KindAlreadyDone, false},
	{"ORDERREVERSED", channel.KindAlreadyDone, false},
	{"NOTENOUGH", channel.KindInsufficientFunds, false},
	{"AUTH_CODE_INVALID", channel.KindDeclined, false},
	{"AUTH_CODE_ERROR", channel.KindDeclined, false},
	{"AUTHCODEEXPIRE", channel.KindDeclined, false},
	{"NOTSUPORTCARD", channel.KindDeclined, false},
	{"BUYER_MISMATCH", channel.KindDeclined, false},
	{"TRADE_ERROR", channel.KindDeclined, false},
	{"TRADE_OVERDUE", channel.KindDeclined, false},
	{"USER_ACCOUNT_ABNORMAL", channel.KindDeclined, false},
	{"REVERSE_EXPIRE", channel.KindDeclined, false},
	{"ERROR", channel.KindDeclined, false},
	{"ORDERNOTEXIST", channel.KindNotFound, false},
	{"REFUNDNOTEXIST", channel.KindNotFound, false},
	{"SIGNERROR", channel.KindSignature, false},
	{"INVALID_REQUEST", channel.KindInvalidRequest, false},
	{"PARAM_ERROR", channel.KindInvalidRequest, false},
	{"LACK_PARAMS", channel.KindInvalidRequest, false},
	{"OUT_TRADE_NO_USED", channel.KindInvalidRequest, false},
	{"INVALID_TRANSACTIONID", channel.KindInvalidRequest, false},
	{"NOAUTH", channel.KindInvalidRequest, false},
	{"APPID_NOT_EXIST", channel.KindInvalidRequest, false},
	{"MCHID_NOT_EXIST", channel.KindInvalidRequest, false},
	{"APPID_MCHID_NOT_MATCH", channel.KindInvalidRequest, false},
	{"XML_FORMAT_ERROR", channel.KindInvalidRequest, false},
	{"REQUIRE_POST_METHOD", channel.KindInvalidRequest, false},
	{"POST_DATA_EMPTY", channel.KindInvalidRequest, false},
	{"NOT_UTF8", channel.KindInvalidRequest, false},
}

// TestCodeKind_EveryDocumentedCode checks each row twice: the table itself, and the
// error a refund returns when WeChat answers with that code (refund: retryable when the
// outcome is unknown).
func TestCodeKind_EveryDocumentedCode(t *testing.T) {
	for _, row := range errCodeTable {
		t.Run(row.code, func(t *testing.T) {
			kind, retry, known := CodeKind(row.code)
			if !known || kind != row.kind || retry != row.retryable {
				t.Fatalf("CodeKind(%s) = %v, %v, %v; want %v, %v, true", row.code, kind, retry, known, row.kind, row.retryable)
			}
			e := newEnv(t, nil)
			e.respond(t, "/secapi/pay/refund", demoKey, sign.WeChatMD5, signedXML(t, map[string]string{
				"result_code": "FAIL", "err_code": row.code, "err_code_des": "描述 " + row.code}))
			_, err := e.c.Refund(context.Background(), refundReq())
			ce := wantErr(t, err, row.kind, row.code, row.retryable)
			if ce.Message != "描述 "+row.code || ce.Op != "refund" || ce.Channel != "wechat" {
				t.Errorf("error fields: %+v", ce)
			}
		})
	}
}

func TestCodeKind_UnlistedCodeIsUnknownAndFollowsTheOperation(t *testing.T) {
	if k, _, known := CodeKind("SOMETHING_NEW"); known || k != channel.KindUnknown {
		t.Fatalf("unlisted code: kind %v known %v", k, known)
	}
	e := newEnv(t, nil)
	body := signedXML(t, map[string]string{"result_code": "FAIL", "err_code": "SOMETHING_NEW"})
	e.respond(t, "/pay/orderquery", demoKey, sign.WeChatMD5, body)
	_, err := e.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "1"})
	wantErr(t, err, channel.KindUnknown, "SOMETHING_NEW", true)
	e.respond(t, "/pay/unifiedorder", demoKey, sign.WeChatMD5, body)
	_, err = e.c.Pay(context.Background(), payReq(channel.MethodQR))
	wantErr(t, err, channel.KindUnknown, "SOMETHING_NEW", false)
}

func TestReturnFail_ByMessage(t *testing.T) {
	tests := []struct {
		msg   string
		kind  channel.Kind
		retry bool
	}{
		{"签名错误", channel.KindSignature, false},
		{"sign error", channel.KindSignature, false},
		{"参数格式校验错误", channel.KindInvalidRequest, false},
		{"system error", channel.KindUnknown, true},
		{"系统繁忙", channel.KindUnknown, true},
		{"频率限制", channel.KindRateLimited, true},
	}
	for _, tc := range tests {
		t.Run(tc.msg, func(t *testing.T) {
			e := newEnv(t, nil)
			e.respond(t, "/secapi/pay/refund", demoKey, sign.WeChatMD5,
				"<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA["+tc.msg+"]]></return_msg></xml>")
			_, err := e.c.Refund(context.Background(), &channel.RefundRequest{RefundNo: "R", OrderNo: "1", Amount: money.Fen(1), OrderAmount: money.Fen(1)})
			wantErr(t, err, tc.kind, tc.msg, tc.retry)
		})
	}
}
