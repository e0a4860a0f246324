package simulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/money"
)

// FaultKind names what a fault plan does.
type FaultKind string

// Fault kinds. Call faults apply to inbound protocol calls (matched on Call.Identify);
// callback faults to Engine.Notify; the payer fault to payer actions; statement faults to
// Engine.Statement. The JSON value is the constant's string.
const (
	// FaultDelay holds the response for Delay: in virtual mode by advancing the virtual
	// clock by Delay before answering (DelayMode "advance", the default there), or by
	// waiting until the clock passes it (DelayMode "wait", the default in wall mode; in
	// virtual mode the response then waits for someone to advance the clock). With Stage
	// "before" the delay happens before processing.
	FaultDelay FaultKind = "delay"
	// FaultTimeoutAfter processes the call and commits its state change, then gives the
	// client no response: the connection is closed without a byte written (or, with Hold,
	// held until the client gives up or Config.HoldMax passes). The outcome is unknown to
	// the client but done on the channel.
	FaultTimeoutAfter FaultKind = "timeout_after"
	// FaultTimeoutBefore is FaultTimeoutAfter without processing: nothing changes.
	FaultTimeoutBefore FaultKind = "timeout_before"
	// FaultReset closes the TCP connection with a reset (SO_LINGER 0), before processing
	// (Stage "before", the default) or after it (Stage "after").
	FaultReset FaultKind = "reset"
	// FaultHTTP5xx answers Status (default 503) with a short plain-text body, before
	// processing (default) or after it (Stage "after").
	FaultHTTP5xx FaultKind = "http_5xx"
	// FaultMalformedBody replaces the processed reply's body with bytes no channel format
	// parses (or Body, if given).
	FaultMalformedBody FaultKind = "malformed_body"
	// FaultTruncatedBody cuts the processed reply's body to Count bytes (default: half),
	// with a matching Content-Length: a complete HTTP response whose body does not parse.
	FaultTruncatedBody FaultKind = "truncated_body"
	// FaultBadSignature makes the protocol sign its reply wrongly (Call.CorruptSignature).
	FaultBadSignature FaultKind = "bad_signature"
	// FaultBusinessCode makes the protocol answer with a business error Code (a generic
	// Code* constant or the channel's raw code) and Message; with Process the state change
	// happens first (Call.BusinessFault).
	FaultBusinessCode FaultKind = "business_code"

	// FaultDuplicateCallbacks sends Count (default 1) extra copies of the callback, Spacing
	// apart (default 0: right after), whether or not the first was acknowledged.
	FaultDuplicateCallbacks FaultKind = "duplicate_callbacks"
	// FaultReorderCallbacks holds the callback until the next callback of the same channel
	// and merchant has been sent, then sends it right after; if none comes within Delay
	// (default 1h) it is sent then.
	FaultReorderCallbacks FaultKind = "reorder_callbacks"
	// FaultMissingCallbacks never sends the callback (recorded as dropped).
	FaultMissingCallbacks FaultKind = "missing_callbacks"
	// FaultForgedCallback sends, just before the genuine first attempt, one attempt with a
	// bad signature (Attempt.Forged); its acknowledgement does not count.
	FaultForgedCallback FaultKind = "forged_callback"
	// FaultTamperedCallback sends, just before the genuine first attempt, one attempt that
	// is correctly signed with the merchant's own key but whose content was changed: the
	// amount (Tamper "amount", the default; to Amount, or one minor unit more) or the
	// order number (Tamper "order"; to Code, or the number with its last character
	// changed). A merchant that checks only the signature accepts it; one that also
	// checks the amount and order against its own records rejects it. Its
	// acknowledgement does not count. Protocols honour it through Attempt.Tamper.
	FaultTamperedCallback FaultKind = "tampered_callback"

	// FaultCompleteAfterMidnight moves a payer's completion to the next midnight, Beijing
	// time, plus Delay (default 1s): the order stays unpaid until the clock passes that
	// instant, and its completion (and callback) lands on the next accounting day.
	FaultCompleteAfterMidnight FaultKind = "complete_after_midnight"

	// FaultStatementMissingRecord drops the record for OutTradeNo (or the first record).
	FaultStatementMissingRecord FaultKind = "statement_missing_record"
	// FaultStatementExtraRecord adds a record the channel never processed: a copy of the
	// first record (or a bare payment) with order number Code (default "SIMEXTRA<n>") and
	// Amount (default: the copied amount, or 0.01 CNY).
	FaultStatementExtraRecord FaultKind = "statement_extra_record"
	// FaultStatementAmountChanged changes the amount of the record for OutTradeNo (or the
	// first record) to Amount (default: one minor unit more).
	FaultStatementAmountChanged FaultKind = "statement_amount_changed"
	// FaultStatementNotReady makes statements unavailable until Until (or until Delay
	// after their normal availability).
	FaultStatementNotReady FaultKind = "statement_not_ready_until"
)

// Generic business codes for FaultBusinessCode. Each protocol maps them to its own code
// (WeChat SYSTEMERROR, Alipay ACQ.SYSTEM_ERROR, UnionPay 03...). Any other value is passed
// to the protocol as the channel's raw code.
const (
	CodeSystemError       = "SYSTEM_ERROR"       // the channel is busy; outcome unknown
	CodeUserPaying        = "USER_PAYING"        // waiting for the payer (password); outcome pending
	CodeOrderPaid         = "ORDER_PAID"         // the order is already paid
	CodeOrderClosed       = "ORDER_CLOSED"       // the order is closed
	CodeNotFound          = "NOT_FOUND"          // no such order / refund
	CodeInsufficientFunds = "INSUFFICIENT_FUNDS" // payer's balance too low
	CodeDeclined          = "DECLINED"           // issuer or risk declined
	CodeRateLimited       = "RATE_LIMITED"       // frequency limit
	CodeInvalidRequest    = "INVALID_REQUEST"    // parameter error
)

// What a tampered_callback plan changes (FaultPlan.Tamper, Attempt.Tamper).
const (
	TamperAmount = "amount" // the amount (WeChat total_fee/cash_fee or refund_fee, Alipay total_amount...)
	TamperOrder  = "order"  // the merchant's order number (out_trade_no)
)

// Fault stages for FaultDelay, FaultReset and FaultHTTP5xx.
const (
	StageBefore = "before" // before processing: nothing changes on the channel
	StageAfter  = "after"  // after processing: the state change is committed
)

// Delay modes for FaultDelay.
const (
	DelayAdvance = "advance" // advance the virtual clock by Delay (virtual mode only)
	DelayWait    = "wait"    // wait until the clock passes Delay (or the client gives up)
)

// FaultPlan is one fault to inject, as posted to POST /_sim/faults. The match fields
// select events; the occurrence fields select which of the matching events; the remaining
// fields parameterise the kind. Empty match fields match anything.
type FaultPlan struct {
	ID   string    `json:"id,omitempty"` // assigned by the engine ("f1", "f2", ...); ignored on input
	Kind FaultKind `json:"kind"`

	Channel string `json:"channel,omitempty"`
	// Op is the operation (call faults: the protocol's op name, e.g. "unifiedorder",
	// "alipay.trade.pay"; callback faults: the callback kind, "payment" or "refund";
	// statement faults: the statement type; payer: "pay").
	Op         string `json:"op,omitempty"`
	Merchant   string `json:"merchant,omitempty"`
	OutTradeNo string `json:"out_trade_no,omitempty"` // statement faults: the record to change

	// First applies the plan to the first N matching events only (0 = no limit).
	First int `json:"first,omitempty"`
	// Every applies it to every Nth matching event (N, 2N, ...; 0 = every one).
	Every int `json:"every,omitempty"`
	// Probability applies it with probability p in [0, 1] drawn from the seeded source
	// (0 = always). All occurrence conditions given must hold.
	Probability float64 `json:"probability,omitempty"`

	Delay     Duration      `json:"delay,omitempty"`
	DelayMode string        `json:"delay_mode,omitempty"`
	Stage     string        `json:"stage,omitempty"`
	Hold      bool          `json:"hold,omitempty"`
	Status    int           `json:"status,omitempty"`
	Code      string        `json:"code,omitempty"`
	Message   string        `json:"message,omitempty"`
	Process   bool          `json:"process,omitempty"`
	Body      string        `json:"body,omitempty"`
	Count     int           `json:"count,omitempty"`
	Spacing   Duration      `json:"spacing,omitempty"`
	Amount    *money.Amount `json:"amount,omitempty"`
	Until     *time.Time    `json:"until,omitempty"`
	// Tamper says what a tampered_callback changes: "amount" (default) or "order".
	Tamper string `json:"tamper,omitempty"`
}

// faultCategory groups kinds by the event they attach to.
type faultCategory int

const (
	catCall faultCategory = iota + 1
	catCallback
	catPayer
	catStatement
)

var kindCategory = map[FaultKind]faultCategory{
	FaultDelay: catCall, FaultTimeoutAfter: catCall, FaultTimeoutBefore: catCall,
	FaultReset: catCall, FaultHTTP5xx: catCall, FaultMalformedBody: catCall,
	FaultTruncatedBody: catCall, FaultBadSignature: catCall, FaultBusinessCode: catCall,
	FaultDuplicateCallbacks: catCallback, FaultReorderCallbacks: catCallback,
	FaultMissingCallbacks: catCallback, FaultForgedCallback: catCallback, FaultTamperedCallback: catCallback,
	FaultCompleteAfterMidnight:  catPayer,
	FaultStatementMissingRecord: catStatement, FaultStatementExtraRecord: catStatement,
	FaultStatementAmountChanged: catStatement, FaultStatementNotReady: catStatement,
}

// FaultKinds returns every known kind, in documentation order.
func FaultKinds() []FaultKind {
	return []FaultKind{
		FaultDelay, FaultTimeoutAfter, FaultTimeoutBefore, FaultReset, FaultHTTP5xx,
		FaultMalformedBody, FaultTruncatedBody, FaultBadSignature, FaultBusinessCode,
		FaultDuplicateCallbacks, FaultReorderCallbacks, FaultMissingCallbacks, FaultForgedCallback,
		FaultTamperedCallback, FaultCompleteAfterMidnight,
		FaultStatementMissingRecord, FaultStatementExtraRecord, FaultStatementAmountChanged,
		FaultStatementNotReady,
	}
}

// FieldError is a bad-input error naming the offending field; it wraps ErrInvalid.
type FieldError struct {
	Field  string // JSON name of the field ("kind", "spacing", "amount")
	Reason string
}

// Error says which field is wrong and why.
func (e *FieldError) Error() string { return fmt.Sprintf("field %q: %s", e.Field, e.Reason) }

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Validate checks a plan and returns a *FieldError naming the first bad field.
func (p *FaultPlan) Validate() error {
	if _, ok := kindCategory[p.Kind]; !ok {
		if p.Kind == "" {
			return fieldErr("kind", "required")
		}
		return fieldErr("kind", "unknown fault kind %q", string(p.Kind))
	}
	switch {
	case p.First < 0:
		return fieldErr("first", "must be >= 0")
	case p.Every < 0:
		return fieldErr("every", "must be >= 0")
	case p.Probability < 0 || p.Probability > 1 || p.Probability != p.Probability:
		return fieldErr("probability", "must be within [0, 1]")
	case p.Delay < 0:
		return fieldErr("delay", "must not be negative")
	case p.Spacing < 0:
		return fieldErr("spacing", "must not be negative")
	case p.Count < 0:
		return fieldErr("count", "must be >= 0")
	case p.Count > 1000 && p.Kind == FaultDuplicateCallbacks:
		return fieldErr("count", "at most 1000 duplicates")
	}
	if p.DelayMode != "" && p.DelayMode != DelayAdvance && p.DelayMode != DelayWait {
		return fieldErr("delay_mode", "must be %q or %q", DelayAdvance, DelayWait)
	}
	if p.Stage != "" && p.Stage != StageBefore && p.Stage != StageAfter {
		return fieldErr("stage", "must be %q or %q", StageBefore, StageAfter)
	}
	if p.Stage != "" && p.Kind != FaultDelay && p.Kind != FaultReset && p.Kind != FaultHTTP5xx {
		return fieldErr("stage", "only for delay, reset and http_5xx")
	}
	if p.Status != 0 && (p.Status < 500 || p.Status > 599) {
		return fieldErr("status", "must be within 500..599")
	}
	if p.Amount != nil && !p.Amount.Currency().Valid() {
		return fieldErr("amount", "currency must be a known ISO 4217 code")
	}
	if p.Tamper != "" && p.Kind != FaultTamperedCallback {
		return fieldErr("tamper", "only for tampered_callback")
	}
	if p.Tamper != "" && p.Tamper != TamperAmount && p.Tamper != TamperOrder {
		return fieldErr("tamper", "must be %q or %q", TamperAmount, TamperOrder)
	}
	switch p.Kind {
	case FaultDelay:
		if p.Delay == 0 {
			return fieldErr("delay", "required for kind delay")
		}
	case FaultBusinessCode:
		if p.Code == "" {
			return fieldErr("code", "required for kind business_code")
		}
	case FaultTamperedCallback:
		if p.Amount != nil && p.Tamper == TamperOrder {
			return fieldErr("amount", "only when tamper is %q", TamperAmount)
		}
		if p.Amount != nil && !p.Amount.IsPositive() {
			return fieldErr("amount", "must be positive")
		}
		if p.Code != "" && p.Tamper != TamperOrder {
			return fieldErr("code", "only when tamper is %q", TamperOrder)
		}
	case FaultStatementNotReady:
		if p.Until == nil && p.Delay == 0 {
			return fieldErr("until", "required for kind statement_not_ready_until (or give delay)")
		}
	}
	return nil
}

// DecodeFaultPlan parses and validates one plan. Unknown fields are refused (naming the
// field), so a typo does not silently widen a plan.
func DecodeFaultPlan(data []byte) (FaultPlan, error) {
	var p FaultPlan
	if err := decodeStrict(data, &p); err != nil {
		return FaultPlan{}, err
	}
	p.ID = ""
	if err := p.Validate(); err != nil {
		return FaultPlan{}, err
	}
	return p, nil
}

// decodeStrict decodes one JSON object into v, refusing unknown fields and trailing data,
// and turns decoding errors into *FieldError where a field is known.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		fe := jsonFieldError(err)
		// Errors from custom UnmarshalJSON methods lose the (outer) field name; find it.
		if f, ok := fe.(*FieldError); ok && f.Reason != "unknown field" {
			if name := blameField(data, v); name != "" && f.Field != name && !strings.HasPrefix(f.Field, name+".") {
				return fieldErr(name, "%v", err)
			}
		}
		return fe
	}
	if dec.More() {
		return fieldErr("body", "trailing data after the JSON object")
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err == nil {
		return fieldErr("body", "trailing data after the JSON object")
	}
	return nil
}

// blameField finds which member of a JSON object makes decoding into v's type fail, for
// errors (from custom UnmarshalJSON methods) that do not carry the field name.
func blameField(data []byte, v any) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t := reflect.TypeOf(v)
	if t.Kind() != reflect.Pointer {
		return ""
	}
	for _, k := range keys {
		one, err := json.Marshal(map[string]json.RawMessage{k: m[k]})
		if err != nil {
			continue
		}
		if json.Unmarshal(one, reflect.New(t.Elem()).Interface()) != nil {
			return k
		}
	}
	return ""
}

func jsonFieldError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		f := te.Field
		if f == "" {
			f = "body"
		}
		return fieldErr(f, "wrong type: %s", te.Value)
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe
	}
	msg := err.Error()
	const unk = "json: unknown field "
	if i := bytes.Index([]byte(msg), []byte(unk)); i >= 0 {
		name := msg[i+len(unk):]
		if len(name) >= 2 && name[0] == '"' {
			name = name[1 : len(name)-1]
		}
		if name == "" {
			return fieldErr("body", "unknown field with an empty name")
		}
		return fieldErr(name, "unknown field")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fieldErr("body", "invalid JSON at offset %d", se.Offset)
	}
	return fieldErr("body", "invalid JSON: %v", err)
}

// Duration is a time.Duration written in JSON as a Go duration string ("90s", "1h30m"),
// or whole days ("1d", "7d", up to 3660d) as scenario files write them. A bare JSON number
// is read as nanoseconds.
type Duration time.Duration

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads "90s" or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[Duration]()}
		}
		*d = Duration(n)
		return nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok && days != "" && days[0] != '-' && days[0] != '+' {
		if n, err := strconv.Atoi(days); err == nil && n <= 3660 {
			*d = Duration(time.Duration(n) * 24 * time.Hour)
			return nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "duration " + strconv.Quote(s) + " (want e.g. 90s, 1h30m, 2d)", Type: reflect.TypeFor[Duration]()}
	}
	*d = Duration(v)
	return nil
}
