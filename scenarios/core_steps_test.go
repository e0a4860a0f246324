package scenarios

import (
	"errors"
	"strings"
	"testing"
)

func TestParse_CoreStepsDecodeTheirArguments(t *testing.T) {
	src := `name: core
target: gateway
channel: wechat
steps:
  - recon: {account: wechat, day: 2026-12-01, capture: {item: "items[0].id"}}
    expect: {result: {ok: false, counts.local_only: 1, "items[0].class": local_only}}
  - recon_resolve: {item: "${item}", action: adjust, actor: ops, reason: ticket}
    expect: {error: any}
  - settle: {day: 2026-12-01}
  - funds_arrived: {channel: wechat, day: 2026-12-01, amount: "100.39"}
  - ledger_verify: {}
  - ledger_verify:
  - tamper_db: {sql: "UPDATE accounts SET cp = 1 WHERE id = 3"}
  - payment: {id: pay_1}
  - audit: {action: balance.query}
`
	s, err := Parse("f.yaml", []byte(src), ParseOptions{Channels: []string{"wechat"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		action Action
		args   map[string]string
	}{
		{ActRecon, map[string]string{"account": "wechat", "day": "2026-12-01"}},
		{ActReconResolve, map[string]string{"item": "${item}", "action": "adjust", "actor": "ops", "reason": "ticket"}},
		{ActSettle, map[string]string{"day": "2026-12-01"}},
		{ActFundsArrived, map[string]string{"channel": "wechat", "day": "2026-12-01", "amount": "100.39 CNY"}},
		{ActLedgerVerify, map[string]string{}},
		{ActLedgerVerify, map[string]string{}},
		{ActTamperDB, map[string]string{"sql": "UPDATE accounts SET cp = 1 WHERE id = 3"}},
		{ActPayment, map[string]string{"id": "pay_1"}},
		{ActAudit, map[string]string{"action": "balance.query"}},
	}
	if len(s.Steps) != len(want) {
		t.Fatalf("%d steps, want %d", len(s.Steps), len(want))
	}
	for i, w := range want {
		st := s.Steps[i]
		if st.Action != w.action || st.Core == nil || len(st.Core.Args) != len(w.args) {
			t.Fatalf("step %d: %s %+v, want %s %v", i+1, st.Action, st.Core, w.action, w.args)
		}
		for k, v := range w.args {
			if st.Core.Args[k] != v {
				t.Errorf("step %d: %s = %q, want %q", i+1, k, st.Core.Args[k], v)
			}
		}
	}
	if c := s.Steps[0].Core.Capture["item"]; c != "items[0].id" {
		t.Errorf("capture = %q", c)
	}
	if e := s.Steps[0].Expect.Result; e == nil || len(e.JSON) != 3 || e.JSON[1].Path != "counts.local_only" || *e.JSON[1].Equals != "1" {
		t.Errorf("result checks = %+v", e)
	}
	if !s.Steps[1].Expect.AnyError {
		t.Errorf("error: any not decoded")
	}
}

func TestParse_BadCoreStepsNameFileLineAndField(t *testing.T) {
	head := "name: x\ntarget: gateway\nchannel: wechat\nsteps:\n"
	tests := []struct{ name, src, want string }{
		{"missing day", head + "  - recon: {account: wechat}\n",
			`f.yaml:5:12: steps[0].recon.day: required`},
		{"bad day", head + "  - settle: {day: 2026-13-01}\n",
			`f.yaml:5:19: steps[0].settle.day: bad day "2026-13-01" (want 2026-11-20)`},
		{"misspelt argument", head + "  - recon: {account: wechat, dya: 2026-12-01}\n",
			`f.yaml:5:30: steps[0].recon.dya: unknown field "dya" (did you mean "day"?); known fields: account, capture, day`},
		{"unknown action", head + "  - recon_resolve: {item: \"1\", action: ignore}\n",
			`f.yaml:5:40: steps[0].recon_resolve.action: unknown action "ignore"; known: confirm, exception, adjust`},
		{"bad amount", head + "  - funds_arrived: {channel: wechat, day: 2026-12-01, amount: \"1.001\"}\n",
			`f.yaml:5:63: steps[0].funds_arrived.amount: bad amount "1.001" (want yuan like "0.01" or "12.50 USD"): money: parsing "1.001": money: too many decimals`},
		{"zero amount", head + "  - funds_arrived: {channel: wechat, day: 2026-12-01, amount: \"0.00\"}\n",
			`f.yaml:5:63: steps[0].funds_arrived.amount: want a positive amount, got CNY 0.00`},
		{"unknown result field", head + "  - settle: {day: 2026-12-01}\n    expect: {result: {batch.net: \"1.00\"}}\n",
			`f.yaml:6:13: steps[0].expect.result.batch.net: a settle step's result has no field "batch"; known: created, existing, posted, items, batches, error`},
		{"capture of an unknown field", head + "  - recon: {account: wechat, day: 2026-12-01, capture: {n: item.id}}\n",
			`f.yaml:5:56: steps[0].recon.capture: a recon step's result has no field "item"; known: ok, agrees, counts, open, waiting, carried, carried_matched, channel_records, local_records, channel_net, local_net, balance, items, classes, totals_mismatch`},
		{"status on a core step", head + "  - settle: {day: 2026-12-01}\n    expect: {status: SUCCEEDED}\n",
			"f.yaml:6:13: steps[0].expect: a settle step is checked with `result:` (its JSON result) or `error: any` (it must fail)"},
		{"result on a channel step", head + "  - query: {order: A}\n    expect: {result: {ok: true}}\n",
			"f.yaml:6:13: steps[0].expect.result: only a core step (recon, recon_resolve, settle, funds_arrived, ledger_verify, tamper_db, payment, audit) has a result to check"},
		{"error and result", head + "  - settle: {day: 2026-12-01}\n    expect: {error: any, result: {created: 0}}\n",
			"f.yaml:6:13: steps[0].expect.result: a step that must fail (`error: any`) has no result to check"},
		{"arguments missing", head + "  - settle:\n",
			`f.yaml:5:12: steps[0].settle.day: required`},
		{"sql missing", head + "  - tamper_db: {}\n",
			`f.yaml:5:16: steps[0].tamper_db.sql: required`},
		{"http to nowhere", head + "  - http: {to: sim, path: /_sim/bank/sms}\n",
			`f.yaml:5:16: steps[0].http.to: want target (the default) or simulator (its control API), got "sim"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tc.src), ParseOptions{Channels: []string{"wechat"}})
			if err == nil {
				t.Fatalf("no error; want %s", tc.want)
			}
			if !errors.Is(err, ErrBadScenario) {
				t.Errorf("error does not wrap ErrBadScenario: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got  %s\nwant %s", err, tc.want)
			}
		})
	}
}
