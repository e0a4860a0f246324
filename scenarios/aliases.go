package scenarios

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// plain copies n with every alias replaced by a copy of its anchor's value, `<<` merge
// keys applied and anchors dropped; file is recorded for every copied node.
func (x *expander) plain(n *yaml.Node, file, p string, depth int) *yaml.Node {
	if n == nil {
		return nil
	}
	x.nodes++
	if x.nodes > maxExpandedNodes {
		if x.nodes == maxExpandedNodes+1 {
			x.d.errorf(n, p, "aliases expand to more than %d values", maxExpandedNodes)
		}
		return nil
	}
	if depth > 64 {
		x.d.errorf(n, p, "nested too deeply (an alias inside its own anchor?)")
		return nil
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			x.d.errorf(n, p, "unknown alias %q", n.Value)
			return nil
		}
		return x.plain(n.Alias, file, p, depth+1)
	}
	c := *n
	c.Anchor = ""
	c.Content = nil
	if file != x.d.file {
		x.d.files[&c] = file
	}
	switch n.Kind {
	case yaml.MappingNode:
		var merged [][2]*yaml.Node
		own := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag == "!!merge" {
				for _, src := range mergeSources(v) {
					m := x.plain(src, file, p, depth+1)
					if m == nil {
						continue
					}
					if m.Kind != yaml.MappingNode {
						x.d.errorf(v, join(p, "<<"), "a merge key takes a mapping (or a list of them), got %s", describe(m))
						continue
					}
					for j := 0; j+1 < len(m.Content); j += 2 {
						merged = append(merged, [2]*yaml.Node{m.Content[j], m.Content[j+1]})
					}
				}
				continue
			}
			kc := x.plain(k, file, p, depth+1)
			vc := x.plain(v, file, join(p, k.Value), depth+1)
			if kc == nil || vc == nil {
				continue
			}
			own[kc.Value] = true
			c.Content = append(c.Content, kc, vc)
		}
		// Keys written in the mapping win over merged ones; the first merged source wins
		// over later ones (YAML merge key rules).
		for _, kv := range merged {
			if own[kv[0].Value] {
				continue
			}
			own[kv[0].Value] = true
			c.Content = append(c.Content, kv[0], kv[1])
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for i, it := range n.Content {
			if ic := x.plain(it, file, fmt.Sprintf("%s[%d]", p, i), depth+1); ic != nil {
				c.Content = append(c.Content, ic)
			}
		}
	}
	return &c
}

func mergeSources(v *yaml.Node) []*yaml.Node {
	if v.Kind == yaml.SequenceNode {
		return v.Content
	}
	return []*yaml.Node{v}
}
