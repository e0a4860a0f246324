// Package posting posts the money movements of payment, refund and payout orders to the ledger,
// from the order outbox: a Poster claims the "ledger" deliveries of order.Outbox, posts each
// movement exactly once (the event id is the entry's idempotency key, the order its voucher)
// and completes the delivery. A delivery claimed again after a crash, a lease that ran out
// or an operator's redelivery posts nothing new: the ledger answers a repeated key with the
// entry it already holds.
//
// # Accounts
//
// The Poster opens its accounts lazily and idempotently (it looks each up by chart code,
// owner and currency first) under four chart codes, which it adds to the chart when missing:
//
//	1122 应收待清算 (asset)      one per channel, owner channel/<channel>, "应收待清算-<channel>"
//	6602 渠道手续费 (expense)    one per channel, owner internal/<channel>, "渠道手续费-<channel>"
//	2202 应付商户款 (liability)  one per merchant, owner merchant/<merchant>, "应付商户款-<merchant>"
//	1002 银行存款 (asset)        one per channel, owner channel/<channel>, "银行存款-<channel>" (payouts)
//
// one set per currency. The receivable and the merchant payable may go negative
// (ledger.AllowNegative): a refund after the channel settled, or after the merchant was paid
// out, takes them below zero until the next settlement nets it. The fee account may not.
//
// # Postings
//
// payment.succeeded (a late success after the order was closed or failed too), voucher
// order/<payment id> of the payment's amount A, fee F from Config.Fees:
//
//	Dr 1122 应收待清算-<channel>   A − F
//	Dr 6602 渠道手续费-<channel>   F
//	Cr 2202 应付商户款-<merchant>  A
//
// refund.succeeded, voucher refund/<refund id> of the refund's amount R, with f the part of
// the fee the refund returns under the channel's fee-refund policy (see FeeReturned):
//
//	Dr 2202 应付商户款-<merchant>  R
//	Cr 1122 应收待清算-<channel>   R − f
//	Cr 6602 渠道手续费-<channel>   f
//
// payout.succeeded, voucher payout/<payout id> of the payout's amount P (paid from the funds
// held at the paying bank or channel; payout fees are not posted):
//
//	Dr 2202 应付商户款-<merchant>  P
//	Cr 1002 银行存款-<channel>     P
//
// payout.returned (the receiving bank bounced a succeeded payout) reverses that entry with
// ledger.Reverse: a new mirrored entry, never an edit; a payout returned without a recorded
// success, and a failed one, post nothing.
//
// Lines of zero are left out (a fee of zero, a refund that returns no fee). Every other
// event (created, pending, failed, closed, and the payment's partially_refunded/refunded
// events that a refund causes) posts nothing and is completed. The merchant payable is
// credited with the gross amount: the channel fee is the platform's expense here; what the
// merchant is charged belongs to its own fee contract (clearing).
//
// # Vouchers
//
// Vouchers is a ledger.VoucherSource over the order store: with it, ledger.Verify compares
// every entry's voucher with the real payment or refund (账证核对), so an amount edited in the
// orders or in the ledger is reported by name.
package posting
