package alipay

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

func payReq(m channel.Method) *channel.PayRequest {
	return &channel.PayRequest{OrderNo: "T1001", Amount: money.Fen(8888), Method: m, Subject: "Iphone6 16G", AuthCode: "28763443825664394"}
}

func kindOf(t *testing.T, err error) *channel.Error {
	t.Helper()
	var ce *channel.Error
	require.True(t, errors.As(err, &ce), "want *channel.Error, got %v", err)
	return ce
}

func TestPay_QRSendsSignedPrecreateAndReturnsQRCode(t *testing.T) {
	h := newHarness(t, keyMode)
	h.gw.onBody(methodPrecreate, golden(t, "precreate_ok"))
	req := payReq(channel.MethodQR)
	req.Subject = `A&B <"x">`
	req.Attach = "k=v&z"
	req.ExpiresAt = time.Date(2026, 12, 1, 2, 30, 0, 0, time.UTC) // 10:30 Beijing
	req.Extra = map[string]string{"store_id": "S01"}
	r, err := h.c.Pay(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, channel.StatusPending, r.Status)
	assert.Equal(t, "T1001", r.OrderNo)
	require.NotNil(t, r.Action)
	assert.Equal(t, channel.ActionQRCode, r.Action.Kind)
	assert.Equal(t, "https://qr.alipay.com/bax03431ljhokirwl38f00a7", r.Action.QRCode)

	form := h.gw.last()
	assert.Equal(t, testAppID, form.Get("app_id"))
	assert.Equal(t, methodPrecreate, form.Get("method"))
	assert.Equal(t, "RSA2", form.Get("sign_type"))
	assert.Equal(t, "utf-8", form.Get("charset"))
	assert.Equal(t, "1.0", form.Get("version"))
	assert.Equal(t, "2026-12-01 10:00:00", form.Get("timestamp"))
	assert.Equal(t, "https://merchant.test/notify/alipay", form.Get("notify_url"))
	assert.Empty(t, form.Get("app_cert_sn"))
	raw := form.Get("biz_content")
	assert.Contains(t, raw, `"subject":"A&B <\"x\">"`, "biz_content must not be HTML-escaped")
	assert.Contains(t, raw, `"total_amount":"88.88"`, "amounts are yuan strings")
	b := biz(t, form)
	assert.Equal(t, "T1001", b["out_trade_no"])
	assert.Equal(t, "FACE_TO_FACE_PAYMENT", b["product_code"])
	assert.Equal(t, "2026-12-01 10:30:00", b["time_expire"])
	assert.Equal(t, url.QueryEscape("k=v&z"), b["passback_params"])
	assert.Equal(t, "S01", b["store_id"])
}

func TestPay_RejectsBeforeCalling(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*channel.PayRequest)
		field string
	}{
		{"USD", func(r *channel.PayRequest) { r.Amount = money.New(100, money.USD) }, "Amount"},
		{"over 100 million yuan", func(r *channel.PayRequest) { r.Amount = money.Fen(100_000_000_01) }, "Amount"},
		{"order number with dash", func(r *channel.PayRequest) { r.OrderNo = "T-1" }, "OrderNo"},
		{"order number too long", func(r *channel.PayRequest) { r.OrderNo = strings.Repeat("1", 65) }, "OrderNo"},
		{"no subject", func(r *channel.PayRequest) { r.Subject = "" }, "Subject"},
		{"unknown extra", func(r *channel.PayRequest) { r.Extra = map[string]string{"limit_pay": "x"} }, "Extra[limit_pay]"},
		{"barcode without auth code", func(r *channel.PayRequest) { r.Method = channel.MethodBarcode; r.AuthCode = "" }, "AuthCode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, keyMode)
			req := payReq(channel.MethodQR)
			tt.edit(req)
			_, err := h.c.Pay(context.Background(), req)
			ce := kindOf(t, err)
			assert.Equal(t, channel.KindInvalidRequest, ce.Kind)
			assert.Contains(t, ce.Message, tt.field)
			assert.Empty(t, h.gw.methods())
		})
	}
}

func TestPay_JSAPIAndTokenAreUnsupported(t *testing.T) {
	h := newHarness(t, keyMode)
	for _, m := range []channel.Method{channel.MethodJSAPI, channel.MethodToken} {
		_, err := h.c.Pay(context.Background(), payReq(m))
		assert.ErrorIs(t, err, channel.ErrUnsupported)
		assert.ErrorIs(t, err, channel.ErrInvalidRequest)
		assert.False(t, channel.Supports(h.c, m))
	}
}

func TestPay_BarcodeOutcomes(t *testing.T) {
	tests := []struct {
		golden    string
		status    channel.Status
		kind      channel.Kind
		retryable bool
	}{
		{"pay_ok", channel.StatusSucceeded, 0, false},
		{"pay_waiting", channel.StatusProcessing, 0, false},
		{"pay_system_error", 0, channel.KindUnknown, false}, // Query, then Cancel: never resend a pay
		{"pay_20000", 0, channel.KindUnknown, false},
		{"pay_balance", 0, channel.KindInsufficientFunds, false},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			h := newHarness(t, keyMode)
			h.gw.onBody(methodPay, golden(t, tt.golden))
			r, err := h.c.Pay(context.Background(), payReq(channel.MethodBarcode))
			b := biz(t, h.gw.last())
			assert.Equal(t, "bar_code", b["scene"])
			assert.Equal(t, "28763443825664394", b["auth_code"])
			if tt.status == 0 {
				ce := kindOf(t, err)
				assert.Equal(t, tt.kind, ce.Kind)
				assert.Equal(t, tt.retryable, ce.Retryable)
				assert.NotEmpty(t, ce.Raw)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.status, r.Status)
			assert.Equal(t, tradeNo, r.ChannelTxnID)
			assert.Equal(t, money.Fen(8888), r.Amount)
			if tt.status == channel.StatusSucceeded {
				assert.Equal(t, money.Fen(8888), r.PaidAmount)
				assert.Equal(t, time.Date(2026, 11, 22, 10, 0, 5, 0, clock.Beijing()), r.PaidAt)
				assert.Equal(t, "ALIPAYACCOUNT", r.BankType)
				assert.Equal(t, buyer, r.PayerID)
			} else {
				assert.True(t, r.PaidAt.IsZero())
			}
		})
	}
}

func TestPay_BarcodeRepeatAfterSuccessIsAlreadyDone(t *testing.T) {
	h := newHarness(t, keyMode)
	h.gw.onBody(methodPay, golden(t, "pay_has_success"))
	_, err := h.c.Pay(context.Background(), payReq(channel.MethodBarcode))
	assert.Equal(t, channel.KindAlreadyDone, kindOf(t, err).Kind)
	assert.Equal(t, []string{methodPay}, h.gw.methods(), "the adapter must not query on its own; the caller decides")
}

func TestPay_PageAndWapBuildSignedRedirectAndForm(t *testing.T) {
	for _, tt := range []struct {
		m       channel.Method
		method  string
		product string
	}{
		{channel.MethodWeb, methodPagePay, "FAST_INSTANT_TRADE_PAY"},
		{channel.MethodH5, methodWapPay, "QUICK_WAP_WAY"},
	} {
		t.Run(string(tt.m), func(t *testing.T) {
			h := newHarness(t, keyMode)
			req := payReq(tt.m)
			if tt.m == channel.MethodH5 {
				req.Extra = map[string]string{"quit_url": "https://merchant.test/quit"}
			}
			r, err := h.c.Pay(context.Background(), req)
			require.NoError(t, err)
			assert.Empty(t, h.gw.methods(), "page and wap pay make no server call")
			assert.Equal(t, channel.StatusPending, r.Status)
			require.NotNil(t, r.Action)
			assert.Equal(t, channel.ActionRedirect, r.Action.Kind)
			require.True(t, strings.HasPrefix(r.Action.URL, testGateway+"?"))
			u, err := url.Parse(r.Action.URL)
			require.NoError(t, err)
			q := u.Query()
			assert.Equal(t, tt.method, q.Get("method"))
			assert.Equal(t, "https://merchant.test/return", q.Get("return_url"))
			assertSignedByApp(t, q)
			b := biz(t, q)
			assert.Equal(t, tt.product, b["product_code"])
			assert.Contains(t, r.Action.HTML, `<form name="alipaysubmit" method="post" action="`+testGateway+`?charset=utf-8">`)
			assert.Contains(t, r.Action.HTML, `name="sign" value="`)
			assert.Contains(t, r.Action.HTML, `document.forms['alipaysubmit'].submit()`)
			assert.Contains(t, r.Action.HTML, `&#34;out_trade_no&#34;:&#34;T1001&#34;`, "values are HTML-escaped in the form")
		})
	}
}

func assertSignedByApp(t *testing.T, q url.Values) {
	t.Helper()
	pub := &testKey(t, "app_private_pkcs1.pem").PublicKey
	msg := sign.Canonical(sign.ParamsFromValues(q), sign.AlipayRequestCanonical())
	assert.NoError(t, sign.VerifyRSA2Base64(pub, []byte(msg), q.Get("sign")))
}

func TestPay_AppReturnsSignedOrderString(t *testing.T) {
	h := newHarness(t, keyMode)
	r, err := h.c.Pay(context.Background(), payReq(channel.MethodApp))
	require.NoError(t, err)
	assert.Empty(t, h.gw.methods())
	require.NotNil(t, r.Action)
	assert.Equal(t, channel.ActionAppParams, r.Action.Kind)
	q, err := url.ParseQuery(r.Action.OrderString)
	require.NoError(t, err)
	assert.Equal(t, methodAppPay, q.Get("method"))
	assert.Equal(t, q.Get("sign"), r.Action.Params["sign"])
	assertSignedByApp(t, q)
	assert.Equal(t, "QUICK_MSECURITY_PAY", biz(t, q)["product_code"])
}

func TestCall_TransportFailures(t *testing.T) {
	tests := []struct {
		name      string
		responder httpmock.Responder
		kind      channel.Kind
		code      string
	}{
		{"timeout", httpmock.NewErrorResponder(context.DeadlineExceeded), channel.KindUnknown, "TRANSPORT"},
		{"connection reset", httpmock.NewErrorResponder(&net.OpError{Op: "read", Err: errors.New("connection reset by peer")}), channel.KindUnknown, "TRANSPORT"},
		{"connection refused", httpmock.NewErrorResponder(&net.OpError{Op: "dial", Err: errors.New("connection refused")}), channel.KindUnavailable, "TRANSPORT"},
		{"HTTP 502", httpmock.NewStringResponder(502, "<html>bad gateway</html>"), channel.KindUnknown, "HTTP_502"},
		{"HTTP 404", httpmock.NewStringResponder(404, "not found"), channel.KindUnknown, "HTTP_404"},
		{"too large", httpmock.NewStringResponder(200, strings.Repeat(" ", 2<<20)), channel.KindUnknown, "RESPONSE_TOO_LARGE"},
		{"truncated body", httpmock.NewStringResponder(200, golden(t, "pay_ok")[:200]), channel.KindUnknown, "BAD_RESPONSE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, keyMode)
			h.gw.on(methodPay, tt.responder)
			_, err := h.c.Pay(context.Background(), payReq(channel.MethodBarcode))
			ce := kindOf(t, err)
			assert.Equal(t, tt.kind, ce.Kind)
			assert.Equal(t, tt.code, ce.Code)
			// Pay is retryable only when nothing was sent (retryAfterSend).
			assert.Equal(t, tt.kind == channel.KindUnavailable, ce.Retryable)
			if tt.kind == channel.KindUnknown {
				assert.ErrorIs(t, err, channel.ErrUnknownOutcome)
			}
		})
	}
}

func TestCall_UntrustedAnswers(t *testing.T) {
	payOK := golden(t, "pay_ok")
	queryOK := golden(t, "query_success")
	dup := strings.Replace(payOK, `{"alipay_trade_pay_response":`, `{"alipay_trade_pay_response":{"code":"40004","msg":"x","sub_code":"ACQ.PAYMENT_FAIL"},"alipay_trade_pay_response":`, 1)
	noSign := payOK[:strings.Index(payOK, `,"sign":`)] + "}"
	tests := []struct {
		name, method, body string
		kind               channel.Kind
		code               string
	}{
		{"pay tampered amount", methodPay, strings.Replace(payOK, `"total_amount":"88.88"`, `"total_amount":"0.01"`, 1), channel.KindUnknown, "BAD_RESPONSE_SIGNATURE"},
		{"pay signed by another key", methodPay, signedBody(t, testKey(t, "alipay2_private.pem"), methodPay, `{"code":"10000","msg":"Success"}`, ""), channel.KindUnknown, "BAD_RESPONSE_SIGNATURE"},
		{"pay success without sign", methodPay, noSign, channel.KindUnknown, "BAD_RESPONSE_SIGNATURE"},
		{"pay duplicate node", methodPay, dup, channel.KindUnknown, "BAD_RESPONSE"},
		{"query tampered", methodQuery, strings.Replace(queryOK, "TRADE_SUCCESS", "TRADE_CLOSED", 1), channel.KindSignature, "BAD_RESPONSE_SIGNATURE"},
		{"unsigned invalid app id", methodQuery, golden(t, "invalid_app_id"), channel.KindInvalidRequest, "isv.invalid-app-id"},
		{"unsigned error_response", methodQuery, `{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-method","sub_msg":"不存在的方法名"}}`, channel.KindInvalidRequest, "isv.invalid-method"},
		{"unsigned 20000", methodPay, `{"alipay_trade_pay_response":{"code":"20000","msg":"Service Currently Unavailable","sub_code":"isp.unknow-error"}}`, channel.KindUnknown, "isp.unknow-error"},
		{"unsigned business failure is not believed", methodPay, `{"alipay_trade_pay_response":{"code":"40004","msg":"Business Failed","sub_code":"ACQ.PAYMENT_FAIL"}}`, channel.KindUnknown, "BAD_RESPONSE_SIGNATURE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, keyMode)
			h.gw.onBody(tt.method, tt.body)
			var err error
			if tt.method == methodPay {
				_, err = h.c.Pay(context.Background(), payReq(channel.MethodBarcode))
			} else {
				_, err = h.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "T1001"})
			}
			ce := kindOf(t, err)
			assert.Equal(t, tt.kind, ce.Kind)
			assert.Equal(t, tt.code, ce.Code)
			if tt.code == "BAD_RESPONSE_SIGNATURE" {
				assert.ErrorIs(t, err, sign.ErrBadSignature)
			}
		})
	}
}

func TestCall_ContextDoneBeforeSendingIsUnavailable(t *testing.T) {
	h := newHarness(t, keyMode)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.c.Pay(ctx, payReq(channel.MethodBarcode))
	ce := kindOf(t, err)
	assert.Equal(t, channel.KindUnavailable, ce.Kind)
	assert.True(t, ce.Retryable)
	assert.Empty(t, h.gw.methods())
}

func TestCall_ResponseHeadersIgnored(t *testing.T) {
	h := newHarness(t, keyMode)
	h.gw.on(methodQuery, func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(200, golden(t, "query_success"))
		r.Header.Set("Content-Type", "text/html;charset=utf-8") // alipay.md §2
		return r, nil
	})
	r, err := h.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "T1001"})
	require.NoError(t, err)
	assert.Equal(t, channel.StatusSucceeded, r.Status)
}

// TestRequest_SignedStringIsPinned pins the exact string signed for a query in both
// modes (alipay.md §3, §4): sorted, raw values, sign_type included, sign excluded.
func TestRequest_SignedStringIsPinned(t *testing.T) {
	h := newHarness(t, keyMode)
	p, err := h.c.signedParams(methodQuery, []byte(`{"out_trade_no":"T1001"}`), map[string]string{"notify_url": "", "return_url": "https://m.test/r?a=1&b=2"})
	require.NoError(t, err)
	got := sign.Canonical(p, sign.AlipayRequestCanonical())
	want := `app_id=2021000000000001&biz_content={"out_trade_no":"T1001"}&charset=utf-8&format=JSON&method=alipay.trade.query&return_url=https://m.test/r?a=1&b=2&sign_type=RSA2&timestamp=2026-12-01 10:00:00&version=1.0`
	assert.Equal(t, want, got)
	pub := &testKey(t, "app_private_pkcs1.pem").PublicKey
	assert.NoError(t, sign.VerifyRSA2Base64(pub, []byte(want), p.Value("sign")))

	hc := newHarness(t, certModeTest)
	p, err = hc.c.signedParams(methodQuery, []byte(`{}`), nil)
	require.NoError(t, err)
	got = sign.Canonical(p, sign.AlipayRequestCanonical())
	assert.Equal(t, "alipay_root_cert_sn="+certSN(t, "root.crt")+"&app_cert_sn="+certSN(t, "app_cert.crt")+
		`&app_id=2021000000000001&biz_content={}&charset=utf-8&format=JSON&method=alipay.trade.query&sign_type=RSA2&timestamp=2026-12-01 10:00:00&version=1.0`, got)
}
