// Package depcheck holds the dependency-direction rules of DESIGN.md ("Layout") as data, so
// that a test can enforce them on every build and name the offending import when one breaks.
package depcheck

import (
	"fmt"
	"strings"
)

// Module is the import path prefix of this repository.
const Module = "github.com/tongdao/tongdao"

// leaves form the bottom layer: core/money and core/clock import nothing else of ours,
// core/channel (the contract) imports only those two (its amounts are money.Amount, its dates
// clock.Date), and core/card (Luhn, BINs, masking, card data at rest) imports at most
// core/money. Their own subtrees aside.
var leaves = []string{"core/money", "core/clock", "core/channel", "core/card"}

// Violation is one import that breaks a rule.
type Violation struct {
	Package string // importing package, relative to Module
	Import  string // imported package, relative to Module
	Rule    string // the rule it breaks, in words
}

// String formats the violation as "PKG imports IMP: rule".
func (v Violation) String() string {
	return fmt.Sprintf("%s imports %s: %s", v.Package, v.Import, v.Rule)
}

// rel returns p relative to the module and whether it is ours.
func rel(p string) (string, bool) {
	if p == Module {
		return "", true
	}
	if strings.HasPrefix(p, Module+"/") {
		return strings.TrimPrefix(p, Module+"/"), true
	}
	return "", false
}

// within reports whether p is dir or below it.
func within(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

func isLeaf(p string) bool {
	for _, l := range leaves {
		if within(p, l) {
			return true
		}
	}
	return false
}

// sameTree reports whether imp is in the subtree rooted at the top two path elements of pkg
// (core/clock/internal/x may import core/clock/...).
func sameTree(pkg, imp string) bool {
	parts := strings.SplitN(pkg, "/", 3)
	root := parts[0]
	if len(parts) > 1 {
		root = parts[0] + "/" + parts[1]
	}
	return within(imp, root)
}

// Check returns the violations among the direct (non-test) imports of one package. Both
// arguments are full import paths; imports outside the module are ignored.
func Check(pkgPath string, imports []string) []Violation {
	pkg, ok := rel(pkgPath)
	if !ok {
		return nil
	}
	var out []Violation
	for _, full := range imports {
		imp, ok := rel(full)
		if !ok || sameTree(pkg, imp) {
			continue
		}
		if rule := broken(pkg, imp); rule != "" {
			out = append(out, Violation{Package: pkg, Import: imp, Rule: rule})
		}
	}
	return out
}

// broken names the rule that pkg importing imp breaks, or "" if it is allowed.
func broken(pkg, imp string) string {
	switch {
	case within(pkg, "core/channel"):
		if !within(imp, "core/money") && !within(imp, "core/clock") {
			return "core/channel is a leaf: it imports only core/money and core/clock"
		}
	case within(pkg, "core/card"):
		if !within(imp, "core/money") {
			return "core/card is a leaf: it imports only core/money (card primitives use tjfoc/gmsm directly, not adapters/sign)"
		}
	case isLeaf(pkg):
		return "core/money and core/clock are leaves and import nothing else of ours"
	case within(pkg, "adapters/sign"):
		return "adapters/sign holds primitives only and imports nothing else of ours"
	case within(pkg, "core"):
		if within(imp, "adapters") {
			return "core/ never imports an adapter: channels are handed to it (the database/sql pattern)"
		}
		if within(imp, "simulator") || within(imp, "conformance") || within(imp, "scenarios") || within(imp, "cmd") {
			return "core/ does not import the simulator, the test suites or commands"
		}
	case within(pkg, "adapters"):
		if !isLeaf(imp) && !within(imp, "adapters/sign") {
			return "adapters import only core/money, core/clock, core/channel and adapters/sign"
		}
	case within(pkg, "simulator"):
		if within(imp, "adapters") && !within(imp, "adapters/sign") {
			return "the simulator never imports an adapter's protocol code (only adapters/sign), so one side cannot hide the other's bugs"
		}
		if !isLeaf(imp) && !within(imp, "adapters/sign") && !within(imp, "simulator") && !within(imp, "internal") {
			return "the simulator imports only the leaves, adapters/sign and its own packages"
		}
	}
	return ""
}
