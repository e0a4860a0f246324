package channel

import (
	"time"

	"github.com/tongdao/tongdao/core/money"
)

// CancelRequest identifies a payment to cancel on the same day.
type CancelRequest struct {
	OrderNo      string    // the payment's merchant order number
	OrderTime    time.Time // the payment's OrderTime, where Info.OrderTimeRequired
	ChannelTxnID string    // the payment's channel transaction id (UnionPay origQryId)
	// CancelNo is a new operation number for channels where the undo is a transaction of
	// its own (UnionPay consume undo); its idempotency key there. Ignored elsewhere.
	CancelNo string
	// CancelTime is when the merchant created the undo (UnionPay txnTime of the undo);
	// required where CancelNo is, echoed in the result.
	CancelTime time.Time
	Amount     money.Amount // the original amount, where the channel needs it
	NotifyURL  string       // where the channel notifies the undo's result, if it does
}

// Validate checks that the payment is identified.
func (r *CancelRequest) Validate(channelName string) error {
	if r == nil || (r.OrderNo == "" && r.ChannelTxnID == "") {
		return invalid(channelName, "cancel", "OrderNo", "is empty and so is ChannelTxnID")
	}
	return nil
}

// CancelResult is the outcome of a Cancel call, or of a cancel notification.
type CancelResult struct {
	// Status is Closed (the payer had not paid; the order is closed), Reversed (the payer
	// had paid; the money goes back), Processing (accepted, asynchronous), Failed (the undo
	// was refused; the payment stands) or Unknown.
	Status        Status
	ChannelStatus string // the channel's own answer (WeChat REVOKED, Alipay action, UnionPay respCode)
	OrderNo       string // the cancelled payment's merchant order number
	ChannelTxnID  string // the cancelled payment's channel transaction id
	// CancelNo and CancelTime echo the undo's own number and time where the channel has
	// them (UnionPay); ChannelCancelID is the channel's id of the undo.
	CancelNo        string
	CancelTime      time.Time // the undo's own time, as sent
	ChannelCancelID string    // the channel's id of the undo (UnionPay queryId)
	// Amount is the amount returned to the payer where reported (zero for a closed order).
	Amount money.Amount
	// CompletedAt is when the undo completed on the channel (Beijing time), where reported.
	CompletedAt time.Time
	// RetryNeeded reports that the channel asks for Cancel to be called again (WeChat
	// recall=Y, Alipay retry_flag=Y).
	RetryNeeded bool
}
