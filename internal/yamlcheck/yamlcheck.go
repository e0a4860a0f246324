// Package yamlcheck helps config decoders report problems with file:line: it remembers the
// keys of a mapping node and checks them against the keys a type knows.
package yamlcheck

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Pos is where a YAML mapping was written: its line and its keys with their lines.
type Pos struct {
	Line int
	keys []key
}

type key struct {
	name string
	line int
}

// Capture records n's line and, for a mapping, its keys.
func Capture(n *yaml.Node) Pos {
	p := Pos{Line: n.Line}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			p.keys = append(p.keys, key{n.Content[i].Value, n.Content[i].Line})
		}
	}
	return p
}

// Unknown returns one "file:line: what: unknown key K (known: …)" message per key of p not in
// known.
func (p Pos) Unknown(file, what string, known ...string) []string {
	var out []string
	for _, k := range p.keys {
		ok := false
		for _, n := range known {
			if k.name == n {
				ok = true
				break
			}
		}
		if !ok {
			out = append(out, fmt.Sprintf("%s:%d: %s: unknown key %q (known: %v)", file, k.line, what, k.name, known))
		}
	}
	return out
}

// At formats a message for line l of file.
func At(file string, l int, format string, a ...any) string {
	return fmt.Sprintf("%s:%d: %s", file, l, fmt.Sprintf(format, a...))
}
