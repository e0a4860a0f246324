package scenarios_test

import (
	"strings"
	"testing"

	"github.com/tongdao/tongdao/scenarios"
)

// A core step needs the in-process gateway's store: against the adapters it fails the
// scenario with a message saying so, instead of passing for the wrong reason.
func TestRun_CoreStepOutsideTheGatewayFailsClearly(t *testing.T) {
	r := runToy(t, "name: core outside\nchannel: toy\nsteps:\n  - settle: {day: 2026-11-20}\n")
	if r.Passed || r.Failure == nil || !strings.Contains(r.Failure.Message, "settle: runs against the in-process gateway only") {
		t.Fatalf("passed=%v failure=%s", r.Passed, scenarios.FormatFailure(r))
	}
}
