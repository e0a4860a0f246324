// Package wechat is the WeChat Pay API v2 client adapter (XML, MD5 / HMAC-SHA256;
// wechat-v2.md). A *Client implements channel.Channel and channel.Canceller:
//
//	Pay           NATIVE (MethodQR), APP, JSAPI, MWEB (MethodH5): /pay/unifiedorder;
//	              MethodBarcode: /pay/micropay (USERPAYING → StatusProcessing)
//	Query, Close  /pay/orderquery, /pay/closeorder
//	Cancel        /secapi/pay/reverse (client certificate)
//	Refund        /secapi/pay/refund (client certificate); QueryRefund /pay/refundquery
//	ParseNotification  payment results (signed) and refund results (req_info, AES-256-ECB)
//	DownloadStatement  /pay/downloadbill, streamed (gzip or text) as normalised records
//
// Every response is checked in WeChat's order (§4): transport, return_code, the
// response signature (an unverifiable answer is KindUnknown: we cannot trust what we
// read), result_code / err_code (mapped by CodeKind), that the answer is about the order
// asked for (out_trade_no, transaction_id, out_refund_no, and the amount on micropay and
// refund; another one is KindUnknown "RESPONSE_MISMATCH", as in the Alipay adapter),
// then the trade state (TradeStatus, RefundStatus). Amounts are integer fen; times are
// Beijing time.
//
// Requests are built with github.com/beevik/etree. Responses and notifications are read
// by a small strict decoder of WeChat's flat <xml> documents (no DTD, no entity
// expansion, no repeated fields) that meets the notification budget etree cannot (see
// decodeFlat); a fuzz test checks it against etree.
package wechat
