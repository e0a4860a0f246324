// Package channel is the contract every tongdao channel adapter implements, in the shape of
// database/sql/driver: one small required interface ([Channel]) and optional capabilities
// ([Canceller], [Binder], [Authorizer], [Payouter], [BalanceQuerier]) that a caller discovers
// with a type assertion:
//
//	if c, ok := ch.(channel.Canceller); ok { … }
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
