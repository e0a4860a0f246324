package main

import (
	"context"
	"fmt"
	"io"
)

// ledgerMain is replaced by the ledger implementation (issue 6).
func ledgerMain(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "tongdao ledger: not available in this build yet")
	return 2
}
