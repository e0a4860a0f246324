// Package unionpay is the UnionPay online payment (全渠道 / ACP 5.1.0) adapter: the token
// product (bizType 000902), gateway and app consume (000201), query, consume undo, refund,
// pre-authorisation and the reconciliation file, behind the channel contract.
//
// [Client] implements channel.Channel, channel.Canceller, channel.Binder,
// channel.PaySMSSender and channel.Authorizer. Build one with [New]; every request that
// creates or names a transaction needs its time (Info().OrderTimeRequired: UnionPay finds
// a transaction by orderId and txnTime), and every result echoes the time used.
//
//   - Pay: MethodToken (consume with a token from ConfirmBind and the SMS code of
//     SendPaySMS; accepted = Processing), MethodWeb/MethodH5 (an auto-submitting form to
//     frontTransReq in PayAction.HTML), MethodApp (the tn for UnionPay's app SDK in
//     PayAction.TN).
//   - Cancel (consume undo) only on the payment's own clearing day: after 23:00 Beijing
//     time it is refused before sending with an error wrapping [ErrUndoAfterCutoff]; refund
//     instead.
//   - Refund, Cancel and the pre-authorisation operations have numbers of their own; sending
//     one again returns its state (UnionPay refuses a reused orderId, so nothing happens
//     twice).
//   - ParseNotification verifies before it reads; respCode 42 sets Notification.Alert.
//   - DownloadStatement reads the ZM records and ZME disputes of a clearing day.
//
// Underneath is the wire layer, unexported:
//
//   - form.go: request encoding (form posts, values encoded once, upper-case escapes) and
//     the SDK's `k=v&k=v` answer parser with `{...}`/`[...]` nesting;
//   - credentials.go: signing with signMethod 01 (RSA, the merchant's PKCS#12, certId =
//     serial in decimal), 21 (SM2 with SM3, user ID = certId) and 11/12 (secure key);
//   - trust.go: verification of answers and notifications before any field is read, with
//     the certificate carried in signPubKeyCert checked against the configured root and
//     middle certificates and the CN rule, cached by certificate so a rotation needs no
//     configuration change;
//   - crypt.go: sensitive fields encrypted for UnionPay's encryption certificate
//     (encryptCertId), its update through txnType 95, and decryption of returned fields;
//   - codes.go: respCode → channel.Kind and outcome (a timeout, a dropped connection and
//     03/04/05 are Unknown, never Failed);
//   - zm.go: a streaming parser of the ZM reconciliation records;
//   - exchange.go: one signed call and its verified answer with the respCode rule (no
//     answer, a non-200 status or an unverifiable answer is Unknown), the query loop of
//     1, 2, 4, 8, 16, 32 s on the configured clock, and the file download down to the ZM
//     entry.
//
// Card numbers, phones, CVN2 and expiry dates never appear in errors or logs.
package unionpay
