// Package balance answers a customer's balance query safely: access by a short-lived token
// bound to one user and one account, output masked, per-user and per-IP rate limits, and
// every query — answered or refused — written to the audit log (core/audit) before the
// answer leaves.
//
// The flow: the platform (a merchant of the gateway) asks for a token with a signed call,
// POST /v1/balance-tokens {"user_id","account_id"}, mounted on the gateway with
// gateway.Handle, so it is signed, replay-protected and rate-limited like every merchant
// route. It hands the token to the customer's client, which presents it in an
// Authorization: Bearer header to GET /v1/customer/accounts/{account_id}/balance. The token
// is HMAC-SHA256-signed (no database read to check it), names the user, the account and
// the issuing merchant, and expires on the service's clock (default 5 minutes): it cannot
// read another account, and a stolen one is useless after its expiry.
//
// Balances come from a Source (core/wallet's Service through a small adapter): this package
// never computes or stores a balance. Card numbers are shown as first 6 + last 4
// (core/card.Mask, applied again whatever the source returns), the customer's name with
// all but its first and last characters hidden (MaskName). Tokens and card numbers are
// never logged or audited.
package balance
