package channel

import (
	"time"

	"github.com/tongdao/tongdao/core/money"
)

// PayoutRequest pays money to a card.
type PayoutRequest struct {
	PayoutNo   string // merchant payout number: the payout's idempotency key
	PayoutTime time.Time
	Card       Card // Number and HolderName at least
	Amount     money.Amount
	Purpose    string
	BankCode   string
	NotifyURL  string
}

// Validate checks the fields every channel needs.
func (r *PayoutRequest) Validate(channelName string) error {
	switch {
	case r == nil:
		return invalid(channelName, "payout", "request", "is nil")
	case r.PayoutNo == "":
		return invalid(channelName, "payout", "PayoutNo", "is empty")
	case r.Card.Number == "":
		return invalid(channelName, "payout", "Card.Number", "is empty")
	}
	return positive(channelName, "payout", "Amount", r.Amount)
}

// PayoutQuery identifies a payout.
type PayoutQuery struct {
	PayoutNo   string
	PayoutTime time.Time
}

// PayoutResult is a payout's state. Status Reversed means the receiving bank returned a
// payout that had succeeded.
type PayoutResult struct {
	Status        Status
	ChannelStatus string
	PayoutNo      string
	ChannelTxnID  string
	Amount        money.Amount
	CompletedAt   time.Time
	FailCode      string
	FailMessage   string
}

// Balance is the merchant's balance with a channel.
type Balance struct {
	Available money.Amount
	Frozen    money.Amount
	AsOf      time.Time
}
