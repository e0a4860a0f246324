package channel

import (
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// PayRequest asks a channel to create or execute a payment.
type PayRequest struct {
	// OrderNo is the merchant order number: unique per merchant and the payment's
	// idempotency key. Channels restrict its length and alphabet (WeChat ≤32, Alipay ≤64,
	// UnionPay 8–32 letters and digits); adapters reject what their channel would.
	OrderNo string
	// OrderTime is when the merchant created the order. Channels that identify an order by
	// number and time (Info.OrderTimeRequired: UnionPay txnTime) need it and refuse a
	// request without it; pass the same value to every later request about the order.
	// Elsewhere zero means the adapter's clock at the call. The result's OrderTime echoes
	// the value the adapter used.
	OrderTime time.Time
	// Amount is the order amount, > 0, in the channel's currency (CNY for every channel
	// tongdao has today).
	Amount money.Amount
	// Method is the payment product; it must be one of the channel's Methods().
	Method Method
	// Subject is the short description shown to the payer (WeChat body, Alipay subject,
	// UnionPay orderDesc where used).
	Subject string
	// Detail is an optional longer description (WeChat detail, Alipay body).
	Detail string
	// NotifyURL receives the channel's asynchronous result notification. Required by most
	// channels for every method except barcode.
	NotifyURL string
	// ReturnURL is where the payer's browser goes back to after Web/H5 payments. It is a UX
	// signal only, never proof of payment.
	ReturnURL string
	// ClientIP is the payer's IP address (the merchant server's for QR payments).
	ClientIP string
	// ExpiresAt is an optional absolute deadline for paying; zero = the channel's default
	// (WeChat 2h, Alipay 15 days, UnionPay per its payTimeout).
	ExpiresAt time.Time
	// PayerID identifies the payer to the channel where the method needs it, as the channel
	// knows them: WeChat the payer's openid under the merchant's appid (required for JSAPI,
	// ignored otherwise); Alipay buyer_id (2088…, optional, binds the order to one buyer);
	// UnionPay and the bank the merchant's user id for the cardholder (UnionPay token
	// payments and bank agreement payments check that the token belongs to this user).
	PayerID string
	// AuthCode is the payer's payment code for MethodBarcode.
	AuthCode string
	// Token is the card token or agreement number for MethodToken.
	Token string
	// SMSCode confirms a MethodToken payment where the channel sent one.
	SMSCode string
	// Attach is opaque merchant data echoed back in query results and notifications.
	Attach string
	// Extra carries channel-specific request fields by their wire names (e.g. WeChat
	// product_id, limit_pay). Adapters document the keys they accept and reject unknown
	// ones rather than silently dropping them.
	Extra map[string]string
}

// Validate checks the fields every channel needs: a non-empty order number, a positive
// amount with a known currency and a defined method. Adapters call it before their own
// channel-specific checks. The error is KindInvalidRequest and names the field.
func (r *PayRequest) Validate(channelName string) error {
	if r == nil {
		return invalid(channelName, "pay", "request", "is nil")
	}
	if r.OrderNo == "" {
		return invalid(channelName, "pay", "OrderNo", "is empty")
	}
	if err := positive(channelName, "pay", "Amount", r.Amount); err != nil {
		return err
	}
	if !r.Method.Valid() {
		return invalid(channelName, "pay", "Method", "is not a known payment method: %q", string(r.Method))
	}
	return nil
}

// QueryRequest identifies a payment to query: by OrderNo (with OrderTime where
// Info.OrderTimeRequired) or by the channel's transaction id; when both are given the
// channel's id wins.
type QueryRequest struct {
	OrderNo      string    // the merchant order number of the payment
	OrderTime    time.Time // the payment's OrderTime, as sent with Pay (echoed in its result)
	ChannelTxnID string    // the channel's transaction id, if known
}

// Validate checks that the payment is identified.
func (r *QueryRequest) Validate(channelName string) error {
	if r == nil || (r.OrderNo == "" && r.ChannelTxnID == "") {
		return invalid(channelName, "query", "OrderNo", "is empty and so is ChannelTxnID")
	}
	return nil
}

// CloseRequest identifies an unpaid order to close.
type CloseRequest struct {
	OrderNo      string    // the merchant order number
	OrderTime    time.Time // the order's OrderTime, where the channel needs it
	ChannelTxnID string    // the channel's transaction id, if known
	// ExpiresAt is the order's payment deadline as sent with Pay, if the caller knows it.
	// An adapter that cannot close the order (CloseNeverCreated, CloseWillExpire) reports
	// it back as CloseResult.ExpiresAt.
	ExpiresAt time.Time
}

// Validate checks that the order is identified.
func (r *CloseRequest) Validate(channelName string) error {
	if r == nil || (r.OrderNo == "" && r.ChannelTxnID == "") {
		return invalid(channelName, "close", "OrderNo", "is empty and so is ChannelTxnID")
	}
	return nil
}

// CloseOutcome says what a Close call achieved.
type CloseOutcome string

const (
	// CloseClosed: this call closed the order; it can no longer be paid.
	CloseClosed CloseOutcome = "closed"
	// CloseAlreadyClosed: the order was closed before (by an earlier Close or by expiry);
	// it can no longer be paid.
	CloseAlreadyClosed CloseOutcome = "already_closed"
	// CloseNeverCreated: the channel has no such order yet, so there is nothing to close
	// (Alipay precreate before the payer scans). The payer may still create and pay it until
	// the payment action expires (CloseResult.ExpiresAt when known): Query after that.
	CloseNeverCreated CloseOutcome = "never_created"
	// CloseWillExpire: the channel cannot close the order now; it stops being payable at
	// CloseResult.ExpiresAt (zero = the channel's default expiry). Query after that.
	CloseWillExpire CloseOutcome = "will_expire"
)

// CloseResult is the outcome of Closer.Close.
type CloseResult struct {
	Outcome CloseOutcome // what the call achieved
	// Status is StatusClosed for CloseClosed and CloseAlreadyClosed (final), and
	// StatusPending for CloseNeverCreated and CloseWillExpire (not final).
	Status Status
	// ChannelStatus is the channel's own answer (WeChat ORDERCLOSED, Alipay TRADE_CLOSED or
	// ACQ.TRADE_NOT_EXIST), for diagnosis.
	ChannelStatus string
	OrderNo       string // the merchant order number
	ChannelTxnID  string // the channel's transaction id, where reported
	// ExpiresAt is when an order that could not be closed stops being payable, if known.
	ExpiresAt time.Time
}

// Final reports whether the order can no longer be paid.
func (r *CloseResult) Final() bool {
	return r != nil && (r.Outcome == CloseClosed || r.Outcome == CloseAlreadyClosed)
}

// PaymentResult is a payment's state as the channel reported it (from Pay, Query or a
// notification).
type PaymentResult struct {
	// Status is the normalised state; see Status for what each value promises.
	Status Status
	// ChannelStatus is the channel's own state verbatim (WeChat trade_state, Alipay
	// trade_status, UnionPay origRespCode), for diagnosis and display.
	ChannelStatus string
	// OrderNo is the merchant order number the channel answered about.
	OrderNo string
	// OrderTime echoes the order time the adapter used (the request's OrderTime, or the
	// adapter's clock when that was zero); zero when the result does not come from a
	// request (notifications) and the channel does not report it. Store it with the order:
	// where Info.OrderTimeRequired, a later Query needs it.
	OrderTime time.Time
	// ChannelTxnID is the channel's transaction id (WeChat transaction_id, Alipay trade_no,
	// UnionPay queryId, the bank's bankSerial), empty until the channel assigns one.
	ChannelTxnID string
	// Amount is the order amount as the channel knows it (zero if not reported).
	Amount money.Amount
	// PaidAmount is what the payer actually paid where the channel reports it (after
	// discounts); zero if not reported.
	PaidAmount money.Amount
	// RefundedAmount is the total refunded so far where the channel reports it.
	RefundedAmount money.Amount
	// PaidAt is when the payment succeeded on the channel, in Beijing time; zero unless paid.
	PaidAt time.Time
	// PayerID identifies the payer as the channel reports it (WeChat openid, Alipay
	// buyer_id), if reported.
	PayerID string
	// BankType is the funding source as the channel names it (WeChat bank_type such as
	// CMB_DEBIT, Alipay fund_channel), if reported. Never a card number.
	BankType string
	// MerchantID and AppID are the merchant and application the channel says the payment
	// belongs to (WeChat mch_id and appid, Alipay seller_id and app_id, UnionPay merId),
	// where reported; notifications carry them so the receiver can check them.
	MerchantID string
	AppID      string // the application id the channel reports (appid, app_id)
	// SettlementDate is the channel's accounting day for the payment where it reports one
	// (UnionPay settleDate); zero otherwise.
	SettlementDate clock.Date
	// Attach is the merchant's opaque data from PayRequest.Attach, echoed by the channel.
	Attach string
	// Action tells the caller what the payer must do next for Pending results of
	// QR/App/JSAPI/H5/Web payments; nil otherwise.
	Action *PayAction
}

// ActionKind says which field of a PayAction to use.
type ActionKind string

const (
	ActionQRCode      ActionKind = "qr_code"      // show QRCode as a QR code
	ActionRedirect    ActionKind = "redirect"     // send the browser to URL
	ActionForm        ActionKind = "form"         // write HTML (an auto-submitting form) to the browser
	ActionAppParams   ActionKind = "app_params"   // hand Params (or OrderString) to the wallet's app SDK
	ActionJSAPIParams ActionKind = "jsapi_params" // hand Params to the in-wallet JS bridge
)

// PayAction is what the merchant passes on to the payer to complete a payment.
type PayAction struct {
	Kind        ActionKind        // which of the fields below to use
	QRCode      string            // the content to encode in the QR code
	URL         string            // a URL to open or redirect to
	HTML        string            // an auto-submitting form, when the channel needs a POST
	Params      map[string]string // signed parameters for the app SDK or JS bridge
	OrderString string            // a signed, encoded order string (Alipay app pay)
	// TN is UnionPay's transaction number for its app SDK (appTransReq).
	TN        string
	ExpiresAt time.Time // when the action stops working, if known
}
