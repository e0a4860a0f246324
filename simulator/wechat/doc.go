// Package wechat is the server side of WeChat Pay API v2 (XML, MD5 / HMAC-SHA256) for the
// tongdao simulator: the real paths (/pay/unifiedorder, /pay/micropay, /pay/orderquery,
// /pay/closeorder, /secapi/pay/reverse, /secapi/pay/refund, /pay/refundquery,
// /pay/downloadbill, /pay/downloadfundflow, /tools/authcodetoopenid, /payitil/report,
// /sandboxnew/pay/getsignkey and the /sandboxnew/... prefixed paths, and the 2025 sandbox
// under /xdc/apiv2sandbox with its Wechatpay-Negative-Test header),
// the real request validation and error codes, signed responses, the order and refund
// state machines, payment and encrypted refund notifications with the real retry
// schedule, and trade bills in WeChat's exact text format derived from what happened.
//
// It is written from the wire reference (shared/specs/wechat-v2.md, cited as §n in
// comments) independently of the client in adapters/wechat, which it must never import:
// a bug on one side must not be able to hide itself on the other. Fidelity to real
// WeChat is checked against a widely used third-party client (gopay) by the nested
// module in internal/gopaytest.
//
// All times on the wire are Beijing time (UTC+8, §5); every time is read from the
// engine's clock, and every generated id and nonce is drawn from the engine's seeded
// random source, so one seed and one scenario give one transcript.
//
// # Using it
//
//	w, err := wechat.New(wechat.Config{}) // demo merchant wxd930ea5d5a258f4f / 10000100
//	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{w}})
//	// point any WeChat Pay v2 client at sim.URL; then, as the payer:
//	sim.Pay(ctx, simulator.PayerAction{Channel: "wechat", OutTradeNo: "T1"})
//
// # Behaviour worth knowing
//
//   - Orders: NOTPAY → SUCCESS (payer pays; payment notification) → REFUND (after any
//     refund); NOTPAY → CLOSED (closeorder, or time_expire passed). Barcode (micropay)
//     orders are paid at once, or wait in USERPAYING above Config.PasswordThreshold (1000
//     yuan) until the payer pays (SUCCESS) or cancels (PAYERROR); reverse makes them
//     REVOKED. Barcode payments are never notified (§6.4).
//   - The same out_trade_no with the same amount, body, openid and trade type returns the
//     same prepay_id (renewed after 2 hours); anything else is INVALID_REQUEST "201
//     商户订单号重复" (§6.1).
//   - Refunds: PROCESSING until Config.RefundDelay has passed on the clock (zero: at
//     once), then SUCCESS and an encrypted refund notification to the refund's notify_url
//     or the merchant's RefundNotifyURL. The same out_refund_no with the same amounts
//     returns the same refund; the sum of refunds never exceeds the order total (§6.6).
//   - Communication-level failures (bad signature, malformed XML, unknown mch_id, appid
//     not bound) are unsigned return_code=FAIL answers; business failures are signed
//     result_code=FAIL answers with err_code. Texts marked [inferred] in errors.go are
//     not confirmed against real traffic (§14).
//   - Bills: the ALL/SUCCESS/REFUND/RECHARGE_REFUND variants in the 27-column format (or
//     the legacy 24-column one per merchant), derived from payment success and refund
//     initiation times on the Beijing natural day; available from 09:00 the next day.
//   - Business-code fault plans map the engine's generic codes to WeChat's (SYSTEM_ERROR →
//     SYSTEMERROR, USER_PAYING → USERPAYING, ORDER_PAID → ORDERPAID, NOT_FOUND →
//     ORDERNOTEXIST or REFUNDNOTEXIST, ...); other codes are sent as given. On refund the
//     codes CHANGE and REFUNDCLOSE are not errors: the refund is accepted and ends so.
//   - The fund-flow bill (HMAC-SHA256 only) shows the Basic account: payments in, their
//     fees (rounded half up to fen) out, refunds out, with the running balance [inferred].
package wechat
