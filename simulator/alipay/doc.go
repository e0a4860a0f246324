// Package alipay is the server side of the Alipay open platform ("gateway.do", RSA2,
// shared/specs/alipay.md, cited as §n) for the tongdao simulator: GET and POST
// /gateway.do dispatching on method with the real request validation and error codes,
// signed JSON answers built as §6 prescribes, the trade state machine, refunds,
// notifications with the real retry schedule, a cashier web page for page/wap/app pay,
// and trade bills (GBK CSV files in a zip) derived from what happened.
//
// It is written from the wire reference independently of the client in adapters/alipay,
// which it must never import (imports_test.go enforces it). Fidelity is checked against
// widely used third-party clients (smartwalle/alipay v3 and go-pay/gopay) by the nested
// module in internal/alipaycompat.
//
// # Using it
//
//	a, err := alipay.New(alipay.Config{}) // demo app 2021000000000001, keys in simulator/demo
//	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{a}})
//	// point any Alipay SDK at sim.URL+"/gateway.do" with the demo app private key and
//	// simulator/demo/alipay_platform_public.pem as the Alipay public key; then:
//	sim.Pay(ctx, simulator.PayerAction{Channel: "alipay", OutTradeNo: "T1"})
//
// # Behaviour worth knowing
//
//   - Methods: alipay.trade.precreate, .pay, .page.pay, .wap.pay, .app.pay, .query,
//     .close, .cancel, .refund, .fastpay.refund.query,
//     alipay.data.dataservice.bill.downloadurl.query and
//     alipay.open.app.alipaycert.download. Fault plans name them as op; the merchant is
//     the app_id, the order the out_trade_no (or the trade named by trade_no).
//   - Visibility (§9.2): precreate only reserves the QR code; page/wap/app pay reserve
//     the order when the cashier page opens. Until the payer acts, query, close and
//     refund answer ACQ.TRADE_NOT_EXIST. The payer's pay (control API, or the cashier's
//     Pay button) creates and pays the trade; pay with Options{"scan_only":"true"} only
//     scans, leaving it WAIT_BUYER_PAY. The payer's cancel (or the Cancel button) closes
//     it. Barcode pay creates the trade at once: paid (10000), or waiting (10003) when a
//     USER_PAYING fault applies or the amount is at least Config.PasswordThreshold.
//   - Unpaid trades expire (timeout_express / time_expire; precreate 2 h, others 15 d):
//     a visible WAIT_BUYER_PAY trade closes at its expiry with a TRADE_CLOSED
//     notification; a reserved order nobody acted on just disappears.
//   - Key and certificate mode per request: a request with app_cert_sn is verified with
//     the app certificate of that SN and answered with alipay_cert_sn; one without is
//     verified with the app public key and answered without it. RotateCert switches
//     certificate-mode signing to a second Alipay certificate (demokeys/), which clients
//     fetch with alipay.open.app.alipaycert.download. Notifications never carry
//     alipay_cert_sn (§10.4: the SDKs disagree on whether it is signed).
//   - Failures: an app that cannot be identified gets an unsigned answer; everything
//     else is signed, business failures (40004) with the zeroed members real answers
//     carry (§6). A missing or unknown method is an unsigned error_response.
//   - Notifications (§10): form POSTs, never an empty value, signed without sign and
//     sign_type; TRADE_SUCCESS on payment, on partial refunds (cumulative refund_fee,
//     gmt_refund with milliseconds, out_biz_no) and TRADE_CLOSED on a full refund and on
//     closing an unpaid trade (to the close request's notify_url, else the trade's).
//     Acknowledged by the body "success"; retried after 4m, 10m, 10m, 1h, 2h, 6h, 15h.
//   - Bills (§11): daily trade bills of the Beijing natural day, rows placed by
//     completion time, available from 09:00 the next day; service fee at the app's
//     rate (default 0.6%) rounded half up to fen, shown negative.
package alipay
