package unionpay

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// safety says whether resending the same request after an unknown outcome is safe:
// queries always; refund, undo and the pre-authorisation operations because UnionPay
// refuses a reused orderId (respCode 12, unionpay.md §12), so a resend cannot execute
// twice; never a payment (its unknown outcome is settled by Query).
type safety bool

const (
	resendSafe   safety = true
	resendUnsafe safety = false
)

// fail turns a wire-layer failure into the *channel.Error every method returns, by the
// contract's Retryable rule.
func (c *Client) fail(op string, s safety, err error) error {
	if err == nil {
		return nil
	}
	var ce *channel.Error
	if errors.As(err, &ce) {
		return err
	}
	e := &channel.Error{Channel: Name, Op: op, Kind: channel.KindUnknown}
	var we *wireError
	switch {
	case errors.As(err, &we):
		e.Kind, e.Code, e.Message, e.Err = we.rule.kind, we.code, we.msg, we.err
		if e.Message == "" && we.err != nil {
			e.Message = "no verified answer"
		}
		switch {
		case we.code == "" && notSent(we.err):
			e.Kind, e.Retryable = channel.KindUnavailable, true
		case e.Kind == channel.KindUnknown:
			e.Retryable = bool(s)
		default:
			// A definitive answer: retryable only where the same request can succeed later
			// (rate limit, outside hours, system closed). 71 (wrong SMS code) needs a new code.
			e.Retryable = we.rule.retryable && we.code != "71"
		}
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		e.Kind, e.Retryable, e.Err = channel.KindUnknown, bool(s), err
	default:
		e.Err = err
		e.Retryable = bool(s)
	}
	return e
}

// notSent reports a failure before the request could reach UnionPay: the dial or the TLS
// handshake failed.
func notSent(err error) bool {
	var op *net.OpError
	var rh tls.RecordHeaderError
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	return errors.As(err, &op) && op.Op == "dial" || errors.As(err, &rh) || errors.As(err, &cv) ||
		errors.As(err, &ua) || errors.As(err, &hn)
}

// invalid is a KindInvalidRequest error naming the field; nothing was sent.
func invalid(op, field, format string, args ...any) error {
	return &channel.Error{Channel: Name, Op: op, Kind: channel.KindInvalidRequest, Code: "INVALID_FIELD",
		Message: field + " " + fmt.Sprintf(format, args...)}
}

// before returns the error for a context that is done before anything was sent.
func (c *Client) before(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return &channel.Error{Channel: Name, Op: op, Kind: channel.KindUnavailable, Retryable: true, Message: "context done before sending", Err: err}
	}
	return nil
}

// fen renders an amount as txnAmt: CNY only, positive, at most 12 digits.
func fen(op, field string, a money.Amount) (string, error) {
	if a.Currency() != money.CNY {
		return "", invalid(op, field, "currency %s: UnionPay takes CNY only", a.Currency())
	}
	if a.Minor() <= 0 || a.Minor() > 999999999999 {
		return "", invalid(op, field, "%s: want 0.01 to 9999999999.99 yuan", a)
	}
	return strconv.FormatInt(a.Minor(), 10), nil
}

// amountOf reads txnAmt (or settleAmt) of an answer; zero when absent or malformed.
func amountOf(v *verified, field string) money.Amount {
	n, err := strconv.ParseInt(v.get(field), 10, 64)
	if err != nil || n <= 0 {
		return money.Amount{}
	}
	return money.Fen(n)
}

// number checks an order or operation number against the 8–32 letters-and-digits rule.
func (c *Client) number(op, field, s string) error {
	return c.Info().OrderNo.Validate(Name, op, field, s)
}

// needTime refuses a zero transaction time (Info.OrderTimeRequired).
func (c *Client) needTime(op, field string, t time.Time) error {
	return c.Info().RequireTime(Name, op, field, t)
}

// completedAt is the Beijing time of traceTime (MMddHHmmss), the year the latest that is
// not after tomorrow by the clock; zero when absent.
func (c *Client) completedAt(v *verified) time.Time {
	tt := v.get("traceTime")
	if tt == "" {
		return time.Time{}
	}
	t, err := zmTime(tt, clock.DateOf(c.clk.Now(), clock.Beijing()))
	if err != nil {
		return time.Time{}
	}
	return t
}

// settlement is the clearing date of settleDate (MMdd); zero when absent.
func (c *Client) settlement(v *verified) clock.Date {
	sd := v.get("settleDate")
	if sd == "" {
		return clock.Date{}
	}
	d, err := resolveMMdd(sd, clearingDay(c.clk.Now(), clock.UnionPayCutoff).AddDays(1))
	if err != nil {
		return clock.Date{}
	}
	return d
}

// base returns the fields every transaction request carries besides the common ones.
func (c *Client) base(txnType, sub, biz, orderID string, at time.Time) sign.Params {
	return sign.Params{{Key: "txnType", Value: txnType}, {Key: "txnSubType", Value: sub}, {Key: "bizType", Value: biz},
		{Key: "channelType", Value: "07"}, {Key: "orderId", Value: orderID}, {Key: "txnTime", Value: timeTxn(at)}}
}

// tokenData is tokenPayData for a request naming a token.
func (c *Client) tokenData(token string) string { return braced("trId", c.trID, "token", token) }
