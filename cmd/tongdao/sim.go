package main

import (
	"context"
	"fmt"
	"io"
)

// simMain is replaced by the simulator command (issue 3).
func simMain(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "tongdao sim: the simulator is not available in this build yet")
	return 2
}

// scenarioMain is replaced by the scenario runner (issue 3).
func scenarioMain(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "tongdao scenario: the scenario runner is not available in this build yet")
	return 2
}

// demoMain is replaced by the in-process demo once the simulator exists (issue 3).
func demoMain(_ context.Context, _ []string, stdout, _ io.Writer) int {
	fmt.Fprintln(stdout, "tongdao demo: the simulator is not built yet; available packages:")
	fmt.Fprintln(stdout, "  core/money    exact amounts, rates and splits")
	fmt.Fprintln(stdout, "  core/clock    real and virtual clocks, Beijing accounting days")
	fmt.Fprintln(stdout, "  core/channel  the contract every channel adapter implements")
	fmt.Fprintln(stdout, "  adapters/sign canonical strings, MD5/HMAC, RSA2, SM2/SM3/SM4")
	return 0
}
