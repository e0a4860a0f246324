#!/usr/bin/env bash
# Runs every Go fuzz target in the module for $FUZZTIME each (default 2s).
# `go test -fuzz` accepts one target per package per run, so list them first.
#
# Go 1.26's fuzz coordinator can report a bare "context deadline exceeded" as a
# failure when -fuzztime runs out while a worker is still answering (a race in
# internal/fuzz's stop filter, golang/go#75804, fixed in Go 1.27). Such a run
# writes no failing input. On this 2-core machine it hit about one target in 30,
# so a target that fails that way, and only that way, is run again, up to three
# runs in all; any other failure, or a third bare one, fails the smoke. A failure
# that writes an input under testdata/fuzz/<target> always fails at once.
#
# -fuzzminimizetime is $FUZZMINIMIZETIME (default 1s; Go's own default is 60s, so a
# target that finds an interesting input could spend its whole budget minimising it
# and report PASS after a handful of executions). Each target's execution count is
# printed, and one under $FUZZMINEXECS (default 100) is flagged as a shallow run.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-2s}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-1s}
FUZZMINEXECS=${FUZZMINEXECS:-100}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

corpus_count() { # files in a target's committed/written corpus
  local d="$1/testdata/fuzz/$2"
  if [ -d "$d" ]; then find "$d" -type f | wc -l; else echo 0; fi
}

# bare_deadline LOG: the run failed with the coordinator's deadline error and
# nothing else went wrong (no panic, no failing input, no t.Error output).
bare_deadline() {
  grep -q '^    context deadline exceeded$' "$1" &&
    ! grep -q -e 'Failing input written' -e '^panic:' -e '_test.go:[0-9]*:' "$1"
}

# execs LOG: the last execution count the fuzzer reported ("execs: N"), or 0.
execs() {
  local n
  n=$(grep -o 'execs: [0-9]*' "$1" | tail -1 | awk '{print $2}' || true)
  echo "${n:-0}"
}

n=0 retried=0 shallow=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  grep -lqs '^func Fuzz' "$dir"/*_test.go 2>/dev/null || continue
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    for try in 1 2 3; do
      again=""; [ "$try" != 1 ] && again=", run $try"
      echo "fuzz: $pkg $target ($FUZZTIME$again)"
      before=$(corpus_count "$dir" "$target")
      if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "$pkg" >"$log" 2>&1; then
        x=$(execs "$log")
        echo "fuzz: $target: $x executions"
        if [ "$x" -lt "$FUZZMINEXECS" ]; then
          echo "fuzz: WARNING: $target made only $x executions in $FUZZTIME: a shallow run (slow target, or time spent minimising)"
          shallow=$((shallow+1))
        fi
        break
      fi
      after=$(corpus_count "$dir" "$target")
      if [ "$try" != 3 ] && [ "$after" = "$before" ] && bare_deadline "$log"; then
        echo "fuzz: $target: bare 'context deadline exceeded' at the fuzztime boundary, no input written (golang/go#75804); running it again"
        retried=$((retried+1))
        continue
      fi
      cat "$log"
      exit 1
    done
    n=$((n+1))
  done
done
echo "fuzz: $n targets ran for $FUZZTIME each, no failures ($retried re-run after Go's fuzztime race; $shallow shallow, under $FUZZMINEXECS executions)"
