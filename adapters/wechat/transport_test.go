package wechat

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// TestTransport_FailuresLeaveTheOutcomeUnknown runs every way a response can fail to be
// trustworthy through Pay (not retryable: query instead) and Query (retryable).
func TestTransport_FailuresLeaveTheOutcomeUnknown(t *testing.T) {
	native := golden(t, "unifiedorder_native.xml")
	query := golden(t, "orderquery_success.xml")
	tests := []struct {
		name      string
		responder func(body string) httpmock.Responder
		kind      channel.Kind
		code      string
		retryPay  bool // Retryable for pay; query is retryable whenever the outcome is unknown
	}{
		{"timeout", func(string) httpmock.Responder { return httpmock.NewErrorResponder(timeoutErr{}) }, channel.KindUnknown, "TRANSPORT", false},
		{"connection reset", func(string) httpmock.Responder {
			return httpmock.NewErrorResponder(&net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")})
		}, channel.KindUnknown, "TRANSPORT", false},
		{"connection refused", func(string) httpmock.Responder {
			return httpmock.NewErrorResponder(&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")})
		}, channel.KindUnavailable, "CONNECT", true},
		{"tls handshake refused", func(string) httpmock.Responder {
			return httpmock.NewErrorResponder(tls.AlertError(42)) // bad_certificate
		}, channel.KindUnavailable, "TLS", true},
		{"http 500", func(b string) httpmock.Responder { return httpmock.NewStringResponder(500, b) }, channel.KindUnknown, "HTTP_500", false},
		{"http 302", func(string) httpmock.Responder { return httpmock.NewStringResponder(302, "") }, channel.KindUnknown, "HTTP_302", false},
		{"html page", func(string) httpmock.Responder {
			return httpmock.NewStringResponder(200, "<html><body>502 Bad Gateway</body></html>")
		}, channel.KindUnknown, "BAD_RESPONSE", false},
		{"truncated xml", func(b string) httpmock.Responder { return httpmock.NewStringResponder(200, b[:len(b)/2]) }, channel.KindUnknown, "BAD_RESPONSE", false},
		{"garbage", func(string) httpmock.Responder { return httpmock.NewStringResponder(200, "\x00\x01garbage") }, channel.KindUnknown, "BAD_RESPONSE", false},
		{"empty body", func(string) httpmock.Responder { return httpmock.NewStringResponder(200, "") }, channel.KindUnknown, "BAD_RESPONSE", false},
		{"bad signature", func(string) httpmock.Responder {
			return httpmock.NewStringResponder(200, golden(t, "bad_signature.xml"))
		}, channel.KindUnknown, "BAD_RESPONSE_SIGNATURE", false},
		{"missing signature", func(b string) httpmock.Responder {
			i, j := strings.Index(b, "<sign>"), strings.Index(b, "</sign>")
			return httpmock.NewStringResponder(200, b[:i]+b[j+len("</sign>"):])
		}, channel.KindUnknown, "BAD_RESPONSE_SIGNATURE", false},
		{"altered field", func(b string) httpmock.Responder {
			return httpmock.NewStringResponder(200, strings.Replace(strings.Replace(b, "Ab3xYz1", "Ab3xYz2", 1), "<total_fee>101<", "<total_fee>1<", 1))
		}, channel.KindUnknown, "BAD_RESPONSE_SIGNATURE", false},
		{"oversized", func(string) httpmock.Responder {
			return httpmock.NewStringResponder(200, "<xml><a>"+strings.Repeat("x", 2<<20)+"</a></xml>")
		}, channel.KindUnknown, "BAD_RESPONSE", false},
		{"return_code FAIL signature", func(string) httpmock.Responder {
			return httpmock.NewStringResponder(200, golden(t, "return_fail_sign.xml"))
		}, channel.KindSignature, "签名错误", false},
		{"entity expansion refused", func(string) httpmock.Responder {
			return httpmock.NewStringResponder(200, `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x "SUCCESS">]><xml><return_code>&x;</return_code></xml>`)
		}, channel.KindUnknown, "BAD_RESPONSE", false},
	}
	for _, tc := range tests {
		t.Run(tc.name+"/pay", func(t *testing.T) {
			e := newEnv(t, nil)
			e.mt.RegisterResponder(http.MethodPost, testBase+"/pay/unifiedorder", tc.responder(native))
			_, err := e.c.Pay(context.Background(), payReq(channel.MethodQR))
			wantErr(t, err, tc.kind, tc.code, tc.retryPay)
		})
		t.Run(tc.name+"/query", func(t *testing.T) {
			e := newEnv(t, nil)
			e.mt.RegisterResponder(http.MethodPost, testBase+"/pay/orderquery", tc.responder(query))
			_, err := e.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "1415757673"})
			retry := tc.retryPay || tc.kind == channel.KindUnknown
			wantErr(t, err, tc.kind, tc.code, retry)
		})
	}
}

func TestTransport_ResponseForAnotherMerchantIsUntrusted(t *testing.T) {
	e := newEnv(t, nil)
	body := signedXML(t, map[string]string{"result_code": "SUCCESS", "trade_state": "SUCCESS", "mch_id": "10000200", "out_trade_no": "1"})
	e.mt.RegisterResponder(http.MethodPost, testBase+"/pay/orderquery", httpmock.NewStringResponder(200, body))
	_, err := e.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "1"})
	ce := wantErr(t, err, channel.KindUnknown, "BAD_RESPONSE", true)
	if !strings.Contains(ce.Message, "10000200") {
		t.Errorf("message %q does not name the mch_id", ce.Message)
	}
}

func TestTransport_ErrorRawIsBoundedAndRedacted(t *testing.T) {
	e := newEnv(t, nil)
	body := "<html>card 6222021234567890128 " + strings.Repeat("x", 10000) + "</html>"
	e.mt.RegisterResponder(http.MethodPost, testBase+"/pay/orderquery", httpmock.NewStringResponder(200, body))
	_, err := e.c.Query(context.Background(), &channel.QueryRequest{OrderNo: "1"})
	ce := wantErr(t, err, channel.KindUnknown, "BAD_RESPONSE", true)
	if len(ce.Raw) != maxRawBytes || strings.Contains(string(ce.Raw), "6222021234567890128") {
		t.Fatalf("Raw has %d bytes, PAN masked: %v", len(ce.Raw), !strings.Contains(string(ce.Raw), "6222021234567890128"))
	}
}

func TestTransport_CancelledContextIsUnknown(t *testing.T) {
	e := newEnv(t, nil)
	e.mt.RegisterResponder(http.MethodPost, testBase+"/secapi/pay/refund", httpmock.NewErrorResponder(context.DeadlineExceeded))
	_, err := e.c.Refund(context.Background(), &channel.RefundRequest{RefundNo: "R1", OrderNo: "1", Amount: money.Fen(1), OrderAmount: money.Fen(2)})
	ce := wantErr(t, err, channel.KindUnknown, "TRANSPORT", true)
	if !errors.Is(err, channel.ErrUnknownOutcome) || !strings.Contains(ce.Message, "timed out") {
		t.Fatalf("err = %v", err)
	}
}
