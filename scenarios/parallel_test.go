package scenarios_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/scenarios"
	"github.com/tongdao/tongdao/simulator"
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

// namespacedSimulator serves toy simulators with namespaces on a loopback port.
func namespacedSimulator(t *testing.T) string {
	t.Helper()
	protos, _ := newToyProtocols()
	root, err := simulator.New(simulator.Config{Protocols: protos})
	if err != nil {
		t.Fatal(err)
	}
	ns := simulator.NewNamespaces(root, func(o simulator.NamespaceOptions) (*simulator.Server, error) {
		p, _ := newToyProtocols()
		return simulator.New(simulator.Config{Protocols: p, Seed: o.Seed, Start: o.Start})
	}, 8)
	ts := httptest.NewServer(ns)
	t.Cleanup(ts.Close)
	return ts.URL
}

func TestRun_RemoteNamespacesRunInParallelAgainstOneSimulatorLikeInProcess(t *testing.T) {
	list := parallelSet(t)
	local, err := scenarios.Run(context.Background(), list, toyOptions())
	if err != nil {
		t.Fatal(err)
	}
	url := namespacedSimulator(t)
	opts := toyOptions()
	opts.Protocols = nil
	opts.SimURL = url
	opts.Parallel = 4
	remote, err := scenarios.Run(context.Background(), list, opts)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := verdicts(local), verdicts(remote); !slices.Equal(a, b) {
		t.Fatalf("verdicts differ:\nin process:\n%s\nremote, 4 at once:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	// Each namespace starts at the scenario's own time and seed: nothing is shifted, and
	// a serial remote run gives the same transcripts as the parallel one.
	opts.Parallel = 1
	serial, err := scenarios.Run(context.Background(), list, opts)
	if err != nil {
		t.Fatal(err)
	}
	nsID := regexp.MustCompile(`/_ns/n[0-9]+/`)
	norm := func(l []string) string { return nsID.ReplaceAllString(strings.Join(l, "\n"), "/_ns/N/") }
	for i := range serial {
		a, b := norm(serial[i].Transcript), norm(remote[i].Transcript)
		if a != b {
			t.Errorf("%s: transcripts differ:\n%s\n----\n%s", serial[i].Scenario.Name, a, b)
			break
		}
		if strings.Contains(b, "shifted") {
			t.Errorf("%s: shifted in a namespace", serial[i].Scenario.Name)
		}
	}
	// Every namespace was deleted after its scenario.
	res, err := http.Get(url + "/_sim/namespaces")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if strings.Join(strings.Fields(string(b)), "") != `{"namespaces":[]}` {
		t.Errorf("namespaces left: %s", b)
	}
	// NoNamespaces falls back to resetting the shared root simulator, one at a time.
	opts.NoNamespaces = true
	shared, err := scenarios.Run(context.Background(), list[:3], opts)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := verdicts(local[:3]), verdicts(shared); !slices.Equal(a, b) {
		t.Fatalf("verdicts differ without namespaces:\n%s\n----\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	// The reset carries the scenario's seed: the simulator's ids are those of in process.
	txn := regexp.MustCompile(`txn=TX[0-9]+`)
	seen := 0
	for i := range shared {
		a := txn.FindAllString(strings.Join(local[i].Transcript, "\n"), -1)
		b := txn.FindAllString(strings.Join(shared[i].Transcript, "\n"), -1)
		seen += len(a)
		if !slices.Equal(a, b) {
			t.Errorf("%s: ids %v in process, %v remote", local[i].Scenario.Name, a, b)
		}
	}
	if seen == 0 {
		t.Error("no ids to compare")
	}
}
