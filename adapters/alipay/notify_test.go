package alipay

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// docNotifyParams are the pairs of the official notification example (alipay.md §10.4).
func docNotifyParams() map[string]string {
	return map[string]string{
		"app_id": "2015102700040153", "body": "大乐透2.1", "buyer_id": "2088102116773037", "charset": "utf-8",
		"gmt_close": "2016-07-19 14:10:46", "gmt_payment": "2016-07-19 14:10:47",
		"notify_id": "4a91b7a78a503640467525113fb7d8bg8e", "notify_time": "2016-07-19 14:10:49",
		"notify_type": "trade_status_sync", "out_trade_no": "0719141034-6418", "refund_fee": "0.00",
		"seller_id": "2088102119685838", "subject": "大乐透2.1", "total_amount": "2.00",
		"trade_no": "2016071921001003030200089909", "trade_status": "TRADE_SUCCESS", "version": "1.0",
	}
}

// TestNotifyCanonical_OfficialExample pins the string to verify against the example on
// the opendocs notify page (alipay.md §10.4): sign and sign_type excluded.
func TestNotifyCanonical_OfficialExample(t *testing.T) {
	m := docNotifyParams()
	m["sign_type"] = "RSA2"
	m["sign"] = "xxx"
	const want = "app_id=2015102700040153&body=大乐透2.1&buyer_id=2088102116773037&charset=utf-8&gmt_close=2016-07-19 14:10:46&gmt_payment=2016-07-19 14:10:47&notify_id=4a91b7a78a503640467525113fb7d8bg8e&notify_time=2016-07-19 14:10:49&notify_type=trade_status_sync&out_trade_no=0719141034-6418&refund_fee=0.00&seller_id=2088102119685838&subject=大乐透2.1&total_amount=2.00&trade_no=2016071921001003030200089909&trade_status=TRADE_SUCCESS&version=1.0"
	assert.Equal(t, want, sign.CanonicalMap(m, sign.AlipayNotifyCanonical()))
}

// notifyBody signs m like Alipay (alipay.md §10.5) and form-encodes it. keepEmpty signs
// the Java way (empty values kept).
func notifyBody(t testing.TB, keyFile string, m map[string]string, keepEmpty bool) []byte {
	t.Helper()
	opts := sign.AlipayNotifyCanonical()
	opts.KeepEmpty = keepEmpty
	sig, err := sign.SignRSA2Base64(testKey(t, keyFile), []byte(sign.CanonicalMap(m, opts)))
	require.NoError(t, err)
	v := url.Values{}
	for k, x := range m {
		v.Set(k, x)
	}
	v.Set("sign_type", "RSA2")
	v.Set("sign", sig)
	return []byte(v.Encode())
}

func paymentNotify() map[string]string {
	m := docNotifyParams()
	m["app_id"] = testAppID
	m["out_trade_no"] = "T1001"
	m["total_amount"] = "88.88"
	m["buyer_pay_amount"] = "88.88"
	m["fund_bill_list"] = `[{"amount":"88.88","fundChannel":"ALIPAYACCOUNT"}]`
	m["passback_params"] = url.QueryEscape("k=v&z")
	delete(m, "gmt_close")
	return m
}

func TestParseNotification_Payment(t *testing.T) {
	h := newHarness(t, keyMode)
	n, err := h.c.ParseNotification(context.Background(), nil, notifyBody(t, "alipay_private.pem", paymentNotify(), false))
	require.NoError(t, err)
	assert.Equal(t, channel.NotifyPayment, n.Type)
	assert.Equal(t, "alipay", n.Channel)
	assert.Equal(t, "4a91b7a78a503640467525113fb7d8bg8e", n.EventID)
	assert.Equal(t, time.Date(2016, 7, 19, 14, 10, 49, 0, clock.Beijing()), n.SentAt)
	require.NotNil(t, n.Payment)
	assert.Nil(t, n.Refund)
	p := n.Payment
	assert.Equal(t, channel.StatusSucceeded, p.Status)
	assert.Equal(t, TradeSuccess, p.ChannelStatus)
	assert.Equal(t, "T1001", p.OrderNo)
	assert.Equal(t, "2016071921001003030200089909", p.ChannelTxnID)
	assert.Equal(t, money.Fen(8888), p.Amount)
	assert.Equal(t, money.Fen(8888), p.PaidAmount)
	assert.Equal(t, money.Fen(0), p.RefundedAmount)
	assert.Equal(t, time.Date(2016, 7, 19, 14, 10, 47, 0, clock.Beijing()), p.PaidAt)
	assert.Equal(t, "ALIPAYACCOUNT", p.BankType)
	assert.Equal(t, "2088102116773037", p.PayerID)
	assert.Equal(t, "k=v&z", p.Attach)
	assert.Equal(t, channel.Response{StatusCode: 200, ContentType: "text/plain; charset=utf-8", Body: []byte("success")}, n.Ack)
	assert.Equal(t, []byte("fail"), n.Nack.Body)
}

func TestParseNotification_Refunds(t *testing.T) {
	tests := []struct {
		name, status string
		fee          int64
	}{
		{"partial refund keeps TRADE_SUCCESS", TradeSuccess, 3000},
		{"full refund closes the trade", TradeClosed, 8888},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := paymentNotify()
			m["trade_status"] = tt.status
			m["refund_fee"] = money.Fen(tt.fee).Decimal()
			m["gmt_refund"] = "2016-07-20 15:45:57.320" // milliseconds (alipay.md §10.2)
			m["out_biz_no"] = "R2001"
			h := newHarness(t, keyMode)
			n, err := h.c.ParseNotification(context.Background(), nil, notifyBody(t, "alipay_private.pem", m, false))
			require.NoError(t, err)
			assert.Equal(t, channel.NotifyRefund, n.Type)
			require.NotNil(t, n.Refund)
			assert.Nil(t, n.Payment)
			r := n.Refund
			assert.Equal(t, channel.StatusSucceeded, r.Status)
			assert.Equal(t, "R2001", r.RefundNo)
			assert.Equal(t, "T1001", r.OrderNo)
			assert.Equal(t, money.Fen(tt.fee), r.RefundedTotal)
			assert.True(t, r.Amount.IsZero(), "the notification does not carry this refund's amount")
			assert.Equal(t, time.Date(2016, 7, 20, 15, 45, 57, 320_000_000, clock.Beijing()), r.CompletedAt)
		})
	}
}

func TestParseNotification_ClosedUnpaid(t *testing.T) {
	m := paymentNotify()
	m["trade_status"] = TradeClosed
	delete(m, "gmt_payment")
	m["gmt_close"] = "2016-07-19 14:10:46"
	h := newHarness(t, keyMode)
	n, err := h.c.ParseNotification(context.Background(), nil, notifyBody(t, "alipay_private.pem", m, false))
	require.NoError(t, err)
	assert.Equal(t, channel.StatusClosed, n.Payment.Status)
}

func TestParseNotification_VerifierVariants(t *testing.T) {
	t.Run("java style keeps empty values", func(t *testing.T) {
		m := paymentNotify()
		m["body"] = ""
		h := newHarness(t, keyMode)
		_, err := h.c.ParseNotification(context.Background(), nil, notifyBody(t, "alipay_private.pem", m, true))
		assert.NoError(t, err)
	})
	t.Run("cert mode picks the cert by alipay_cert_sn", func(t *testing.T) {
		m := paymentNotify()
		m["alipay_cert_sn"] = certSN(t, "alipay_cert.crt")
		h := newHarness(t, certModeTest)
		_, err := h.c.ParseNotification(context.Background(), nil, notifyBody(t, "alipay_private.pem", m, false))
		assert.NoError(t, err)
	})
	t.Run("cert mode without alipay_cert_sn uses the configured cert", func(t *testing.T) {
		h := newHarness(t, certModeTest)
		_, err := h.c.ParseNotification(context.Background(), nil, notifyBody(t, "alipay_private.pem", paymentNotify(), false))
		assert.NoError(t, err)
	})
	t.Run("gbk charset", func(t *testing.T) {
		m := paymentNotify()
		m["charset"] = "gbk"
		gbk, err := simplifiedchinese.GBK.NewEncoder().String("大乐透")
		require.NoError(t, err)
		m["subject"] = gbk
		h := newHarness(t, keyMode)
		_, err = h.c.ParseNotification(context.Background(), nil, notifyBody(t, "alipay_private.pem", m, false))
		assert.NoError(t, err)
	})
}

func TestParseNotification_Rejects(t *testing.T) {
	good := notifyBody(t, "alipay_private.pem", paymentNotify(), false)
	other := paymentNotify()
	other["app_id"] = "2021999999999999"
	unknownStatus := paymentNotify()
	unknownStatus["trade_status"] = "TRADE_PENDING"
	badAmount := paymentNotify()
	badAmount["total_amount"] = "88.888"
	tests := []struct {
		name string
		body []byte
		kind channel.Kind
		code string
	}{
		{"amount altered", []byte(strings.Replace(string(good), "total_amount=88.88", "total_amount=0.01", 1)), channel.KindSignature, "BAD_NOTIFICATION_SIGNATURE"},
		{"signed by another key", notifyBody(t, "alipay2_private.pem", paymentNotify(), false), channel.KindSignature, "BAD_NOTIFICATION_SIGNATURE"},
		{"sign removed", []byte(strings.Split(string(good), "&sign=")[0]), channel.KindSignature, "BAD_NOTIFICATION_SIGNATURE"},
		{"sign_type RSA", []byte(strings.Replace(string(good), "sign_type=RSA2", "sign_type=RSA", 1)), channel.KindSignature, "BAD_NOTIFICATION_SIGNATURE"},
		{"parameter added", append(append([]byte{}, good...), "&extra=1"...), channel.KindSignature, "BAD_NOTIFICATION_SIGNATURE"},
		{"duplicate parameter", append(append([]byte{}, good...), "&total_amount=0.01"...), channel.KindInvalidRequest, "BAD_NOTIFICATION"},
		{"bad escape", []byte("a=%zz"), channel.KindInvalidRequest, "BAD_NOTIFICATION"},
		{"empty", nil, channel.KindInvalidRequest, "BAD_NOTIFICATION"},
		{"other app", notifyBody(t, "alipay_private.pem", other, false), channel.KindInvalidRequest, "APP_ID_MISMATCH"},
		{"unknown trade status", notifyBody(t, "alipay_private.pem", unknownStatus, false), channel.KindInvalidRequest, "BAD_NOTIFICATION"},
		{"three decimals", notifyBody(t, "alipay_private.pem", badAmount, false), channel.KindInvalidRequest, "BAD_NOTIFICATION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, keyMode)
			n, err := h.c.ParseNotification(context.Background(), nil, tt.body)
			assert.Nil(t, n)
			ce := kindOf(t, err)
			assert.Equal(t, tt.kind, ce.Kind)
			assert.Equal(t, tt.code, ce.Code)
			assert.Equal(t, "notification", ce.Op)
		})
	}
}

func TestParseNotification_DuplicatesDecodeIdentically(t *testing.T) {
	h := newHarness(t, keyMode)
	body := notifyBody(t, "alipay_private.pem", paymentNotify(), false)
	a, err := h.c.ParseNotification(context.Background(), nil, body)
	require.NoError(t, err)
	b, err := h.c.ParseNotification(context.Background(), nil, body)
	require.NoError(t, err)
	assert.Equal(t, a, b)
}
