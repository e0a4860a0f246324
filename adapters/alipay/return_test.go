package alipay

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

func returnParams() map[string]string {
	return map[string]string{
		"charset": "utf-8", "out_trade_no": "T1001", "method": "alipay.trade.page.pay.return",
		"total_amount": "88.88", "trade_no": tradeNo, "auth_app_id": testAppID, "version": "1.0",
		"app_id": testAppID, "seller_id": "2088102119685838", "timestamp": "2026-11-22 10:00:07",
	}
}

func TestVerifyReturn(t *testing.T) {
	h := newHarness(t, keyMode)
	q, err := url.ParseQuery(string(notifyBody(t, "alipay_private.pem", returnParams(), false)))
	require.NoError(t, err)
	r, err := h.c.VerifyReturn(context.Background(), q)
	require.NoError(t, err)
	assert.Equal(t, channel.StatusUnknown, r.Status, "a return is never proof of payment")
	assert.Equal(t, "T1001", r.OrderNo)
	assert.Equal(t, tradeNo, r.ChannelTxnID)
	assert.Equal(t, money.Fen(8888), r.Amount)

	q.Set("total_amount", "0.01")
	_, err = h.c.VerifyReturn(context.Background(), q)
	assert.ErrorIs(t, err, channel.ErrSignature)

	m := returnParams()
	m["method"] = "alipay.trade.pay"
	q, _ = url.ParseQuery(string(notifyBody(t, "alipay_private.pem", m, false)))
	_, err = h.c.VerifyReturn(context.Background(), q)
	assert.ErrorIs(t, err, channel.ErrInvalidRequest)

	q, _ = url.ParseQuery(string(notifyBody(t, "alipay_private.pem", returnParams(), false)))
	q.Add("out_trade_no", "T2")
	_, err = h.c.VerifyReturn(context.Background(), q)
	assert.ErrorIs(t, err, channel.ErrInvalidRequest)
}
