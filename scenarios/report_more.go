package scenarios

import (
	"fmt"
	"strings"
)

// otherFailures returns a failed result's failing expectations after the first.
func otherFailures(r Result) []Failure {
	if len(r.Failures) <= 1 {
		return nil
	}
	return r.Failures[1:]
}

// junitSystemOut is a test case's system-out: the scenario's seed, tags, matrix
// combination and start time, then its whole transcript.
func junitSystemOut(r Result) string {
	sc := r.Scenario
	var b strings.Builder
	fmt.Fprintf(&b, "seed: %d\n", sc.Seed)
	tags := "(none)"
	if len(sc.Tags) > 0 {
		tags = strings.Join(sc.Tags, ", ")
	}
	fmt.Fprintf(&b, "tags: %s\n", tags)
	if sc.Instance != "" {
		fmt.Fprintf(&b, "matrix: %s\n", sc.Instance)
	}
	fmt.Fprintf(&b, "start: %s\n", fmtTime(sc.Start))
	if r.Skipped {
		fmt.Fprintf(&b, "skipped: %s\n", r.SkipReason)
		return b.String()
	}
	b.WriteString("\n")
	for _, l := range r.Transcript {
		b.WriteString(l)
		b.WriteString("\n")
	}
	return b.String()
}
