package main

import (
	"context"
	"fmt"
	"io"
)

// scenarioMain is replaced by the scenario runner (issue 3).
func scenarioMain(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "tongdao scenario: the scenario runner is not available in this build yet")
	return 2
}
