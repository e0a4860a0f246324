package alipay

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

func TestQuery_MapsTradeStatus(t *testing.T) {
	tests := []struct {
		golden string
		status channel.Status
		paid   bool
	}{
		{"query_success", channel.StatusSucceeded, true},
		{"query_wait", channel.StatusPending, false},
		{"query_closed_unpaid", channel.StatusClosed, false},
		{"query_closed_refunded", channel.StatusRefunded, true},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			h := newHarness(t, keyMode)
			h.gw.onBody(methodQuery, golden(t, tt.golden))
			r, err := h.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "T1001"})
			require.NoError(t, err)
			assert.Equal(t, tt.status, r.Status)
			assert.Equal(t, "T1001", r.OrderNo)
			assert.Equal(t, tradeNo, r.ChannelTxnID)
			assert.Equal(t, money.Fen(8888), r.Amount)
			assert.Equal(t, tt.paid, !r.PaidAt.IsZero())
			assert.Equal(t, map[string]any{"out_trade_no": "T1001"}, biz(t, h.gw.last()))
		})
	}
}

func TestQuery_ByTradeNo(t *testing.T) {
	h := newHarness(t, keyMode)
	h.gw.onBody(methodQuery, golden(t, "query_success"))
	_, err := h.c.Query(context.Background(), &channel.QueryRequest{ChannelTxnID: tradeNo})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"trade_no": tradeNo}, biz(t, h.gw.last()))
}

func TestQuery_TradeNotExistIsNotFound(t *testing.T) {
	h := newHarness(t, keyMode)
	h.gw.onBody(methodQuery, golden(t, "query_not_exist"))
	_, err := h.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "T1001"})
	assert.ErrorIs(t, err, channel.ErrNotFound)
	assert.Equal(t, "ACQ.TRADE_NOT_EXIST", kindOf(t, err).Code)
}

func TestTradeStatus_Table(t *testing.T) {
	tests := []struct {
		s              string
		paid, refunded bool
		want           channel.Status
	}{
		{TradeWaitBuyerPay, false, false, channel.StatusPending},
		{TradeSuccess, true, false, channel.StatusSucceeded},
		{TradeSuccess, true, true, channel.StatusRefunded},
		{TradeFinished, true, false, channel.StatusSucceeded},
		{TradeClosed, false, false, channel.StatusClosed},
		{TradeClosed, true, false, channel.StatusRefunded},
		{TradeClosed, false, true, channel.StatusRefunded},
		{"WHATEVER", true, true, channel.StatusUnknown},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tradeStatus(tt.s, tt.paid, tt.refunded), "%s paid=%v refunded=%v", tt.s, tt.paid, tt.refunded)
	}
}

func TestClose_Outcomes(t *testing.T) {
	t.Run("closed", func(t *testing.T) {
		h := newHarness(t, keyMode)
		h.gw.onBody(methodClose, golden(t, "close_ok"))
		r, err := h.c.Close(context.Background(), &channel.CloseRequest{OrderNo: "T1001"})
		require.NoError(t, err)
		assert.Equal(t, channel.StatusClosed, r.Status)
		assert.Equal(t, tradeNo, r.ChannelTxnID)
	})
	t.Run("already closed and unpaid is idempotent", func(t *testing.T) {
		h := newHarness(t, keyMode)
		h.gw.onBody(methodClose, golden(t, "close_status_error"))
		h.gw.onBody(methodQuery, golden(t, "query_closed_unpaid"))
		r, err := h.c.Close(context.Background(), &channel.CloseRequest{OrderNo: "T1001"})
		require.NoError(t, err)
		assert.Equal(t, channel.StatusClosed, r.Status)
		assert.Equal(t, []string{methodClose, methodQuery}, h.gw.methods())
	})
	t.Run("paid is already done", func(t *testing.T) {
		h := newHarness(t, keyMode)
		h.gw.onBody(methodClose, golden(t, "close_status_error"))
		h.gw.onBody(methodQuery, golden(t, "query_success"))
		_, err := h.c.Close(context.Background(), &channel.CloseRequest{OrderNo: "T1001"})
		assert.ErrorIs(t, err, channel.ErrAlreadyDone)
	})
	t.Run("bad signature is unknown", func(t *testing.T) {
		h := newHarness(t, keyMode)
		h.gw.onBody(methodClose, signedBody(t, testKey(t, "alipay2_private.pem"), methodClose, `{"code":"10000","msg":"Success"}`, ""))
		_, err := h.c.Close(context.Background(), &channel.CloseRequest{OrderNo: "T1001"})
		assert.ErrorIs(t, err, channel.ErrUnknownOutcome)
	})
}

func TestCancel_Outcomes(t *testing.T) {
	tests := []struct {
		golden string
		status channel.Status
		retry  bool
	}{
		{"cancel_close", channel.StatusClosed, false},
		{"cancel_refund", channel.StatusReversed, false},
		{"cancel_retry", channel.StatusProcessing, true},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			h := newHarness(t, keyMode)
			h.gw.onBody(methodCancel, golden(t, tt.golden))
			var cc channel.Canceller = h.c
			r, err := cc.Cancel(context.Background(), &channel.CancelRequest{OrderNo: "T1001"})
			require.NoError(t, err)
			assert.Equal(t, tt.status, r.Status)
			assert.Equal(t, tt.retry, r.RetryNeeded)
			assert.Equal(t, tradeNo, r.ChannelTxnID)
		})
	}
}

func refundReq() *channel.RefundRequest {
	return &channel.RefundRequest{RefundNo: "R2001", OrderNo: "T1001", Amount: money.Fen(3000), OrderAmount: money.Fen(8888), Reason: "正常退款"}
}

func TestRefund_FundChangeYesSucceeds(t *testing.T) {
	h := newHarness(t, keyMode)
	h.gw.onBody(methodRefund, golden(t, "refund_ok"))
	r, err := h.c.Refund(context.Background(), refundReq())
	require.NoError(t, err)
	assert.Equal(t, channel.StatusSucceeded, r.Status)
	assert.True(t, r.MoneyMoved)
	assert.Equal(t, money.Fen(3000), r.Amount)
	assert.Equal(t, money.Fen(3000), r.RefundedTotal)
	assert.Equal(t, time.Date(2026, 11, 22, 11, 16, 57, 0, clock.Beijing()), r.CompletedAt)
	b := biz(t, h.gw.last())
	assert.Equal(t, "R2001", b["out_request_no"], "out_request_no is always RefundNo")
	assert.Equal(t, "30.00", b["refund_amount"])
	assert.Equal(t, "正常退款", b["refund_reason"])
}

func TestRefund_FundChangeNoAsksRefundQuery(t *testing.T) {
	t.Run("query confirms", func(t *testing.T) {
		h := newHarness(t, keyMode)
		h.gw.onBody(methodRefund, golden(t, "refund_repeat"))
		h.gw.onBody(methodRefundQuery, golden(t, "refund_query_success"))
		r, err := h.c.Refund(context.Background(), refundReq())
		require.NoError(t, err)
		assert.Equal(t, channel.StatusSucceeded, r.Status)
		assert.False(t, r.MoneyMoved)
		assert.Equal(t, RefundStatusSuccess, r.ChannelStatus)
		assert.Equal(t, []string{methodRefund, methodRefundQuery}, h.gw.methods())
		assert.Equal(t, "R2001", biz(t, h.gw.last())["out_request_no"])
	})
	t.Run("query has no refund", func(t *testing.T) {
		h := newHarness(t, keyMode)
		h.gw.onBody(methodRefund, golden(t, "refund_repeat"))
		h.gw.onBody(methodRefundQuery, golden(t, "refund_query_empty"))
		r, err := h.c.Refund(context.Background(), refundReq())
		require.NoError(t, err)
		assert.Equal(t, channel.StatusUnknown, r.Status)
		assert.False(t, r.MoneyMoved)
	})
}

func TestRefund_Failures(t *testing.T) {
	tests := []struct {
		golden string
		kind   channel.Kind
	}{
		{"refund_fee_err", channel.KindInvalidRequest},
		{"refund_discordant", channel.KindUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			h := newHarness(t, keyMode)
			h.gw.onBody(methodRefund, golden(t, tt.golden))
			_, err := h.c.Refund(context.Background(), refundReq())
			assert.Equal(t, tt.kind, kindOf(t, err).Kind)
		})
	}
}

func TestRefund_RejectsBeforeCalling(t *testing.T) {
	h := newHarness(t, keyMode)
	req := refundReq()
	req.Amount = money.New(3000, money.EUR)
	req.OrderAmount = money.Amount{}
	_, err := h.c.Refund(context.Background(), req)
	assert.ErrorIs(t, err, channel.ErrInvalidRequest)
	req = refundReq()
	req.RefundNo = "R 1"
	_, err = h.c.Refund(context.Background(), req)
	assert.ErrorIs(t, err, channel.ErrInvalidRequest)
	assert.Empty(t, h.gw.methods())
}

func TestQueryRefund(t *testing.T) {
	h := newHarness(t, keyMode)
	h.gw.onBody(methodRefundQuery, golden(t, "refund_query_success"), golden(t, "refund_query_empty"))
	r, err := h.c.QueryRefund(context.Background(), &channel.RefundQueryRequest{RefundNo: "R2001", OrderNo: "T1001"})
	require.NoError(t, err)
	assert.Equal(t, channel.StatusSucceeded, r.Status)
	assert.Equal(t, money.Fen(3000), r.Amount)
	assert.Equal(t, "R2001", r.RefundNo)
	assert.Equal(t, time.Date(2026, 11, 22, 11, 16, 57, 0, clock.Beijing()), r.CompletedAt)
	b := biz(t, h.gw.last())
	assert.Equal(t, []any{"gmt_refund_pay"}, b["query_options"])

	_, err = h.c.QueryRefund(context.Background(), &channel.RefundQueryRequest{RefundNo: "R2001", OrderNo: "T1001"})
	assert.ErrorIs(t, err, channel.ErrNotFound)

	_, err = h.c.QueryRefund(context.Background(), &channel.RefundQueryRequest{RefundNo: "R2001"})
	assert.ErrorIs(t, err, channel.ErrInvalidRequest)
}

func TestCertMode_SendsSNsAndVerifiesWithTheCert(t *testing.T) {
	h := newHarness(t, certModeTest)
	h.gw.onBody(methodQuery, golden(t, "query_success_cert"))
	r, err := h.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "T1001"})
	require.NoError(t, err)
	assert.Equal(t, channel.StatusSucceeded, r.Status)
	form := h.gw.last()
	assert.Equal(t, certSN(t, "app_cert.crt"), form.Get("app_cert_sn"))
	assert.Equal(t, certSN(t, "root.crt"), form.Get("alipay_root_cert_sn"))
}

func TestCertMode_RotationDownloadsChainsAndCaches(t *testing.T) {
	h := newHarness(t, certModeTest)
	h.gw.onBody(methodQuery, golden(t, "query_success_rotated"), golden(t, "query_success_rotated"))
	h.gw.onBody(certDownloadMethod, golden(t, "cert_download"))
	for range 2 {
		r, err := h.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "T1001"})
		require.NoError(t, err)
		assert.Equal(t, channel.StatusSucceeded, r.Status)
	}
	assert.Equal(t, []string{methodQuery, certDownloadMethod, methodQuery}, h.gw.methods(), "the rotated cert is downloaded once")
	var b map[string]any
	for _, c := range h.gw.calls {
		if c.Get("method") == certDownloadMethod {
			b = biz(t, c)
		}
	}
	assert.Equal(t, certSN(t, "alipay2_cert.crt"), b["alipay_cert_sn"])
}

func TestCertMode_RotationRefusesCertOutsideTheRoot(t *testing.T) {
	h := newHarness(t, certModeTest)
	h.gw.onBody(methodQuery, golden(t, "query_success_rotated"))
	h.gw.onBody(certDownloadMethod, golden(t, "cert_download_rogue"))
	_, err := h.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "T1001"})
	ce := kindOf(t, err)
	assert.Equal(t, channel.KindSignature, ce.Kind)
	assert.Equal(t, "BAD_RESPONSE_SIGNATURE", ce.Code)

	// For a call that may move money the same failure leaves the outcome unknown.
	h = newHarness(t, certModeTest)
	h.gw.onBody(methodRefund, signedBody(t, testKey(t, "alipay2_private.pem"), methodRefund, `{"code":"10000","msg":"Success","fund_change":"Y"}`, certSN(t, "alipay2_cert.crt")))
	h.gw.onBody(certDownloadMethod, golden(t, "cert_download_rogue"))
	_, err = h.c.Refund(context.Background(), refundReq())
	assert.ErrorIs(t, err, channel.ErrUnknownOutcome)
}

func TestCertMode_RotationRefusesExpiredCert(t *testing.T) {
	h := newHarness(t, certModeTest)
	h.clk.Advance(200 * 365 * 24 * time.Hour) // past the test certificates' 100 years
	h.gw.onBody(methodQuery, golden(t, "query_success_rotated"))
	h.gw.onBody(certDownloadMethod, golden(t, "cert_download"))
	_, err := h.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "T1001"})
	assert.ErrorIs(t, err, channel.ErrSignature)
}

func TestKeyMode_IgnoresStrayCertSN(t *testing.T) {
	h := newHarness(t, keyMode)
	h.gw.onBody(methodQuery, golden(t, "query_success_cert"))
	r, err := h.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "T1001"})
	require.NoError(t, err)
	assert.Equal(t, channel.StatusSucceeded, r.Status)
}

func TestCall_ReplayedAnswerForAnotherOrderIsUnknown(t *testing.T) {
	h := newHarness(t, keyMode)
	h.gw.onBody(methodQuery, golden(t, "query_success")) // genuine, signed, but for T1001
	_, err := h.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "T9999"})
	ce := kindOf(t, err)
	assert.Equal(t, channel.KindUnknown, ce.Kind)
	assert.Equal(t, "RESPONSE_MISMATCH", ce.Code)

	h = newHarness(t, keyMode)
	h.gw.onBody(methodRefund, golden(t, "refund_ok"))
	req := refundReq()
	req.OrderNo = "T9999"
	_, err = h.c.Refund(context.Background(), req)
	assert.Equal(t, "RESPONSE_MISMATCH", kindOf(t, err).Code)
}

func TestCertMode_ConcurrentRotationDownloadsOnce(t *testing.T) {
	h := newHarness(t, certModeTest)
	h.gw.onBody(methodQuery, golden(t, "query_success_rotated"))
	h.gw.onBody(certDownloadMethod, golden(t, "cert_download"))
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := h.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "T1001"})
			errs <- err
		}()
	}
	for range n {
		assert.NoError(t, <-errs)
	}
	downloads := 0
	for _, m := range h.gw.methods() {
		if m == certDownloadMethod {
			downloads++
		}
	}
	assert.Equal(t, 1, downloads)
}

func TestCertMode_FailedDownloadIsNotRepeatedAtOnce(t *testing.T) {
	h := newHarness(t, certModeTest)
	h.gw.onBody(methodQuery, golden(t, "query_success_rotated"))
	h.gw.onBody(certDownloadMethod, golden(t, "cert_download_rogue"), golden(t, "cert_download"))
	count := func() int {
		n := 0
		for _, m := range h.gw.methods() {
			if m == certDownloadMethod {
				n++
			}
		}
		return n
	}
	for range 3 {
		_, err := h.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "T1001"})
		assert.ErrorIs(t, err, channel.ErrSignature)
	}
	assert.Equal(t, 1, count(), "one download per SN per minute")
	h.clk.Advance(certRetryAfter)
	_, err := h.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "T1001"})
	require.NoError(t, err)
	assert.Equal(t, 2, count())
}
