// Package wechat is the server side of WeChat Pay API v2 (XML, MD5 / HMAC-SHA256) for the
// tongdao simulator: the real paths (/pay/unifiedorder, /pay/micropay, /pay/orderquery,
// /pay/closeorder, /secapi/pay/reverse, /secapi/pay/refund, /pay/refundquery,
// /pay/downloadbill, /sandboxnew/pay/getsignkey and the /sandboxnew/... prefixed paths),
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
package wechat
