package scenarios

import (
	"encoding/json"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// DefaultStart is the virtual start time of a scenario that names none: a Friday morning,
// Beijing time, far from midnight.
const DefaultStart = "2026-11-20T10:00:00+08:00"

// DefaultWithin bounds wait_callbacks when the step gives no `within`.
const DefaultWithin = time.Hour

// Pos is a position in a scenario file (1-based line and column).
type Pos struct {
	File   string
	Line   int
	Column int
}

// Scenario is one decoded scenario file. Every value has been validated: amounts are
// exact money.Amount values, durations positive, statuses and error kinds the contract's.
type Scenario struct {
	Pos         Pos
	Name        string
	Description string
	Tags        []string
	// Instance names the matrix combination this scenario was expanded from
	// ("channel=wechat, amount=1.00"); "" for a file without a matrix.
	Instance string
	// Start is the simulator's virtual time when the scenario begins.
	Start time.Time
	// Seed seeds the simulator's random source (ids, nonces, probabilistic faults).
	Seed uint64
	// Channel is the default channel of steps that name none ("" = none).
	Channel   string
	Merchants []Merchant
	Steps     []Step
	// Expect holds the checks made after the last step.
	Expect *Expect
	// Target is the system under test (target.go): adapters (default), gateway or http.
	Target Target
}

// HasTag reports whether the scenario carries tag t.
func (s *Scenario) HasTag(t string) bool {
	for _, x := range s.Tags {
		if x == t {
			return true
		}
	}
	return false
}

// Channels returns the channels the scenario uses, in first-use order.
func (s *Scenario) Channels() []string {
	var out []string
	add := func(c string) {
		if c == "" {
			return
		}
		for _, x := range out {
			if x == c {
				return
			}
		}
		out = append(out, c)
	}
	add(s.Channel)
	for _, m := range s.Merchants {
		add(m.Channel)
	}
	for i := range s.Steps {
		add(s.Steps[i].Channel)
	}
	return out
}

// Merchant is a merchant the scenario registers with the simulator before its steps.
type Merchant struct {
	Pos     Pos
	Channel string
	// As is the alias steps use in `merchant:`; empty = only reachable as the channel's
	// default (the first merchant listed for the channel).
	As string
	// Config is the channel-specific merchant document, posted to /_sim/merchants (with
	// "channel" added) and handed to the ChannelFactory. Empty: the simulator's demo
	// merchant of the channel.
	Config json.RawMessage
	// Adapter holds adapter options handed to the ChannelFactory only (nil = none).
	Adapter json.RawMessage
}

// Action names what a step does.
type Action string

// Step actions: contract operations, payer actions, simulator control and waits.
const (
	ActPay               Action = "pay"
	ActQuery             Action = "query"
	ActClose             Action = "close"
	ActCancel            Action = "cancel"
	ActRefund            Action = "refund"
	ActQueryRefund       Action = "query_refund"
	ActPayerPay          Action = "payer_pay"
	ActPayerCancel       Action = "payer_cancel"
	ActFault             Action = "fault"
	ActClearFaults       Action = "clear_faults"
	ActAdvance           Action = "advance"
	ActSetTime           Action = "set_time"
	ActWaitCallbacks     Action = "wait_callbacks"
	ActDownloadStatement Action = "download_statement"
	// Card binding, payouts and balance (channel.Binder, Payouter, BalanceQuerier: the
	// bank), and the simulator's bank controls.
	ActBind         Action = "bind"
	ActResendSMS    Action = "resend_sms"
	ActConfirmBind  Action = "confirm_bind"
	ActUnbind       Action = "unbind"
	ActQueryBinding Action = "query_binding"
	ActPayout       Action = "payout"
	ActQueryPayout  Action = "query_payout"
	ActReturnPayout Action = "return_payout"
	ActBalance      Action = "balance"
	// A token payment's SMS and pre-authorisation (channel.PaySMSSender, channel.Authorizer:
	// UnionPay).
	ActPaySMS      Action = "pay_sms"
	ActPreAuth     Action = "preauth"
	ActPreAuthUndo Action = "preauth_undo"
	ActCapture     Action = "capture"
	ActCaptureUndo Action = "capture_undo"
	ActQueryAuth   Action = "query_auth"
	// Steps against the system under test and the merchant's side (http_steps.go).
	ActHTTP      Action = "http"
	ActWaitAcks  Action = "wait_acks"
	ActMisbehave Action = "misbehave"
)

// Actions lists every step action in documentation order.
func Actions() []Action {
	return []Action{ActPay, ActQuery, ActClose, ActCancel, ActRefund, ActQueryRefund,
		ActPayerPay, ActPayerCancel, ActFault, ActClearFaults, ActAdvance, ActSetTime,
		ActWaitCallbacks, ActDownloadStatement, ActBind, ActResendSMS, ActConfirmBind, ActUnbind,
		ActQueryBinding, ActPayout, ActQueryPayout, ActReturnPayout, ActBalance,
		ActPaySMS, ActPreAuth, ActPreAuthUndo, ActCapture, ActCaptureUndo, ActQueryAuth,
		ActHTTP, ActWaitAcks, ActMisbehave,
		ActRecon, ActReconResolve, ActSettle, ActFundsArrived, ActLedgerVerify, ActTamperDB, ActPayment, ActAudit}
}

// Step is one step of a scenario: exactly one action with its arguments, and the
// expectations checked right after it. Fields not used by the action are zero.
type Step struct {
	Pos    Pos
	Index  int // 1-based
	Action Action
	// Channel and Merchant (an alias) select the channel; both filled with defaults where
	// the action talks to a channel.
	Channel  string
	Merchant string

	Order    string
	Refund   string
	Amount   money.Amount
	Method   channel.Method
	Subject  string
	AuthCode string
	PayerID  string
	Attach   string
	// OrderAmount is a refund's original payment total (default: the pay step's amount).
	OrderAmount money.Amount
	Reason      string
	// ExpiresIn sets a payment's ExpiresAt to the step's time plus it (0 = channel default).
	ExpiresIn time.Duration
	// NoNotify leaves a payment's or refund's notify URL empty.
	NoNotify bool
	Card     string // payer_pay

	// OpNo is the new number of a pre-authorisation operation (query_auth: the one queried).
	OpNo string

	Fault *simulator.FaultPlan // fault

	Duration time.Duration // advance; wait_callbacks' within
	Time     time.Time     // set_time

	// wait_callbacks
	Count    int
	NotifyOf channel.NotificationType // "" = any

	// download_statement
	Day           clock.Date
	StatementType channel.StatementType

	// Bind is the binding number (bind, resend_sms, confirm_bind, unbind, query_binding;
	// on pay: the binding whose token pays). User is the cardholder's id (bind).
	Bind string
	User string
	// BankCard is the card of a bind or payout step (full elements; test data only).
	BankCard *channel.Card
	SMSNo    string // resend_sms: the resend's own number
	SMSCode  string // confirm_bind: the code ("" = read it from the simulator); pay: the payment's SMS code
	Payout   string // payout, query_payout, return_payout: the payout number
	Purpose  string // payout

	// HTTP is an http step's request; Misbehave a misbehave step's plan.
	HTTP      *HTTPStep
	Misbehave *Misbehaviour
	// Core is a core step's arguments (core_steps.go).
	Core *CoreStep

	Expect *Expect
}

// Expect is a set of checks. At step level the result fields check the step's own outcome;
// the callback, record and statement checks work at step and scenario level.
type Expect struct {
	Pos Pos
	// Status: the result's status must be one of these.
	Status []channel.Status
	// Error: the step must fail with one of these kinds; AnyError accepts any error.
	Error    []channel.Kind
	AnyError bool
	// Code: the error's channel code must equal it.
	Code string
	// Retryable: the error's Retryable must equal it.
	Retryable *bool
	// Amount: the result's amount.
	Amount *money.Amount
	// RefundedAmount: a payment result's RefundedAmount.
	RefundedAmount *money.Amount
	// Final: a payout result's PayoutResult.Final() (Succeeded is not final).
	Final *bool
	// Frozen: a balance step's frozen amount (its amount is the available balance).
	Frozen *money.Amount

	Callbacks  []CallbackExpect
	Records    []RecordExpect
	Statements []StatementExpect
	// HTTP checks an http step's response; Webhooks what the merchant endpoint received.
	HTTP     *HTTPExpect
	Webhooks []WebhookExpect
	// Result checks a core step's JSON result (its Status, BodyContains and BodyRegex are
	// unused).
	Result *HTTPExpect
}

// CallbackExpect counts the callbacks that reached the scenario's notify endpoint.
type CallbackExpect struct {
	Pos     Pos
	Channel string
	Order   string                   // "" = every order (rejected: every unparsable callback)
	Type    channel.NotificationType // "" = any
	// Parsed is the number of callbacks the adapter verified and decoded; Rejected those it
	// refused (bad signature or undecodable; attributed to the order by the simulator's
	// record); Acked those the simulator counted as acknowledged. nil = not checked.
	Parsed   *int
	Rejected *int
	Acked    *int
	// LastStatus: the status carried by the last parsed callback.
	LastStatus *channel.Status
}

// RecordExpect counts simulator records.
type RecordExpect struct {
	Pos     Pos
	Channel string
	Kind    string // call, callback, payer, fault, clock, event
	Op      string
	Order   string
	Fault   string // a fault kind that acted on the record
	Count   *int
	Min     *int
	Max     *int
	RecordWindow
}

// StatementExpect checks a statement: at step level the one download_statement fetched;
// at scenario level Day (and Channel) name the statement to download after the last step.
type StatementExpect struct {
	Pos      Pos
	Channel  string
	Merchant string
	Day      clock.Date
	Count    *int
	Contains []StatementLine
	Lacks    []StatementLine
	// Totals checks the reader's StatementTotals (download_statement steps only).
	Totals *TotalsExpect
}

// TotalsExpect checks a statement's totals; nil fields are not checked.
type TotalsExpect struct {
	Pos                                                          Pos
	Count, PaymentCount, RefundCount, PayoutCount, ReturnCount   *int
	PaymentAmount, RefundAmount, PayoutAmount, ReturnAmount, Fee *money.Amount
}

// StatementLine matches statement records: empty fields match anything.
type StatementLine struct {
	Pos    Pos
	Order  string
	Refund string
	Payout string // a payout's (or payout return's) payout number
	Type   channel.RecordType
	Amount *money.Amount
	Status *channel.Status
	// Day is the record's settlement (accounting) day.
	Day clock.Date
}

// ToolkitChannels returns the channel names tongdao knows, sorted. A scenario naming
// another is a bad file; one naming a channel whose adapter a build does not wire is skipped.
func ToolkitChannels() []string { return []string{"alipay", "bank", "unionpay", "wechat"} }
