// Package alipay is the tongdao adapter for the Alipay open platform (mainland "v1"
// protocol: form POST to gateway.do, JSON answers, RSA2 = SHA256withRSA), implementing
// channel.Channel and channel.Canceller. The wire facts it relies on are in
// shared/specs/alipay.md; comments cite its sections.
//
// # Set-up
//
//	c, err := alipay.New(alipay.Config{
//		AppID:           "2021000000000001",
//		AppPrivateKey:   pemOrBareBase64, // PKCS#1 or PKCS#8
//		AlipayPublicKey: alipayPub,       // or AppCert + AlipayCert + AlipayRootCert
//		BaseURL:         "http://127.0.0.1:8080", // /gateway.do is appended; default production
//		HTTPClient:      httpClient,
//		Clock:           clk,             // default clock.Real()
//		NotifyURL:       "https://merchant.example/notify/alipay",
//	})
//
// # Methods
//
//	channel method  Alipay method           result
//	MethodQR        alipay.trade.precreate  Pending + ActionQRCode
//	MethodWeb       alipay.trade.page.pay   Pending + ActionRedirect (URL and HTML form); no call
//	MethodH5        alipay.trade.wap.pay    Pending + ActionRedirect (URL and HTML form); no call
//	MethodApp       alipay.trade.app.pay    Pending + ActionAppParams (OrderString); no call
//	MethodBarcode   alipay.trade.pay        10000 Succeeded, 10003 Processing
//	MethodJSAPI, MethodToken                channel.Unsupported
//
// Query is alipay.trade.query, Close alipay.trade.close, Cancel alipay.trade.cancel,
// Refund alipay.trade.refund (+ alipay.trade.fastpay.refund.query when fund_change=N),
// QueryRefund alipay.trade.fastpay.refund.query, DownloadStatement
// alipay.data.dataservice.bill.downloadurl.query plus the zip download.
//
// # Trust
//
// Every request is signed with the application key over the sorted non-empty
// parameters, sign_type included (alipay.md §4). Every answer's "<method>_response"
// node is cut out of the body byte for byte and its signature verified before any
// business field is read (alipay.md §6); in certificate mode the key is chosen by
// alipay_cert_sn and an unknown SN in a sync response triggers
// alipay.open.app.alipaycert.download, whose certificate is trusted only if it chains to
// the configured root bundle (one download at a time, rate-limited, a bounded cache). A
// notification or return with an unknown SN is refused (KindSignature) and never
// fetched: its parameters are unverified input; Alipay's retry verifies once a response
// has brought the new certificate. An answer
// that cannot be verified is KindUnknown ("BAD_RESPONSE_SIGNATURE") for calls that may
// move money and KindSignature for reads; only unsigned gateway rejections that say
// "not executed" (40001/40002/40003/40006/20001) are believed. Answers naming another
// order than the request are KindUnknown ("RESPONSE_MISMATCH"), since a signed answer
// carries no reference to its request and could be replayed.
//
// # Outcomes
//
// Codes map to kinds as tabled on publicCodes and subCodes (codes.go): 20000,
// ACQ.SYSTEM_ERROR, timeouts, connection resets, non-200 answers and unparseable
// bodies are KindUnknown; ACQ.TRADE_NOT_EXIST is KindNotFound, which right after a QR,
// Web, H5 or App payment means "the payer has not acted yet" (alipay.md §9.2).
// trade_status maps as documented on tradeStatus (fields.go).
//
// Amounts are money.Amount in CNY, sent and read as exact yuan strings ("88.88"); times
// are Beijing time.
package alipay
