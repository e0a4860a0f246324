package wechat

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// TestRetryable_EveryOperationTimesEveryTransportFailure pins the one Retryable rule
// (the same in the Alipay adapter): a failure before the request was sent is
// KindUnavailable and retryable for every operation; a failure after it may have been
// sent is KindUnknown (KindUnavailable for the statement, which changes nothing) and
// retryable exactly for the operations a resend cannot execute twice — everything but
// Pay, whose unknown outcome is settled by Query (then Cancel).
func TestRetryable_EveryOperationTimesEveryTransportFailure(t *testing.T) {
	type op struct {
		name, path string
		do         func(ctx context.Context, c *Client) error
		afterSend  channel.Kind
		retry      bool // Retryable after the request may have been sent
	}
	barcode := payReq(channel.MethodBarcode)
	barcode.AuthCode, barcode.Amount = "134567890123456789", money.Fen(888)
	ops := []op{
		{"pay QR", "/pay/unifiedorder", func(ctx context.Context, c *Client) error {
			_, err := c.Pay(ctx, payReq(channel.MethodQR))
			return err
		}, channel.KindUnknown, false},
		{"pay barcode", "/pay/micropay", func(ctx context.Context, c *Client) error {
			_, err := c.Pay(ctx, barcode)
			return err
		}, channel.KindUnknown, false},
		{"query", "/pay/orderquery", func(ctx context.Context, c *Client) error {
			_, err := c.Query(ctx, &channel.QueryRequest{OrderNo: "1415757673"})
			return err
		}, channel.KindUnknown, true},
		{"close", "/pay/closeorder", func(ctx context.Context, c *Client) error {
			_, err := c.Close(ctx, &channel.CloseRequest{OrderNo: "1415757673"})
			return err
		}, channel.KindUnknown, true},
		{"cancel", "/secapi/pay/reverse", func(ctx context.Context, c *Client) error {
			_, err := c.Cancel(ctx, &channel.CancelRequest{OrderNo: "MP1"})
			return err
		}, channel.KindUnknown, true},
		{"refund", "/secapi/pay/refund", func(ctx context.Context, c *Client) error {
			_, err := c.Refund(ctx, refundReq())
			return err
		}, channel.KindUnknown, true},
		{"query refund", "/pay/refundquery", func(ctx context.Context, c *Client) error {
			_, err := c.QueryRefund(ctx, &channel.RefundQueryRequest{RefundNo: "R1415757673"})
			return err
		}, channel.KindUnknown, true},
		{"statement", "/pay/downloadbill", func(ctx context.Context, c *Client) error {
			_, err := c.DownloadStatement(ctx, &channel.StatementRequest{Date: billDate})
			return err
		}, channel.KindUnavailable, true},
	}
	failures := []struct {
		name      string
		responder httpmock.Responder
		cancelled bool // the context is done before the call
		sent      bool // the request may have reached WeChat
	}{
		{"connection refused", httpmock.NewErrorResponder(&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}), false, false},
		{"dial timeout", httpmock.NewErrorResponder(&net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}}), false, false},
		{"server certificate refused", httpmock.NewErrorResponder(&tls.CertificateVerificationError{Err: errors.New("x509: unknown authority")}), false, false},
		{"context done before sending", httpmock.NewStringResponder(200, ""), true, false},
		{"timeout after sending", httpmock.NewErrorResponder(timeoutErr{}), false, true},
		{"deadline exceeded", httpmock.NewErrorResponder(context.DeadlineExceeded), false, true},
		{"connection reset", httpmock.NewErrorResponder(&net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}), false, true},
		{"HTTP 502", httpmock.NewStringResponder(502, "<html>bad gateway</html>"), false, true},
	}
	for _, o := range ops {
		for _, f := range failures {
			t.Run(o.name+"/"+f.name, func(t *testing.T) {
				e := newEnv(t, nil)
				e.mt.RegisterResponder(http.MethodPost, testBase+o.path, f.responder)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if f.cancelled {
					cancel()
				}
				kind, retry := channel.KindUnavailable, true
				if f.sent {
					kind, retry = o.afterSend, o.retry
				}
				wantErr(t, o.do(ctx, e.c), kind, "", retry)
				if !f.sent && e.mt.GetTotalCallCount() != 0 && f.cancelled {
					t.Errorf("a call was sent with a done context")
				}
			})
		}
	}
}
