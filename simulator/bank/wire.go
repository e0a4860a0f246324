package bank

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/tongdao/tongdao/adapters/sign"
)

// Operations (txCode, §6) — also the op names of fault plans.
const (
	TxBindApply     = "BIND_APPLY"
	TxBindSMSResend = "BIND_SMS_RESEND"
	TxBindConfirm   = "BIND_CONFIRM"
	TxUnbind        = "UNBIND"
	TxBindQuery     = "BIND_QUERY"
	TxPay           = "PAY"
	TxPayQuery      = "PAY_QUERY"
	TxRefund        = "REFUND"
	TxRefundQuery   = "REFUND_QUERY"
	TxPayout        = "PAYOUT"
	TxPayoutQuery   = "PAYOUT_QUERY"
	TxBalanceQuery  = "BALANCE_QUERY"
	TxStmtApply     = "STMT_APPLY"
)

// Notification txCodes (§10), also the kinds of callback fault plans.
const (
	NotifyPay    = "PAY_RESULT"
	NotifyRefund = "REFUND_RESULT"
	NotifyPayout = "PAYOUT_RESULT"
)

var txCodes = []string{TxBindApply, TxBindSMSResend, TxBindConfirm, TxUnbind, TxBindQuery, TxPay, TxPayQuery,
	TxRefund, TxRefundQuery, TxPayout, TxPayoutQuery, TxBalanceQuery, TxStmtApply}

func knownTxCode(s string) bool {
	for _, c := range txCodes {
		if c == s {
			return true
		}
	}
	return false
}

// requestFields are the only top-level members a request may carry (§4.1).
var requestFields = map[string]bool{
	"version": true, "merchantId": true, "txCode": true, "reqSerial": true, "reqTime": true,
	"signType": true, "certSerial": true, "encKey": true, "data": true, "sign": true,
}

// sensitive are the data fields sent encrypted (§5.1).
var sensitive = map[string]bool{"cardNo": true, "holderName": true, "idNo": true, "mobile": true, "cvn2": true, "expiry": true}

// errNotObject: the body is not a JSON object (HTTP 400, §3).
var errNotObject = errors.New("body is not a JSON object")

// envelope is a decoded request envelope: every top-level member and its decoded string
// value, in the order sent. Duplicate or non-string members are reported separately so
// the answer can be 1002 (§4.1) after the echo fields are known.
type envelope struct {
	fields  map[string]string
	bad     string // first member that breaks §4.1 (non-string, duplicate, unknown), "" if none
	badWhy  string
	ordered sign.Params
}

func (e *envelope) get(k string) string { return e.fields[k] }

// decodeEnvelope reads body as one JSON object whose members should all be strings. It
// fails (errNotObject) only when the body is not a single JSON object; member problems
// are recorded in bad/badWhy. Nested values are skipped without being kept.
func decodeEnvelope(body []byte) (*envelope, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errNotObject
	}
	e := &envelope{fields: map[string]string{}}
	mark := func(k, why string) {
		if e.bad == "" {
			if k == "" || !utf8.ValidString(k) || len(k) > 64 {
				k = "(unnamed)" // never echo odd member names verbatim
			}
			e.bad, e.badWhy = k, why
		}
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, errNotObject
		}
		k, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errNotObject
		}
		var v string
		switch {
		case len(raw) == 0 || raw[0] != '"':
			mark(k, "must be a JSON string")
			continue
		case json.Unmarshal(raw, &v) != nil:
			return nil, errNotObject
		}
		if _, dup := e.fields[k]; dup {
			mark(k, "appears twice")
			continue
		}
		if !requestFields[k] {
			mark(k, "is not an envelope field")
		}
		if !utf8.ValidString(v) {
			mark(k, "is not valid UTF-8")
		}
		e.fields[k] = v
		e.ordered = append(e.ordered, sign.Param{Key: k, Value: v})
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errNotObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errNotObject
	}
	return e, nil
}

// canonical is the signed string of an envelope (§4.3): every member but sign, empty
// values dropped, sorted by key, k=v joined by &.
func canonical(fields map[string]string) []byte {
	p := make(sign.Params, 0, len(fields))
	for k, v := range fields {
		p = append(p, sign.Param{Key: k, Value: v})
	}
	p.Sort()
	return sign.AppendCanonical(nil, p, sign.BankDirectCanonical())
}

// decodeData parses the data member: a JSON object whose values are all strings (§6).
// It returns the name of the first offending member on error.
func decodeData(s string) (map[string]string, string, error) {
	out := map[string]string{}
	if s == "" {
		return out, "", nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, "data", errors.New("data is not a JSON object")
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, "data", errors.New("data is not a JSON object")
		}
		k, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, "data", errors.New("data is not a JSON object")
		}
		var v string
		if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &v) != nil {
			return nil, k, fmt.Errorf("data.%s must be a JSON string", k)
		}
		if _, dup := out[k]; dup {
			return nil, k, fmt.Errorf("data.%s appears twice", k)
		}
		out[k] = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, "data", errors.New("data is not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, "data", errors.New("data has trailing content")
	}
	return out, "", nil
}

// fingerprint is the §9.1 request fingerprint: SM3(txCode "\n" sorted k=v of the
// decrypted data joined by &).
func fingerprint(txCode string, data map[string]string) [32]byte {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString(txCode)
	b.WriteByte('\n')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(data[k])
	}
	return sign.SM3(b.Bytes())
}

// encodeJSON marshals v compactly with sorted map keys and without HTML escaping.
func encodeJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimRight(b.Bytes(), "\n")
}
