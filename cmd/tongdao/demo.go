package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tongdao/tongdao/scenarios"
)

// demoMain starts the simulator in process (one fresh simulator per scenario, virtual
// clock, nothing on the network) and runs the bundled scenario suites against the
// toolkit's own adapters: what `make run` does.
func demoMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "help" {
			fmt.Fprintln(stdout, "Usage: tongdao demo")
			fmt.Fprintln(stdout)
			fmt.Fprintln(stdout, "Starts the channel simulator in process and runs the bundled scenario suites")
			fmt.Fprintln(stdout, "(scenarios/wechat, scenarios/alipay, scenarios/bank, scenarios/unionpay) against tongdao's own adapters,")
			fmt.Fprintln(stdout, "and the payment core's (scenarios/recon: reconciliation and settlement; scenarios/wallet:")
			fmt.Fprintln(stdout, "wallets and balance queries) through an in-process gateway, printing one line per")
			fmt.Fprintln(stdout, "scenario and a summary. Then it starts the payment gateway on an embedded")
			fmt.Fprintln(stdout, "SQLite file beside the simulator and drives a day through the signed merchant API:")
			fmt.Fprintln(stdout, "payments on WeChat and Alipay, a lost answer resolved by query, duplicate and forged")
			fmt.Fprintln(stdout, "callbacks, partial refunds, an expiry, a bank card binding with a token payment, and a")
			fmt.Fprintln(stdout, "payout returned the next morning, checking each outcome. After the day it reconciles")
			fmt.Fprintln(stdout, "each channel account's statement with the orders, posts the merchant's T+1 settlement")
			fmt.Fprintln(stdout, "batch (and shows a re-run adds nothing), books the channels' money arriving, and runs")
			fmt.Fprintln(stdout, "ledger verify with vouchers and the external check against the statements.")
			fmt.Fprintln(stdout, "Exit status 0 when every scenario and every check passes.")
			fmt.Fprintln(stdout, "For more control use `tongdao scenario run` and `tongdao sim serve`.")
			return 0
		}
	}
	if len(args) > 0 {
		fmt.Fprintf(stderr, "tongdao demo: takes no arguments (got %q); see tongdao demo --help\n", args)
		return 2
	}
	dir, cleanup, err := bundledSuites()
	if err != nil {
		fmt.Fprintf(stderr, "tongdao demo: %v\n", err)
		return 2
	}
	defer cleanup()
	fmt.Fprintln(stdout, "tongdao demo: simulator in process (virtual clock), bundled suites against tongdao's adapters")
	fmt.Fprintln(stdout)
	code := scenarioRun(ctx, []string{dir}, stdout, stderr, scenarioFactories(), simProtocols)
	fmt.Fprintln(stdout)
	if err := runGatewayDay(ctx, stdout); err != nil {
		fmt.Fprintf(stderr, "tongdao demo: gateway day: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// bundledSuites returns the folder of the bundled suites: ./scenarios when run from the
// repository root (so failures point at the real files), otherwise a temporary copy of the
// suites compiled into the binary.
func bundledSuites() (string, func(), error) {
	if st, err := os.Stat(filepath.Join("scenarios", "wechat")); err == nil && st.IsDir() {
		return "scenarios", func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "tongdao-demo-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { _ = os.RemoveAll(tmp) }
	err = fs.WalkDir(scenarios.Bundled, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(tmp, p), 0o755)
		}
		b, err := scenarios.Bundled.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(tmp, p), b, 0o644)
	})
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("unpacking the bundled suites: %w", err)
	}
	return tmp, cleanup, nil
}
