package conformance

import (
	"context"
	"strings"
	"testing"
)

func runFake(t *testing.T, b bugs) *Recorder {
	t.Helper()
	w := newFakeWorld(b)
	rec := NewRecorder(context.Background())
	rec.Run("", func(tt T) { Run(tt, &Harness{Channel: &fakeChannel{w: w}, Sim: w}) })
	return rec
}

func TestSuite_PassesAConformingChannel(t *testing.T) {
	rec := runFake(t, bugs{})
	for _, f := range rec.Failures {
		t.Errorf("unexpected failure: %s", f)
	}
	for _, s := range rec.Skips {
		// The fake has no Binder, Payouter or BalanceQuerier: those behaviours skip.
		if strings.HasPrefix(s, "Binder:") || strings.HasPrefix(s, "Payouts:") {
			continue
		}
		t.Errorf("unexpected skip: %s", s)
	}
}

func TestSuite_CatchesEachBrokenRule(t *testing.T) {
	tests := []struct {
		name string
		bugs bugs
		want string // substring of a failure
	}{
		{"lost response reported as failure", bugs{timeoutIsFailed: true}, "TimeoutAfterProcessingIsUnknown"},
		{"forged notification accepted", bugs{acceptForged: true}, "ForgedRejected"},
		{"retried refund refunds twice", bugs{refundTwice: true}, "exactly one"},
		{"statement placed by creation time", bugs{statementByStart: true}, "Statements"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := runFake(t, tc.bugs)
			for _, f := range rec.Failures {
				if strings.Contains(f, tc.want) {
					return
				}
			}
			t.Fatalf("the suite did not report %q; failures: %q", tc.want, rec.Failures)
		})
	}
}
