// Package bank will be the tongdao adapter for bank direct-connect quick pay ("BDC"):
// SM2-signed JSON envelopes, card data in an SM4 digital envelope, agreement payments,
// payouts and statements.
//
// This first part holds only the wire layer, unexported, so that the channel.Channel
// methods can be put on top of it: the envelope builder and verifier (wire.go), the
// response-code table (codes.go), reqSerial derivation (serial.go) and the statement
// parser (statement.go). The files cite shared/specs/bank-direct.md as §n for wire quirks.
package bank
