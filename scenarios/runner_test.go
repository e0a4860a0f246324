package scenarios_test

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/scenarios"
	"github.com/tongdao/tongdao/simulator"
)

var update = flag.Bool("update", false, "rewrite golden files")

const toyMerchants = `
name: merchants
channel: toy
merchants:
  - {channel: toy, as: certs, adapter: {cert_mode: true}}
  - {channel: toy, as: second, config: {id: M2, key: k2}}
steps:
  - pay: {order: A, amount: "1", merchant: certs}
  - payer_pay: {order: A, merchant: certs}
  - pay: {order: B, amount: "2", merchant: second}
  - payer_pay: {order: B, merchant: second}
  - wait_callbacks: {order: B}
expect:
  callbacks: [{order: A, parsed: 1}, {order: B, parsed: 1}]
`

const toyHappy = `
name: toy happy path
tags: [smoke]
channel: toy
start: "2026-11-20T23:59:00+08:00"
seed: 3
steps:
  - pay: {order: A1, amount: "1.00"}
    expect: {status: PENDING, amount: "1.00"}
  - fault: {kind: duplicate_callbacks, op: payment, order: A1, count: 1, spacing: 30s}
  - fault: {kind: forged_callback, op: payment, order: A1}
  - payer_pay: {order: A1}
  - wait_callbacks: {order: A1, count: 2, within: 5m}
    expect:
      callbacks: {order: A1, parsed: 2, rejected: 1, acked: 2, last_status: SUCCEEDED}
  - fault: {kind: timeout_after, op: refund, order: A1, first: 1}
  - refund: {order: A1, refund: R1, amount: "0.40"}
    expect: {error: unknown_outcome}
  - refund: {order: A1, refund: R1, amount: "0.40"}
    expect: {status: SUCCEEDED, amount: "0.40"}
  - refund: {order: A1, refund: R2, amount: "0.61"}
    expect: {error: invalid_request, code: TOO_MUCH, retryable: false}
  - query: {order: A1}
    expect: {status: REFUNDED, refunded_amount: "0.40"}
  - close: {order: A1}
    expect: {error: already_done}
  - payer_cancel: {order: A1}
    expect: {error: already_done}
  - query: {order: NOPE}
    expect: {error: not_found}
  - query: {order: A1}
    expect: {status: REFUNDED, error: not_found}
  - download_statement: {day: 2026-11-20}
    expect: {error: unavailable}
  - fault: {kind: http_5xx, op: query, order: A1}
  - clear_faults: true
  - set_time: "2026-11-21 01:00:00"
  - download_statement: {day: 2026-11-20}
    expect:
      statement:
        count: 2
        contains: [{order: A1, type: payment, amount: "1.00", day: 2026-11-20}, {refund: R1, type: refund, amount: "0.40"}]
        lacks: [{refund: R2}]
expect:
  callbacks: [{order: A1, type: refund, parsed: 1}]
  records:
    - {kind: call, op: refund, order: A1, count: 3}
    - {kind: call, op: refund, fault: timeout_after, count: 1}
    - {kind: payer, order: A1, min: 2, max: 2}
  statement: {day: 2026-11-20, contains: [{refund: R1}]}
`

func runToy(t *testing.T, src string) scenarios.Result {
	t.Helper()
	sc, err := parseToy("toy.yaml", src)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	res, err := scenarios.Run(context.Background(), []*scenarios.Scenario{sc}, toyOptions())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
	return res[0]
}

func TestRun_ToyScenarioPassesEveryKindOfStep(t *testing.T) {
	r := runToy(t, toyHappy)
	if !r.Passed {
		t.Fatalf("failed:\n%s", scenarios.FormatFailure(r))
	}
	if r.Steps != 19 {
		t.Errorf("steps = %d, want 19", r.Steps)
	}
}

func TestRun_SameSeedSameTranscript(t *testing.T) {
	a := runToy(t, toyHappy)
	b := runToy(t, toyHappy)
	if !slices.Equal(a.Transcript, b.Transcript) {
		t.Fatalf("transcripts differ:\n%s\n----\n%s", strings.Join(a.Transcript, "\n"), strings.Join(b.Transcript, "\n"))
	}
	c := runToy(t, strings.Replace(toyHappy, "seed: 3", "seed: 4", 1))
	if slices.Equal(a.Transcript[1:], c.Transcript[1:]) {
		t.Errorf("a different seed gave the same transcript (ids are not drawn from the seed?)")
	}
}

// TestRun_FailureNamesFirstFailingExpectation checks the failure's position, step and
// message, and that the steps after it do not run.
func TestRun_FailureNamesFirstFailingExpectation(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		line  int
		step  int
		steps int
		msg   string
	}{
		{"wrong status", `
name: s
channel: toy
steps:
  - pay: {order: A, amount: "1"}
  - query: {order: A}
    expect: {status: SUCCEEDED}
  - query: {order: A}
`, 6, 2, 1, "expected status SUCCEEDED, got PENDING"},
		{"error expected, success came", `
name: s
channel: toy
steps:
  - pay: {order: A, amount: "1"}
    expect: {error: unknown_outcome}
`, 5, 1, 0, "expected error unknown_outcome, got status PENDING"},
		{"unexpected error without expect", `
name: s
channel: toy
steps:
  - query: {order: A}
`, 4, 1, 0, "query failed: toy query: NOT_FOUND: (not found) (add `expect: {error: not_found}` if that is intended)"},
		{"wrong error kind", `
name: s
channel: toy
steps:
  - query: {order: A}
    expect: {error: [declined, unavailable]}
`, 5, 1, 0, "expected error declined or unavailable, got error not_found: toy query: NOT_FOUND: (not found)"},
		{"neither status nor error", `
name: s
channel: toy
steps:
  - query: {order: A}
    expect: {status: PENDING, error: declined}
`, 5, 1, 0, "expected status PENDING or error declined, got error not_found: toy query: NOT_FOUND: (not found)"},
		{"wrong amount", `
name: s
channel: toy
steps:
  - pay: {order: A, amount: "1"}
    expect: {amount: "2.00"}
`, 5, 1, 0, "expected amount CNY 2.00, got CNY 1.00"},
		{"callback count", `
name: s
channel: toy
steps:
  - pay: {order: A, amount: "1"}
  - payer_pay: {order: A}
  - advance: 1m
    expect:
      callbacks: {order: A, parsed: 2}
`, 8, 3, 2, "expected 2 parsed toy callbacks for order A, got 1"},
		{"wait times out", `
name: s
channel: toy
steps:
  - fault: {kind: missing_callbacks, order: A}
  - pay: {order: A, amount: "1"}
  - payer_pay: {order: A}
  - wait_callbacks: {order: A, within: 10m}
`, 7, 4, 3, "wait_callbacks: 0 of 1 callback(s) for order A parsed within 10m0s (until 2026-11-20 10:10:00)"},
		{"record count at scenario level", `
name: s
channel: toy
steps:
  - pay: {order: A, amount: "1"}
expect:
  records: {kind: call, op: pay, count: 2}
`, 6, 0, 1, "expected 2 simulator records with channel=toy kind=call op=pay, got 1"},
		{"statement lacks", `
name: s
channel: toy
start: "2026-11-20T10:00:00+08:00"
steps:
  - pay: {order: A, amount: "1"}
  - payer_pay: {order: A}
  - set_time: "2026-11-21 02:00:00"
  - download_statement: {day: 2026-11-20}
    expect:
      statement: {lacks: [{order: A}]}
`, 10, 4, 3, "expected the statement to lack order A (toy.yaml:10:27); it has: payment A CNY 1.00 SUCCEEDED day=2026-11-20"},
		{"payer on unknown order", `
name: s
channel: toy
steps:
  - payer_pay: {order: GHOST}
`, 4, 1, 0, `payer_pay failed: toy payer pay: order "GHOST": simulator: not found (not found) (add ` + "`expect: {error: not_found}`" + ` if that is intended)`},
		{"merchant refused", `
name: s
channel: toy
merchants:
  - channel: toy
    config: {id: M2, colour: red}
steps:
  - advance: 1s
`, 4, 0, 0, `merchant of toy refused by the simulator: field "body": json: unknown field "colour"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runToy(t, tc.src)
			if r.Passed || r.Failure == nil {
				t.Fatalf("passed; want failure %q", tc.msg)
			}
			f := r.Failure
			if f.Pos.Line != tc.line || f.Step != tc.step || f.Message != tc.msg {
				t.Errorf("got line %d step %d %q\nwant line %d step %d %q", f.Pos.Line, f.Step, f.Message, tc.line, tc.step, tc.msg)
			}
			if r.Steps != tc.steps {
				t.Errorf("steps run = %d, want %d", r.Steps, tc.steps)
			}
			if len(f.Excerpt) == 0 || !strings.Contains(strings.Join(f.Excerpt, "\n"), "FAILED: "+tc.msg) {
				t.Errorf("excerpt does not end with the failure:\n%s", strings.Join(f.Excerpt, "\n"))
			}
		})
	}
}

func TestRun_ChannelWithoutFactorySkipsTheScenario(t *testing.T) {
	sc, err := scenarios.Parse("x.yaml", []byte("name: x\nchannel: wechat\nsteps:\n  - query: {order: A}\n"), scenarios.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := scenarios.Run(context.Background(), []*scenarios.Scenario{sc}, toyOptions())
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Passed || !r.Skipped || r.Failure != nil || r.SkipReason != "no adapter in this build for wechat" {
		t.Fatalf("got %+v", r)
	}
}

func TestRun_ChannelTheSimulatorDoesNotServeIsSkipped(t *testing.T) {
	sc, err := scenarios.Parse("x.yaml", []byte("name: x\nchannel: toy\nsteps:\n  - query: {order: A}\n"), scenarios.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	opts := toyOptions()
	opts.Protocols = func() ([]simulator.Protocol, error) { return nil, nil }
	res, err := scenarios.Run(context.Background(), []*scenarios.Scenario{sc}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; !r.Skipped || r.SkipReason != "the simulator does not serve toy" {
		t.Fatalf("got %+v", r)
	}
}

func TestRun_NeedsProtocolsInProcess(t *testing.T) {
	if _, err := scenarios.Run(context.Background(), nil, scenarios.Options{}); err == nil {
		t.Fatal("Run without Protocols or SimURL did not fail")
	}
}

func TestRun_AgainstARemoteSimulatorShiftsPastItsClock(t *testing.T) {
	protos, _ := newToyProtocols()
	ts := simulatorStart(t, protos)
	opts := toyOptions()
	opts.Protocols = nil
	opts.SimURL = ts
	sc, err := parseToy("toy.yaml", toyHappy)
	if err != nil {
		t.Fatal(err)
	}
	merchants, err := parseToy("merchants.yaml", toyMerchants)
	if err != nil {
		t.Fatal(err)
	}
	// Twice: the second run starts with the clock past the scenario's start.
	res, err := scenarios.Run(context.Background(), []*scenarios.Scenario{sc, sc, merchants}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if !r.Passed {
			t.Fatalf("run %d failed:\n%s", i, scenarios.FormatFailure(r))
		}
	}
	if !strings.Contains(strings.Join(res[1].Transcript, "\n"), "scenario shifted 7 days later") {
		t.Errorf("second run was not shifted:\n%s", strings.Join(res[1].Transcript[:3], "\n"))
	}
}

func TestFilterTags_KeepsScenariosWithAnyTag(t *testing.T) {
	var list []*scenarios.Scenario
	for _, src := range []string{"name: a\ntags: [smoke]\nchannel: toy\nsteps:\n  - advance: 1s\n",
		"name: b\ntags: [slow, refunds]\nchannel: toy\nsteps:\n  - advance: 1s\n",
		"name: c\nchannel: toy\nsteps:\n  - advance: 1s\n"} {
		sc, err := parseToy("t.yaml", src)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, sc)
	}
	names := func(l []*scenarios.Scenario) string {
		var n []string
		for _, s := range l {
			n = append(n, s.Name)
		}
		return strings.Join(n, ",")
	}
	for _, tc := range []struct {
		tags []string
		want string
	}{{nil, "a,b,c"}, {[]string{"smoke"}, "a"}, {[]string{"refunds", "smoke"}, "a,b"}, {[]string{"nightly"}, ""}} {
		if got := names(scenarios.FilterTags(list, tc.tags)); got != tc.want {
			t.Errorf("tags %v: got %q, want %q", tc.tags, got, tc.want)
		}
	}
}

func TestWriteText_GoldenOutput(t *testing.T) {
	results := goldenResults(t)
	var b bytes.Buffer
	failed, err := scenarios.WriteText(&b, results)
	if err != nil || failed != 1 {
		t.Fatalf("failed=%d err=%v", failed, err)
	}
	golden(t, "testdata/report.golden.txt", b.Bytes())
	if !strings.HasSuffix(b.String(), "\n1 skipped\n1 passed, 1 failed\n") {
		t.Errorf("summary line missing: %q", b.String())
	}
}

func TestWriteJUnit_GoldenOutput(t *testing.T) {
	results := goldenResults(t)
	var b bytes.Buffer
	if err := scenarios.WriteJUnit(&b, results); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/junit.golden.xml", b.Bytes())
}

// goldenResults runs one passing and one failing toy scenario, with fixed elapsed times.
func goldenResults(t *testing.T) []scenarios.Result {
	t.Helper()
	pass := runToy(t, "name: passes\ntags: [smoke, pay]\nseed: 7\nchannel: toy\nsteps:\n  - pay: {order: A, amount: \"1\"}\n    expect: {status: PENDING}\n")
	fail := runToy(t, "name: fails <&>\nchannel: toy\nsteps:\n  - pay: {order: A, amount: \"1\"}\n  - query: {order: A}\n    expect: {status: SUCCEEDED, records: [{kind: call, op: query, count: 2}]}\n  - advance: 1s\n")
	pass.Elapsed, fail.Elapsed = 1500*time.Millisecond, 250*time.Millisecond
	other, err := scenarios.Parse("other/skip.yaml", []byte("name: skipped\nchannel: alipay\nsteps:\n  - advance: 1s\n"), scenarios.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	skip, err := scenarios.Run(context.Background(), []*scenarios.Scenario{other}, toyOptions())
	if err != nil {
		t.Fatal(err)
	}
	skip[0].Elapsed = 0
	return []scenarios.Result{pass, fail, skip[0]}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update after checking):\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// simulatorStart serves protos on a loopback port for the test and returns its URL.
func simulatorStart(t *testing.T, protos []simulator.Protocol) string {
	t.Helper()
	return simulator.Start(t, simulator.Config{Protocols: protos}).URL
}

func TestRun_MerchantsReachTheFactoryWithTheirOptions(t *testing.T) {
	var got []scenarios.MerchantConfig
	opts := toyOptions()
	opts.Factories["toy"] = func(simURL string, m scenarios.MerchantConfig, hc *http.Client) (channel.Channel, error) {
		got = append(got, m)
		return toyFactory(simURL, m, hc)
	}
	sc, err := parseToy("toy.yaml", toyMerchants)
	if err != nil {
		t.Fatal(err)
	}
	res, err := scenarios.Run(context.Background(), []*scenarios.Scenario{sc}, opts)
	if err != nil || !res[0].Passed {
		t.Fatalf("err %v failure %s", err, scenarios.FormatFailure(res[0]))
	}
	if len(got) != 2 {
		t.Fatalf("factory called %d times", len(got))
	}
	a, b := got[0], got[1]
	if !a.Demo || a.ID != "T100" || string(a.Adapter) != `{"cert_mode":true}` || a.NotifyURL != "http://merchant.tongdao.test/notify/toy/certs" || a.Clock == nil {
		t.Errorf("demo merchant config = %+v", a)
	}
	if b.Demo || b.ID != "M2" || string(b.Config) != `{"id":"M2","key":"k2"}` || b.Adapter != nil || b.NotifyURL != "http://merchant.tongdao.test/notify/toy/second" {
		t.Errorf("declared merchant config = %+v", b)
	}
}
