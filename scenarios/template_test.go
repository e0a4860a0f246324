package scenarios_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/scenarios"
)

func toyParseAll(t *testing.T, src string, readFile func(string) ([]byte, error)) ([]*scenarios.Scenario, error) {
	t.Helper()
	return scenarios.ParseAll("t.yaml", []byte(strings.TrimLeft(src, "\n")), scenarios.ParseOptions{Channels: []string{"toy", "wechat", "alipay"}, ReadFile: readFile})
}

func TestParse_AnchorsAndMergeKeysWork(t *testing.T) {
	_, err := toyParseAll(t, `
name: anchors
channel: toy
x-pay: &pay {order: A, amount: "1.00"}
steps:
  - pay: *pay
    expect: &pending {status: PENDING}
  - pay: {<<: *pay, order: B}
    expect: *pending
`, nil)
	if err == nil || !strings.Contains(err.Error(), `unknown field "x-pay"`) {
		// Anchored values must live where the format accepts them; an unknown
		// top-level key is still an error.
		t.Fatalf("want unknown field x-pay, got %v", err)
	}
	list, err := toyParseAll(t, `
name: anchors
channel: toy
steps:
  - pay: &pay {order: A, amount: "1.00"}
    expect: &pending {status: PENDING}
  - pay: {<<: *pay, order: B}
    expect: *pending
  - query: {order: B}
    expect: *pending
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := list[0]
	if len(sc.Steps) != 3 || sc.Steps[1].Order != "B" || sc.Steps[1].Amount.String() != "CNY 1.00" {
		t.Fatalf("steps = %+v", sc.Steps)
	}
	for i, st := range sc.Steps {
		if st.Expect == nil || len(st.Expect.Status) != 1 || st.Expect.Status[0] != channel.StatusPending {
			t.Errorf("step %d expect = %+v", i+1, st.Expect)
		}
	}
}

func TestParse_AliasBombIsRefused(t *testing.T) {
	src := "name: bomb\nchannel: toy\nsteps:\n  - advance: 1s\n    expect:\n      records:\n"
	src += "        - &a0 {kind: call}\n"
	// Each level doubles: 2^20 copies if expanded.
	prev := "a0"
	for i := 1; i <= 20; i++ {
		name := "a" + string(rune('a'+i))
		src += "        - &" + name + " [*" + prev + ", *" + prev + "]\n"
		prev = name
	}
	_, err := toyParseAll(t, src, nil)
	if err == nil || !strings.Contains(err.Error(), "aliases expand to more than") {
		t.Fatalf("want the expansion limit, got %v", err)
	}
}

func TestParseAll_MatrixRunsOneScenarioPerCombination(t *testing.T) {
	_, err := toyParseAll(t, `
name: pay ${amount} on ${ch}
matrix:
  ch: [toy, wechat]
  amount: ["0.01", "100.00"]
vars:
  order: O-${ch}-${amount}
channel: ${ch}
tags: [matrix, "${ch}"]
steps:
  - pay: {order: "${order}", amount: "${amount}"}
    expect: {status: PENDING, amount: "${amount}"}
  - advance: ${n}s
`, nil)
	if err == nil || !strings.Contains(err.Error(), "t.yaml:12:14: steps[1].advance: unknown variable ${n}; defined: amount, ch, order") {
		t.Fatalf("want an unknown-variable error with file:line, got %v", err)
	}
	list, err := toyParseAll(t, `
name: pay ${amount} on ${ch}
matrix:
  ch: [toy, wechat]
  amount: ["0.01", "100.00"]
vars:
  order: O-${ch}-${amount}
  wait: 5
channel: ${ch}
tags: [matrix, "${ch}"]
steps:
  - pay: {order: "${order}", amount: "${amount}"}
    expect: {status: PENDING, amount: "${amount}"}
  - wait_callbacks: {order: "${order}", count: "${wait}", within: 1m}
  - advance: 1s
    expect: {records: [{kind: call, order: "$${literal}", count: 0}]}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pay 0.01 on toy", "pay 100.00 on toy", "pay 0.01 on wechat", "pay 100.00 on wechat"}
	if len(list) != len(want) {
		t.Fatalf("%d scenarios", len(list))
	}
	for i, sc := range list {
		if sc.Name != want[i] {
			t.Errorf("scenario %d name %q, want %q", i, sc.Name, want[i])
		}
		ch := strings.Fields(want[i])[3]
		amt := strings.Fields(want[i])[1]
		if sc.Channel != ch || sc.Steps[0].Order != "O-"+ch+"-"+amt || sc.Steps[0].Amount.String() != "CNY "+amt || !sc.HasTag(ch) {
			t.Errorf("scenario %d: channel %s order %s amount %s tags %v", i, sc.Channel, sc.Steps[0].Order, sc.Steps[0].Amount, sc.Tags)
		}
		if sc.Steps[1].Count != 5 {
			t.Errorf("count from a variable = %d", sc.Steps[1].Count)
		}
		if got := sc.Steps[2].Expect.Records[0].Order; got != "${literal}" {
			t.Errorf("escaped $${ = %q", got)
		}
		if sc.Instance == "" || sc.Pos.Line != 1 {
			t.Errorf("instance %q pos %v", sc.Instance, sc.Pos)
		}
	}
	// A name without variables gets the combination appended, so names stay unique.
	list, err = toyParseAll(t, "name: same\nchannel: toy\nmatrix: {n: [1, 2]}\nsteps:\n  - advance: ${n}s\n", nil)
	if err != nil || len(list) != 2 || list[1].Name != "same [n=2]" || list[1].Steps[0].Duration.String() != "2s" {
		t.Fatalf("err %v list %v", err, list)
	}
	// Parse refuses a file that defines several scenarios.
	if _, err := scenarios.Parse("t.yaml", []byte("name: same\nchannel: toy\nmatrix: {n: [1, 2]}\nsteps:\n  - advance: ${n}s\n"), scenarios.ParseOptions{}); err == nil || !strings.Contains(err.Error(), "defines 2 scenarios") {
		t.Fatalf("Parse of a matrix: %v", err)
	}
}

func TestParseAll_IncludeSplicesStepsAndKeepsTheirFileAndLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("flows/pay-and-refund.inc.yaml", `vars: {refund: "0.40"}
steps:
  - pay: {order: "${order}", amount: "1.00"}
  - payer_pay: {order: "${order}"}
  - refund: {order: "${order}", refund: "R-${order}", amount: "${refund}"}
    expect: {status: SUCCEEDED, amount: "${refund}"}
`)
	write("flows/broken.inc.yaml", "- pay: {order: X, amount: lots}\n")
	main := write("suite/main.yaml", `name: includes
channel: toy
steps:
  - include: {file: ../flows/pay-and-refund.inc.yaml, vars: {order: A}}
  - include: {file: ../flows/pay-and-refund.inc.yaml, vars: {order: B, refund: "1.00"}}
  - query: {order: B}
    expect: {status: REFUNDED}
`)
	list, err := scenarios.LoadPaths([]string{filepath.Join(dir, "suite")}, scenarios.ParseOptions{Channels: []string{"toy"}})
	if err != nil {
		t.Fatal(err)
	}
	sc := list[0]
	if len(sc.Steps) != 7 {
		t.Fatalf("%d steps", len(sc.Steps))
	}
	if sc.Steps[2].Refund != "R-A" || sc.Steps[2].Amount.String() != "CNY 0.40" || sc.Steps[5].Amount.String() != "CNY 1.00" || sc.Steps[6].Index != 7 {
		t.Errorf("steps: %+v", sc.Steps)
	}
	if p := sc.Steps[2].Pos; !strings.HasSuffix(p.File, "flows/pay-and-refund.inc.yaml") || p.Line != 5 {
		t.Errorf("included step pos = %v", p)
	}
	res, err := scenarios.Run(context.Background(), list, toyOptions())
	if err != nil || !res[0].Passed {
		t.Fatalf("run: %v %s", err, scenarios.FormatFailure(res[0]))
	}
	// Errors in an included file name that file and line.
	write("suite/main.yaml", "name: includes\nchannel: toy\nsteps:\n  - include: ../flows/broken.inc.yaml\n  - include: ../flows/missing.inc.yaml\n")
	_, err = scenarios.LoadPaths([]string{main}, scenarios.ParseOptions{Channels: []string{"toy"}})
	if err == nil || !errors.Is(err, scenarios.ErrBadScenario) {
		t.Fatalf("want a bad file, got %v", err)
	}
	for _, want := range []string{"flows/broken.inc.yaml:1:27: steps[0].pay.amount: bad amount \"lots\"", "main.yaml:5:14: include: cannot read", "missing.inc.yaml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// Without a file system (Parse of bytes), includes are refused clearly.
	if _, err := toyParseAll(t, "name: x\nchannel: toy\nsteps:\n  - include: a.inc.yaml\n", nil); err == nil || !strings.Contains(err.Error(), "includes need files") {
		t.Errorf("include without ReadFile: %v", err)
	}
	// A file that includes itself stops at the depth limit.
	self := write("suite/self.inc.yaml", "- include: self.inc.yaml\n")
	_ = self
	write("suite/main.yaml", "name: includes\nchannel: toy\nsteps:\n  - include: self.inc.yaml\n")
	if _, err = scenarios.LoadPaths([]string{main}, scenarios.ParseOptions{Channels: []string{"toy"}}); err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("include cycle: %v", err)
	}
}

func TestLoadPaths_DuplicateNameReportedAlongsideOtherErrors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"a.yaml": "name: twin\nchannel: toy\nsteps:\n  - pay: {order: A, amount: lots}\n",
		"b.yaml": "name: twin\nchannel: toy\nsteps:\n  - advance: 1s\n",
		"c.yaml": "name: other\nchannel: toy\nsteps:\n  - advance: forever\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := scenarios.LoadPaths([]string{dir}, scenarios.ParseOptions{Channels: []string{"toy"}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"a.yaml:4:", "c.yaml:4:", `b.yaml:1:1: name: scenario name "twin" is also used by ` + filepath.Join(dir, "a.yaml")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestParseAll_ExponentialIncludesAreBounded(t *testing.T) {
	inc := "- include: a.inc.yaml\n- include: a.inc.yaml\n- include: a.inc.yaml\n- include: a.inc.yaml\n- advance: 1s\n"
	read := func(name string) ([]byte, error) {
		if name == "a.inc.yaml" {
			return []byte(inc), nil
		}
		return nil, os.ErrNotExist
	}
	src := "name: n${i}\nchannel: toy\nmatrix: {i: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}\nsteps:\n  - include: a.inc.yaml\n"
	// 4^8 steps per instance, 16 instances: without the bounds this never finishes.
	_, err := toyParseAll(t, src, read)
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("want a bound, got %v", err)
	}
}

func TestParseAll_AnErrorInOneCombinationNamesIt(t *testing.T) {
	_, err := toyParseAll(t, "name: p ${a}\nchannel: toy\nmatrix: {a: [\"1.00\", lots, \"2.00\"]}\nsteps:\n  - pay: {order: A, amount: \"${a}\"}\n  - advance: forever\n", nil)
	if err == nil {
		t.Fatal("no error")
	}
	got := err.Error()
	for _, want := range []string{`t.yaml:5:29: steps[0].pay.amount: bad amount "lots"`, "(matrix a=lots)", "t.yaml:6:14: steps[1].advance: "} {
		if !strings.Contains(got, want) {
			t.Errorf("error lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "steps[1].advance") != 1 || strings.Contains(got, "forever\" (want a duration like 90s, 5m or 1h30m) (matrix") {
		t.Errorf("an error of every combination is reported once, without a combination:\n%s", got)
	}
}
