package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/tongdao/tongdao/scenarios"
)

// scenarioChannels is every channel valid in a scenario file: the toolkit's (a typo is a
// bad file) and any the build wires an adapter for. Scenarios of channels without an
// adapter are reported as skipped when run.
func scenarioChannels(factories map[string]scenarios.ChannelFactory) []string {
	channels := scenarios.ToolkitChannels()
	for name := range factories {
		if !slices.Contains(channels, name) {
			channels = append(channels, name)
		}
	}
	sort.Strings(channels)
	return channels
}

// scenarioPaths parses flags given before or after the paths.
func scenarioPaths(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) ([]string, int, bool) {
	var paths []string
	rest := args
	for {
		if code, ok := parseFlags(fs, rest, stdout, stderr); !ok {
			return nil, code, false
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		paths = append(paths, rest[0])
		rest = rest[1:]
	}
	if len(paths) == 0 {
		fmt.Fprintf(stderr, "%s: name at least one scenario file or folder\n", fs.Name())
		return nil, 2, false
	}
	return paths, 0, true
}

// scenarioValidate is `scenario validate PATH...`: parse every file (includes, matrices,
// duplicate names across the set) without running anything.
func scenarioValidate(args []string, stdout, stderr io.Writer, factories map[string]scenarios.ChannelFactory) int {
	fs := flag.NewFlagSet("tongdao scenario validate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: tongdao scenario validate PATH...")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Checks scenario files without running them: every problem with file:line:col.")
		fmt.Fprintln(fs.Output(), "Exit status: 0 every file is good, 2 bad files (or bad usage).")
	}
	paths, code, ok := scenarioPaths(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	list, err := scenarios.LoadPaths(paths, scenarios.ParseOptions{Channels: scenarioChannels(factories)})
	if err != nil {
		fmt.Fprintf(stderr, "tongdao scenario validate: bad scenario files:\n%v\n", err)
		return 2
	}
	files := map[string]bool{}
	for _, s := range list {
		files[s.Pos.File] = true
	}
	fmt.Fprintf(stdout, "ok: %d scenarios in %d files\n", len(list), len(files))
	return 0
}

// scenarioList is `scenario list [--tag T] PATH...`: one line per scenario, "name  [tags]
// file:line".
func scenarioList(args []string, stdout, stderr io.Writer, factories map[string]scenarios.ChannelFactory) int {
	var tags tagList
	fs := flag.NewFlagSet("tongdao scenario list", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(&tags, "tag", "list only scenarios carrying `TAG` (repeat or comma-separate for any of several)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: tongdao scenario list [--tag T]... PATH...")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Lists scenario names, tags and files (a matrix file lists each combination).")
		fmt.Fprintln(fs.Output(), "Exit status: 0 listed, 2 bad files (or bad usage).")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Flags:")
		fs.PrintDefaults()
	}
	paths, code, ok := scenarioPaths(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	list, err := scenarios.LoadPaths(paths, scenarios.ParseOptions{Channels: scenarioChannels(factories)})
	if err != nil {
		fmt.Fprintf(stderr, "tongdao scenario list: bad scenario files:\n%v\n", err)
		return 2
	}
	list = scenarios.FilterTags(list, tags)
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, s := range list {
		t := "-"
		if len(s.Tags) > 0 {
			t = strings.Join(s.Tags, ",")
		}
		fmt.Fprintf(tw, "%s\t[%s]\t%s\n", s.Name, t, s.Pos)
	}
	_ = tw.Flush()
	fmt.Fprintf(&b, "%d scenarios\n", len(list))
	_, _ = io.WriteString(stdout, b.String())
	return 0
}

func writeHTMLFile(name string, results []scenarios.Result) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	if err := scenarios.WriteHTML(f, results); err != nil {
		_ = f.Close()
		return fmt.Errorf("--html %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--html %s: %w", name, err)
	}
	return nil
}
