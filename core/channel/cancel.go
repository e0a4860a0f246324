package channel

import (
	"time"

	"github.com/tongdao/tongdao/core/money"
)

// CancelRequest identifies a payment to cancel on the same day.
type CancelRequest struct {
	OrderNo      string
	OrderTime    time.Time
	ChannelTxnID string
	// CancelNo is a new operation number for channels where the undo is a transaction of
	// its own (UnionPay consume undo); its idempotency key there. Ignored elsewhere.
	CancelNo   string
	CancelTime time.Time
	Amount     money.Amount // the original amount, where the channel needs it
	NotifyURL  string
}

// Validate checks that the payment is identified.
func (r *CancelRequest) Validate(channelName string) error {
	if r == nil || (r.OrderNo == "" && r.ChannelTxnID == "") {
		return invalid(channelName, "cancel", "OrderNo", "is empty and so is ChannelTxnID")
	}
	return nil
}

// CancelResult is the outcome of a Cancel call.
type CancelResult struct {
	// Status is Closed (the payer had not paid; the order is closed), Reversed (the payer
	// had paid; the money goes back), Processing (accepted, asynchronous) or Unknown.
	Status        Status
	ChannelStatus string
	OrderNo       string
	ChannelTxnID  string
	// RetryNeeded reports that the channel asks for Cancel to be called again (WeChat
	// recall=Y, Alipay retry_flag=Y).
	RetryNeeded bool
}
