package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeScenario writes a scenario file into dir and returns its path.
func writeScenario(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const passingScenario = `name: pays
tags: [smoke]
channel: wechat
steps:
  - pay: {order: CMDOK1, amount: "0.01"}
    expect: {status: PENDING}
`

const failingScenario = `name: expects too much
channel: wechat
steps:
  - pay: {order: CMDBAD1, amount: "0.01"}
    expect: {status: SUCCEEDED}
`

func TestScenarioRun_ExitStatusAndOutput(t *testing.T) {
	dir := t.TempDir()
	ok := writeScenario(t, dir, "ok.yaml", passingScenario)
	bad := writeScenario(t, dir, "bad.yaml", failingScenario)
	broken := writeScenario(t, dir, "broken.yaml", "name: x\nsteps:\n  - pay: {order: A, amount: lots}\n")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings
		stderr []string
	}{
		{"all pass", []string{"run", ok}, 0, []string{"PASS pays (1 steps)\n", "\n1 passed, 0 failed\n"}, nil},
		{"one fails", []string{"run", ok, bad}, 1, []string{"FAIL expects too much\n", "bad.yaml:5:13: step 1: expected status SUCCEEDED, got PENDING", "transcript:", "1 passed, 1 failed\n"}, nil},
		{"tag filter", []string{"run", "--tag", "smoke", ok, bad}, 0, []string{"1 passed, 0 failed\n"}, nil},
		{"flags after paths", []string{"run", ok, bad, "--tag=smoke"}, 0, []string{"1 passed, 0 failed\n"}, nil},
		{"tag matches nothing", []string{"run", "--tag", "nightly", ok}, 2, nil, []string{"no scenario carries tag nightly"}},
		{"bad file", []string{"run", ok, broken}, 2, nil, []string{"broken.yaml:3:29: steps[0].pay.amount: bad amount \"lots\""}},
		{"unknown channel", []string{"run", writeScenario(t, dir, "u.yaml", "name: u\nchannel: paypal\nsteps:\n  - advance: 1s\n")}, 2, nil, []string{`u.yaml:2:10: channel: unknown channel "paypal"; known: alipay, bank, unionpay, wechat`}},
		{"no paths", []string{"run"}, 2, nil, []string{"name at least one scenario file or folder"}},
		{"bad flag", []string{"run", "--nope", ok}, 2, nil, []string{"flag provided but not defined: -nope"}},
		{"help", []string{"run", "--help"}, 0, []string{"Usage: tongdao scenario run", "-junit FILE"}, nil},
		{"unknown subcommand", []string{"walk"}, 2, nil, []string{`unknown subcommand "walk"`}},
		{"missing path", []string{"run", filepath.Join(dir, "nope.yaml")}, 2, nil, []string{"nope.yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := scenarioMain(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr.String())
				}
			}
		})
	}
}

func TestScenarioRun_WritesJUnitAndTranscripts(t *testing.T) {
	dir := t.TempDir()
	ok := writeScenario(t, dir, "ok.yaml", passingScenario)
	bad := writeScenario(t, dir, "bad.yaml", failingScenario)
	junit := filepath.Join(dir, "out", "junit.xml")
	if err := os.MkdirAll(filepath.Dir(junit), 0o755); err != nil {
		t.Fatal(err)
	}
	tdir := filepath.Join(dir, "transcripts")
	var stdout, stderr bytes.Buffer
	if code := scenarioMain(context.Background(), []string{"run", "--junit", junit, "--transcripts", tdir, ok, bad}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("junit does not parse: %v\n%s", err, data)
	}
	if doc.Tests != 2 || doc.Failures != 1 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 2 {
		t.Fatalf("junit = %+v", doc)
	}
	if f := doc.Suites[0].Cases[1].Failure; f == nil || !strings.HasSuffix(f.Message, "bad.yaml:5:13: expected status SUCCEEDED, got PENDING") {
		t.Errorf("failure = %+v", f)
	}
	tr, err := os.ReadFile(filepath.Join(tdir, filepath.Base(dir), "ok.txt"))
	if err != nil || !strings.Contains(string(tr), "call wechat unifiedorder CMDOK1 status=200") {
		t.Errorf("transcript: %v\n%s", err, tr)
	}
}

func TestScenarioRun_BundledSuitesPassOrSkip(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := scenarioMain(context.Background(), []string{"run", "../../scenarios"}, &stdout, &stderr)
	out := stdout.String()
	if code != 0 || !strings.Contains(out, " passed, 0 failed\n") {
		t.Fatalf("exit %d\n%s%s", code, out, stderr.String())
	}
	if strings.Contains(out, "SKIP wechat") || strings.Contains(out, "SKIP unionpay") {
		t.Errorf("a WeChat or UnionPay suite was skipped:\n%s", out)
	}
}
