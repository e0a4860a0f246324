package scenarios

import (
	"fmt"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// steps expands a step list: include steps are replaced by the included file's steps.
func (x *expander) steps(seq *yaml.Node, vals map[string]string, depth int) []*yaml.Node {
	var out []*yaml.Node
	for i, it := range seq.Content {
		if x.over {
			return out
		}
		inc := includeArg(it)
		if inc == nil {
			out = append(out, x.subst(it, vals, fmt.Sprintf("steps[%d]", i)))
			continue
		}
		out = append(out, x.include(it, inc, vals, depth)...)
		if len(out) > maxSteps {
			x.over = true
			x.d.errorf(it, "steps", "more than %d steps after includes", maxSteps)
			return out
		}
	}
	return out
}

// includeArg returns the value of a step's `include:` key (nil for other steps).
func includeArg(step *yaml.Node) *yaml.Node {
	if step.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(step.Content); i += 2 {
		if step.Content[i].Value == "include" {
			return step.Content[i+1]
		}
	}
	return nil
}

// include reads an included step list: `include: FILE` or `include: {file: FILE, vars:
// {...}}`. FILE is relative to the including file's folder. The included file is a list of
// steps, or a mapping with `steps:` and default `vars:`.
func (x *expander) include(step, arg *yaml.Node, vals map[string]string, depth int) []*yaml.Node {
	d := x.d
	const p = "include"
	x.incs++
	if x.incs > maxIncludes {
		if !x.over {
			x.over = true
			d.errorf(step, p, "more than %d includes expanded (a file including itself?)", maxIncludes)
		}
		return nil
	}
	if len(step.Content) != 2 {
		d.errorf(step, p, "an include step has only `include:` (put vars under it: include: {file: ..., vars: {...}})")
		return nil
	}
	if depth >= maxIncludeDepth {
		d.errorf(arg, p, "includes nested more than %d deep (does a file include itself?)", maxIncludeDepth)
		return nil
	}
	var fileNode, varsNode *yaml.Node
	switch arg.Kind {
	case yaml.ScalarNode:
		fileNode = arg
	case yaml.MappingNode:
		for i := 0; i+1 < len(arg.Content); i += 2 {
			switch k := arg.Content[i]; k.Value {
			case "file":
				fileNode = arg.Content[i+1]
			case "vars":
				varsNode = arg.Content[i+1]
			default:
				d.errorf(k, p+"."+k.Value, "unknown field %q; known fields: file, vars", k.Value)
			}
		}
	}
	if fileNode == nil || fileNode.Kind != yaml.ScalarNode || fileNode.Value == "" {
		d.errorf(arg, p, "want `include: FILE%s` or `include: {file: FILE, vars: {...}}`", IncludeSuffix)
		return nil
	}
	if x.opts.ReadFile == nil {
		d.errorf(fileNode, p, "includes need files: load scenarios with LoadPaths (or set ParseOptions.ReadFile)")
		return nil
	}
	from := d.files[step]
	if from == "" {
		from = d.file
	}
	name := x.substString(fileNode.Value, vals, p)
	if !path.IsAbs(name) {
		name = path.Join(path.Dir(strings.ReplaceAll(from, "\\", "/")), name)
	}
	tree, ok := x.cache[name]
	if !ok {
		data, err := x.opts.ReadFile(name)
		if err != nil {
			d.errorf(fileNode, p, "cannot read %s: %v", name, err)
			return nil
		}
		doc, perr := decodeDocument(name, data)
		if perr != nil {
			d.errs = append(d.errs, perr.Errs...)
			return nil
		}
		root := doc
		if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
			root = root.Content[0]
		}
		tree = x.plain(root, name, "", 0)
		x.cache[name] = tree
	}
	if tree == nil {
		return nil
	}
	inner := map[string]string{}
	for k, v := range vals {
		inner[k] = v
	}
	stepsNode := tree
	if tree.Kind == yaml.MappingNode {
		stepsNode = nil
		for i := 0; i+1 < len(tree.Content); i += 2 {
			k, v := tree.Content[i], tree.Content[i+1]
			switch k.Value {
			case "steps":
				stepsNode = v
			case "vars":
				x.setVars(v, vals, inner, false)
			default:
				x.d.errorf(k, k.Value, "unknown field %q in an included file; known fields: steps, vars", k.Value)
			}
		}
	}
	if stepsNode == nil || stepsNode.Kind != yaml.SequenceNode {
		x.d.errorf(tree, "steps", "an included file is a list of steps, or a mapping with `steps:` (and default `vars:`)")
		return nil
	}
	if varsNode != nil {
		x.setVars(varsNode, vals, inner, true)
	}
	return x.steps(stepsNode, inner, depth+1)
}

// setVars evaluates a vars mapping against outer and stores the values in inner. Defaults
// (override false) do not replace a value the includer already has.
func (x *expander) setVars(n *yaml.Node, outer, inner map[string]string, override bool) {
	if n.Kind != yaml.MappingNode {
		x.d.errorf(n, "vars", "want a mapping of variable name to value")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !varName.MatchString(k.Value) {
			x.d.errorf(k, "vars", "bad variable name %q: letters, digits and _", k.Value)
			continue
		}
		if v.Kind != yaml.ScalarNode {
			x.d.errorf(v, "vars."+k.Value, "want a plain value (text, number), got %s", describe(v))
			continue
		}
		if _, has := outer[k.Value]; has && !override {
			continue
		}
		inner[k.Value] = x.substStringAt(v, v.Value, outer, "vars."+k.Value)
	}
}
