package wechat

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
)

// call describes one API call.
type call struct {
	op     string // channel.Error.Op: "pay", "query", …
	path   string // e.g. "/pay/unifiedorder"
	secure bool   // needs the client certificate (wechat-v2.md §1)
	// retry is Error.Retryable for outcomes that stay unknown (transport errors after the
	// dial, non-200 answers, an unverifiable or mismatched response, SYSTEMERROR): true
	// where resending the identical request cannot execute it twice (queries, statement,
	// close, refund with the same out_refund_no, reverse), false for pay, whose unknown
	// outcome is settled by Query (then Cancel). A failure before sending (dial, TLS
	// handshake, context already done) is KindUnavailable and retryable for every call.
	// The Alipay adapter applies the same rule (its retryAfterSend).
	retry bool
}

// maxRawBytes bounds Error.Raw.
const maxRawBytes = 4 << 10

// newNonce returns 32 lower-case hex characters from crypto/rand (nonce_str ≤ 32, §5).
func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// do signs params (adding appid, mch_id, nonce_str, sign_type and sign), posts them and
// returns the verified response fields (sorted). It checks, in WeChat's prescribed order
// (§4), the transport, return_code and the response signature; result_code is the
// caller's business. Every failure is a *channel.Error.
func (c *Client) do(ctx context.Context, cl call, params sign.Params) (sign.Params, error) {
	reqBody, key, httpc, err := c.prepare(ctx, cl, params)
	if err != nil {
		return nil, err
	}
	body, status, err := c.post(ctx, httpc, cl, reqBody)
	if err != nil {
		return nil, err
	}
	resp, err := c.readResponse(cl, body, key)
	c.log.LogAttrs(ctx, slog.LevelDebug, "wechat call", slog.String("op", cl.op), slog.String("path", cl.path),
		slog.Int("http_status", status), slog.String("return_code", lookup(resp, "return_code")),
		slog.String("result_code", lookup(resp, "result_code")), slog.String("err_code", lookup(resp, "err_code")),
		slog.Bool("ok", err == nil))
	return resp, err
}

// post sends body and returns the response body (bounded by maxResp).
func (c *Client) post(ctx context.Context, httpc *http.Client, cl call, body []byte) ([]byte, int, error) {
	res, err := c.send(ctx, httpc, cl, body)
	if err != nil {
		return nil, 0, err
	}
	defer res.Body.Close()
	data, err := readLimited(res.Body, c.maxResp)
	if err != nil {
		return nil, res.StatusCode, &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnknown,
			Code: "BAD_RESPONSE", Message: fmt.Sprintf("reading the response: %v", err), Retryable: cl.retry, Err: err}
	}
	if res.StatusCode != http.StatusOK {
		return nil, res.StatusCode, httpStatusError(cl, res.StatusCode, data)
	}
	return data, res.StatusCode, nil
}

// send posts body and returns the response with its body open.
func (c *Client) send(ctx context.Context, httpc *http.Client, cl call, body []byte) (*http.Response, error) {
	if err := ctx.Err(); err != nil {
		// Nothing has been sent: the request surely did not execute.
		return nil, &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnavailable, Code: "CANCELLED",
			Message: "context done before sending", Retryable: true, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(cl.path), bytes.NewReader(body))
	if err != nil {
		return nil, &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindInvalidRequest, Code: "REQUEST", Err: err}
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	start := c.clk.Now()
	res, err := httpc.Do(req)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelDebug, "wechat call failed", slog.String("op", cl.op), slog.String("path", cl.path),
			slog.Duration("elapsed", c.clk.Since(start)), slog.String("error", err.Error()))
		return nil, c.transportError(cl, err)
	}
	return res, nil
}

// httpStatusError is the error for a non-200 answer: WeChat answers 200 even for
// business errors (wechat-v2.md §2), so anything else leaves the outcome unknown.
func httpStatusError(cl call, status int, body []byte) error {
	return &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnknown,
		Code: fmt.Sprintf("HTTP_%d", status), Message: "non-200 HTTP status (wechat-v2.md §2)",
		Retryable: cl.retry, Raw: rawCopy(body)}
}

// prepare adds the common fields and the signature to params and encodes them.
func (c *Client) prepare(ctx context.Context, cl call, params sign.Params) ([]byte, string, *http.Client, error) {
	key, err := c.signKey(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	httpc := c.http
	if cl.secure {
		if c.tls == nil {
			return nil, "", nil, channel.InvalidField(channelName, cl.op, "Config.Certificate",
				"is not set: %s needs the merchant client certificate (wechat-v2.md §1)", cl.path)
		}
		httpc = c.tls
	}
	params.Set("appid", c.appID)
	params.Set("mch_id", c.mchID)
	params.Set("nonce_str", newNonce())
	if c.signType != sign.WeChatMD5 {
		params.Set("sign_type", string(c.signType))
	}
	for _, kv := range params {
		if err := checkValue(kv.Key, kv.Value); err != nil {
			return nil, "", nil, channel.InvalidField(channelName, cl.op, kv.Key, "%v", err)
		}
	}
	s, err := sign.WeChatSign(params, key, c.signType)
	if err != nil {
		return nil, "", nil, &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindInvalidRequest, Code: "SIGN", Err: err}
	}
	params.Set("sign", s)
	reqBody, err := encodeXML(params)
	if err != nil {
		return nil, "", nil, &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindInvalidRequest, Code: "ENCODE", Err: err}
	}
	return reqBody, key, httpc, nil
}

func (c *Client) url(path string) string {
	if c.sandbox {
		return c.base + "/sandboxnew" + path
	}
	return c.base + path
}

// errTooLarge is the cause when a body exceeds its limit.
var errTooLarge = errors.New("wechat: body exceeds the size limit")

// readLimited reads r up to limit bytes; more is errTooLarge.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w (%d bytes)", errTooLarge, limit)
	}
	return data, nil
}

// transportError classifies a failed round trip: a refused or failed dial never reached
// WeChat (KindUnavailable); anything later (timeout, reset, cancelled context) may have
// been executed (KindUnknown).
func (c *Client) transportError(cl call, err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnavailable, Code: "CONNECT",
			Message: "could not connect; the request was not sent", Retryable: true, Err: err}
	}
	// A TLS alert from the server or a server certificate we refuse means the session
	// failed, so WeChat cannot have processed the request (the client certificate refused
	// on /secapi is such an alert, §1).
	var alert tls.AlertError
	var verify *tls.CertificateVerificationError
	if errors.As(err, &alert) || errors.As(err, &verify) {
		return &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnavailable, Code: "TLS",
			Message:   "TLS handshake failed (client certificate or server certificate); the request was not sent",
			Retryable: true, Err: err}
	}
	msg := "transport error; the outcome is unknown"
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		msg = "timed out; the outcome is unknown"
	}
	return &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnknown, Code: "TRANSPORT",
		Message: msg, Retryable: cl.retry, Err: err}
}

// readResponse decodes and authenticates a response body: the protocol layer of §4.
func (c *Client) readResponse(cl call, body []byte, key string) (sign.Params, error) {
	unknown := func(code, msg string, cause error) error {
		return &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnknown, Code: code,
			Message: msg, Retryable: cl.retry, Raw: rawCopy(body), Err: cause}
	}
	if looksLikeHTML(body) {
		return nil, unknown("BAD_RESPONSE", "HTML page instead of XML (wechat-v2.md §2)", nil)
	}
	resp, err := decodeFlat(body, "xml")
	if err != nil {
		return nil, unknown("BAD_RESPONSE", "undecodable response", err)
	}
	switch rc := lookup(resp, "return_code"); rc {
	case "SUCCESS":
	case "FAIL":
		msg := lookup(resp, "return_msg")
		kind, retry := returnFailKind(msg)
		if kind == channel.KindUnknown {
			retry = cl.retry
		}
		return resp, &channel.Error{Channel: channelName, Op: cl.op, Kind: kind, Code: msg,
			Message: "return_code=FAIL", Retryable: retry, Raw: rawCopy(body)}
	default:
		return nil, unknown("BAD_RESPONSE", fmt.Sprintf("return_code %q", rc), nil)
	}
	// Only SUCCESS responses are signed (§3.2); an unverifiable one cannot be trusted.
	if err := sign.WeChatVerify(resp, key, c.signType, lookup(resp, "sign")); err != nil {
		return nil, unknown("BAD_RESPONSE_SIGNATURE", "response signature does not verify", err)
	}
	if v := lookup(resp, "mch_id"); v != "" && v != c.mchID {
		return nil, unknown("BAD_RESPONSE", fmt.Sprintf("response mch_id %q is not ours", v), nil)
	}
	if v := lookup(resp, "appid"); v != "" && v != c.appID {
		return nil, unknown("BAD_RESPONSE", fmt.Sprintf("response appid %q is not ours", v), nil)
	}
	return resp, nil
}

// bizError returns the error for result_code FAIL (or a missing result_code), nil for
// SUCCESS.
func (c *Client) bizError(cl call, resp sign.Params) *channel.Error {
	switch lookup(resp, "result_code") {
	case "SUCCESS":
		return nil
	case "FAIL":
		code := lookup(resp, "err_code")
		kind, retry, _ := CodeKind(code)
		if kind == channel.KindUnknown {
			retry = cl.retry
		}
		return &channel.Error{Channel: channelName, Op: cl.op, Kind: kind, Code: code,
			Message: lookup(resp, "err_code_des"), Retryable: retry}
	}
	return &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnknown, Code: "BAD_RESPONSE",
		Message: fmt.Sprintf("result_code %q", lookup(resp, "result_code")), Retryable: cl.retry}
}

// badField is the KindUnknown error for a verified response whose field we cannot read.
func badField(cl call, field string, err error) *channel.Error {
	return &channel.Error{Channel: channelName, Op: cl.op, Kind: channel.KindUnknown, Code: "BAD_RESPONSE",
		Message: "field " + field + " unreadable", Retryable: cl.retry, Err: err}
}

// rawCopy returns a bounded copy of a body for Error.Raw with card-number-like digit runs
// masked.
func rawCopy(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	if len(b) > maxRawBytes {
		b = b[:maxRawBytes]
	}
	out := channel.RedactPANs(b)
	if &out[0] == &b[0] {
		out = bytes.Clone(b)
	}
	return out
}
