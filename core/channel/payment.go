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
	// number and time (UnionPay txnTime) use it; pass the same value to Query. Zero means
	// the adapter's clock at the call.
	OrderTime time.Time
	Amount    money.Amount // > 0
	Method    Method
	Subject   string // short description shown to the payer (WeChat body, Alipay subject)
	Detail    string // optional longer description
	// NotifyURL receives the channel's asynchronous result notification. Required by most
	// channels for every method except barcode.
	NotifyURL string
	// ReturnURL is where the payer's browser goes back to after Web/H5 payments. It is a UX
	// signal only, never proof of payment.
	ReturnURL string
	ClientIP  string    // the payer's IP (the server's for QR)
	ExpiresAt time.Time // optional absolute deadline for paying; zero = channel default
	// PayerID identifies the payer where the method needs it (WeChat openid for JSAPI).
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

// QueryRequest identifies a payment to query: by OrderNo (with OrderTime for channels that
// need it) or by the channel's transaction id; when both are given the channel's id wins.
type QueryRequest struct {
	OrderNo      string
	OrderTime    time.Time
	ChannelTxnID string
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
	OrderNo      string
	OrderTime    time.Time
	ChannelTxnID string
}

// Validate checks that the order is identified.
func (r *CloseRequest) Validate(channelName string) error {
	if r == nil || (r.OrderNo == "" && r.ChannelTxnID == "") {
		return invalid(channelName, "close", "OrderNo", "is empty and so is ChannelTxnID")
	}
	return nil
}

// PaymentResult is a payment's state as the channel reported it (from Pay, Query, Close or
// a notification).
type PaymentResult struct {
	Status Status
	// ChannelStatus is the channel's own state verbatim (WeChat trade_state, Alipay
	// trade_status, UnionPay origRespCode), for diagnosis and display.
	ChannelStatus string
	OrderNo       string
	ChannelTxnID  string       // the channel's transaction id (transaction_id, trade_no, queryId)
	Amount        money.Amount // the order amount as the channel knows it (zero if not reported)
	// PaidAmount is what the payer actually paid where the channel reports it (after
	// discounts); zero if not reported.
	PaidAmount money.Amount
	// RefundedAmount is the total refunded so far where the channel reports it.
	RefundedAmount money.Amount
	PaidAt         time.Time // Beijing time; zero unless paid
	PayerID        string    // openid / buyer id, if reported
	BankType       string    // funding source as the channel names it, if reported
	// SettlementDate is the channel's accounting day for the payment where it reports one
	// (UnionPay settleDate); zero otherwise.
	SettlementDate clock.Date
	Attach         string
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
	Kind        ActionKind
	QRCode      string            // the content to encode in the QR code
	URL         string            // a URL to open or redirect to
	HTML        string            // an auto-submitting form, when the channel needs a POST
	Params      map[string]string // signed parameters for the app SDK or JS bridge
	OrderString string            // a signed, encoded order string (Alipay app pay)
	ExpiresAt   time.Time         // when the action stops working, if known
}
