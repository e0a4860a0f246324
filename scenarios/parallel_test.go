package scenarios_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/scenarios"
)

// parallelSet is a mix of passing and failing toy scenarios that all use the same order
// numbers and merchant, so any sharing between parallel runs would change verdicts.
func parallelSet(t *testing.T) []*scenarios.Scenario {
	t.Helper()
	var list []*scenarios.Scenario
	for i := 0; i < 6; i++ {
		for _, src := range []string{toyHappy, toyMerchants, `
name: fails
channel: toy
steps:
  - pay: {order: A1, amount: "1.00"}
  - payer_pay: {order: A1}
  - query: {order: A1}
    expect: {status: PENDING}
`} {
			sc, err := parseToy(fmt.Sprintf("p%d.yaml", i), src)
			if err != nil {
				t.Fatal(err)
			}
			sc.Name += fmt.Sprint(" ", i)
			list = append(list, sc)
		}
	}
	return list
}

func verdicts(res []scenarios.Result) []string {
	var out []string
	for _, r := range res {
		v := fmt.Sprintf("%s passed=%t steps=%d", r.Scenario.Name, r.Passed, r.Steps)
		if r.Failure != nil {
			v += " " + r.Failure.Pos.String() + " " + r.Failure.Message
		}
		out = append(out, v)
	}
	return out
}

func TestRun_ParallelGivesTheSameVerdictsAsSerial(t *testing.T) {
	list := parallelSet(t)
	serial, err := scenarios.Run(context.Background(), list, toyOptions())
	if err != nil {
		t.Fatal(err)
	}
	opts := toyOptions()
	opts.Parallel = 4
	par, err := scenarios.Run(context.Background(), list, opts)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := verdicts(serial), verdicts(par); !slices.Equal(a, b) {
		t.Fatalf("verdicts differ:\nserial:\n%s\nparallel:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	// In process each scenario has its own simulator: transcripts are identical too.
	for i := range serial {
		if !slices.Equal(serial[i].Transcript, par[i].Transcript) {
			t.Errorf("%s: transcripts differ", serial[i].Scenario.Name)
		}
	}
	if n := strings.Count(strings.Join(verdicts(par), "\n"), "passed=false"); n != 6 {
		t.Errorf("%d failed, want 6", n)
	}
}

func TestRun_ParallelRemoteShardsGiveTheSameVerdicts(t *testing.T) {
	list := parallelSet(t)[:6]
	var urls []string
	for i := 0; i < 3; i++ {
		protos, _ := newToyProtocols()
		urls = append(urls, simulatorStart(t, protos))
	}
	opts := toyOptions()
	opts.Protocols = nil
	opts.SimURL = urls[0]
	serial, err := scenarios.Run(context.Background(), list, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.MoreSimURLs = urls[1:]
	opts.Parallel = 3
	par, err := scenarios.Run(context.Background(), list, opts)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := verdicts(serial), verdicts(par); !slices.Equal(a, b) {
		t.Fatalf("verdicts differ:\nserial:\n%s\nparallel:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
}

func TestRun_UnreachableSimulatorIsErrUnreachable(t *testing.T) {
	opts := toyOptions()
	opts.Protocols = nil
	opts.SimURL = "http://127.0.0.1:1"
	sc, _ := parseToy("t.yaml", toyMerchants)
	_, err := scenarios.Run(context.Background(), []*scenarios.Scenario{sc}, opts)
	if !errors.Is(err, scenarios.ErrUnreachable) {
		t.Fatalf("got %v", err)
	}
}
