package alipay

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tongdao/tongdao/core/channel"
)

// TestCodeTable_EveryRowThroughQuery sends each documented code/sub_code back as a
// signed answer and checks the *channel.Error the caller sees (alipay.md §7).
func TestCodeTable_EveryRowThroughQuery(t *testing.T) {
	key := testKey(t, "alipay_private.pem")
	tests := []struct {
		code, sub string
		kind      channel.Kind
		retryable bool
	}{
		{"20000", "isp.unknow-error", channel.KindUnknown, true},
		{"20000", "", channel.KindUnknown, true},
		{"20001", "aop.invalid-auth-token", channel.KindInvalidRequest, false},
		{"40001", "isv.missing-signature", channel.KindInvalidRequest, false},
		{"40002", "isv.invalid-parameter", channel.KindInvalidRequest, false},
		{"40002", "isv.invalid-signature", channel.KindSignature, false},
		{"40003", "isv.missing-signature-config", channel.KindInvalidRequest, false},
		{"40005", "", channel.KindRateLimited, true},
		{"40006", "isv.insufficient-isv-permissions", channel.KindInvalidRequest, false},
		{"40004", "ACQ.SYSTEM_ERROR", channel.KindUnknown, true},
		{"40004", "ACQ.DISCORDANT_REPEAT_REQUEST", channel.KindUnknown, false},
		{"40004", "ACQ.INVALID_PARAMETER", channel.KindInvalidRequest, false},
		{"40004", "ACQ.CONTEXT_INCONSISTENT", channel.KindInvalidRequest, false},
		{"40004", "ACQ.TOTAL_FEE_EXCEED", channel.KindInvalidRequest, false},
		{"40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", channel.KindInvalidRequest, false},
		{"40004", "ACQ.REASON_TRADE_REFUND_FEE_ERR", channel.KindInvalidRequest, false},
		{"40004", "ACQ.BUYER_SELLER_EQUAL", channel.KindInvalidRequest, false},
		{"40004", "ACQ.PARTNER_ERROR", channel.KindInvalidRequest, false},
		{"40004", "ACQ.ACCESS_FORBIDDEN", channel.KindInvalidRequest, false},
		{"40004", "ACQ.TRADE_NOT_EXIST", channel.KindNotFound, false},
		{"40004", "ACQ.TRADE_HAS_SUCCESS", channel.KindAlreadyDone, false},
		{"40004", "ACQ.TRADE_HAS_CLOSE", channel.KindAlreadyDone, false},
		{"40004", "ACQ.TRADE_HAS_FINISHED", channel.KindAlreadyDone, false},
		{"40004", "ACQ.TRADE_STATUS_ERROR", channel.KindAlreadyDone, false},
		{"40004", "ACQ.BUYER_BALANCE_NOT_ENOUGH", channel.KindInsufficientFunds, false},
		{"40004", "ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH", channel.KindInsufficientFunds, false},
		{"40004", "ACQ.SELLER_BALANCE_NOT_ENOUGH", channel.KindInsufficientFunds, true},
		{"40004", "ACQ.PAYMENT_AUTH_CODE_INVALID", channel.KindDeclined, false},
		{"40004", "ACQ.PAYMENT_FAIL", channel.KindDeclined, false},
		{"40004", "ACQ.REASON_TRADE_BEEN_FREEZEN", channel.KindDeclined, false},
		{"40004", "ACQ.TRADE_CANCEL_TIME_OUT", channel.KindDeclined, false},
		{"40004", "ACQ.CANCEL_NOT_ALLOWED", channel.KindDeclined, false},
		{"40004", "isp.bill_not_exist", channel.KindNotFound, false},
		{"40004", "BILL_NOT_EXIST", channel.KindNotFound, false},
		{"40004", "UNKNOW_ERROR", channel.KindUnknown, true},
		{"40004", "aop.unknow-error", channel.KindUnknown, true},
		{"40004", "ACQ.SOMETHING_NEW", channel.KindDeclined, false},
		{"40004", "ACQ.NEW_SYSTEM_ERROR", channel.KindUnknown, true},
		{"49999", "", channel.KindUnknown, true},
	}
	// Every sub_code of the documented table must have a row here.
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.sub] = true
	}
	for sub := range subCodes {
		assert.True(t, covered[sub], "subCodes row %s has no test", sub)
	}
	for _, tt := range tests {
		t.Run(tt.code+"/"+tt.sub, func(t *testing.T) {
			h := newHarness(t, keyMode)
			node := `{"code":"` + tt.code + `","msg":"m","sub_code":"` + tt.sub + `","sub_msg":"说明"}`
			if tt.sub == "" {
				node = `{"code":"` + tt.code + `","msg":"m"}`
			}
			h.gw.onBody(methodQuery, signedBody(t, key, methodQuery, node, ""))
			_, err := h.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "T1001"})
			var ce *channel.Error
			require.True(t, errors.As(err, &ce), "error %v", err)
			assert.Equal(t, tt.kind, ce.Kind)
			assert.Equal(t, tt.retryable, ce.Retryable)
			want := tt.sub
			if want == "" {
				want = tt.code
			}
			assert.Equal(t, want, ce.Code)
			assert.Equal(t, "alipay", ce.Channel)
			assert.Equal(t, "query", ce.Op)
			if tt.sub != "" {
				assert.Equal(t, "说明", ce.Message)
			}
		})
	}
}
