package alipay

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"

	"github.com/tongdao/tongdao/core/channel"
)

// timeoutErr is a net.Error that timed out.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// TestRetryable_EveryOperationTimesEveryTransportFailure pins the one Retryable rule
// (the same in the WeChat adapter): a failure before the request was sent is
// KindUnavailable and retryable for every operation; a failure after it may have been
// sent is KindUnknown (KindUnavailable for the statement, which changes nothing) and
// retryable exactly for the operations a resend cannot execute twice — everything but
// Pay, whose unknown outcome is settled by Query (then Cancel).
func TestRetryable_EveryOperationTimesEveryTransportFailure(t *testing.T) {
	type op struct {
		name, method string
		do           func(ctx context.Context, c *Client) error
		afterSend    channel.Kind
		retry        bool // Retryable after the request may have been sent
	}
	ops := []op{
		{"pay QR", methodPrecreate, func(ctx context.Context, c *Client) error {
			_, err := c.Pay(ctx, payReq(channel.MethodQR))
			return err
		}, channel.KindUnknown, false},
		{"pay barcode", methodPay, func(ctx context.Context, c *Client) error {
			_, err := c.Pay(ctx, payReq(channel.MethodBarcode))
			return err
		}, channel.KindUnknown, false},
		{"query", methodQuery, func(ctx context.Context, c *Client) error {
			_, err := c.Query(ctx, &channel.QueryRequest{OrderNo: "T1001"})
			return err
		}, channel.KindUnknown, true},
		{"close", methodClose, func(ctx context.Context, c *Client) error {
			_, err := c.Close(ctx, &channel.CloseRequest{OrderNo: "T1001"})
			return err
		}, channel.KindUnknown, true},
		{"cancel", methodCancel, func(ctx context.Context, c *Client) error {
			_, err := c.Cancel(ctx, &channel.CancelRequest{OrderNo: "T1001"})
			return err
		}, channel.KindUnknown, true},
		{"refund", methodRefund, func(ctx context.Context, c *Client) error {
			_, err := c.Refund(ctx, refundReq())
			return err
		}, channel.KindUnknown, true},
		{"query refund", methodRefundQuery, func(ctx context.Context, c *Client) error {
			_, err := c.QueryRefund(ctx, &channel.RefundQueryRequest{RefundNo: "R2001", OrderNo: "T1001"})
			return err
		}, channel.KindUnknown, true},
		{"statement", methodBillURL, func(ctx context.Context, c *Client) error {
			_, err := c.DownloadStatement(ctx, &channel.StatementRequest{Date: billDate})
			return err
		}, channel.KindUnavailable, true},
	}
	failures := []struct {
		name      string
		responder httpmock.Responder
		cancelled bool // the context is done before the call
		sent      bool // the request may have reached Alipay
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
				h := newHarness(t, keyMode)
				if !f.cancelled {
					h.gw.on(o.method, f.responder)
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if f.cancelled {
					cancel()
				}
				kind, retry := channel.KindUnavailable, true
				if f.sent {
					kind, retry = o.afterSend, o.retry
				}
				ce := kindOf(t, o.do(ctx, h.c))
				assert.Equal(t, kind, ce.Kind, "%v", ce)
				assert.Equal(t, retry, ce.Retryable, "%v", ce)
				if f.cancelled {
					assert.Empty(t, h.gw.methods(), "nothing is sent with a done context")
				}
			})
		}
	}
}
