package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

func TestParse_FullFileDecodesEveryAction(t *testing.T) {
	s := mustParseFile(t, "testdata/full.yaml")
	if s.Name != "every action once" || s.Seed != 7 || s.Channel != "toy" || len(s.Steps) != 15 {
		t.Fatalf("got name %q seed %d channel %q steps %d", s.Name, s.Seed, s.Channel, len(s.Steps))
	}
	wantStart := time.Date(2026, 11, 20, 15, 59, 50, 0, time.UTC)
	if !s.Start.Equal(wantStart) {
		t.Errorf("start = %v, want %v", s.Start, wantStart)
	}
	if len(s.Merchants) != 1 || s.Merchants[0].As != "m2" || string(s.Merchants[0].Config) != `{"id":"M2","key":"k2"}` {
		t.Errorf("merchants = %+v", s.Merchants)
	}
	f := s.Steps[0]
	if f.Action != ActFault || f.Fault.Kind != simulator.FaultTimeoutAfter || f.Fault.Op != "pay" || f.Fault.OutTradeNo != "T1" || f.Fault.First != 1 || f.Fault.Channel != "toy" {
		t.Errorf("fault step = %+v plan %+v", f, f.Fault)
	}
	p := s.Steps[1]
	if p.Action != ActPay || p.Amount != money.Fen(1) || p.Method != channel.MethodQR || p.Expect.Error[0] != channel.KindUnknown || *p.Expect.Retryable {
		t.Errorf("pay step = %+v", p)
	}
	if q := s.Steps[2]; len(q.Expect.Status) != 2 || q.Expect.Status[1] != channel.StatusProcessing {
		t.Errorf("query expect = %+v", q.Expect)
	}
	if w := s.Steps[4]; w.Duration != time.Hour || w.Count != 1 || w.NotifyOf != channel.NotifyPayment || *w.Expect.Callbacks[0].LastStatus != channel.StatusSucceeded {
		t.Errorf("wait step = %+v", w)
	}
	if q := s.Steps[5]; q.Merchant != "m2" || len(q.Expect.Error) != 2 {
		t.Errorf("merchant query = %+v", q)
	}
	if a := s.Steps[12]; a.Duration != 10*time.Hour {
		t.Errorf("advance = %v", a.Duration)
	}
	if st := s.Steps[13]; !st.Time.Equal(time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("set_time = %v (want Beijing 10:00)", st.Time)
	}
	d := s.Steps[14]
	if d.Day.String() != "2026-11-21" || *d.Expect.Statements[0].Count != 2 || d.Expect.Statements[0].Contains[0].Type != channel.RecordPayment {
		t.Errorf("download = %+v", d.Expect.Statements)
	}
	if s.Expect == nil || len(s.Expect.Records) != 1 || *s.Expect.Records[0].Count != 1 || s.Expect.Statements[0].Day.String() != "2026-11-21" {
		t.Errorf("scenario expect = %+v", s.Expect)
	}
	if !s.HasTag("smoke") || s.HasTag("slow") {
		t.Errorf("tags = %v", s.Tags)
	}
}

func mustParseFile(t *testing.T, path string) *Scenario {
	t.Helper()
	list, err := LoadPaths([]string{path}, ParseOptions{})
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	if len(list) != 1 {
		t.Fatalf("load %s: %d scenarios", path, len(list))
	}
	return list[0]
}

// TestParse_ErrorsNameFileLineAndField pins the exact message for each kind of mistake.
func TestParse_ErrorsNameFileLineAndField(t *testing.T) {
	const head = "name: x\nchannel: toy\nsteps:\n"
	tests := []struct {
		name string
		src  string
		want string // the whole error text
	}{
		{"unknown top-level key", "name: x\nchanel: toy\nsteps:\n  - advance: 1s\n",
			`f.yaml:2:1: chanel: unknown field "chanel" (did you mean "channel"?); known fields: channel, description, expect, merchants, name, seed, start, steps, tags, target`},
		{"missing name", "steps:\n  - advance: 1s\n", `f.yaml:1:1: name: required`},
		{"missing steps", "name: x\n", `f.yaml:1:1: steps: required: a list of steps`},
		{"empty steps", "name: x\nsteps: []\n", `f.yaml:2:8: steps: at least one step`},
		{"bad amount", head + "  - pay: {order: A, amount: \"0.001\"}\n",
			`f.yaml:4:29: steps[0].pay.amount: bad amount "0.001" (want yuan like "0.01" or "12.50 USD"): money: parsing "0.001": money: too many decimals`},
		{"amount missing", head + "  - pay: {order: A}\n", `f.yaml:4:10: steps[0].pay.amount: required`},
		{"negative refund amount", head + "  - refund: {order: A, refund: R, amount: \"-1.00\"}\n", `f.yaml:4:43: steps[0].refund.amount: amount "-1.00" must not be negative`},
		{"zero pay amount", head + "  - pay: {order: A, amount: \"0.00\"}\n", `f.yaml:4:29: steps[0].pay.amount: must be positive`},
		{"unknown step key", head + "  - pay: {order: A, amount: \"1\", amout: \"2\"}\n",
			`f.yaml:4:34: steps[0].pay.amout: unknown field "amout" (did you mean "amount"?); known fields: amount, attach, auth_code, bind, channel, expires_in, merchant, method, no_notify, order, payer_id, sms_code, subject`},
		{"two actions", head + "  - advance: 1s\n    set_time: \"2026-11-21 00:00:00\"\n",
			`f.yaml:4:5: steps[0]: a step has exactly one action; found "advance" and "set_time"`},
		{"no action", head + "  - expect: {status: SUCCEEDED}\n",
			`f.yaml:4:5: steps[0]: a step needs one action: pay, query, close, cancel, refund, query_refund, payer_pay, payer_cancel, fault, clear_faults, advance, set_time, wait_callbacks, download_statement, bind, resend_sms, confirm_bind, unbind, query_binding, payout, query_payout, return_payout, balance, pay_sms, preauth, preauth_undo, capture, capture_undo, query_auth, http, wait_acks, misbehave, recon, recon_resolve, settle, funds_arrived, ledger_verify, tamper_db, payment, audit`},
		{"bad duration", head + "  - advance: 90 seconds\n",
			`f.yaml:4:14: steps[0].advance: bad duration "90 seconds" (want e.g. 90s, 5m, 1h30m, 2d)`},
		{"bad status", head + "  - query: {order: A}\n    expect: {status: PAID}\n",
			`f.yaml:5:22: steps[0].expect.status: unknown status "PAID"; known: UNKNOWN, PENDING, PROCESSING, SUCCEEDED, FAILED, CLOSED, REFUNDED, REVERSED`},
		{"bad error kind", head + "  - query: {order: A}\n    expect: {error: timeout}\n",
			`f.yaml:5:21: steps[0].expect.error: unknown error kind "timeout"; known: unknown_outcome, invalid_request, signature, not_found, already_done, declined, insufficient_funds, rate_limited, unavailable, any`},
		{"bad fault kind", head + "  - fault: {kind: explode}\n",
			`f.yaml:4:19: steps[0].fault.kind: unknown fault kind "explode"; known: delay, timeout_after, timeout_before, reset, http_5xx, malformed_body, truncated_body, bad_signature, business_code, duplicate_callbacks, reorder_callbacks, missing_callbacks, forged_callback, tampered_callback, complete_after_midnight, statement_missing_record, statement_extra_record, statement_amount_changed, statement_not_ready_until`},
		{"misspelt call op", "name: x\nchannel: wechat\nsteps:\n  - fault: {kind: timeout_after, op: unifedorder}\n",
			`f.yaml:4:38: steps[0].fault.op: unknown wechat operation "unifedorder"; known: cancel, close, pay, query, query_refund, refund, statement (or unifiedorder, micropay, orderquery, closeorder, reverse, refund, refundquery, downloadbill, downloadfundflow, getsignkey)`},
		{"callback fault with call op", head + "  - fault: {kind: duplicate_callbacks, op: pay}\n",
			`f.yaml:4:44: steps[0].fault.op: a duplicate_callbacks fault matches a callback kind: payment, refund, cancel, binding, payout, reversal, preauth, token`},
		{"token pay without bind", head + "  - pay: {order: A, amount: \"1\", method: token}\n",
			`f.yaml:4:10: steps[0].pay.bind: required for method token: the bind step whose token pays`},
		{"preauth by qr", head + "  - preauth: {order: A, amount: \"1\", method: qr}\n",
			`f.yaml:4:46: steps[0].preauth.method: a preauth is paid by the payer: app, web or h5, not "qr"`},
		{"capture without op_no", head + "  - capture: {order: A, amount: \"1\"}\n",
			`f.yaml:4:14: steps[0].capture.op_no: required`},
		{"fault needs code", head + "  - fault: {kind: business_code, order: A}\n",
			`f.yaml:4:12: steps[0].fault.code: required for kind business_code`},
		{"bad time", head + "  - set_time: tomorrow\n",
			`f.yaml:4:15: steps[0].set_time: bad time "tomorrow" (want 2026-11-20T23:59:50+08:00, or 2026-11-20 23:59:50 for Beijing time)`},
		{"bad start", "name: x\nstart: noon\nsteps:\n  - advance: 1s\n",
			`f.yaml:2:8: start: bad time "noon" (want 2026-11-20T23:59:50+08:00, or 2026-11-20 23:59:50 for Beijing time)`},
		{"unknown merchant alias", head + "  - query: {order: A, merchant: nobody}\n",
			`f.yaml:4:33: steps[0].query.merchant: no merchant with ` + "`as: nobody`" + ` under merchants`},
		{"no channel anywhere", "name: x\nsteps:\n  - query: {order: A}\n",
			`f.yaml:3:12: steps[0].query.channel: required (no scenario-level ` + "`channel:`" + ` to default to)`},
		{"count not a number", head + "  - wait_callbacks: {order: A, count: many}\n",
			`f.yaml:4:39: steps[0].wait_callbacks.count: want a whole number, got "many"`},
		{"result check on advance", head + "  - advance: 1s\n    expect: {status: SUCCEEDED}\n",
			`f.yaml:5:13: steps[0].expect: a advance step has no result to check; use callbacks, records or statement here`},
		{"callback expect says nothing", head + "  - advance: 1s\n    expect: {callbacks: {order: A}}\n",
			`f.yaml:5:25: steps[0].expect.callbacks[0]: say what to check: parsed, rejected, acked or last_status`},
		{"statement line without order", head + "  - download_statement: {day: 2026-11-20}\n    expect: {statement: {contains: [{amount: \"1\"}]}}\n",
			`f.yaml:5:37: steps[0].expect.statement[0].contains[0]: name the record: order, refund or payout`},
		{"bad day", head + "  - download_statement: {day: 2026-02-30}\n",
			`f.yaml:4:31: steps[0].download_statement.day: bad day "2026-02-30" (want 2026-11-20)`},
		{"unknown variable", "name: x\nchannel: toy\nvars: {a: 1}\nsteps:\n  - advance: ${b}s\n",
			`f.yaml:5:14: steps[0].advance: unknown variable ${b}; defined: a`},
		{"steps not a list", "name: x\nsteps: {advance: 1s}\n", `f.yaml:2:8: steps: want a list, got a mapping`},
		{"duplicate key", "name: x\nname: y\nsteps:\n  - advance: 1s\n", `f.yaml:2:1: name: duplicate key`},
		{"yaml syntax", "name: [x\n", `f.yaml:1: YAML syntax: did not find expected ',' or ']'`},
		{"empty file", "", `f.yaml:1: empty file: want a scenario (name, steps, ...)`},
		{"two documents", "name: x\nsteps:\n  - advance: 1s\n---\nname: y\n", `f.yaml:4:1: more than one YAML document: put one scenario per file`},
		{"merchant without config", "name: x\nmerchants:\n  - channel: toy\nsteps:\n  - advance: 1s\n",
			"f.yaml:3:5: merchants[0].config: required: the channel's merchant document (e.g. mch_id, appids, key for wechat), or `adapter:` options for the demo merchant"},
		{"unknown channel", "name: x\nchannel: tyo\nsteps:\n  - advance: 1s\n", `f.yaml:2:10: channel: unknown channel "tyo"; known: toy, wechat`},
		{"bad method", head + "  - pay: {order: A, amount: \"1\", method: card}\n",
			`f.yaml:4:42: steps[0].pay.method: unknown method "card"; known: qr, app, jsapi, h5, web, barcode, token`},
		{"negative seed", "name: x\nseed: -1\nsteps:\n  - advance: 1s\n", `f.yaml:2:7: seed: want a non-negative whole number, got "-1"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tc.src), ParseOptions{Channels: []string{"toy", "wechat"}})
			if err == nil {
				t.Fatalf("no error; want %s", tc.want)
			}
			if !errors.Is(err, ErrBadScenario) {
				t.Errorf("error does not wrap ErrBadScenario: %v", err)
			}
			first := strings.SplitN(err.Error(), "\n", 2)[0]
			if first != tc.want {
				t.Errorf("got  %s\nwant %s", first, tc.want)
			}
		})
	}
}

func TestParse_ReportsEveryProblemInOneRun(t *testing.T) {
	src := "name: x\nchannel: toy\nsteps:\n  - pay: {order: A, amount: \"x\"}\n  - advance: soon\n  - query: {}\n"
	_, err := Parse("f.yaml", []byte(src), ParseOptions{})
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("want *ParseError, got %v", err)
	}
	if len(pe.Errs) != 3 {
		t.Fatalf("want 3 problems, got %d:\n%v", len(pe.Errs), err)
	}
	for i, line := range []int{4, 5, 6} {
		if pe.Errs[i].Line != line {
			t.Errorf("problem %d at line %d, want %d", i, pe.Errs[i].Line, line)
		}
	}
}

func TestParse_DefaultsApply(t *testing.T) {
	s, err := Parse("f.yaml", []byte("name: x\nchannel: toy\nsteps:\n  - pay: {order: A, amount: 12.5}\n  - wait_callbacks: {order: A}\n"), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	start, _ := parseTime(DefaultStart)
	if !s.Start.Equal(start) || s.Seed != 1 {
		t.Errorf("start %v seed %d", s.Start, s.Seed)
	}
	if p := s.Steps[0]; p.Amount != money.Fen(1250) || p.Method != channel.MethodQR || p.Subject != "scenario A" {
		t.Errorf("pay = %+v", p)
	}
	if w := s.Steps[1]; w.Count != 1 || w.Duration != DefaultWithin {
		t.Errorf("wait = %+v", w)
	}
}
