package wallet

import (
	"errors"
	"fmt"
	"time"

	"github.com/tongdao/tongdao/core/money"
)

// CustomerKind is an individual person or an enterprise.
type CustomerKind string

// The kinds of customers.
const (
	Individual CustomerKind = "individual"
	Enterprise CustomerKind = "enterprise"
)

// Valid reports whether k is a known kind.
func (k CustomerKind) Valid() bool { return k == Individual || k == Enterprise }

// Level is a customer's real-name verification level (实名认证等级). It sets the limits
// (Config.Limits). A level only goes up through Service.RaiseLevel (an operator) or a
// verified 4-element card binding (Service.ConfirmCard); it never goes down by itself.
type Level int

// The verification levels.
const (
	// LevelNone: registered, nothing verified. Small payments only, no withdrawals.
	LevelNone Level = 0
	// LevelBasic: name and ID number checked by an operator (or an ID check service).
	LevelBasic Level = 1
	// LevelCard: a card bound in the customer's name with the 4 elements (card number,
	// name, ID number, bank-reserved mobile) verified by the bank through a Binder channel.
	LevelCard Level = 2
	// LevelFull: verified in person or by video by an operator.
	LevelFull Level = 3
)

// Valid reports whether l is one of the four levels.
func (l Level) Valid() bool { return l >= LevelNone && l <= LevelFull }

// Customer is a person or enterprise holding accounts (客户). Its ID number is stored sealed
// (SM4-GCM, core/card) with a keyed fingerprint; the name is stored as given.
type Customer struct {
	ID         string // cus_…
	MerchantID string // the platform merchant that registered it; only it sees the customer
	// CustomerNo is the merchant's own number for the customer: unique per merchant, the
	// idempotency key of CreateCustomer.
	CustomerNo string
	Kind       CustomerKind
	Name       string
	IDNoSealed string // card.Sealed text of the ID number (resident ID or credit code)
	IDNoFP     string // card.Fingerprint hex of the ID number
	Level      Level
	LevelNote  string // why the level is what it is ("operator alice: ID checked", "card card_…")
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// User is a login identity of a customer in one business line (用户). A customer has many
// users; a user belongs to one customer and may use all its accounts.
type User struct {
	ID           string // usr_…
	CustomerID   string
	MerchantID   string
	BusinessLine string // e.g. "mall", "travel"
	Login        string // unique per merchant and business line
	CreatedAt    time.Time
}

// AccountKind is the purpose of a payment account.
type AccountKind string

// The kinds of payment accounts.
const (
	KindWallet      AccountKind = "wallet"       // 零钱: top-up, pay, transfer, withdraw
	KindStoredValue AccountKind = "stored_value" // 储值: prepaid value, no withdrawal
	KindSettlement  AccountKind = "settlement"   // 结算: proceeds of an enterprise
)

// Valid reports whether k is a known kind.
func (k AccountKind) Valid() bool {
	return k == KindWallet || k == KindStoredValue || k == KindSettlement
}

// State is a payment account's state. It is not stored by the wallet: it is the ledger
// account's flags (ledger.Frozen, ledger.Closed), which are what the ledger enforces.
type State string

// The states of a payment account.
const (
	Active State = "active" // every movement allowed
	Frozen State = "frozen" // no debits (risk, court order); credits still arrive
	Closed State = "closed" // no movement at all; only an account with zero balance closes
)

// Account is a payment account (账户). It has no balance column: its balances are those of
// two ledger accounts, LedgerID (available) and FrozenLedgerID (amounts frozen by an
// operator or held for a withdrawal in flight).
type Account struct {
	ID             string // <customer id>.<kind>.<currency>, so opening it twice is one account
	CustomerID     string
	Kind           AccountKind
	Currency       money.Currency
	LedgerID       int64
	FrozenLedgerID int64
	CreatedAt      time.Time
}

// CardState is the state of a card binding.
type CardState string

// The states of a card binding.
const (
	CardPending CardState = "pending" // SMS sent, waiting for the code
	CardBound   CardState = "bound"
	CardFailed  CardState = "failed"
)

// Card is a bank card bound to a customer. The number is stored sealed (SM4-GCM) with a
// keyed fingerprint and its mask (first 6 + last 4); nothing else of the card is kept
// but the bank-reserved mobile, sealed, which a channel may need again on confirm.
type Card struct {
	ID          string // card_…; also the binding request number sent to the channel
	CustomerID  string
	Channel     string // the Binder channel that verified it
	State       CardState
	PANSealed   string
	PANFP       string
	Masked      string // card.Mask of the number
	PhoneSealed string
	Holder      string
	Token       string // the channel's agreement number or token
	BankCode    string
	CardType    string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// OpKind is the kind of a wallet operation.
type OpKind string

// The operations. Each is idempotent by (merchant, kind, request number).
const (
	OpTopUp         OpKind = "topup"
	OpWithdraw      OpKind = "withdraw"
	OpTransfer      OpKind = "transfer"
	OpPayment       OpKind = "payment"
	OpFreeze        OpKind = "freeze"         // an amount moved to the frozen account
	OpUnfreeze      OpKind = "unfreeze"       // an amount freeze released
	OpFreezeAccount OpKind = "freeze_account" // the whole account frozen
	OpUnfreezeAcct  OpKind = "unfreeze_account"
)

// OpState is where an operation is.
type OpState string

// The states of operations.
const (
	// OpPending: accepted, its money movement not confirmed by the ledger yet (a retry with
	// the same request number drives it on).
	OpPending OpState = "pending"
	// OpDone: posted (transfer, payment, freeze, unfreeze); a top-up credited.
	OpDone OpState = "done"
	// OpAwaiting: a top-up whose payment has not succeeded (yet).
	OpAwaiting OpState = "awaiting"
	// OpHeld: a withdrawal's amount is frozen; the payout is being made or queried.
	OpHeld OpState = "held"
	// OpPaid: the payout succeeded and was debited; the bank may still return it.
	OpPaid OpState = "paid"
	// OpFailed: the payout failed; the hold was released.
	OpFailed OpState = "failed"
	// OpReturned: the bank returned a paid payout; the debit was reversed.
	OpReturned OpState = "returned"
	// OpReleased: an amount freeze was released by an unfreeze.
	OpReleased OpState = "released"
)

// Op is one wallet operation and what it did in the ledger: the request the caller sent
// (with its number) and the entries it caused, so a retry finds them.
type Op struct {
	ID         string // op_…: the ledger's idempotency keys and vouchers derive from it
	MerchantID string
	Kind       OpKind
	RequestNo  string
	CustomerID string
	AccountID  string // the account debited (or credited, for a top-up)
	ToAccount  string // transfer: the account credited
	Payee      string // payment: the merchant credited
	CardID     string // withdrawal
	PaymentID  string // top-up: the payment order
	Ref        string // unfreeze: the freeze op it releases
	Amount     money.Amount
	State      OpState
	Reason     string // freeze/unfreeze reason, or the channel's failure
	Operator   string
	// Fingerprint is a digest of the request's content: the same number with other content
	// is refused.
	Fingerprint string
	HoldSeq     int64 // withdrawal: the entry that froze the amount; freeze: its entry
	EntrySeq    int64 // the entry that moved the money (transfer, payment, payout, top-up, release)
	ReverseSeq  int64 // withdrawal returned: the reversal entry
	Attempts    int
	NextAt      time.Time // withdrawal: when to query the payout next
	LimitDay    string    // the Beijing day whose limit the op counts in ("" = none)
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64

	lines []Line // statement lines of entries posted since the op was last stored
}

// Line is one line of an account statement (流水): one movement of the account's
// available balance, tied to the ledger entry that made it and that entry's voucher.
type Line struct {
	Seq         int64 // the statement's own sequence: the cursor
	AccountID   string
	EntrySeq    int64  // the ledger entry
	Side        string // "D" (money out of the account) or "C" (money in)
	Amount      money.Amount
	OpID        string
	OpKind      OpKind
	VoucherKind string
	VoucherID   string
	Memo        string
	At          time.Time
}

// Errors. Service methods wrap them (errors.Is) with the detail.
var (
	ErrNotFound          = errors.New("wallet: not found")
	ErrNotOwner          = errors.New("wallet: the account does not belong to the user's customer")
	ErrDuplicate         = errors.New("wallet: already exists")
	ErrConflict          = errors.New("wallet: request number reused with different content")
	ErrInvalid           = errors.New("wallet: invalid request")
	ErrLimit             = errors.New("wallet: over the verification level's limit")
	ErrNotAllowed        = errors.New("wallet: not allowed at this verification level")
	ErrInsufficientFunds = errors.New("wallet: insufficient available balance")
	ErrFrozen            = errors.New("wallet: account is frozen")
	ErrClosed            = errors.New("wallet: account is closed")
	ErrNotEmpty          = errors.New("wallet: account balance is not zero")
	ErrPassword          = errors.New("wallet: wrong payment password")
	ErrLocked            = errors.New("wallet: payment password locked after too many wrong tries")
	ErrNoPassword        = errors.New("wallet: no payment password set")
	ErrStale             = errors.New("wallet: record changed concurrently")
	// ErrUnknownOutcome: the ledger did not confirm a write; retry with the same request
	// number to learn the outcome (it is applied at most once).
	ErrUnknownOutcome = errors.New("wallet: outcome unknown; retry with the same request number")
)

// Error is a refused request: Err is one of the sentinels, Field the offending input.
type Error struct {
	Err    error
	Field  string
	Detail string
}

func (e *Error) Error() string {
	s := e.Err.Error()
	if e.Field != "" {
		s += ": " + e.Field
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

func fail(err error, field, format string, args ...any) *Error {
	return &Error{Err: err, Field: field, Detail: fmt.Sprintf(format, args...)}
}
