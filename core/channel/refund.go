package channel

import (
	"time"

	"github.com/tongdao/tongdao/core/money"
)

// RefundRequest asks for a refund of a paid order.
type RefundRequest struct {
	// RefundNo is the merchant refund number, unique per merchant (WeChat out_refund_no,
	// Alipay out_request_no, UnionPay orderId of the refund): the refund's idempotency key.
	RefundNo string
	// RefundTime is when the merchant created the refund (UnionPay txnTime of the refund);
	// zero = the adapter's clock. Pass the same value to QueryRefund.
	RefundTime   time.Time
	OrderNo      string       // the original payment's merchant order number
	OrderTime    time.Time    // the original payment's OrderTime, where the channel needs it
	ChannelTxnID string       // the original payment's channel transaction id (needed by UnionPay)
	Amount       money.Amount // this refund, > 0
	// OrderAmount is the original payment's total (WeChat total_fee must equal it).
	OrderAmount money.Amount
	// Reason is the refund reason shown to the payer where the channel does (optional).
	Reason string
	// NotifyURL is where the channel notifies the refund's result (optional; see
	// Info.Refund.Notified).
	NotifyURL string
}

// Validate checks the fields every channel needs.
func (r *RefundRequest) Validate(channelName string) error {
	if r == nil {
		return invalid(channelName, "refund", "request", "is nil")
	}
	if r.RefundNo == "" {
		return invalid(channelName, "refund", "RefundNo", "is empty")
	}
	if r.OrderNo == "" && r.ChannelTxnID == "" {
		return invalid(channelName, "refund", "OrderNo", "is empty and so is ChannelTxnID")
	}
	if err := positive(channelName, "refund", "Amount", r.Amount); err != nil {
		return err
	}
	if !r.OrderAmount.IsZero() {
		if c, err := r.Amount.Cmp(r.OrderAmount); err != nil {
			return invalid(channelName, "refund", "OrderAmount", "currency %s differs from Amount's %s", r.OrderAmount.Currency(), r.Amount.Currency())
		} else if c > 0 {
			return invalid(channelName, "refund", "Amount", "%s exceeds the order amount %s", r.Amount, r.OrderAmount)
		}
	}
	return nil
}

// RefundQueryRequest identifies a refund to query.
type RefundQueryRequest struct {
	RefundNo        string    // the merchant refund number
	RefundTime      time.Time // the refund's RefundTime, where Info.OrderTimeRequired
	OrderNo         string    // the original order; some channels need it too (Alipay)
	OrderTime       time.Time // the original order's OrderTime, where the channel needs it
	ChannelTxnID    string    // the original payment's channel transaction id, if known
	ChannelRefundID string    // the channel's refund id, if known
}

// Validate checks that the refund is identified.
func (r *RefundQueryRequest) Validate(channelName string) error {
	if r == nil || (r.RefundNo == "" && r.ChannelRefundID == "") {
		return invalid(channelName, "query refund", "RefundNo", "is empty and so is ChannelRefundID")
	}
	return nil
}

// RefundResult is a refund's state as the channel reported it.
type RefundResult struct {
	// Status is Processing (accepted, not complete), Succeeded, Failed (closed by the
	// channel; no money moved — a new attempt needs a new RefundNo only after this), or
	// Unknown.
	Status          Status
	ChannelStatus   string    // WeChat refund_status, Alipay refund_status, UnionPay origRespCode
	RefundNo        string    // the merchant refund number
	RefundTime      time.Time // echoes the refund time the adapter used (see PaymentResult.OrderTime)
	ChannelRefundID string    // the channel's refund id
	OrderNo         string    // the original payment's merchant order number
	ChannelTxnID    string    // the original payment's channel transaction id
	// Amount is this refund's amount. Zero when the channel reports only the cumulative
	// total and the adapter cannot derive this refund's part (Alipay notifications, which
	// carry refund_fee as the trade's cumulative refunded amount): use RefundedTotal and the
	// amount the refund was requested for.
	Amount money.Amount
	// RefundedTotal is the order's cumulative refunded amount where the channel reports it
	// (Alipay refund_fee); zero if not reported.
	RefundedTotal money.Amount
	// CompletedAt is when the refund succeeded on the channel, in Beijing time; zero unless
	// Succeeded.
	CompletedAt time.Time
	// MoneyMoved is false when the channel says this call moved no new money (Alipay
	// fund_change=N on a repeated request); true when it did or when the channel does not say.
	MoneyMoved bool
}
