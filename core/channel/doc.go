// Package channel is the contract every tongdao channel adapter implements, in the shape of
// database/sql/driver: one small required interface ([Channel]) and optional capabilities
// ([Closer], [Canceller], [Binder], [PaySMSSender], [Authorizer], [Payouter],
// [BalanceQuerier]) that a caller discovers with a type assertion:
//
//	if c, ok := ch.(channel.Closer); ok { … }
//
// # Rules
//
// [Channel.Info] says what the channel's rules are — accounting-day cut-off, when the
// statement is ready, whether orders are found by number and time, number rules, the refund,
// cancel and notification policies and a query back-off — so no caller has to be told them.
//
// # Changes in version 2
//
// Version 2 of the contract, written before the UnionPay and bank adapters and the payment
// core, changed:
//   - Info on every channel (above); the conformance suite reads it.
//   - Transaction times round-trip: where Info.OrderTimeRequired the caller must set the
//     times, and every result echoes the time the adapter used (PaymentResult.OrderTime,
//     RefundResult.RefundTime, …).
//   - Close moved from Channel to the optional [Closer] and returns a [CloseResult] whose
//     Outcome says honestly what happened (closed, already closed, never created, will
//     expire), because UnionPay token and the bank cannot close and Alipay cannot close a
//     QR order nobody scanned.
//   - Typed results: [CancelResult] in cancel notifications, [AuthResult] (frozen and
//     captured amounts) with QueryAuth for pre-authorisations, [PayoutResult.Final] because
//     a succeeded payout can still be returned.
//   - SMS as it really works: [Binder.ResendBindSMS] with its own number, [PaySMSSender] for
//     a token payment's SMS, and "already bound" as [BindChallenge.AlreadyBound].
//   - Notifications: [Notification.Check] compares a verified notification with the
//     merchant's order and returns a [*MismatchError]; [Notification.DedupKey] identifies
//     re-sends; [NotificationHandler], [ReadNotification] and [Response.Write] for net/http.
//   - Statements carry exact money: [StatementRecord.ExactFee] (a decimal) beside the rounded
//     Fee, totals that are the sum of the rows, net and settlement amounts, discounts, the
//     masked card, payout, cancel and return numbers, and record kinds for pre-authorisation,
//     capture, payout return and dispute.
//   - [BalanceQuerier.QueryBalance] takes a [BalanceRequest].
//
// # Outcomes
//
// Every result carries a [Status]. The zero Status is [StatusUnknown]: a timeout, a dropped
// connection, an unparseable or unverifiable response, or a "system busy" answer leaves the
// outcome unknown, never failed — the money may have moved. A caller that sees
// StatusUnknown (or an error for which errors.Is(err, [ErrUnknownOutcome]) holds) must
// query ([Channel.Query], [Channel.QueryRefund]) until the outcome is final, and must never
// retry the payment on another channel or under a new order number in the meantime.
//
// # Idempotency
//
// The merchant order number ([PayRequest.OrderNo]) identifies a payment and the merchant
// refund number ([RefundRequest.RefundNo]) identifies a refund: repeating a request with the
// same number and the same content never moves money twice. Repeating it with the same
// number and different content is refused ([KindInvalidRequest] or [KindAlreadyDone],
// depending on the channel's answer).
//
// # Errors
//
// Adapters return *[Error] values carrying a [Kind], the channel's own code and message,
// whether the same request may safely be sent again, and the raw response for diagnosis
// (with secrets and card numbers removed). The sentinel errors ([ErrUnknownOutcome],
// [ErrInvalidRequest], …) match by kind with errors.Is.
//
// # Money and time
//
// Amounts are [money.Amount] (integer minor units and a currency). Times in results are in
// Beijing time ([clock.Beijing]); statement settlement dates are [clock.Date] values of the
// channel's own accounting day.
package channel
