package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/order"
)

// Orders is the part of order.Store the payload is built from (order.Store satisfies it).
type Orders interface {
	Payment(ctx context.Context, id string) (*order.Payment, error)
	Refund(ctx context.Context, id string) (*order.Refund, error)
}

// Envelope is the JSON body of a webhook and of a NATS message:
//
//	{"id":"evt_…","type":"payment.succeeded","created":"2026-12-06T10:00:00+08:00","data":{…}}
//
// Data is a PaymentData, a RefundData or a PayoutData (data.object says which).
type Envelope struct {
	ID      string `json:"id"`      // the event id: the same on every retry and redelivery
	Type    string `json:"type"`    // "payment.succeeded", "refund.succeeded", …
	Created string `json:"created"` // when the transition happened, RFC 3339 in Beijing time (+08:00)
	Data    any    `json:"data"`
}

// PaymentData is data of a payment.* event: the payment as stored when the webhook is built.
// Amounts are integers in minor units (fen) with the same amount as a decimal string in major
// units (yuan); times are RFC 3339 in Beijing time (+08:00), omitted when not set.
type PaymentData struct {
	Object             string `json:"object"` // "payment"
	ID                 string `json:"id"`
	MerchantID         string `json:"merchant_id"`
	OrderNo            string `json:"order_no"`
	Amount             int64  `json:"amount"`
	AmountYuan         string `json:"amount_yuan"`
	RefundedAmount     int64  `json:"refunded_amount"`
	RefundedAmountYuan string `json:"refunded_amount_yuan"`
	Currency           string `json:"currency"`
	State              string `json:"state"`
	Channel            string `json:"channel"`
	Method             string `json:"method"`
	ChannelTxnID       string `json:"channel_txn_id,omitempty"`
	Subject            string `json:"subject"`
	PaidAt             string `json:"paid_at,omitempty"`
	ExpiresAt          string `json:"expires_at,omitempty"`
	CreatedAt          string `json:"created_at"`
	UpdatedAt          string `json:"updated_at"`
	Version            int64  `json:"version"`
}

// RefundData is data of a refund.* event.
type RefundData struct {
	Object       string `json:"object"` // "refund"
	ID           string `json:"id"`
	PaymentID    string `json:"payment_id"`
	MerchantID   string `json:"merchant_id"`
	OrderNo      string `json:"order_no"` // the payment's merchant order number
	RefundNo     string `json:"refund_no"`
	Amount       int64  `json:"amount"`
	AmountYuan   string `json:"amount_yuan"`
	Currency     string `json:"currency"`
	State        string `json:"state"`
	Channel      string `json:"channel"`
	ChannelTxnID string `json:"channel_txn_id,omitempty"` // the channel's refund id
	Reason       string `json:"reason,omitempty"`
	CompletedAt  string `json:"completed_at,omitempty"`
	CreatedAt    string `json:"created_at"`
	UpdatedAt    string `json:"updated_at"`
	Version      int64  `json:"version"`
}

// beijingTime formats t as RFC 3339 in Beijing time; "" for the zero time.
func beijingTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(clock.Beijing()).Format(time.RFC3339)
}

func yuan(a money.Amount) string { return a.Decimal() }

// Build returns the envelope of ev with its order read from orders. The order is read as it
// is now: a webhook sent late (after retries) can show a later state than its type names; the
// type says what happened, data.version orders snapshots. Events of one payment are
// delivered in order, so a merchant never sees an older version after a newer one from us.
// The refund's and the payment's "not found" are returned wrapped (order.ErrNotFound).
func Build(ctx context.Context, orders Orders, ev *order.Event) (*Envelope, *order.Payment, error) {
	env := &Envelope{ID: ev.ID, Type: ev.Type, Created: beijingTime(ev.At)}
	switch ev.OrderKind {
	case "payment":
		p, err := orders.Payment(ctx, ev.OrderID)
		if err != nil {
			return nil, nil, fmt.Errorf("notify: event %s: payment %s: %w", ev.ID, ev.OrderID, err)
		}
		env.Data = paymentData(p)
		return env, p, nil
	case "refund":
		r, err := orders.Refund(ctx, ev.OrderID)
		if err != nil {
			return nil, nil, fmt.Errorf("notify: event %s: refund %s: %w", ev.ID, ev.OrderID, err)
		}
		p, err := orders.Payment(ctx, r.PaymentID)
		if err != nil {
			return nil, nil, fmt.Errorf("notify: event %s: payment %s of refund %s: %w", ev.ID, r.PaymentID, r.ID, err)
		}
		env.Data = refundData(r, p)
		return env, p, nil
	case "payout":
		pr, ok := orders.(PayoutOrders)
		if !ok {
			return nil, nil, fmt.Errorf("notify: event %s: payout %s, but Orders cannot read payouts", ev.ID, ev.OrderID)
		}
		po, err := pr.Payout(ctx, ev.OrderID)
		if err != nil {
			return nil, nil, fmt.Errorf("notify: event %s: payout %s: %w", ev.ID, ev.OrderID, err)
		}
		env.Data = payoutData(po)
		// A payout has no payment: it goes to the merchant's webhook URL.
		return env, &order.Payment{ID: po.ID, MerchantID: po.MerchantID}, nil
	}
	return nil, nil, fmt.Errorf("notify: event %s: unknown order kind %q", ev.ID, ev.OrderKind)
}

// PayoutOrders is implemented by Orders that can read payouts (core/store's *DB); without
// it, payout.* webhooks fail (and are retried, then dead-lettered).
type PayoutOrders interface {
	Payout(ctx context.Context, id string) (*order.Payout, error)
}

// PayoutData is data of a payout.* event. The card shows masked only.
type PayoutData struct {
	Object       string `json:"object"` // "payout"
	ID           string `json:"id"`
	MerchantID   string `json:"merchant_id"`
	PayoutNo     string `json:"payout_no"`
	Amount       int64  `json:"amount"`
	AmountYuan   string `json:"amount_yuan"`
	Currency     string `json:"currency"`
	State        string `json:"state"` // processing, succeeded, failed, returned
	Channel      string `json:"channel"`
	CardMasked   string `json:"card_masked"`
	ChannelTxnID string `json:"channel_txn_id,omitempty"`
	FailCode     string `json:"fail_code,omitempty"`
	FailMessage  string `json:"fail_message,omitempty"`
	ReturnNo     string `json:"return_no,omitempty"`
	CompletedAt  string `json:"completed_at,omitempty"`
	ReturnedAt   string `json:"returned_at,omitempty"`
	CreatedAt    string `json:"created_at"`
	UpdatedAt    string `json:"updated_at"`
	Version      int64  `json:"version"`
}

func payoutData(p *order.Payout) PayoutData {
	return PayoutData{Object: "payout", ID: p.ID, MerchantID: p.MerchantID, PayoutNo: p.PayoutNo, Amount: p.Amount.Minor(),
		AmountYuan: yuan(p.Amount), Currency: string(p.Amount.Currency()), State: string(p.State), Channel: p.Channel,
		CardMasked: p.CardMasked, ChannelTxnID: p.ChannelTxnID, FailCode: p.FailCode, FailMessage: p.FailMsg, ReturnNo: p.ReturnNo,
		CompletedAt: beijingTime(p.CompletedAt), ReturnedAt: beijingTime(p.ReturnedAt), CreatedAt: beijingTime(p.CreatedAt),
		UpdatedAt: beijingTime(p.UpdatedAt), Version: p.Version}
}

// Marshal returns the JSON body of ev (see Envelope).
func Marshal(ctx context.Context, orders Orders, ev *order.Event) ([]byte, error) {
	env, _, err := Build(ctx, orders, ev)
	if err != nil {
		return nil, err
	}
	return json.Marshal(env)
}

func paymentData(p *order.Payment) PaymentData {
	return PaymentData{Object: "payment", ID: p.ID, MerchantID: p.MerchantID, OrderNo: p.OrderNo,
		Amount: p.Amount.Minor(), AmountYuan: yuan(p.Amount),
		RefundedAmount: p.RefundedAmount.Minor(), RefundedAmountYuan: yuan(money.New(p.RefundedAmount.Minor(), p.Amount.Currency())),
		Currency: string(p.Amount.Currency()), State: string(p.State), Channel: p.Channel, Method: string(p.Method),
		ChannelTxnID: p.ChannelTxnID, Subject: p.Subject, PaidAt: beijingTime(p.PaidAt), ExpiresAt: beijingTime(p.ExpiresAt),
		CreatedAt: beijingTime(p.CreatedAt), UpdatedAt: beijingTime(p.UpdatedAt), Version: p.Version}
}

func refundData(r *order.Refund, p *order.Payment) RefundData {
	return RefundData{Object: "refund", ID: r.ID, PaymentID: r.PaymentID, MerchantID: r.MerchantID, OrderNo: p.OrderNo,
		RefundNo: r.RefundNo, Amount: r.Amount.Minor(), AmountYuan: yuan(r.Amount), Currency: string(r.Amount.Currency()),
		State: string(r.State), Channel: p.Channel, ChannelTxnID: r.ChannelRefundID, Reason: r.Reason,
		CompletedAt: beijingTime(r.CompletedAt), CreatedAt: beijingTime(r.CreatedAt), UpdatedAt: beijingTime(r.UpdatedAt), Version: r.Version}
}
