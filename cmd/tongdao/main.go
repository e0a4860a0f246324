// Command tongdao is the one binary of the tongdao toolkit: the channel simulator, the
// scenario runner, the ledger tools and the demo that ties them together.
//
// Usage:
//
//	tongdao demo                 run the bundled scenario suites against an in-process simulator
//	tongdao sim serve [flags]    serve every simulated channel on one listener
//	tongdao scenario run PATH…   run QA scenario files
//	tongdao ledger …             verify, close a day, read balances
//	tongdao gateway serve        the merchant API, channel callbacks and background work
//	tongdao recon run            reconcile a day's channel statements with the orders
//	tongdao settle …             settlement batches, funds arrived, receivable ageing
//	tongdao audit verify|list    the hash-chained audit log of balance queries
//	tongdao balance load         fixed-rate load of the balance query over HTTP
//
// Every command accepts --help.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one top-level subcommand.
type command struct {
	name    string
	summary string
	main    func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"demo", "start the simulator in-process and run the bundled scenario suites", demoMain},
		{"sim", "the channel simulator (sim serve|load)", simMain},
		{"scenario", "run, validate and list declarative QA scenarios (scenario run|validate|list PATH…)", scenarioMain},
		{"ledger", "ledger tools: verify, close-day, balance, seals, load", ledgerMain},
		{"gateway", "the payment gateway: merchant API, channel callbacks, background work (gateway serve|load)", gatewayMain},
		{"docs", "print a guide shipped in the binary (docs gateway, docs simulator, docs scenarios, …)", docsMain},
		{"webhooks", "merchant webhooks: list deliveries, redeliver events", webhooksMain},
		{"recon", "reconcile channel statements with the orders: run, list, resolve, history", reconMain},
		{"settle", "clearing: settlement batches, funds arrived, receivable ageing (settle run|funds-arrived|ageing)", settleMain},
		{"audit", "the audit log of balance queries: verify, list, head", auditMain},
		{"balance", "balance queries: load (fixed-rate load over HTTP, audit included)", balanceMain},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.main(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "tongdao: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "tongdao: a toolkit for Chinese payment channels")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: tongdao COMMAND [ARGS…]   (every command takes --help)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}

// parseFlags parses args into fs. On --help it prints the usage to stdout and returns (0,
// false); on a bad flag it prints the error and the usage to stderr and returns (2, false).
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return 0, false
	}
	fs.SetOutput(stderr)
	fmt.Fprintf(stderr, "%s: %v\n\n", fs.Name(), err)
	fs.Usage()
	return 2, false
}
