package channel

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error by what the caller should do about it.
type Kind uint8

const (
	// KindUnknown: the outcome is unknown (timeout, connection reset after sending, HTTP
	// 5xx, unparseable or unverifiable response, "system busy" codes). The operation may
	// have taken effect. Query before deciding; never retry on another channel. The zero
	// Kind, so an unclassified error is treated as the cautious case.
	KindUnknown Kind = iota
	// KindInvalidRequest: the request was wrong (missing or malformed field, unsupported
	// method, same number with different content). Nothing happened; fix and resend.
	KindInvalidRequest
	// KindSignature: a signature did not verify — the channel rejected ours, or we
	// rejected the channel's response or notification (possible forgery).
	KindSignature
	// KindNotFound: the order, refund or binding does not exist on the channel (or is
	// not visible yet; see the operation's documentation).
	KindNotFound
	// KindAlreadyDone: the object is already in a final state that the request cannot
	// change (closing a paid order, paying a closed one, undoing an undone one). Query to
	// learn the state; do not create a new number for the same business event.
	KindAlreadyDone
	// KindDeclined: the channel, issuer or risk control refused (card not supported,
	// wrong SMS code, limits, expired code). Final for this attempt; no money moved.
	KindDeclined
	// KindInsufficientFunds: the payer's (or, for refunds and payouts, the merchant's)
	// balance is not enough. No money moved.
	KindInsufficientFunds
	// KindRateLimited: too many requests; not executed. Retry later with the same request.
	KindRateLimited
	// KindUnavailable: the channel surely did not execute the request (maintenance,
	// outside hours, connection refused before sending, statement not ready). Retry later.
	KindUnavailable
)

var kindNames = [...]string{
	KindUnknown:           "unknown outcome",
	KindInvalidRequest:    "invalid request",
	KindSignature:         "signature",
	KindNotFound:          "not found",
	KindAlreadyDone:       "already done",
	KindDeclined:          "declined",
	KindInsufficientFunds: "insufficient funds",
	KindRateLimited:       "rate limited",
	KindUnavailable:       "unavailable",
}

// String returns a short lower-case description, e.g. "unknown outcome".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// kindError is the type of the kind sentinels; an *Error matches one when its Kind equals.
type kindError struct{ kind Kind }

func (e *kindError) Error() string { return "channel: " + e.kind.String() }

// Sentinel errors, one per Kind: errors.Is(err, ErrUnknownOutcome) holds for every *Error of
// KindUnknown anywhere in err's chain.
var (
	ErrUnknownOutcome    error = &kindError{KindUnknown}
	ErrInvalidRequest    error = &kindError{KindInvalidRequest}
	ErrSignature         error = &kindError{KindSignature}
	ErrNotFound          error = &kindError{KindNotFound}
	ErrAlreadyDone       error = &kindError{KindAlreadyDone}
	ErrDeclined          error = &kindError{KindDeclined}
	ErrInsufficientFunds error = &kindError{KindInsufficientFunds}
	ErrRateLimited       error = &kindError{KindRateLimited}
	ErrUnavailable       error = &kindError{KindUnavailable}
)

// ErrUnsupported is the cause of an error for a method or operation the channel cannot do
// (see Unsupported). Such errors are also KindInvalidRequest.
var ErrUnsupported = errors.New("channel: not supported by this channel")

// Error is the error every adapter returns. Fields other than Kind may be empty.
type Error struct {
	Channel string // adapter name, e.g. "wechat"
	Op      string // operation, e.g. "pay", "refund", "notification"
	Kind    Kind   // what the caller should do about it
	// Code is the channel's own most specific code (WeChat err_code or return_msg, Alipay
	// sub_code or code, UnionPay respCode), verbatim.
	Code string
	// Message is the channel's own message (or ours when the channel gave none).
	Message string
	// Retryable reports that sending exactly the same request again (same numbers, same
	// content) is safe and may succeed; it never means "try another channel". Every adapter
	// sets it by one rule:
	//   - A failure before the request could reach the channel (the dial failed or timed
	//     out, the TLS handshake failed, the context was done before sending) is
	//     KindUnavailable and Retryable for every operation.
	//   - A failure after the request may have been sent (a timeout or reset, a non-200
	//     status, an unreadable, unverifiable or mismatched answer, a "system busy" code) is
	//     KindUnknown, and Retryable only for operations a resend cannot execute twice:
	//     Query, QueryRefund and the other queries always; Close, Refund (same refund number
	//     and amount) and Cancel where the channel documents them as idempotent, as WeChat
	//     and Alipay do. Pay is never Retryable after sending: its unknown outcome is settled
	//     by Query (then Cancel for a barcode payment).
	//   - A failed statement download is KindUnavailable and Retryable (nothing can have
	//     happened).
	//   - A definitive answer (invalid request, signature, not found, already done,
	//     declined, insufficient funds) is not Retryable unless the channel's code says the
	//     same request can succeed later (rate limits, "merchant balance too low, retry").
	Retryable bool
	// Raw is the channel's response (or notification) as received, for diagnosis, with
	// secrets and card numbers removed by the adapter. Never parse it for decisions.
	Raw []byte
	// Err is the underlying cause (a transport error, ErrUnsupported, a parse error).
	Err error
}

// Error formats as "wechat refund: SYSTEMERROR: 系统超时 (unknown outcome): cause".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Channel != "" {
		b.WriteString(e.Channel)
	} else {
		b.WriteString("channel")
	}
	if e.Op != "" {
		b.WriteByte(' ')
		b.WriteString(e.Op)
	}
	b.WriteString(": ")
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(": ")
	}
	if e.Message != "" {
		b.WriteString(e.Message)
		b.WriteByte(' ')
	}
	b.WriteByte('(')
	b.WriteString(e.Kind.String())
	b.WriteByte(')')
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the kind sentinels (ErrUnknownOutcome, …) by Kind.
func (e *Error) Is(target error) bool {
	if k, ok := target.(*kindError); ok {
		return k.kind == e.Kind
	}
	return false
}

// KindOf returns the Kind of the first *Error in err's chain. An error that is not an
// *Error (or nil-free chain without one) counts as KindUnknown: callers must not treat an
// unclassified failure as a definitive one.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnknown
}

// IsRetryable reports whether err is an *Error that says the same request may be sent again.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}
