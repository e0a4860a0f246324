package main

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/scenarios"
	"github.com/tongdao/tongdao/simulator"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// runSuites starts a simulator and the app (with bugs) on loopback HTTP, as a QA engineer
// would with `tongdao sim serve` and their service, and runs the bundled target: http
// suites against them.
func runSuites(t *testing.T, bugs Bugs) []scenarios.Result {
	t.Helper()
	wx, err := simwechat.New(simwechat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{wx}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	appSrv := httptest.NewUnstartedServer(nil)
	app, err := New(Config{WeChatURL: simSrv.URL, PublicURL: "http://" + appSrv.Listener.Addr().String(),
		MchID: simwechat.DemoMchID, AppID: simwechat.DemoAppID, Key: simwechat.DemoKey, Bugs: bugs, Log: log.New(io.Discard, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	appSrv.Config.Handler = app
	appSrv.Start()
	t.Cleanup(appSrv.Close)
	list, err := scenarios.LoadPaths([]string{"../../scenarios/http"}, scenarios.ParseOptions{Channels: scenarios.ToolkitChannels()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := scenarios.Run(context.Background(), list, scenarios.Options{SimURL: simSrv.URL, TargetURL: appSrv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// bugTag is the tag of the suites that must catch a bug.
func bugTag(b Bugs) string {
	return "bug-" + b.String()
}

func TestSuitesPassWithoutBugsAndCatchEachBug(t *testing.T) {
	for _, tc := range []struct {
		name string
		bugs Bugs
	}{
		{"no bugs", Bugs{}},
		{"no-query", Bugs{NoQuery: true}},
		{"double-pay", Bugs{DoublePay: true}},
		{"trust-notify", Bugs{TrustNotify: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runSuites(t, tc.bugs)
			if len(res) < 4 {
				t.Fatalf("%d scenarios, want at least 4", len(res))
			}
			caught := 0
			for _, r := range res {
				if r.Skipped {
					t.Errorf("%s: skipped: %s", r.Scenario.Name, r.SkipReason)
					continue
				}
				mustCatch := tc.bugs != (Bugs{}) && r.Scenario.HasTag(bugTag(tc.bugs))
				switch {
				case mustCatch && r.Passed:
					t.Errorf("%s passed with the bug %s on: it must catch it\n%s", r.Scenario.Name, tc.bugs, strings.Join(r.Transcript, "\n"))
				case mustCatch:
					caught++
					t.Logf("caught %s: %s", tc.bugs, scenarios.FormatFailure(r))
				case !r.Passed:
					t.Errorf("%s failed (bugs: %s): %s\n%s", r.Scenario.Name, orNone(tc.bugs.String()), scenarios.FormatFailure(r), strings.Join(r.Transcript, "\n"))
				}
			}
			if tc.bugs != (Bugs{}) && caught == 0 {
				t.Errorf("no suite carries the tag %s", bugTag(tc.bugs))
			}
		})
	}
}

func TestParseBugs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Bugs
		err  bool
	}{
		{"", Bugs{}, false},
		{"no-query", Bugs{NoQuery: true}, false},
		{"double-pay, trust-notify", Bugs{DoublePay: true, TrustNotify: true}, false},
		{"typo", Bugs{}, true},
	} {
		got, err := ParseBugs(tc.in)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("ParseBugs(%q) = %+v, %v; want %+v, error %t", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// BenchmarkHTTPSuites runs the `target: http` suites against the service over loopback
// HTTP (simulator and service each on an httptest server), bugs off.
func BenchmarkHTTPSuites(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		wx, err := simwechat.New(simwechat.Config{})
		if err != nil {
			b.Fatal(err)
		}
		sim, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{wx}, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		simSrv := httptest.NewServer(sim)
		appSrv := httptest.NewUnstartedServer(nil)
		app, err := New(Config{WeChatURL: simSrv.URL, PublicURL: "http://" + appSrv.Listener.Addr().String(),
			MchID: simwechat.DemoMchID, AppID: simwechat.DemoAppID, Key: simwechat.DemoKey, Log: log.New(io.Discard, "", 0)})
		if err != nil {
			b.Fatal(err)
		}
		appSrv.Config.Handler = app
		appSrv.Start()
		list, err := scenarios.LoadPaths([]string{"../../scenarios/http"}, scenarios.ParseOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := scenarios.Run(context.Background(), list, scenarios.Options{SimURL: simSrv.URL, TargetURL: appSrv.URL})
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if !r.Passed {
				b.Fatalf("%s failed: %s", r.Scenario.Name, scenarios.FormatFailure(r))
			}
		}
		appSrv.Close()
		simSrv.Close()
		b.StartTimer()
	}
}
