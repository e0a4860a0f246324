package unionpay

import "github.com/tongdao/tongdao/core/channel"

// outcome is what a respCode says about the operation it answers.
type outcome uint8

const (
	// outUnknown: the money may have moved; query (never treat as failed).
	outUnknown outcome = iota
	// outSucceeded: done.
	outSucceeded
	// outProcessing: accepted, the final result comes by notification or query.
	outProcessing
	// outFailed: definitely not done (the error's Kind says why).
	outFailed
)

func (o outcome) String() string {
	return [...]string{"unknown", "succeeded", "processing", "failed"}[o]
}

// opClass tells classify what was asked: the meaning of 00, 06 and 99 depends on it.
type opClass uint8

const (
	// opSync: answered in full synchronously (SMS, token open/update/delete, query
	// requests, file transfer, certificate query).
	opSync opClass = iota
	// opMoney: an asynchronous money operation (back consume, undo, refund, pre-auth
	// undo, completion, completion undo): a sync 00 only means accepted.
	opMoney
)

// codeRule is one row of the respCode table.
type codeRule struct {
	outcome   outcome
	kind      channel.Kind // for outFailed and outUnknown
	retryable bool         // the same request may be sent again / the call repeated later
	alert     bool         // money moved in a way that needs a person (42)
}

// respCodes is the respCode table (unionpay.md §7), for the codes whose meaning does not
// depend on the operation. "Unknown" means: query later, never conclude failed.
//
//	code      outcome / kind          retry  note
//	01        failed Declined         no     ask 95516
//	02        failed Unavailable      yes    system closed: not processed
//	03 04 05  unknown                 yes    timeout / status unknown / accepted: query
//	10 13 14  failed InvalidRequest   no     format, missing element, batch format
//	11        failed Signature        no
//	12        failed AlreadyDone      no     duplicate: query the original
//	30        failed Declined         no     try another card
//	31 32     failed InvalidRequest   no     merchant state, permission (configuration)
//	33        failed Declined         no     amount over limit
//	34        failed NotFound         no     query: no such transaction (see queryOutcome)
//	35 36     failed InvalidRequest   no     original missing / differs
//	37        failed RateLimited      yes
//	38        failed Declined         no     risk control
//	39        failed Declined         yes    outside acceptance hours
//	40        failed Declined         no     binding check
//	41        failed NotFound         no     batch not downloadable
//	42        unknown + alert         no     debited beyond the allowed time: must be returned
//	43 44     failed InvalidRequest   no     no permission / not enabled
//	45 46     failed AlreadyDone      no     already refunded/undone/reversed
//	60–63     failed Declined         no     issuer, card
//	64        failed InsufficientFunds no
//	65–69     failed Declined         no     PIN/expiry/CVN2, ID/phone, tries, card type, timeout
//	70        processing              yes    waiting for the cardholder
//	71        failed Declined         yes    SMS code wrong: a new code may be tried
//	72 73 75–79 failed Declined       no
//	74        unknown                 no     debited, write-off unknown
//	80        failed Declined         no     token expired: re-open
//	81 82     failed Declined         no
//	83        unknown                 yes    issuer/channel processing
//	85–88     failed Declined         no
//	89        failed Declined         no     no such token / token invalid: re-open
//	90 91     failed Declined         no
//	98        failed NotFound         yes    file not generated yet
var respCodes = map[string]codeRule{
	"01": {outFailed, channel.KindDeclined, false, false},
	"02": {outFailed, channel.KindUnavailable, true, false},
	"03": {outUnknown, channel.KindUnknown, true, false},
	"04": {outUnknown, channel.KindUnknown, true, false},
	"05": {outUnknown, channel.KindUnknown, true, false},
	"10": {outFailed, channel.KindInvalidRequest, false, false},
	"11": {outFailed, channel.KindSignature, false, false},
	"12": {outFailed, channel.KindAlreadyDone, false, false},
	"13": {outFailed, channel.KindInvalidRequest, false, false},
	"14": {outFailed, channel.KindInvalidRequest, false, false},
	"30": {outFailed, channel.KindDeclined, false, false},
	"31": {outFailed, channel.KindInvalidRequest, false, false},
	"32": {outFailed, channel.KindInvalidRequest, false, false},
	"33": {outFailed, channel.KindDeclined, false, false},
	"34": {outFailed, channel.KindNotFound, false, false},
	"35": {outFailed, channel.KindInvalidRequest, false, false},
	"36": {outFailed, channel.KindInvalidRequest, false, false},
	"37": {outFailed, channel.KindRateLimited, true, false},
	"38": {outFailed, channel.KindDeclined, false, false},
	"39": {outFailed, channel.KindDeclined, true, false},
	"40": {outFailed, channel.KindDeclined, false, false},
	"41": {outFailed, channel.KindNotFound, false, false},
	"42": {outUnknown, channel.KindUnknown, false, true},
	"43": {outFailed, channel.KindInvalidRequest, false, false},
	"44": {outFailed, channel.KindInvalidRequest, false, false},
	"45": {outFailed, channel.KindAlreadyDone, false, false},
	"46": {outFailed, channel.KindAlreadyDone, false, false},
	"60": {outFailed, channel.KindDeclined, false, false},
	"61": {outFailed, channel.KindDeclined, false, false},
	"62": {outFailed, channel.KindDeclined, false, false},
	"63": {outFailed, channel.KindDeclined, false, false},
	"64": {outFailed, channel.KindInsufficientFunds, false, false},
	"65": {outFailed, channel.KindDeclined, false, false},
	"66": {outFailed, channel.KindDeclined, false, false},
	"67": {outFailed, channel.KindDeclined, false, false},
	"68": {outFailed, channel.KindDeclined, false, false},
	"69": {outFailed, channel.KindDeclined, false, false},
	"70": {outProcessing, channel.KindUnknown, true, false},
	"71": {outFailed, channel.KindDeclined, true, false},
	"72": {outFailed, channel.KindDeclined, false, false},
	"73": {outFailed, channel.KindDeclined, false, false},
	"74": {outUnknown, channel.KindUnknown, false, false},
	"75": {outFailed, channel.KindDeclined, false, false},
	"76": {outFailed, channel.KindDeclined, false, false},
	"77": {outFailed, channel.KindDeclined, false, false},
	"78": {outFailed, channel.KindDeclined, false, false},
	"79": {outFailed, channel.KindDeclined, false, false},
	"80": {outFailed, channel.KindDeclined, false, false},
	"81": {outFailed, channel.KindDeclined, false, false},
	"82": {outFailed, channel.KindDeclined, false, false},
	"83": {outUnknown, channel.KindUnknown, true, false},
	"85": {outFailed, channel.KindDeclined, false, false},
	"86": {outFailed, channel.KindDeclined, false, false},
	"87": {outFailed, channel.KindDeclined, false, false},
	"88": {outFailed, channel.KindDeclined, false, false},
	"89": {outFailed, channel.KindDeclined, false, false},
	"90": {outFailed, channel.KindDeclined, false, false},
	"91": {outFailed, channel.KindDeclined, false, false},
	"98": {outFailed, channel.KindNotFound, true, false},
}

// classify maps the respCode of an answer to op to its rule (unionpay.md §7):
//
//	00, A6  opSync: succeeded; opMoney: processing (accepted only; A6 = "defective success")
//	06      opSync: failed Unavailable, retry; opMoney: unknown (system busy may hide a debit) [inferred]
//	99      opSync: failed InvalidRequest; opMoney: unknown [inferred]
//	other   unknown for opMoney, failed Unavailable for opSync: an unrecognised code never
//	        concludes that money did not move
func classify(code string, op opClass) codeRule {
	switch code {
	case "00", "A6":
		if op == opMoney {
			return codeRule{outcome: outProcessing, kind: channel.KindUnknown}
		}
		return codeRule{outcome: outSucceeded}
	case "06":
		if op == opMoney {
			return codeRule{outcome: outUnknown, kind: channel.KindUnknown, retryable: true}
		}
		return codeRule{outcome: outFailed, kind: channel.KindUnavailable, retryable: true}
	case "99":
		if op == opMoney {
			return codeRule{outcome: outUnknown, kind: channel.KindUnknown, retryable: true}
		}
		return codeRule{outcome: outFailed, kind: channel.KindInvalidRequest}
	}
	if r, ok := respCodes[code]; ok {
		return r
	}
	if op == opMoney {
		return codeRule{outcome: outUnknown, kind: channel.KindUnknown, retryable: true}
	}
	return codeRule{outcome: outFailed, kind: channel.KindUnavailable, retryable: true}
}

// transportRule is the rule for a call that got no readable answer: a timeout, a dropped
// connection, an HTTP status other than 200 (the SDK's "no response", unionpay.md §2), an
// unparseable or unverifiable body. The request may have been processed: Unknown, query.
func transportRule() codeRule {
	return codeRule{outcome: outUnknown, kind: channel.KindUnknown, retryable: true}
}

// queryOutcome reads a verified answer to a query (txnType 00) as the state of the queried
// transaction (unionpay.md §7.2): respCode is the query's own result, origRespCode the
// transaction's. 03/04/05 in either place mean "query again" and are Unknown, never Failed;
// 34 is NotFound (Unknown to the caller until payTimeout or the file says otherwise).
func queryOutcome(v *verified) codeRule {
	code := v.get("respCode")
	switch code {
	case "00", "A6":
	case "03", "04", "05", "06":
		return codeRule{outcome: outUnknown, kind: channel.KindUnknown, retryable: true}
	default:
		r := classify(code, opSync)
		if r.outcome == outSucceeded {
			r = codeRule{outcome: outUnknown, kind: channel.KindUnknown, retryable: true}
		}
		return r
	}
	orig := v.get("origRespCode")
	switch orig {
	case "00", "A6":
		return codeRule{outcome: outSucceeded}
	case "03", "04", "05", "":
		return codeRule{outcome: outProcessing, kind: channel.KindUnknown, retryable: true}
	}
	r := classify(orig, opMoney)
	if r.outcome == outFailed || r.alert {
		return r
	}
	// Any other original code is a failed transaction (§7.2), unless the table says the
	// money may have moved (74, 83, 42...).
	if r.outcome == outUnknown && orig != "74" && orig != "83" {
		return codeRule{outcome: outFailed, kind: channel.KindDeclined}
	}
	return r
}
