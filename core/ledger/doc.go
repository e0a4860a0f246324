// Package ledger is the payment core's double-entry ledger: the source of truth about money.
//
// The model:
//
//   - A chart of accounts (ChartAccount) gives codes with parent/child links, a type and a
//     normal side. Accounts (Account) hang off a chart code, per owner and currency, with flags
//     (may go negative, frozen, closed).
//   - An Entry has N lines; debits equal credits per currency (and per Effect) or it is refused.
//     Every entry carries a client-chosen idempotency key and a Voucher: the business record
//     (order, refund, settlement, adjustment) that caused it, with its amount.
//   - Holds follow TigerBeetle's two-phase transfers: Hold moves an amount into the pending
//     counters of a debit and a credit account, Capture (full or part) moves it to posted,
//     Release voids what remains. Each step is an entry.
//   - The ledger is append-only. Corrections are Reverse entries that name the entry they undo.
//   - Each entry hashes its content together with the previous entry's hash. CloseDay (日切)
//     stores opening, movements and closing per account for a Beijing accounting day and seals
//     the chain head with a digest of those rows, the head of the change log and the previous
//     seal's day, optionally signed (Signer) so an exported copy of the seals proves a later
//     rewrite. Without exported or signed seals a ledger cannot prove its past: whoever can
//     write the database can rewrite history together with its seals.
//   - Control data — the chart's types and normal sides, each account's attributes (flags,
//     age limit, …) — changes only through the ledger (PutChart, CreateAccount, SetFlags,
//     SetAgeLimit), and every change is a Change in the change log, a hash chain of its own
//     that the seals cover (see control.go); Changes returns it for review.
//   - Verify recomputes everything from the journal and reports, by check, the records that
//     disagree: balances, vouchers (账证核对), balance of entries and books (借贷平衡), ageing of
//     receivables (账龄), external positions (账实核对), the hash chain with the days and
//     times along it and the seals, and the control data against its change log. A stored
//     record that cannot be read is a finding too, and the scan goes on.
//
// Writes go through one writer goroutine per Ledger that batches queued requests into a single
// store transaction (a bounded queue gives back-pressure); each caller still gets its own result.
// While nothing but this writer writes the store, a batch is staged on the writer's own record
// of it and appended in one step that applies only on that exact head (HeadAppender; PostgreSQL:
// one statement), on a store that asks for it beside the staging of the next batch
// (Pipeliner); anything unexpected sends the batch down the ordinary path, which reads the
// store first. Persistence is behind the Store interface; package core/store implements it on
// SQLite and PostgreSQL.
package ledger
