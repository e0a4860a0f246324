package channel

import (
	"context"
	"net/http"
)

// Channel is what every adapter implements. Methods are safe for concurrent use. Every
// method that talks to the channel returns either a result or an *Error (never both); an
// error of KindUnknown means the operation may have taken effect.
type Channel interface {
	// Name is the adapter's short name ("wechat", "alipay", "unionpay", "bank"), used in
	// errors, statements and routing.
	Name() string

	// Info returns the channel's rules: accounting-day cut-off, statement availability,
	// number rules, whether orders are found by number and time, the refund, cancel and
	// notification policies and the recommended query back-off. It does no I/O and returns
	// the same value on every call.
	Info() Info

	// Methods lists the payment methods Pay accepts. Pay with any other method returns an
	// Unsupported error (KindInvalidRequest) without calling the channel.
	Methods() []Method

	// Pay creates (and for barcode and token payments, executes) a payment.
	//
	// Idempotent by req.OrderNo: the same number with the same content returns the same
	// unpaid order (for QR/App/JSAPI/H5/Web, the same payer action again); with different
	// content it is refused (KindInvalidRequest); for an order that is already paid or
	// closed it is refused with KindAlreadyDone (Query for the details). On StatusUnknown or an error of KindUnknown the
	// caller must Query with the same OrderNo (and OrderTime) until the status is final;
	// it must not pay again under a new number or on another channel until then.
	Pay(ctx context.Context, req *PayRequest) (*PaymentResult, error)

	// Query returns the payment's current state on the channel. It changes nothing and may
	// be repeated freely. KindNotFound right after Pay can mean "not visible yet" (Alipay
	// precreate before the payer scans, UnionPay before the transaction lands): treat it as
	// unknown until the order's expiry has passed.
	Query(ctx context.Context, req *QueryRequest) (*PaymentResult, error)

	// Refund asks for a (partial or full) refund of a paid order.
	//
	// Idempotent by req.RefundNo: the same number with the same amount refunds at most
	// once; the sum of refunds never exceeds the paid amount (KindInvalidRequest or
	// KindDeclined otherwise). Most channels answer StatusProcessing: the final state comes
	// from QueryRefund or a refund notification. On StatusUnknown or KindUnknown, retry with
	// the same RefundNo and amount, or QueryRefund — never with a new number.
	Refund(ctx context.Context, req *RefundRequest) (*RefundResult, error)

	// QueryRefund returns a refund's current state. It changes nothing.
	QueryRefund(ctx context.Context, req *RefundQueryRequest) (*RefundResult, error)

	// ParseNotification verifies and decodes a callback the channel sent to the merchant's
	// notify URL: header and body as received (the body read in full, the notify URL's own
	// query string not included). It returns KindSignature for a forged or altered
	// notification and KindInvalidRequest for one that cannot be decoded; in both cases
	// the caller answers with a non-success response (any HTTP 4xx works for every channel)
	// and changes nothing. It has no side effects: duplicates decode identically, and the
	// caller applies them idempotently (by OrderNo/RefundNo) before writing
	// Notification.Ack.
	ParseNotification(ctx context.Context, header http.Header, body []byte) (*Notification, error)

	// DownloadStatement fetches the channel's statement (bill, reconciliation file) for one
	// accounting day and streams it as normalised records. A day with no transactions is an
	// empty statement, not an error. A statement not generated yet is KindUnavailable and
	// retryable. The caller must Close the reader.
	DownloadStatement(ctx context.Context, req *StatementRequest) (StatementReader, error)
}

// Closer is implemented by channels that can close an unpaid order so that it can no longer
// be paid (WeChat closeorder, Alipay trade.close). UnionPay token payments and the bank's
// agreement payments have no close: an unpaid order there simply expires, and an order layer
// waits for its expiry and queries.
type Closer interface {
	// Close asks the channel to close an unpaid order. Idempotent: closing a closed order
	// answers CloseAlreadyClosed. The result says honestly what happened (see
	// CloseOutcome): only CloseClosed and CloseAlreadyClosed promise that the order can no
	// longer be paid. If the order has been paid the channel refuses with KindAlreadyDone:
	// the caller must treat the order as paid and Query. On KindUnknown, call Close again
	// or Query.
	Close(ctx context.Context, req *CloseRequest) (*CloseResult, error)
}

// Canceller is implemented by channels that can cancel a payment on the same day (WeChat
// reverse, Alipay cancel, UnionPay consume undo): an unpaid order is closed, a paid one is
// returned in full. It is the way out of a barcode payment whose outcome stays unknown.
type Canceller interface {
	// Cancel is idempotent by req.OrderNo (and req.CancelNo where the channel needs a new
	// number for the undo). When the result says RetryNeeded, or on KindUnknown, call
	// Cancel again with the same request.
	Cancel(ctx context.Context, req *CancelRequest) (*CancelResult, error)
}

// Binder is implemented by channels that bind a card to obtain a token or agreement number
// for later MethodToken payments (UnionPay token open, bank agreement binding).
type Binder interface {
	// SendBindSMS verifies the card's elements and sends an SMS code to the bank-reserved
	// mobile. Idempotent by req.BindNo: calling again with the same number replays the first
	// answer and sends no new code (use ResendBindSMS for that). A card that is already
	// bound for the user is not an error: the challenge's AlreadyBound carries the existing
	// binding and no SMS is sent.
	SendBindSMS(ctx context.Context, req *BindRequest) (*BindChallenge, error)
	// ResendBindSMS sends a new SMS code for a binding started by SendBindSMS (the previous
	// code stops working). It has its own number (req.SMSNo) because some channels refuse a
	// reused request number (UnionPay) or have a resend operation of their own (the bank).
	ResendBindSMS(ctx context.Context, req *ResendSMSRequest) (*BindChallenge, error)
	// ConfirmBind completes the binding with the SMS code and returns the token.
	// Idempotent by BindNo: confirming a confirmed binding returns the same Binding.
	ConfirmBind(ctx context.Context, req *BindConfirmRequest) (*Binding, error)
	// Unbind removes a binding. Idempotent: unbinding an unbound token returns it unbound.
	Unbind(ctx context.Context, req *UnbindRequest) (*Binding, error)
	// QueryBinding returns the bindings of a user, or one binding by token or BindNo.
	QueryBinding(ctx context.Context, req *BindingQuery) ([]Binding, error)
}

// PaySMSSender is implemented by channels that confirm a MethodToken payment with an SMS
// code sent to the cardholder first (UnionPay consume SMS, the bank's agreement payment with
// SMS). The code goes into PayRequest.SMSCode of the Pay that follows.
type PaySMSSender interface {
	// SendPaySMS sends the payment's SMS code. Idempotent by req.SMSNo; a new SMSNo sends a
	// new code for the same order.
	SendPaySMS(ctx context.Context, req *PaySMSRequest) (*SMSChallenge, error)
}

// Authorizer is implemented by channels with pre-authorisation (freeze funds, then capture).
// Every operation carries its own new operation number (AuthRequest.OpNo), which is its
// idempotency key; all are usually asynchronous (StatusProcessing, then QueryAuth or a
// notification). Results are AuthResults, so a ledger can tell a hold (FrozenAmount) from a
// capture (CapturedAmount).
type Authorizer interface {
	// PreAuth freezes req.Amount on the payer's card. Idempotent by req.OrderNo, which is
	// the pre-authorisation's operation number.
	PreAuth(ctx context.Context, req *PayRequest) (*AuthResult, error)
	// UndoPreAuth releases a pre-authorisation in full.
	UndoPreAuth(ctx context.Context, req *AuthRequest) (*AuthResult, error)
	// Capture completes a pre-authorisation for req.Amount (the channel bounds it).
	Capture(ctx context.Context, req *AuthRequest) (*AuthResult, error)
	// UndoCapture cancels a capture on the same clearing day, in full.
	UndoCapture(ctx context.Context, req *AuthRequest) (*AuthResult, error)
	// QueryAuth returns the state of any of the four operations by its number.
	QueryAuth(ctx context.Context, req *AuthQuery) (*AuthResult, error)
}

// Payouter is implemented by channels that pay money to a card (代付).
type Payouter interface {
	// Payout is idempotent by req.PayoutNo. On KindUnknown or StatusUnknown, QueryPayout with
	// the same number; never pay out again under a new number until the first is final.
	Payout(ctx context.Context, req *PayoutRequest) (*PayoutResult, error)
	// QueryPayout returns a payout's state. A succeeded payout may later be Reversed when
	// the receiving bank returns it: PayoutResult.Final is false for Succeeded.
	QueryPayout(ctx context.Context, req *PayoutQuery) (*PayoutResult, error)
}

// BalanceQuerier is implemented by channels that report the merchant's balance with them.
type BalanceQuerier interface {
	// QueryBalance returns the merchant's available and frozen balances in the account
	// req names (the default account when req.Account is empty).
	QueryBalance(ctx context.Context, req *BalanceRequest) (*Balance, error)
}
