package ledger

import (
	"context"
	"fmt"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Store is the persistence the ledger needs. Package core/store implements it on SQLite and
// PostgreSQL; both pass the same suite (core/store/storetest). Only the ledger's writer
// goroutine calls Write, so one Ledger is the single writer of its store.
type Store interface {
	// Write runs fn in one read-write transaction. The transaction excludes every other
	// writer of the journal (it locks the chain head) so even a second process cannot
	// interleave. fn's error rolls everything back. A failed COMMIT is reported wrapping
	// ErrUnknownOutcome: the database may have committed before the answer was lost.
	Write(ctx context.Context, fn func(WriteTx) error) error
	// Read runs fn in a read-only snapshot of the whole ledger.
	Read(ctx context.Context, fn func(ReadTx) error) error
}

// Head is the end of the journal and the last closed day.
type Head struct {
	Seq        int64
	Hash       []byte
	LastClosed clock.Date // zero if no day was ever closed
	// Gen grows with every write transaction (Append sets it; the other writes increment
	// it), so a writer that sees the Gen it last wrote knows nobody else wrote since.
	Gen int64
	// Checkpoint is the last entry whose lines the stored account counters include; account
	// reads add the lines after it. The store moves it (see Batch.Checkpoint); Append and
	// AppendAt set Batch.Head.Checkpoint to where they left it.
	Checkpoint int64
}

// CheckpointEvery is the default of Config.CheckpointEvery: 1, the writer hands its counters
// to the store with every batch, so the stored counters are always the writer's own and
// Verify's balance check catches an edited line independently of the hash chain. A larger
// value (2,048 measured in docs/benchmarks/ledger.md) rewrites far fewer account rows but
// leaves a window: a line edited after the checkpoint and read back by the writer (restart,
// op, first touch of an account) is folded into the counters, and then only the hash chain
// and the seals catch it.
const CheckpointEvery = 1

// DayBalance is one account's row of a day close: counters at the opening of the period, the
// movements of the day, and the closing (Opening + Movement).
type DayBalance struct {
	Day      clock.Date
	Account  AccountID
	Opening  Counters
	Movement Counters
	Closing  Counters
}

// VoucherProblem is an entry whose voucher is missing from the voucher table or differs from it.
type VoucherProblem struct {
	Seq     int64
	Voucher Voucher
	Stored  *money.Amount // nil if missing
}

// ReadTx reads a consistent snapshot.
type ReadTx interface {
	Head(ctx context.Context) (Head, error)
	Chart(ctx context.Context) ([]ChartAccount, error)
	// AccountsByID returns the accounts that exist among ids.
	AccountsByID(ctx context.Context, ids []AccountID) (map[AccountID]Account, error)
	// FindAccount returns ErrNotFound if no account has these keys.
	FindAccount(ctx context.Context, code string, kind OwnerKind, owner string, cur money.Currency) (Account, error)
	// Accounts calls fn for every account in ID order.
	Accounts(ctx context.Context, fn func(Account) error) error
	// EntriesByKey returns the entries, with lines, whose idempotency keys are among keys.
	EntriesByKey(ctx context.Context, keys []string) (map[string]*Entry, error)
	// Entry returns entry seq with its lines, or ErrNotFound.
	Entry(ctx context.Context, seq int64) (*Entry, error)
	// Entries calls fn for every entry with Seq > after, in Seq order, with its lines. fn
	// owns the entry it is given (Verify keeps entries while another goroutine checks them).
	// An entry whose stored record cannot be read ends the scan with an
	// *UnreadableEntryError, after fn has had every entry before it.
	Entries(ctx context.Context, after int64, fn func(*Entry) error) error
	// Reversal returns the seq of the entry that reversed seq, or 0.
	Reversal(ctx context.Context, seq int64) (int64, error)
	// Vouchers returns the stored amounts of the vouchers among refs.
	Vouchers(ctx context.Context, refs []VoucherRef) (map[VoucherRef]money.Amount, error)
	// AllVouchers calls fn for every stored voucher.
	AllVouchers(ctx context.Context, fn func(Voucher) error) error
	// VoucherProblems lists entries whose voucher is missing or differs from the voucher table.
	VoucherProblems(ctx context.Context, limit int) ([]VoucherProblem, error)
	// Hold returns hold seq, or ErrNotFound.
	Hold(ctx context.Context, seq int64) (HoldState, error)
	// Holds calls fn for every hold in Seq order.
	Holds(ctx context.Context, fn func(HoldState) error) error
	// Seals returns every sealed head in day order.
	Seals(ctx context.Context) ([]Seal, error)
	// DayBalances calls fn for every row of the close of day.
	DayBalances(ctx context.Context, day clock.Date, fn func(DayBalance) error) error
	// ControlHead returns the sequence and hash of the change log's last change (0 and
	// nil for an empty log).
	ControlHead(ctx context.Context) (int64, []byte, error)
	// Changes calls fn for every change of the change log in Seq order.
	Changes(ctx context.Context, fn func(*Change) error) error
	// Movements sums the lines of entries whose day is in (after, through] per account.
	Movements(ctx context.Context, after, through clock.Date) (map[AccountID]Counters, error)
}

// Batch is what the writer appends in one transaction. Account counters are checkpointed,
// not written with every batch: the store keeps counters as of Head.Checkpoint and adds the
// lines after it on every read, so a read includes every appended entry.
type Batch struct {
	Entries []*Entry
	// Checkpoint, when not nil, holds the counters of every account that moved since the
	// transaction's Head.Checkpoint, as the writer computed them from the requests it
	// validated — not from the stored lines, so a line edited behind the ledger's back
	// disagrees with them in Verify once its entry is at or before the checkpoint. The
	// store writes them and moves the checkpoint to Head.Seq.
	Checkpoint  []Account
	NewVouchers []Voucher
	NewHolds    []HoldState
	HoldUpdates []HoldState // holds whose Remaining changed
	Head        Head        // the new head (LastClosed unchanged; Gen to store)
}

// BatchLookupTx is optionally implemented by a WriteTx that can answer a batch's two
// look-ups in one query (PostgreSQL: one round trip instead of two). The results must equal
// those of EntriesByKey(keys) and Vouchers(refs).
type BatchLookupTx interface {
	LookupBatch(ctx context.Context, keys []string, refs []VoucherRef) (map[string]*Entry, map[VoucherRef]money.Amount, error)
}

// HeadAppender is optionally implemented by a Store that can append a batch the writer
// staged from its own record of the store, without first reading the head and looking the
// batch's keys and vouchers up in the same transaction. AppendAt applies b — atomically, as
// Append would — only if the journal's head is still prev (sequence, hash and generation:
// nobody wrote since) and every voucher of b.NewVouchers that is already stored has the
// amount b gives it (those are then not inserted again); an idempotency key that is already
// stored fails the insert. Otherwise it applies nothing and returns ErrStale or the error.
// An error that may hide a commit (a connection lost after the statement went out) should
// wrap ErrUnknownOutcome; the writer, though, treats every error but ErrStale as "may have
// applied" (see request.unsure). PostgreSQL does it in one statement, one round trip instead
// of five (BEGIN, head, look-ups, append, COMMIT).
type HeadAppender interface {
	AppendAt(ctx context.Context, prev Head, b *Batch) error
}

// WriteTx is a read-write transaction.
type WriteTx interface {
	ReadTx
	// Append writes a batch of entries with their lines, vouchers, holds, new account
	// counters and the new chain head.
	Append(ctx context.Context, b *Batch) error
	// PutChart inserts or replaces a chart code.
	PutChart(ctx context.Context, c ChartAccount) error
	// CreateAccount inserts a with zero counters and returns its new ID.
	CreateAccount(ctx context.Context, a Account) (AccountID, error)
	// SetAttrs replaces the flags and the age limit of account id.
	SetAttrs(ctx context.Context, id AccountID, f Flags, ageLimitSeconds int64) error
	// AppendChange appends c, whose Seq, PrevHash and Hash the ledger has set, to the
	// change log.
	AppendChange(ctx context.Context, c *Change) error
	// PutDayClose stores the rows and the seal of a day close (every field of Seal) and
	// moves Head.LastClosed.
	PutDayClose(ctx context.Context, s Seal, rows []DayBalance) error
}

// UnreadableError is a stored record a store cannot read back: a column edited into a value
// of the wrong type or form directly in the database. Record names it as Verify's findings
// do ("account 12", "seal 2026-11-20", "close 2026-11-20 account 3", "change 7").
type UnreadableError struct {
	Record string
	Err    error
}

// Error implements error.
func (e *UnreadableError) Error() string {
	return fmt.Sprintf("ledger: stored %s cannot be read: %v", e.Record, e.Err)
}

// Unwrap returns the cause.
func (e *UnreadableError) Unwrap() error { return e.Err }

// SkippingReadTx is optionally implemented by a ReadTx whose reads can skip the stored
// records they cannot read. After SkipUnreadable(fn), the reads that call a function per
// record or return a list (Accounts, Chart, Holds, Seals, DayBalances, AllVouchers,
// VoucherProblems, Changes) hand each record they cannot read to fn and read on instead
// of failing; the balance reads skip unreadable lines after the counter checkpoint (Verify
// reports their entries). Verify uses it so that one garbled column does not hide every
// other finding.
type SkippingReadTx interface {
	SkipUnreadable(fn func(*UnreadableError))
}
