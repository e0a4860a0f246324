// Package wallet is the customers, accounts and wallets of the payment core (the 三户 model:
// customer 客户, user 用户, account 账户): top-up, withdrawal, transfer, payment from the
// balance, freezing, statements, and Service.Balance for the balance-query API.
//
// A payment account has no balance of its own. It is two ledger accounts under chart code
// 2241 (应付客户款, liabilities that may not go negative): its available funds (2241.01–.03
// by kind) and its frozen funds (2241.09). Every money movement is one ledger entry under an
// idempotency key derived from the operation, and the ledger's checks are the wallet's: an
// overdraft, a debit of a frozen account or any movement of a closed one is refused by the
// ledger, and an edit made in the database behind it is found by ledger.Verify.
//
// Every operation is idempotent by the caller's request number (per merchant and kind);
// limits by verification level are enforced before any money moves; a refused request
// writes nothing. Top-ups are payment orders through the gateway, credited from the order
// outbox only when they succeed; withdrawals are held, paid out through a channel.Payouter,
// queried while their outcome is unknown, and debited, released or reversed by what the bank
// says. docs/WALLETS.md describes the entries of each operation and the HTTP API
// (Service.Mount).
package wallet
