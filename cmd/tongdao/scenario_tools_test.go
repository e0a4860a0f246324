package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/simulator"
)

func TestScenarioValidateListAndExitCodes(t *testing.T) {
	dir := t.TempDir()
	ok := writeScenario(t, dir, "ok.yaml", passingScenario)
	matrix := writeScenario(t, dir, "matrix.yaml", "name: pay ${amount}\ntags: [matrix]\nchannel: wechat\nmatrix: {amount: [\"0.01\", \"2.00\"]}\nsteps:\n  - pay: {order: M1, amount: \"${amount}\"}\n")
	broken := writeScenario(t, dir, "broken.yaml", "name: x\nsteps:\n  - pay: {order: A, amount: lots}\n")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"validate good", []string{"validate", ok, matrix}, 0, []string{"ok: 3 scenarios in 2 files\n"}, nil},
		{"validate bad", []string{"validate", ok, broken}, 2, nil, []string{"broken.yaml:3:29: steps[0].pay.amount: bad amount \"lots\""}},
		{"validate nothing", []string{"validate"}, 2, nil, []string{"name at least one scenario file or folder"}},
		{"list", []string{"list", ok, matrix}, 0, []string{"pays      [smoke]   " + ok + ":1:1\n", "pay 0.01  [matrix]  " + matrix + ":1:1\n", "pay 2.00", "3 scenarios\n"}, nil},
		{"list tag", []string{"list", "--tag", "smoke", ok, matrix}, 0, []string{"1 scenarios\n"}, nil},
		{"list bad", []string{"list", broken}, 2, nil, []string{"bad scenario files"}},
		{"unreachable sim", []string{"run", "--sim", "http://127.0.0.1:1", ok}, 3, nil, []string{"simulator unreachable"}},
		{"bad parallel", []string{"run", "--parallel", "0", ok}, 2, nil, []string{"--parallel must be 1 or more"}},
		{"parallel run", []string{"run", "--parallel", "3", ok, matrix}, 0, []string{"3 passed, 0 failed\n"}, nil},
		{"help names exit 3", []string{"--help"}, 0, []string{"3  could not reach the simulator", "scenario validate", "scenario list"}, nil},
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

func TestScenarioRun_TranscriptsOfSameNamedFilesInTwoFolders(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"wechat", "alipay"} {
		if err := os.MkdirAll(filepath.Join(dir, "suites", sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeScenario(t, filepath.Join(dir, "suites", "wechat"), "refund.yaml", passingScenario)
	writeScenario(t, filepath.Join(dir, "suites", "alipay"), "refund.yaml", strings.Replace(passingScenario, "name: pays", "name: pays too", 1))
	tdir := filepath.Join(dir, "out")
	html := filepath.Join(dir, "report.html")
	var stdout, stderr bytes.Buffer
	if code := scenarioMain(context.Background(), []string{"run", "--transcripts", tdir, "--html", html, filepath.Join(dir, "suites")}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	for _, name := range []string{"suites/wechat/refund.txt", "suites/alipay/refund.txt"} {
		b, err := os.ReadFile(filepath.Join(tdir, filepath.FromSlash(name)))
		if err != nil || !strings.Contains(string(b), "unifiedorder") {
			t.Errorf("%s: %v", name, err)
		}
	}
	b, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(b), "pays too") {
		t.Errorf("html: %v", err)
	}
}

// TestScenarioRun_BundledSuitesInNamespacesOfOneSimulator runs the WeChat and Alipay
// suites against one `sim serve`-style simulator with namespaces, four at a time: every
// adapter reaches its namespace under a path prefix (Alipay's bill URL included).
func TestScenarioRun_BundledSuitesInNamespacesOfOneSimulator(t *testing.T) {
	protos, err := simProtocols()
	if err != nil {
		t.Fatal(err)
	}
	cfg := simulator.Config{Protocols: protos, Seed: 1}
	root, err := simulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(simulator.NewNamespaces(root, namespaceFactory(cfg, nil), 16))
	defer ts.Close()
	var stdout, stderr bytes.Buffer
	code := scenarioRun(context.Background(), []string{"--sim", ts.URL, "--parallel", "4", "../../scenarios/wechat", "../../scenarios/alipay"}, &stdout, &stderr, scenarioFactories(), nil)
	if code != 0 || !strings.Contains(stdout.String(), " passed, 0 failed\n") || strings.Contains(stdout.String(), "SKIP") {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if n := strings.Count(stdout.String(), "PASS "); n < 15 {
		t.Errorf("only %d scenarios passed:\n%s", n, stdout.String())
	}
}
