// Package scripts holds tests of the shell scripts beside it.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeGo answers the go commands fuzz.sh runs: one package with targets FuzzA (a shallow
// run of 6 executions, as a target stuck minimising reports) and FuzzB (fails once with
// Go 1.26's bare fuzztime-boundary deadline error, then passes). Every fuzz invocation's
// arguments are appended to $FAKEGO_LOG.
const fakeGo = `#!/usr/bin/env bash
set -u
case "$1 $2" in
  "list ./...") echo example.test/p ;;
  "list -f") echo "$FAKEGO_DIR" ;;
  "test -list") printf 'FuzzA\nFuzzB\nok example.test/p 0.01s\n' ;;
  "test -run")
    echo "$*" >>"$FAKEGO_LOG"
    case "$*" in
      *FuzzA*) printf 'fuzz: elapsed: 0s, gathering baseline coverage: 0/3 completed\nfuzz: elapsed: 2s, execs: 6 (3/sec), new interesting: 1 (total: 4)\nPASS\n' ;;
      *FuzzB*)
        if [ ! -e "$FAKEGO_DIR/b-once" ]; then
          touch "$FAKEGO_DIR/b-once"
          printf -- '--- FAIL: FuzzB (2.00s)\n    context deadline exceeded\nFAIL\n'
          exit 1
        fi
        printf 'fuzz: elapsed: 2s, execs: 52311 (26155/sec), new interesting: 0 (total: 9)\nPASS\n' ;;
    esac ;;
  *) echo "fake go: unexpected $*" >&2; exit 3 ;;
esac
`

func TestFuzzScript_MinimiseTimeExecutionCountsAndReRun(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	tmp := t.TempDir()
	bin, pkg := filepath.Join(tmp, "bin"), filepath.Join(tmp, "pkg")
	for _, d := range []string{bin, pkg} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkg, "x_test.go"), []byte("package p\n\nfunc FuzzA(f *testing.F) {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	argLog := filepath.Join(tmp, "args")
	cmd := exec.Command("bash", "fuzz.sh")
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKEGO_DIR="+pkg, "FAKEGO_LOG="+argLog, "FUZZTIME=2s")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("fuzz.sh: %v\n%s", err, out)
	}
	for _, want := range []string{
		"fuzz: FuzzA: 6 executions",
		"WARNING: FuzzA made only 6 executions in 2s",
		"fuzz: FuzzB: 52311 executions",
		"golang/go#75804); running it again",
		"2 targets ran for 2s each, no failures (1 re-run after Go's fuzztime race; 1 shallow",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "WARNING: FuzzB") {
		t.Errorf("FuzzB flagged as shallow:\n%s", out)
	}
	args, err := os.ReadFile(argLog)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(args)), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d fuzz runs, want 3 (A, B, B again):\n%s", len(lines), args)
	}
	for _, l := range lines {
		if !strings.Contains(l, "-fuzzminimizetime 1s") {
			t.Errorf("run without a short -fuzzminimizetime: %s", l)
		}
	}
}
