package alipay

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

// Name is the adapter's channel name, used in errors and statement records.
const Name = "alipay"

// Client is the Alipay open-API ("gateway.do", RSA2) adapter. It implements
// channel.Channel and channel.Canceller and is safe for concurrent use.
type Client struct {
	appID        string
	priv         *rsa.PrivateKey
	appAuthToken string
	gateway      string
	hc           *http.Client
	clk          clock.Clock
	log          *slog.Logger
	notifyURL    string
	returnURL    string
	maxResp      int64
	maxBill      int64
	tempDir      string
	billReady    time.Duration

	certMode   bool
	appCertSN  string
	rootCertSN string
	keys       *keyring
}

var (
	_ channel.Channel   = (*Client)(nil)
	_ channel.Canceller = (*Client)(nil)
	_ channel.Closer    = (*Client)(nil)
)

// Name returns "alipay".
func (c *Client) Name() string { return Name }

// Methods returns the methods Pay accepts: QR (precreate), App (app.pay), H5 (wap.pay),
// Web (page.pay) and Barcode (trade.pay). JSAPI and Token are not Alipay products here.
func (c *Client) Methods() []channel.Method {
	return []channel.Method{channel.MethodQR, channel.MethodApp, channel.MethodH5, channel.MethodWeb, channel.MethodBarcode}
}

// timestampLayout is the format of every Alipay time field (alipay.md §3, §8).
const timestampLayout = "2006-01-02 15:04:05"

// signedParams returns the common request parameters plus biz_content, signed
// (alipay.md §3, §4): every non-empty parameter but sign, sorted, joined k=v with raw
// values, SHA256withRSA with the app key.
func (c *Client) signedParams(method string, biz []byte, extra map[string]string) (sign.Params, error) {
	p := make(sign.Params, 0, 16)
	p = append(p,
		sign.Param{Key: "app_id", Value: c.appID},
		sign.Param{Key: "method", Value: method},
		sign.Param{Key: "format", Value: "JSON"},
		sign.Param{Key: "charset", Value: "utf-8"},
		sign.Param{Key: "sign_type", Value: "RSA2"},
		sign.Param{Key: "timestamp", Value: c.clk.Now().In(clock.Beijing()).Format(timestampLayout)},
		sign.Param{Key: "version", Value: "1.0"},
	)
	if c.appAuthToken != "" {
		p = append(p, sign.Param{Key: "app_auth_token", Value: c.appAuthToken})
	}
	if c.certMode {
		p = append(p, sign.Param{Key: "app_cert_sn", Value: c.appCertSN}, sign.Param{Key: "alipay_root_cert_sn", Value: c.rootCertSN})
	}
	for k, v := range extra {
		if v != "" {
			p = append(p, sign.Param{Key: k, Value: v})
		}
	}
	if len(biz) > 0 {
		p = append(p, sign.Param{Key: "biz_content", Value: string(biz)})
	}
	p.Sort()
	msg := sign.AppendCanonical(make([]byte, 0, 512+len(biz)), p, sign.AlipayRequestCanonical())
	sig, err := sign.SignRSA2Base64(c.priv, msg)
	if err != nil {
		return nil, err
	}
	p = append(p, sign.Param{Key: "sign", Value: sig})
	return p, nil
}

// encodeParams URL-encodes params in their order (form body, query string, app order
// string).
func encodeParams(p sign.Params) string {
	var b strings.Builder
	for i, kv := range p {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv.Key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv.Value))
	}
	return b.String()
}

// post sends one signed request as a form POST with every parameter in the body
// (alipay.md §2) and returns the body of a 200 answer. Transport failures are
// KindUnknown (the request may have been processed) except a failed dial, which surely
// sent nothing (KindUnavailable).
func (c *Client) post(ctx context.Context, op, method string, biz []byte, extra map[string]string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		// Nothing has been sent yet: the request surely did not execute.
		return nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindUnavailable, Code: "CANCELLED", Message: "context done before sending", Retryable: true, Err: err}
	}
	p, err := c.signedParams(method, biz, extra)
	if err != nil {
		return nil, c.internalErr(op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.gateway, strings.NewReader(encodeParams(p)))
	if err != nil {
		return nil, c.internalErr(op, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	req.Header.Set("Accept", "application/json")
	start := c.clk.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "alipay: transport error", slog.String("method", method), slog.String("error", err.Error()))
		return nil, transportErr(op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxResp+1))
	c.log.LogAttrs(ctx, slog.LevelDebug, "alipay: call", slog.String("method", method), slog.Int("status", resp.StatusCode),
		slog.Int("bytes", len(body)), slog.Duration("took", c.clk.Since(start)))
	if err != nil {
		return nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindUnknown, Code: "TRANSPORT", Message: "reading the response failed", Retryable: retryAfterSend(op), Err: err}
	}
	if int64(len(body)) > c.maxResp {
		return nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindUnknown, Code: "RESPONSE_TOO_LARGE",
			Message: fmt.Sprintf("response exceeds %d bytes", c.maxResp), Retryable: retryAfterSend(op)}
	}
	if resp.StatusCode != http.StatusOK {
		// Alipay answers 200 even for business failures (alipay.md §2): anything else came
		// from a proxy or a failing gateway, after which the outcome is not known.
		return nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindUnknown, Code: fmt.Sprintf("HTTP_%d", resp.StatusCode),
			Message: "unexpected HTTP status " + resp.Status, Retryable: retryAfterSend(op), Raw: redact(body)}
	}
	return body, nil
}

// retryAfterSend is Error.Retryable for a failure after the request may have been sent
// (transport errors after the dial, non-200 answers, unreadable, unverifiable or
// mismatched answers, "unknown" codes): true where resending the identical request
// cannot execute it twice — reads (query, query refund, statement), close, refund
// (same out_request_no refunds once, alipay.md §9.6) and cancel (retry prescribed,
// §9.8) — and false for pay, whose unknown outcome is settled by Query (then Cancel),
// as channel.Channel.Pay says. The WeChat adapter applies the same rule.
func retryAfterSend(op string) bool { return op != "pay" }

// transportErr classifies a failed round trip: a failed dial (refused, or timed out
// while connecting) or a failed TLS handshake never reached Alipay (KindUnavailable,
// retryable for every operation); anything later (timeout, reset, cancelled context)
// may have been executed (KindUnknown, retryable per retryAfterSend).
func transportErr(op string, err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return &channel.Error{Channel: Name, Op: op, Kind: channel.KindUnavailable, Code: "TRANSPORT",
			Message: "could not connect; the request was not sent", Retryable: true, Err: err}
	}
	var alert tls.AlertError
	var verify *tls.CertificateVerificationError
	if errors.As(err, &alert) || errors.As(err, &verify) {
		return &channel.Error{Channel: Name, Op: op, Kind: channel.KindUnavailable, Code: "TLS",
			Message: "TLS handshake failed; the request was not sent", Retryable: true, Err: err}
	}
	msg := "transport error"
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || isTimeout(err) {
		msg = "timeout or cancellation"
	}
	return &channel.Error{Channel: Name, Op: op, Kind: channel.KindUnknown, Code: "TRANSPORT", Message: msg, Retryable: retryAfterSend(op), Err: err}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func (c *Client) internalErr(op string, err error) error {
	return &channel.Error{Channel: Name, Op: op, Kind: channel.KindInvalidRequest, Code: "CLIENT", Message: "building the request failed", Err: err}
}

// redact prepares a body for channel.Error.Raw.
func redact(b []byte) []byte {
	const max = 4096
	if len(b) > max {
		b = b[:max]
	}
	return channel.RedactPANs(bytes.Clone(b))
}

// header is the common part of every response node (alipay.md §6, §7).
type header struct {
	Code    string `json:"code"`
	Msg     string `json:"msg"`
	SubCode string `json:"sub_code"`
	SubMsg  string `json:"sub_msg"`
}

func (h *header) hdr() *header { return h }

type withHeader interface{ hdr() *header }

// call describes one gateway call.
type call struct {
	op     string // channel operation for errors: "pay", "query", …
	method string
	biz    []byte
	extra  map[string]string // notify_url, return_url
	// moneyMoving: an answer that cannot be verified leaves the outcome unknown
	// (KindUnknown) rather than merely untrusted (KindSignature).
	moneyMoving bool
	// allowWaiting accepts code 10003 (alipay.trade.pay only, alipay.md §7).
	allowWaiting bool
}

// do performs a call: post, cut out the response node, verify its signature over the
// exact received bytes, and only then decode it into out. Codes other than 10000 (and
// 10003 when allowed) come back as *channel.Error mapped by mapCode.
func (c *Client) do(ctx context.Context, k call, out withHeader) error {
	body, err := c.post(ctx, k.op, k.method, k.biz, k.extra)
	if err != nil {
		return err
	}
	return c.decodeResponse(ctx, k, body, out)
}

// decodeResponse is do without the transport, shared with tests and benchmarks.
func (c *Client) decodeResponse(ctx context.Context, k call, body []byte, out withHeader) error {
	env, err := extractResponse(body, nodeName(k.method))
	if err != nil {
		return &channel.Error{Channel: Name, Op: k.op, Kind: channel.KindUnknown, Code: "BAD_RESPONSE",
			Message: "response cannot be parsed", Retryable: retryAfterSend(k.op), Raw: redact(body), Err: err}
	}
	if env.sign == "" {
		return c.unsigned(k, env, body, out)
	}
	pub, err := c.keyFor(ctx, k.op, env.certSN)
	if err == nil {
		err = verifyNode(pub, env)
	}
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "alipay: response signature rejected", slog.String("method", k.method), slog.String("alipay_cert_sn", env.certSN))
		return c.badSignature(k, body, err)
	}
	if err := json.Unmarshal(env.node, out); err != nil {
		return &channel.Error{Channel: Name, Op: k.op, Kind: channel.KindUnknown, Code: "BAD_RESPONSE",
			Message: "verified response does not decode", Retryable: retryAfterSend(k.op), Raw: redact(body), Err: err}
	}
	h := out.hdr()
	switch {
	case h.Code == codeSuccess:
		return nil
	case h.Code == codeWaiting && k.allowWaiting:
		return nil
	}
	return codeError(k.op, h, body)
}

// badSignature: a response we cannot verify says nothing trustworthy. For a call that
// may move money its outcome is unknown; for a read it is a signature failure.
func (c *Client) badSignature(k call, body []byte, cause error) error {
	kind := channel.KindSignature
	if k.moneyMoving {
		kind = channel.KindUnknown
	}
	if !errors.Is(cause, sign.ErrBadSignature) {
		cause = fmt.Errorf("%w: %w", sign.ErrBadSignature, cause)
	}
	return &channel.Error{Channel: Name, Op: k.op, Kind: kind, Code: "BAD_RESPONSE_SIGNATURE",
		Message: "response signature missing or invalid; the answer is not trusted", Retryable: retryAfterSend(k.op), Raw: redact(body), Err: cause}
}

// unsigned handles a node without sign. Only gateway-level rejections of a request the
// gateway could not attribute or authenticate (40001, 40002, 40003, 40006, 20001;
// alipay.md §6 "unsigned failures") are believed, since they say "not executed" and
// Alipay cannot sign for an app it does not identify; a 20000 stays unknown; anything
// else unsigned is untrusted.
func (c *Client) unsigned(k call, env envelope, body []byte, out withHeader) error {
	var h header
	if err := json.Unmarshal(env.node, &h); err != nil {
		return c.badSignature(k, body, err)
	}
	switch h.Code {
	case "40001", "40002", "40003", "40006", "20001", codeUnknown:
		return codeError(k.op, &h, body)
	}
	return c.badSignature(k, body, errors.New("unsigned response with code "+h.Code))
}
