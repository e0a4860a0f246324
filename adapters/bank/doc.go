// Package bank is the tongdao adapter for bank direct-connect quick pay ("BDC"):
// SM2-signed JSON envelopes, card data in an SM4 digital envelope, agreement payments,
// payouts and statements.
//
// [Client] implements channel.Channel (Pay takes MethodToken only: an agreement payment
// with the protocolNo of a binding as PayRequest.Token and the user id as PayerID),
// channel.Binder (BIND_APPLY with an SMS code, resend, confirm, unbind, query),
// channel.Payouter (a payout's Succeeded is not final: RETURNED is Reversed) and
// channel.BalanceQuerier. There is no close and no cancel: an unpaid agreement payment
// does not exist, and a paid one is refunded.
//
// Every changing call carries a reqSerial derived from the business number and the
// operation (a keyed hash, so a serial reveals nothing), so a retried call replays the
// bank's stored answer instead of acting twice. Timeouts, dropped connections and answers
// that do not verify are unknown outcomes (channel.ErrUnknownOutcome), never failures.
// Card numbers, mobiles and ID numbers travel only inside the SM4 envelope and never
// appear in logs, errors or results (cards as first 6 + last 4 only).
//
// The wire layer is unexported: the envelope builder and verifier (wire.go), the
// response-code table (codes.go), reqSerial derivation (serial.go) and the statement
// parser (statement.go). Code comments cite the bank protocol's sections as §n.
package bank
