// Package clearing is what happens to money after a payment succeeded: the channel's fee
// under each channel account's fee contract, the channel's clearing day (natural day or
// UnionPay's 23:00 cut-off), T+n settlement batches per merchant and clearing day posted to
// the ledger, the channel's funds arriving at the bank, splits (分账) among receivers, and
// the ageing of receivables awaiting clearing (账龄).
//
// Every figure is an exact money.Amount; rates and splits use decimal with a stated
// rounding rule. Every posting is idempotent (a settlement batch is keyed by merchant,
// clearing day, currency and sequence) and names its voucher. docs/CLEARING.md is the
// user's guide.
package clearing
