package channel

import (
	"time"

	"github.com/tongdao/tongdao/core/money"
)

// PayoutRequest pays money to a card.
type PayoutRequest struct {
	// PayoutNo is the merchant payout number: the payout's idempotency key.
	PayoutNo string
	// PayoutTime is when the merchant created the payout, where the channel needs it;
	// echoed in the result.
	PayoutTime time.Time
	Card       Card         // Number and HolderName at least
	Amount     money.Amount // > 0
	Purpose    string       // the payout's purpose as shown to the receiving bank
	BankCode   string       // the receiving bank's code, where the channel needs it
	NotifyURL  string       // where the channel notifies the payout's result, if it does
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
	PayoutNo   string    // the merchant payout number
	PayoutTime time.Time // its PayoutTime, where the channel needs it
}

// PayoutResult is a payout's state. Status Reversed means the receiving bank returned a
// payout that had succeeded; the money is back in the merchant's balance.
//
// A payout's Succeeded is not final: the receiving bank can return it later (a closed
// account, a wrong name), and the channel then reports Reversed. Use Final, not
// Status.Final, to decide whether a payout can still change.
type PayoutResult struct {
	Status        Status       // Processing, Succeeded (not final), Failed, Reversed or Unknown
	ChannelStatus string       // the channel's own state (the bank's SUCCESS/RETURNED/…)
	PayoutNo      string       // the merchant payout number
	PayoutTime    time.Time    // the time the adapter sent with it
	ChannelTxnID  string       // the channel's id of the payout
	Amount        money.Amount // the payout's amount
	// CompletedAt is when the payout succeeded (or, for Reversed, was returned), in
	// Beijing time; zero while it is in progress.
	CompletedAt time.Time
	// ReturnNo is the channel's id of the return, for Reversed.
	ReturnNo    string
	FailCode    string // the channel's reason code for Failed or Reversed
	FailMessage string // the channel's reason text
}

// Final reports whether the payout can no longer change: Failed or Reversed. Succeeded is
// not final for a payout (the receiving bank may return it); Unknown, Pending and
// Processing are not either.
func (r *PayoutResult) Final() bool {
	return r != nil && (r.Status == StatusFailed || r.Status == StatusReversed)
}

// BalanceRequest names the balance to query.
type BalanceRequest struct {
	// Account is the channel's account identifier (the bank's settlement account number);
	// empty = the merchant's default account.
	Account string
	// Currency is the balance's currency; empty = CNY.
	Currency money.Currency
}

// Balance is the merchant's balance with a channel.
type Balance struct {
	Account   string       // the account reported on
	Available money.Amount // what can be paid out now
	Frozen    money.Amount // held by the channel (pending payouts, disputes)
	AsOf      time.Time    // when the channel computed it, Beijing time
}
