package ledger

import (
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Kind is what an entry does.
type Kind string

// The kinds of entries.
const (
	KindPost    Kind = "post"    // ordinary posting: every line is EffectPost
	KindHold    Kind = "hold"    // reserves an amount: lines are EffectHold
	KindCapture Kind = "capture" // moves (part of) a hold to posted: EffectUnhold + EffectPost
	KindRelease Kind = "release" // voids what remains of a hold: EffectUnhold
	KindReverse Kind = "reverse" // undoes a post entry with mirrored EffectPost lines
)

// primary is the effect whose debits must add up to the voucher amount.
func (k Kind) primary() Effect {
	switch k {
	case KindHold:
		return EffectHold
	case KindRelease:
		return EffectUnhold
	}
	return EffectPost
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	switch k {
	case KindPost, KindHold, KindCapture, KindRelease, KindReverse:
		return true
	}
	return false
}

// Effect is which counters a line moves.
type Effect uint8

// The effects of a line.
const (
	EffectPost   Effect = iota // adds to the posted counter of its side
	EffectHold                 // adds to the pending counter of its side
	EffectUnhold               // subtracts from the pending counter of its side
)

// String names the effect.
func (e Effect) String() string {
	switch e {
	case EffectPost:
		return "post"
	case EffectHold:
		return "hold"
	case EffectUnhold:
		return "unhold"
	}
	return "effect?"
}

// VoucherKind is the kind of business record behind an entry.
type VoucherKind string

// Usual voucher kinds; others are allowed.
const (
	VoucherOrder      VoucherKind = "order"
	VoucherRefund     VoucherKind = "refund"
	VoucherSettlement VoucherKind = "settlement"
	VoucherAdjustment VoucherKind = "adjustment"
)

// Voucher is the business record (原始凭证) that caused an entry, with its amount. The entry's
// debits of its primary effect in Amount's currency must equal Amount, and every entry naming
// the same Kind and ID must give the same Amount.
type Voucher struct {
	Kind   VoucherKind
	ID     string
	Amount money.Amount
}

// Ref returns the key of the voucher.
func (v Voucher) Ref() VoucherRef { return VoucherRef{Kind: v.Kind, ID: v.ID} }

// VoucherRef names a voucher without its amount.
type VoucherRef struct {
	Kind VoucherKind
	ID   string
}

// Line is one line of an entry: an amount (> 0, in the account's currency) on one side of one
// account. Effect is EffectPost for lines given to Post; the ledger builds the hold lines itself.
type Line struct {
	Account AccountID
	Side    Side
	Effect  Effect
	Amount  money.Amount
}

// Entry is an applied, immutable journal entry.
type Entry struct {
	Seq      int64      // position in the journal, from 1, gapless
	Key      string     // idempotency key
	Kind     Kind       //
	Day      clock.Date // Beijing accounting day it belongs to
	LateFor  clock.Date // zero, or the closed day a late entry really belongs to
	PostedAt time.Time  // when the writer applied it (UTC)
	Ref      int64      // the hold (capture, release) or the entry (reverse) it refers to; 0 if none
	Voucher  Voucher
	Memo     string
	Lines    []Line
	// Fingerprint hashes the request as the caller gave it: a retry with the same key must
	// give the same fingerprint.
	Fingerprint []byte
	PrevHash    []byte // Hash of entry Seq-1 (32 zero bytes for the first)
	Hash        []byte // SHA-256 over PrevHash and the content; see hash.go
}

// Posting is a request for an ordinary entry.
type Posting struct {
	Key     string // idempotency key, required, at most 200 bytes
	Voucher Voucher
	Lines   []Line
	// Day is the accounting day the entry belongs to; zero means the current accounting day.
	// A closed day is refused with ErrDayClosed: post it to the open day with LateFor set.
	Day     clock.Date
	LateFor clock.Date
	Memo    string
}

// HoldRequest reserves Amount: Debit's pending debits and Credit's pending credits grow by it,
// so the debited account's available balance shrinks (pre-authorisation, frozen funds).
type HoldRequest struct {
	Key     string
	Voucher Voucher
	Debit   AccountID
	Credit  AccountID
	Amount  money.Amount
	Day     clock.Date
	Memo    string
}

// CaptureRequest moves Amount (at most what remains) of hold Hold from pending to posted.
type CaptureRequest struct {
	Key     string
	Voucher Voucher
	Hold    int64 // Seq of the hold entry
	Amount  money.Amount
	Day     clock.Date
	Memo    string
}

// ReleaseRequest voids whatever remains of hold Hold.
type ReleaseRequest struct {
	Key     string
	Voucher Voucher
	Hold    int64
	Day     clock.Date
	Memo    string
}

// ReverseRequest undoes post entry Entry with a mirrored entry carrying the same voucher. An
// entry can be reversed once.
type ReverseRequest struct {
	Key   string
	Entry int64
	Day   clock.Date
	Memo  string
}

// HoldState is what remains of a hold.
type HoldState struct {
	Seq       int64 // the hold entry
	Debit     AccountID
	Credit    AccountID
	Amount    money.Amount // originally held
	Remaining money.Amount // not yet captured or released
}
