package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/tongdao/tongdao/docs"
)

// docsMain prints the embedded user documentation.
func docsMain(_ context.Context, args []string, stdout, stderr io.Writer) int {
	names := docNames()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" || args[0] == "list" {
		fmt.Fprintln(stdout, "Usage: tongdao docs NAME")
		fmt.Fprintln(stdout)
		fmt.Fprintln(stdout, "Prints a guide that ships inside the binary (Markdown):")
		for _, n := range names {
			fmt.Fprintf(stdout, "  %s\n", n)
		}
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	want := strings.ToLower(strings.TrimSuffix(args[0], ".md"))
	for _, n := range names {
		if n == want {
			b, err := fs.ReadFile(docs.Files, strings.ToUpper(n)+".md")
			if err != nil {
				fmt.Fprintf(stderr, "tongdao docs: %v\n", err)
				return 1
			}
			_, _ = stdout.Write(b)
			return 0
		}
	}
	fmt.Fprintf(stderr, "tongdao docs: no guide named %q; one of: %s\n", args[0], strings.Join(names, ", "))
	return 2
}

func docNames() []string {
	ents, _ := fs.ReadDir(docs.Files, ".")
	var out []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".md"); ok {
			out = append(out, strings.ToLower(n))
		}
	}
	sort.Strings(out)
	return out
}
