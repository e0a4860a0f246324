package bank

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Client is the bank direct-connect adapter. It implements channel.Channel,
// channel.Binder, channel.Payouter and channel.BalanceQuerier and is safe for concurrent
// use.
type Client struct {
	w          *wire
	serials    serials
	base       string
	hc         *http.Client
	clk        clock.Clock
	log        *slog.Logger
	notifyURL  string
	maxResp    int64
	maxStmt    int64
	merchantID string
	skipLuhn   bool
}

var (
	_ channel.Channel        = (*Client)(nil)
	_ channel.Binder         = (*Client)(nil)
	_ channel.Payouter       = (*Client)(nil)
	_ channel.BalanceQuerier = (*Client)(nil)
)

// Name returns "bank".
func (c *Client) Name() string { return Name }

// Methods returns the one method Pay accepts: MethodToken, an agreement payment with the
// protocolNo a binding returned (Binder.ConfirmBind) as PayRequest.Token.
func (c *Client) Methods() []channel.Method { return []channel.Method{channel.MethodToken} }

// retryUnknown is Error.Retryable for a failure after the request may have been sent
// (channel.Error.Retryable's rule): resending the identical request (same reqSerial)
// replays the bank's stored answer (§9.1), so it cannot execute twice — yet Pay and
// Payout move money out of the payer's or merchant's account and are settled by their
// query instead, as channel.Channel.Pay and channel.Payouter.Payout say.
func retryUnknown(op string) bool { return op != opPay && op != opPayout }

// Operation names in errors.
const (
	opPay         = "pay"
	opQuery       = "query"
	opRefund      = "refund"
	opQueryRefund = "query refund"
	opBind        = "bind"
	opResend      = "resend bind sms"
	opConfirm     = "confirm bind"
	opUnbind      = "unbind"
	opQueryBind   = "query binding"
	opPayout      = "payout"
	opQueryPayout = "query payout"
	opBalance     = "balance"
	opStatement   = "statement"
	opNotify      = "notification"
)

// exchange is one call's request and verified answer.
type exchange struct {
	req  request
	resp *response
	raw  []byte
}

// call seals req, posts it and verifies the answer. Failures are *channel.Error by the
// contract's rule: nothing sent → KindUnavailable, retryable; after sending (transport,
// non-200, unverifiable answer) → KindUnknown, retryable per retryUnknown (for the
// statement: KindUnavailable, retryable). The answer's own code is not judged here.
func (c *Client) call(ctx context.Context, op, txCode, serial string, data map[string]string) (*exchange, error) {
	if err := ctx.Err(); err != nil {
		return nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindUnavailable, Code: "CANCELLED", Message: "context done before sending", Retryable: true, Err: err}
	}
	req := request{TxCode: txCode, ReqSerial: serial, ReqTime: c.clk.Now(), Data: data}
	body, err := c.w.seal(req)
	if err != nil {
		return nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindInvalidRequest, Code: "CLIENT", Message: "building the request failed", Err: err}
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+gatewayPath, bytes.NewReader(body))
	if err != nil {
		return nil, &channel.Error{Channel: Name, Op: op, Kind: channel.KindInvalidRequest, Code: "CLIENT", Message: "building the request failed", Err: err}
	}
	hr.Header.Set("Content-Type", "application/json; charset=utf-8")
	start := c.clk.Now()
	resp, err := c.hc.Do(hr)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "bank: transport error", slog.String("txCode", txCode), slog.String("reqSerial", serial), slog.String("error", err.Error()))
		return nil, c.transportErr(op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, c.maxResp+1))
	c.log.LogAttrs(ctx, slog.LevelDebug, "bank: call", slog.String("txCode", txCode), slog.String("reqSerial", serial),
		slog.Int("status", resp.StatusCode), slog.Int("bytes", len(raw)), slog.Duration("took", c.clk.Since(start)))
	switch {
	case err != nil:
		return nil, c.afterSend(op, "TRANSPORT", "reading the answer failed", nil, err)
	case int64(len(raw)) > c.maxResp:
		return nil, c.afterSend(op, "RESPONSE_TOO_LARGE", fmt.Sprintf("answer exceeds %d bytes", c.maxResp), nil, nil)
	case resp.StatusCode != http.StatusOK:
		// §3: business answers are always 200; anything else may have been processed.
		return nil, c.afterSend(op, "HTTP_"+strconv.Itoa(resp.StatusCode), "unexpected HTTP status "+resp.Status, raw, nil)
	}
	r, err := c.w.open(raw, req)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "bank: answer not verifiable", slog.String("txCode", txCode), slog.String("reqSerial", serial), slog.String("error", err.Error()))
		return nil, c.afterSend(op, "UNVERIFIED", "the answer does not verify as the bank's answer to this request", raw, err)
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "bank: answer", slog.String("txCode", txCode), slog.String("reqSerial", serial), slog.String("respCode", r.Code))
	return &exchange{req: req, resp: r, raw: raw}, nil
}

// afterSend is a failure after the request may have reached the bank (§8.2).
func (c *Client) afterSend(op, code, msg string, raw []byte, cause error) error {
	if op == opStatement {
		return &channel.Error{Channel: Name, Op: op, Kind: channel.KindUnavailable, Code: code, Message: msg, Retryable: true, Raw: redact(raw), Err: cause}
	}
	e := unverifiedError(op, cause).(*channel.Error)
	e.Code, e.Message, e.Raw, e.Retryable = code, msg, redact(raw), retryUnknown(op)
	return e
}

// transportErr classifies a failed round trip: a failed dial or TLS handshake never
// reached the bank (KindUnavailable, retryable); anything later may have been executed.
func (c *Client) transportErr(op string, err error) error {
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
	var t interface{ Timeout() bool }
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || (errors.As(err, &t) && t.Timeout()) {
		msg = "timeout or cancellation"
	}
	return c.afterSend(op, "TRANSPORT", msg, nil, err)
}

// answerErr is the error of an answer whose code is not 0000/0001 (§8): the code table's
// Kind; an unknown-outcome code is retryable per retryUnknown.
func answerErr(op string, x *exchange) error {
	err := codeError(op, x.resp)
	if err == nil {
		return nil
	}
	e := err.(*channel.Error)
	if e.Kind == channel.KindUnknown {
		e.Retryable = retryUnknown(op)
	}
	e.Raw = redact(x.raw)
	return e
}

// mismatch is an answer that verified but does not describe the request: an unknown
// outcome (§8.2).
func mismatch(op, field string, x *exchange) error {
	e := unverifiedError(op, fmt.Errorf("bank answer: field data.%s does not match the request: %w", field, errUnverified)).(*channel.Error)
	e.Code, e.Message, e.Raw, e.Retryable = "MISMATCH", "the answer's "+field+" differs from the request", redact(x.raw), retryUnknown(op)
	return e
}

// redact prepares a body for channel.Error.Raw: at most 4 KiB, card numbers masked, and
// digit runs shaped like a mainland mobile (11 digits from 13) or a resident ID number (17
// digits and a check character) masked as core/card does. The bank never sends them in
// clear (§5.1), but a notification body can be anything: this is the last defence.
func redact(b []byte) []byte {
	if b == nil {
		return nil
	}
	const max = 4096
	if len(b) > max {
		b = b[:max]
	}
	out := channel.RedactPANs(bytes.Clone(b))
	for i := 0; i < len(out); {
		if out[i] < '0' || out[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(out) && out[j] >= '0' && out[j] <= '9' {
			j++
		}
		run := string(out[i:j])
		switch {
		case len(run) == 11 && run[0] == '1' && run[1] >= '3':
			copy(out[i:j], card.MaskPhone(run))
		case len(run) == 18, len(run) == 17 && j < len(out) && (out[j] == 'X' || out[j] == 'x'):
			end := i + 18
			copy(out[i:end], card.MaskID(string(out[i:end])))
			j = end
		}
		i = j
	}
	return out
}

func invalid(op, field, format string, args ...any) error {
	return channel.InvalidField(Name, op, field, format, args...)
}

// fenString is an amount as §6 fen digits, refusing other currencies and amounts out of
// range.
func fenString(op, field string, a money.Amount) (string, error) {
	if a.Currency() != money.CNY {
		return "", invalid(op, field, "must be in CNY, got %s", a.Currency())
	}
	if a.Minor() < 1 || a.Minor() > 99_999_999_999 {
		return "", invalid(op, field, "must be 0.01 to 999999999.99 CNY, got %s", a)
	}
	return strconv.FormatInt(a.Minor(), 10), nil
}

// dataFen reads a fen amount of the answer's data.
func dataFen(r *response, k string) (money.Amount, bool) {
	v, ok := fenField(r.str(k))
	if !ok {
		return money.Amount{}, false
	}
	return money.Fen(v), true
}

func dataTime(r *response, k string) time.Time {
	t, err := parseTime(r.str(k))
	if err != nil {
		return time.Time{}
	}
	return t
}

func dataDate(r *response, k string) clock.Date {
	d, err := clock.ParseCompactDate(r.str(k))
	if err != nil {
		return clock.Date{}
	}
	return d
}

var numberRule = channel.NumberRule{MaxLen: 32, Symbols: "_-"}
var userRule = channel.NumberRule{MaxLen: 64, Symbols: "_-"}

func (c *Client) notify(op, u string) (string, error) {
	if u == "" {
		u = c.notifyURL
	}
	if u == "" {
		return "", nil
	}
	if err := checkNotifyURL(u); err != nil {
		return "", invalid(op, "NotifyURL", "%v", err)
	}
	return u, nil
}
