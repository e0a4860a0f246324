package main

import (
	"context"
	"fmt"
	"io"
)

// demoMain is replaced by the in-process demo once the simulator exists (issue 3).
func demoMain(_ context.Context, _ []string, stdout, _ io.Writer) int {
	fmt.Fprintln(stdout, "tongdao demo: the simulator is not built yet; available packages:")
	fmt.Fprintln(stdout, "  core/money    exact amounts, rates and splits")
	fmt.Fprintln(stdout, "  core/clock    real and virtual clocks, Beijing accounting days")
	fmt.Fprintln(stdout, "  core/channel  the contract every channel adapter implements")
	fmt.Fprintln(stdout, "  adapters/sign canonical strings, MD5/HMAC, RSA2, SM2/SM3/SM4")
	return 0
}
