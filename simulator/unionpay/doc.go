// Package unionpay is the server side of UnionPay's online payment gateway (全渠道 / ACP,
// message version 5.1.0) for the tongdao simulator: the token product (bizType 000902:
// open a token with SMS, consume by token, query, update and delete it), gateway and app
// consume (bizType 000201, the cashier page and the app's tn), query (txnType 00), consume
// undo (31) against refund (04) by clearing day, the pre-authorisation family (02, 32, 03,
// 33) with a frozen balance, the encryption-certificate update query (95), back
// notifications on UnionPay's retry schedule and the reconciliation file (txnType 76) with
// the ZM, ZME and RD files of the 23:00 clearing day.
//
// It serves the real paths, so a UnionPay SDK needs only its URLs changed:
//
//	/gateway/api/frontTransReq.do   browser form; answers the simulator's cashier page
//	/gateway/api/backTransReq.do    server to server
//	/gateway/api/appTransReq.do     returns tn for the mobile control
//	/gateway/api/queryTrans.do      single query
//	/gateway/api/cardTransReq.do, /gateway/api/batchTrans.do   answered "no permission" (32)
//	POST / on a host starting "filedownload." and POST /filedownload   file transfer
//
// Requests are form posts signed with signMethod 01 (RSA certificate), 21 (SM2
// certificate) or 11/12 (secure key); answers are un-encoded `k=v&k=v` lines signed the
// same way, carrying signPubKeyCert for 01 and 21. The simulator is its own CA: a root and
// a middle certificate (simulator/demo) issue its signing certificate, whose subject CN has
// 中国银联股份有限公司 as third "@" element, so an SDK configured with the demo root and
// middle certificates verifies it unchanged.
//
// Card numbers, phones, CVN2 and expiry dates never appear in answers, notifications,
// statements or errors: cards are masked to the first 6 and last 4 digits.
//
// The package is written from the wire description only; it never imports the
// adapters/unionpay client, so a misreading on one side cannot hide itself on the other.
package unionpay
