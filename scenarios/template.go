package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Writing a flow once: YAML anchors and aliases (with `<<` merge keys), variables
// (`vars:` and `${name}`), a `matrix:` that runs one file per combination of values, and
// step-level `include:` of step lists kept in *.inc.yaml files. All of it is expanded on
// the YAML tree before the scenario is decoded, so every error still names a file, line and
// column: the line of the value as written (an aliased value: where its anchor is; an
// included step: in the included file).

// Limits that keep a small file from expanding without bound.
const (
	// maxExpandedNodes bounds a file's YAML values after aliases are expanded.
	maxExpandedNodes = 100_000
	// maxMatrix bounds the scenarios one file's matrix expands into.
	maxMatrix = 256
	// maxIncludeDepth bounds nested includes (and catches include cycles).
	maxIncludeDepth = 8
	// maxCopiedNodes bounds the values of every matrix instance together, after includes
	// and variables (a file including itself several times grows exponentially).
	maxCopiedNodes = 600_000
	// maxIncludes bounds include steps expanded, every matrix instance together.
	maxIncludes = 20_000
	// maxSteps bounds one scenario's steps after includes.
	maxSteps = 10_000
)

// IncludeSuffix names step-list files for `include:`; folders given to LoadPaths skip them.
const IncludeSuffix = ".inc.yaml"

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// ParseAll decodes one scenario file into the scenarios it defines: one, or one per
// combination of its `matrix:` values, in order (the last matrix key varies fastest).
// Errors are reported as by Parse.
func ParseAll(file string, data []byte, opts ParseOptions) ([]*Scenario, error) {
	doc, perr := decodeDocument(file, data)
	if perr != nil {
		return nil, perr
	}
	return parseTree(file, doc, opts)
}

// decodeDocument reads exactly one YAML document.
func decodeDocument(file string, data []byte) (*yaml.Node, *ParseError) {
	d := &decoder{file: file}
	if len(data) > MaxFileSize {
		return nil, &ParseError{File: file, Errs: []*FieldError{{Pos: Pos{File: file}, Msg: fmt.Sprintf("file larger than %d bytes", MaxFileSize)}}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ParseError{File: file, Errs: []*FieldError{{Pos: Pos{File: file, Line: 1}, Msg: "empty file: want a scenario (name, steps, ...)"}}}
		}
		return nil, &ParseError{File: file, Errs: []*FieldError{yamlError(file, err)}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &ParseError{File: file, Errs: []*FieldError{{Pos: d.pos(&extra), Msg: "more than one YAML document: put one scenario per file"}}}
	} else if !errors.Is(err, io.EOF) {
		return nil, &ParseError{File: file, Errs: []*FieldError{yamlError(file, err)}}
	}
	return &doc, nil
}

// expander turns a YAML tree with aliases, variables and includes into a plain one.
type expander struct {
	d      *decoder
	opts   ParseOptions
	nodes  int
	copied int  // nodes copied by instances (shallow)
	incs   int  // include steps expanded
	over   bool // maxCopiedNodes passed: stop copying
	// cache holds included files' expanded trees by path.
	cache map[string]*yaml.Node
	// captured are the names http steps capture from answers (capture: keys anywhere in
	// the file): ${name} of those is left for the run to fill in (http_steps.go), not
	// refused as unknown here.
	captured map[string]bool
}

// capturedNames collects the keys of every `capture:` mapping under n.
func capturedNames(n *yaml.Node, into map[string]bool) {
	if n == nil {
		return
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k, v := n.Content[i], n.Content[i+1]; k.Value == "capture" && v.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					into[v.Content[j].Value] = true
				}
			}
		}
	}
	for _, c := range n.Content {
		capturedNames(c, into)
	}
}

func parseTree(file string, doc *yaml.Node, opts ParseOptions) ([]*Scenario, error) {
	d := &decoder{file: file, files: map[*yaml.Node]string{}}
	x := &expander{d: d, opts: opts, cache: map[string]*yaml.Node{}, captured: map[string]bool{}}
	capturedNames(doc, x.captured)
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	root = x.plain(root, file, "", 0)
	if len(d.errs) > 0 || root == nil {
		return nil, &ParseError{File: file, Errs: d.errs}
	}
	matrix, vars := x.takeVars(root)
	if len(d.errs) > 0 {
		return nil, &ParseError{File: file, Errs: d.errs}
	}
	combos := product(matrix)
	if len(combos) > maxMatrix {
		d.errorf(root, "matrix", "expands into %d scenarios; at most %d per file", len(combos), maxMatrix)
		return nil, &ParseError{File: file, Errs: d.errs}
	}
	var out []*Scenario
	// An error met in every combination is reported once; one met in some only names
	// the first combination it came from.
	seenErr := map[string]int{} // error text -> combinations it came from
	firstIn := map[string]string{}
	var errs []*FieldError
	ran := 0
	for _, combo := range combos {
		if x.over {
			break
		}
		inst := &decoder{file: file, files: d.files}
		x.d = inst
		vals := map[string]string{}
		var label []string
		for _, kv := range combo {
			vals[kv[0]] = kv[1]
			label = append(label, kv[0]+"="+kv[1])
		}
		for _, v := range vars {
			if _, clash := vals[v.name]; clash {
				inst.errorf(v.key, "vars."+v.name, "also a matrix key; use one or the other")
				continue
			}
			vals[v.name] = x.substString(v.val, vals, "vars."+v.name)
		}
		tree := x.instance(root, vals)
		// Decoded even after an expansion problem (a missing include drops its steps),
		// so one run reports every problem.
		s := inst.scenario(tree, opts)
		ran++
		for _, e := range inst.errs {
			k := e.Error()
			if seenErr[k] == 0 {
				errs = append(errs, e)
				firstIn[k] = strings.Join(label, ", ")
			}
			seenErr[k]++
		}
		if s == nil || len(inst.errs) > 0 {
			continue
		}
		if len(label) > 0 {
			s.Instance = strings.Join(label, ", ")
			if !nameUsesVars(root) {
				s.Name += " [" + s.Instance + "]"
			}
		}
		out = append(out, s)
	}
	x.d = d
	if len(errs) > 0 {
		if len(combos) > 1 {
			for i, e := range errs {
				k := e.Error()
				if seenErr[k] < ran && firstIn[k] != "" {
					c := *e
					c.Msg += " (matrix " + firstIn[k] + ")"
					errs[i] = &c
				}
			}
		}
		sort.SliceStable(errs, func(i, j int) bool { return posLess(errs[i].Pos, errs[j].Pos) })
		return nil, &ParseError{File: file, Errs: errs}
	}
	return out, nil
}

func posLess(a, b Pos) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Column < b.Column
}

// nameUsesVars reports whether the scenario's name refers to a variable, so matrix
// instances already have distinct names.
func nameUsesVars(root *yaml.Node) bool {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "name" {
			return strings.Contains(strings.ReplaceAll(root.Content[i+1].Value, "$${", ""), "${")
		}
	}
	return false
}

type varDef struct {
	name string
	key  *yaml.Node
	val  string
}

// takeVars removes the top-level `matrix:` and `vars:` from root and returns them.
func (x *expander) takeVars(root *yaml.Node) (matrix [][]([2]string), vars []varDef) {
	d := x.d
	if root.Kind != yaml.MappingNode {
		return nil, nil
	}
	var keep []*yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "matrix":
			if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
				d.errorf(v, "matrix", "want a mapping of variable name to a list of values, e.g. {channel: [wechat, alipay]}")
				continue
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				mk, mv := v.Content[j], v.Content[j+1]
				if !varName.MatchString(mk.Value) {
					d.errorf(mk, "matrix", "bad variable name %q: letters, digits and _", mk.Value)
					continue
				}
				if mv.Kind != yaml.SequenceNode || len(mv.Content) == 0 {
					d.errorf(mv, "matrix."+mk.Value, "want a non-empty list of values")
					continue
				}
				var vals [][2]string
				for _, it := range mv.Content {
					if it.Kind != yaml.ScalarNode {
						d.errorf(it, "matrix."+mk.Value, "want plain values (text, numbers), got %s", describe(it))
						continue
					}
					vals = append(vals, [2]string{mk.Value, it.Value})
				}
				matrix = append(matrix, vals)
			}
		case "vars":
			if v.Kind != yaml.MappingNode {
				d.errorf(v, "vars", "want a mapping of variable name to value")
				continue
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				vk, vv := v.Content[j], v.Content[j+1]
				if !varName.MatchString(vk.Value) {
					d.errorf(vk, "vars", "bad variable name %q: letters, digits and _", vk.Value)
					continue
				}
				if vv.Kind != yaml.ScalarNode {
					d.errorf(vv, "vars."+vk.Value, "want a plain value (text, number), got %s", describe(vv))
					continue
				}
				vars = append(vars, varDef{name: vk.Value, key: vk, val: vv.Value})
			}
		default:
			keep = append(keep, k, v)
		}
	}
	root.Content = keep
	return matrix, vars
}

// product returns every combination of the matrix values (one empty combination when
// there is no matrix).
func product(m [][][2]string) [][][2]string {
	out := [][][2]string{nil}
	for _, vals := range m {
		var next [][][2]string
		for _, prefix := range out {
			for _, v := range vals {
				c := append(append([][2]string(nil), prefix...), v)
				next = append(next, c)
			}
		}
		out = next
	}
	return out
}

// instance copies root with variables substituted and includes expanded.
func (x *expander) instance(root *yaml.Node, vals map[string]string) *yaml.Node {
	if root.Kind != yaml.MappingNode {
		return x.subst(root, vals, "")
	}
	c := x.shallow(root)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		var vc *yaml.Node
		if k.Value == "steps" && v.Kind == yaml.SequenceNode {
			vc = x.shallow(v)
			vc.Content = x.steps(v, vals, 0)
		} else {
			vc = x.subst(v, vals, k.Value)
		}
		c.Content = append(c.Content, k, vc)
	}
	return c
}

func (x *expander) shallow(n *yaml.Node) *yaml.Node {
	x.copied++
	if x.copied > maxCopiedNodes && !x.over {
		x.over = true
		x.d.errorf(n, "", "the file expands to more than %d values (matrix, includes and aliases together)", maxCopiedNodes)
	}
	c := *n
	c.Content = nil
	if f, ok := x.d.files[n]; ok {
		x.d.files[&c] = f
	}
	return &c
}

// subst copies n with ${name} replaced in every scalar value (keys are left alone).
func (x *expander) subst(n *yaml.Node, vals map[string]string, p string) *yaml.Node {
	c := x.shallow(n)
	if x.over {
		return c
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if strings.Contains(n.Value, "$") {
			c.Value = x.substStringAt(n, n.Value, vals, p)
			// A plain scalar, or a value that is one whole reference (quoted so a flow
			// mapping can hold it: count: "${n}"), takes the type of its text.
			whole := wholeRef.MatchString(n.Value)
			if c.Value != n.Value && (n.Style == 0 || whole) {
				c.Tag = resolveTag(c.Value)
				if whole && c.Tag == "!!null" {
					c.Tag = "!!str"
				}
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			c.Content = append(c.Content, n.Content[i], x.subst(n.Content[i+1], vals, join(p, n.Content[i].Value)))
		}
	default:
		for i, it := range n.Content {
			c.Content = append(c.Content, x.subst(it, vals, fmt.Sprintf("%s[%d]", p, i)))
		}
	}
	return c
}

func (x *expander) substString(s string, vals map[string]string, p string) string {
	return x.substStringAt(nil, s, vals, p)
}

var (
	varRef   = regexp.MustCompile(`\$\$\{|\$\{([^}]*)\}`)
	wholeRef = regexp.MustCompile(`^\$\{[A-Za-z_][A-Za-z0-9_]*\}$`)
)

// substStringAt replaces ${name} with its value; $${ is a literal ${. An unknown or
// malformed reference is an error at n.
func (x *expander) substStringAt(n *yaml.Node, s string, vals map[string]string, p string) string {
	return varRef.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$${" {
			return "${"
		}
		name := m[2 : len(m)-1]
		v, ok := vals[name]
		if !ok && x.captured[name] {
			return m // filled in when the run captures it
		}
		if !ok {
			known := make([]string, 0, len(vals))
			for k := range vals {
				known = append(known, k)
			}
			sort.Strings(known)
			list := "none (define them under vars: or matrix:)"
			if len(known) > 0 {
				list = strings.Join(known, ", ")
			}
			x.d.errorf(n, p, "unknown variable ${%s}; defined: %s", name, list)
			return m
		}
		return v
	})
}

var (
	intText   = regexp.MustCompile(`^[-+]?[0-9]+$`)
	floatText = regexp.MustCompile(`^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$`)
)

// resolveTag gives a substituted plain scalar the tag YAML would have given its text.
func resolveTag(s string) string {
	switch {
	case s == "true" || s == "false":
		return "!!bool"
	case s == "" || s == "null" || s == "~":
		return "!!null"
	case intText.MatchString(s):
		return "!!int"
	case floatText.MatchString(s):
		return "!!float"
	}
	return "!!str"
}
