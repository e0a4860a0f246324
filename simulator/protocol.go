package simulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Protocol is the server side of one channel's wire protocol, plugged into the engine.
//
// The required part is deliberately small; what only some channels do is an optional
// interface the engine discovers with a type assertion (the database/sql/driver idiom):
// [Payer] for the payer's actions, [StatementSource] (and [StatementRenderer]) for
// statements. New capabilities will be added the same way, so this interface does not grow.
//
// A Protocol keeps its own channel-side state (merchants and keys, orders, refunds,
// bindings, its record of money moved) and must be safe for concurrent use: the engine calls
// handlers from many goroutines at once.
type Protocol interface {
	// Name is the channel name used in routes' records, fault plans and the control API
	// ("wechat", "alipay", "unionpay", "bank"). Lower case, stable.
	Name() string
	// Register is called once by New. The protocol adds its routes at the channel's real
	// paths with e.Handle and keeps e for the clock, randomness, callbacks and statements.
	// It loads its demo merchants here.
	Register(e *Engine) error
	// Reset drops every order, refund, binding and merchant added since Register and
	// restores the demo merchants. The engine has already cancelled pending callbacks.
	Reset()
	// AddMerchant adds (or replaces, by id) a merchant from the channel-specific JSON of
	// POST /_sim/merchants; the "channel" member is present and may be ignored. It returns
	// the merchant's id (WeChat mch_id, Alipay app_id, UnionPay merId, bank merchantId). A
	// bad document gets an error naming the field, wrapping [ErrInvalid].
	AddMerchant(raw json.RawMessage) (id string, err error)
	// Merchants lists the merchants for GET /_sim/merchants and for what `sim serve` prints,
	// in a stable order, as JSON-marshalable values. Test keys may be shown; nothing else
	// secret is held.
	Merchants() []any
}

// Operations is the optional interface of a protocol that names every operation its calls
// are identified by (Call.Identify) and every callback kind it sends, so a fault plan naming
// any other op is refused instead of silently never matching. Ops of routes registered
// with Route.Op are known without it.
type Operations interface {
	CallOps() []string       // e.g. "alipay.trade.pay"
	CallbackKinds() []string // Callback.Kind values, e.g. "payment", "refund"
}

// Payer is the optional interface of a protocol whose orders wait for a payer: the control
// API's POST /_sim/payer/pay and /_sim/payer/cancel call it.
type Payer interface {
	// Pay makes the payer pay order a.OutTradeNo at a.Time (which the engine may have moved
	// past midnight by a complete_after_midnight fault) with card a.Card. It changes the
	// order's state and sends the channel's callback with Engine.Notify. It returns an error
	// wrapping [ErrNotFound] for an unknown order and [ErrConflict] for one that cannot be
	// paid (closed, already paid).
	Pay(ctx context.Context, a PayerAction) (PayerResult, error)
	// Cancel makes the payer abandon the order (closes the cashier, cancels on the phone).
	// Same errors as Pay.
	Cancel(ctx context.Context, a PayerAction) (PayerResult, error)
}

// PayerAction is one action of the payer on one order.
type PayerAction struct {
	Channel    string `json:"channel"`
	Merchant   string `json:"merchant,omitempty"` // optional: the merchant id, when order numbers are not unique across merchants
	OutTradeNo string `json:"out_trade_no"`
	// Card names what the payer pays with: in the channel's own terms (a WeChat bank_type
	// "CMB_DEBIT", default "OTHERS"; an Alipay fund channel, default "ALIPAYACCOUNT") or a
	// card number, which a channel shows only as its bank and kind (WeChat bank_type
	// "ICBC_DEBIT", Alipay "DEBIT_CARD") through the simulator's BIN table, never in full.
	// Empty = the protocol's default. Records keep it masked (first 6 + last 4 digits).
	Card string `json:"card,omitempty"`
	// Options are protocol-specific extras (e.g. {"openid":"..."}); unknown keys are ignored.
	Options map[string]string `json:"options,omitempty"`
	// Time is when the action completes on the channel (set by the engine: now, or the time
	// a complete_after_midnight fault chose). Not read from the control request.
	Time time.Time `json:"-"`
}

// PayerResult says what a payer action did, for the control API's answer.
type PayerResult struct {
	// State is the order's channel-side state afterwards, in the channel's own words
	// ("SUCCESS", "TRADE_SUCCESS", "00"...).
	State string `json:"state,omitempty"`
	// ChannelTxnID is the channel's transaction id, when one exists.
	ChannelTxnID string `json:"channel_txn_id,omitempty"`
	// Amount paid, when known.
	Amount *money.Amount `json:"amount,omitempty"`
}

// StatementSource is the optional interface of a protocol that publishes statements
// (bills, reconciliation files). The engine computes availability and applies statement
// faults; the protocol only derives the records from its own state.
type StatementSource interface {
	// StatementSpec says when the channel's accounting day turns and when a day's
	// statement becomes available.
	StatementSpec() StatementSpec
	// StatementRecords returns the records of accounting day q.Day for merchant q.Merchant
	// ("" = every merchant) derived from the protocol's state, in a stable order (by
	// channel time, then number). Only what the real statement lists (successful payments,
	// accepted refunds, ...) is returned.
	StatementRecords(ctx context.Context, q StatementQuery) ([]StatementRecord, error)
}

// StatementRenderer is the optional interface of a StatementSource that can write records
// in the channel's real statement format (used by GET /_sim/statements/...?format=raw; the
// protocol's own download path renders the same way).
type StatementRenderer interface {
	// RenderStatement writes recs (already filtered and faulted by the engine) as the
	// channel's statement file for q and returns its content type.
	RenderStatement(ctx context.Context, q StatementQuery, recs []StatementRecord, w io.Writer) (contentType string, err error)
}

// StatementSpec is a channel's accounting-day rule and statement availability.
type StatementSpec struct {
	// Cutoff is the Beijing time of day at which the accounting day turns (clock.NaturalDay
	// = 0 for WeChat, Alipay and the bank; clock.UnionPayCutoff = 23h for UnionPay,
	// unionpay.md §10). Passed to clock.AccountingDay.
	Cutoff time.Duration
	// ReadyAfter is how long after 00:00 Beijing on the day after D the statement of D
	// becomes available (WeChat 9h, wechat-v2.md §9.2; UnionPay 9h, unionpay.md §9;
	// bank 6h, bank-direct.md §11.1; Alipay 9h, alipay.md §9.11).
	ReadyAfter time.Duration
}

// StatementQuery selects one statement.
type StatementQuery struct {
	Merchant string     `json:"merchant,omitempty"` // "" = every merchant
	Day      clock.Date `json:"day"`                // the channel's accounting day
	Type     string     `json:"type,omitempty"`     // protocol-specific (WeChat bill_type); "" = all
}

// StatementRecord is one record of a channel statement in the engine's neutral form.
// Protocols fill what they have; the engine reads OutTradeNo, Amount and Fields' keys only
// to apply statement faults.
type StatementRecord struct {
	Merchant        string       `json:"merchant"`
	Kind            string       `json:"kind"` // "payment", "refund", "reversal", "payout", or the protocol's own word
	OutTradeNo      string       `json:"out_trade_no"`
	OutRefundNo     string       `json:"out_refund_no,omitempty"`
	ChannelTxnID    string       `json:"channel_txn_id,omitempty"`
	ChannelRefundID string       `json:"channel_refund_id,omitempty"`
	Amount          money.Amount `json:"amount"`
	Fee             money.Amount `json:"fee"`
	// FeeExact is the fee as the channel's own file states it, in major units, when that
	// is finer than Fee's minor units (WeChat bills give five decimals: "0.00738" where
	// Fee rounds to 1 fen); same sign as Fee. "" when Fee is exact.
	FeeExact   string     `json:"fee_exact,omitempty"`
	Time       time.Time  `json:"time"`   // payment success / refund time on the channel
	Status     string     `json:"status"` // the channel's own status word
	SettleDate clock.Date `json:"settle_date"`
	// Fields are protocol-specific columns (appid, openid, bank_type...) that the renderer
	// needs; the engine copies them into fabricated (extra) records unchanged.
	Fields map[string]string `json:"fields,omitempty"`
	// Fault names the statement fault that produced or changed this record ("" = none);
	// renderers ignore it, the control API shows it.
	Fault string `json:"fault,omitempty"`
}

// Route is where a protocol handler is served: the channel's real method and path.
type Route struct {
	// Method is the HTTP method; "" means POST.
	Method string
	// Path is the exact URL path ("/pay/unifiedorder", "/gateway.do"). With Prefix, every
	// path starting with it ("/bdc/files/").
	Path   string
	Prefix bool
	// Host, when set, restricts the route to requests whose Host header (without port)
	// starts with it ("filedownload." for UnionPay's file host, unionpay.md §1). Host routes
	// are tried before host-less ones.
	Host string
	// Op is the operation name recorded for calls on this route when the handler does not
	// name one with Call.Identify ("unifiedorder"); dispatching routes ("/gateway.do") leave
	// it empty and identify per request.
	Op string
	// ClientCert marks paths where the real channel demands a TLS client certificate
	// (WeChat /secapi/..., wechat-v2.md §1). Enforced per Config.ClientCert when serving TLS.
	ClientCert bool
	// MaxBody caps the request body in bytes; 0 = Config.MaxBody. Over it the handler is
	// called with Call.BodyTooLarge set and no body, and answers in the channel's format.
	MaxBody int64
}

// Handler answers one inbound protocol call. It decodes c.Body, calls c.Identify as soon as
// it knows the operation, merchant and order number (returning nil at once if Identify says
// stop), processes, and returns the channel's reply. A malformed request gets the channel's
// own error reply. It returns nil only after Identify said stop. A panic is recovered by the
// engine (answered 500 and recorded), but is a bug.
type Handler func(c *Call) *Reply

// Reply is a protocol's answer to one call.
type Reply struct {
	Status      int         // 0 = 200
	ContentType string      // e.g. "text/xml; charset=utf-8"
	Header      http.Header // optional extra headers
	Body        []byte
}

// Controller is the optional interface of a protocol with control endpoints of its own
// (the bank's SMS codes and issuer cards), served at /_sim/{channel}/{path} for GET and
// POST next to the engine's control API.
type Controller interface {
	// Control answers one control request. path is what follows "/_sim/{channel}/"
	// ("sms", "cards"); body is the request body ("{}" when empty). It returns a
	// JSON-marshalable answer, or an error wrapping ErrInvalid (400, a *FieldError names
	// the field), ErrNotFound (404) or ErrConflict (409).
	Control(ctx context.Context, method, path string, query url.Values, body []byte) (any, error)
}
