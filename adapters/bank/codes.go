package bank

import "github.com/tongdao/tongdao/core/channel"

// outcome is the class of a response code (§8.1).
type outcome uint8

const (
	outcomeUnknown    outcome = iota // the operation may or may not have happened: query
	outcomeSuccess                   // 0000
	outcomeProcessing                // 0001: accepted, wait for the notification or query
	outcomeRejected                  // request refused before processing: nothing happened
	outcomeDeclined                  // business refusal: nothing happened
	outcomeNotFound                  // queries: not (yet) known (§9.3)
	outcomeRetryLater                // not done now; the same request may succeed later
)

// codeRule is one row of the §8 table as the adapter acts on it.
type codeRule struct {
	outcome   outcome
	kind      channel.Kind // for error answers
	retryable bool         // sending exactly the same request again is safe and may succeed
}

// codes is the §8.1 table. Rows where the Kind is more specific than the spec's class say
// why:
//
//	code  outcome     kind               retry  note
//	0000  success     -                  -
//	0001  processing  -                  -      money ops: PROCESSING; resolve by query or notification
//	1001  rejected    Signature          no     our signature or certSerial refused
//	1002  rejected    InvalidRequest     no     field named in respMsg
//	1003  rejected    InvalidRequest     no     reqSerial reused with other content: a bug on our side
//	1004  rejected    InvalidRequest     no     clock skew over 300 s: fix the clock
//	1005  rejected    AlreadyDone        no     business number used under another serial: query it
//	1006  rejected    InvalidRequest     no     merchant or operation not enabled
//	1007  rejected    InvalidRequest     no     envelope does not decrypt: key or variant config
//	1008  rejected    InvalidRequest     no
//	2001  declined    InsufficientFunds  no     the payer's card
//	2002–2006 declined Declined          no
//	3001–3005 declined Declined          no     (3005: application unknown or void: apply again)
//	3006  declined    AlreadyDone        no     already bound: data carries the existing protocolNo
//	3007  declined    Declined           no     agreement unknown, unbound or another user's
//	3008  declined    Declined           no
//	3009  declined    RateLimited        yes    SMS too often: resend later
//	4001  not found   NotFound           no     only "not yet known" shortly after a timeout (§9.3)
//	4002–4004 declined Declined          no
//	4005  declined    InsufficientFunds  yes    the merchant's payout balance: top up, resend
//	4006  retry later Unavailable        yes    statement not ready
//	9001  retry later Unavailable        yes    busy, not accepted: resend the same reqSerial
//	9002  unknown     Unknown            yes    issuer timeout: query
//	9999  unknown     Unknown            yes    system error: query
//	other unknown     Unknown            yes    never assume an unlisted code means "nothing happened"
var codes = map[string]codeRule{
	"0000": {outcomeSuccess, channel.KindUnknown, false},
	"0001": {outcomeProcessing, channel.KindUnknown, false},
	"1001": {outcomeRejected, channel.KindSignature, false},
	"1002": {outcomeRejected, channel.KindInvalidRequest, false},
	"1003": {outcomeRejected, channel.KindInvalidRequest, false},
	"1004": {outcomeRejected, channel.KindInvalidRequest, false},
	"1005": {outcomeRejected, channel.KindAlreadyDone, false},
	"1006": {outcomeRejected, channel.KindInvalidRequest, false},
	"1007": {outcomeRejected, channel.KindInvalidRequest, false},
	"1008": {outcomeRejected, channel.KindInvalidRequest, false},
	"2001": {outcomeDeclined, channel.KindInsufficientFunds, false},
	"2002": {outcomeDeclined, channel.KindDeclined, false},
	"2003": {outcomeDeclined, channel.KindDeclined, false},
	"2004": {outcomeDeclined, channel.KindDeclined, false},
	"2005": {outcomeDeclined, channel.KindDeclined, false},
	"2006": {outcomeDeclined, channel.KindDeclined, false},
	"3001": {outcomeDeclined, channel.KindDeclined, false},
	"3002": {outcomeDeclined, channel.KindDeclined, false},
	"3003": {outcomeDeclined, channel.KindDeclined, false},
	"3004": {outcomeDeclined, channel.KindDeclined, false},
	"3005": {outcomeDeclined, channel.KindDeclined, false},
	"3006": {outcomeDeclined, channel.KindAlreadyDone, false},
	"3007": {outcomeDeclined, channel.KindDeclined, false},
	"3008": {outcomeDeclined, channel.KindDeclined, false},
	"3009": {outcomeDeclined, channel.KindRateLimited, true},
	"4001": {outcomeNotFound, channel.KindNotFound, false},
	"4002": {outcomeDeclined, channel.KindDeclined, false},
	"4003": {outcomeDeclined, channel.KindDeclined, false},
	"4004": {outcomeDeclined, channel.KindDeclined, false},
	"4005": {outcomeDeclined, channel.KindInsufficientFunds, true},
	"4006": {outcomeRetryLater, channel.KindUnavailable, true},
	"9001": {outcomeRetryLater, channel.KindUnavailable, true},
	"9002": {outcomeUnknown, channel.KindUnknown, true},
	"9999": {outcomeUnknown, channel.KindUnknown, true},
}

// classify returns the rule of code; an unlisted code is an unknown outcome.
func classify(code string) codeRule {
	if r, ok := codes[code]; ok {
		return r
	}
	return codeRule{outcomeUnknown, channel.KindUnknown, true}
}

// codeError is the *channel.Error of an error answer of op (nil for 0000 and 0001). The
// message is the bank's respMsg, which never carries card data (§5.1).
func codeError(op string, r *response) error {
	rule := classify(r.Code)
	if rule.outcome == outcomeSuccess || rule.outcome == outcomeProcessing {
		return nil
	}
	return &channel.Error{Channel: "bank", Op: op, Kind: rule.kind, Code: r.Code, Message: r.Msg, Retryable: rule.retryable}
}

// unverifiedError is the error of an answer that failed errUnverified or transport: an
// unknown outcome, safe to retry with the same reqSerial (§8.2, §9).
func unverifiedError(op string, cause error) error {
	return &channel.Error{Channel: "bank", Op: op, Kind: channel.KindUnknown, Retryable: true, Err: cause}
}
