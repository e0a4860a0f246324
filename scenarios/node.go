package scenarios

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// decoder walks a yaml.Node tree and collects every problem with its position, so one run
// over a file reports all of them.
type decoder struct {
	file string
	errs []*FieldError
	// files names the file of nodes copied from an included file (template.go).
	files map[*yaml.Node]string
}

// maxErrors bounds how many problems one file reports.
const maxErrors = 50

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file}
	}
	if f, ok := d.files[n]; ok && f != "" {
		return Pos{File: f, Line: n.Line, Column: n.Column}
	}
	return Pos{File: d.file, Line: n.Line, Column: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, field, format string, args ...any) {
	if len(d.errs) >= maxErrors {
		return
	}
	d.errs = append(d.errs, &FieldError{Pos: d.pos(n), Field: field, Msg: fmt.Sprintf(format, args...)})
}

// mapNode is a YAML mapping being decoded: get marks keys as known, finish reports the
// keys nobody asked for.
type mapNode struct {
	d     *decoder
	n     *yaml.Node
	path  string
	keys  []*yaml.Node
	vals  map[string]*yaml.Node
	asked []string
}

// mapping returns n as a mapping, or nil (after reporting) when it is not one. A null
// node is an empty mapping.
func (d *decoder) mapping(n *yaml.Node, path string) *mapNode {
	n = d.deref(n, path)
	if n == nil {
		return nil
	}
	m := &mapNode{d: d, n: n, path: path, vals: map[string]*yaml.Node{}}
	if isNull(n) {
		return m
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping (key: value lines), got %s", describe(n))
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "keys must be plain words")
			continue
		}
		if _, dup := m.vals[k.Value]; dup {
			d.errorf(k, join(path, k.Value), "duplicate key")
			continue
		}
		m.keys = append(m.keys, k)
		m.vals[k.Value] = v
	}
	return m
}

// deref rejects aliases (an alias can make a small file expand exponentially) and
// unwraps document nodes.
func (d *decoder) deref(n *yaml.Node, path string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		d.errorf(n, path, "anchors and aliases are not supported; write the value out")
		return nil
	}
	return n
}

func (m *mapNode) get(key string) *yaml.Node {
	if m == nil {
		return nil
	}
	m.asked = append(m.asked, key)
	return m.vals[key]
}

func (m *mapNode) has(key string) bool {
	if m == nil {
		return false
	}
	_, ok := m.vals[key]
	return ok
}

// field is the path of a key of this mapping.
func (m *mapNode) field(key string) string { return join(m.path, key) }

// finish reports every key that no get asked for, with the known keys and the closest one.
func (m *mapNode) finish() {
	if m == nil {
		return
	}
	known := map[string]bool{}
	for _, k := range m.asked {
		known[k] = true
	}
	for _, k := range m.keys {
		if known[k.Value] {
			continue
		}
		list := append([]string(nil), m.asked...)
		sort.Strings(list)
		list = dedupe(list)
		msg := fmt.Sprintf("unknown field %q", k.Value)
		if s := closest(k.Value, list); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		m.d.errorf(k, join(m.path, k.Value), "%s; known fields: %s", msg, strings.Join(list, ", "))
	}
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// closest returns the known key within edit distance 2 of k, if one is.
func closest(k string, known []string) string {
	best, bestD := "", 3
	for _, c := range known {
		if dd := editDistance(k, c); dd < bestD {
			best, bestD = c, dd
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing (null)"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// seq returns the items of a list (a null node is an empty list), or nil after reporting.
func (d *decoder) seq(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	n = d.deref(n, path)
	if n == nil {
		return nil, false
	}
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "want a list, got %s", describe(n))
		return nil, false
	}
	return n.Content, true
}

// scalar returns n's text, or ok=false after reporting when it is not a scalar.
func (d *decoder) scalar(n *yaml.Node, path string) (string, bool) {
	n = d.deref(n, path)
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "want a single value, got %s", describe(n))
		return "", false
	}
	if isNull(n) {
		d.errorf(n, path, "value is empty")
		return "", false
	}
	return n.Value, true
}

// str decodes an optional string field of m.
func (m *mapNode) str(key string) string {
	n := m.get(key)
	if n == nil {
		return ""
	}
	s, _ := m.d.scalar(n, m.field(key))
	return s
}

// required decodes a string field that must be present and non-empty.
func (m *mapNode) required(key string) string {
	if m == nil {
		return ""
	}
	n := m.get(key)
	if n == nil {
		m.d.errorf(m.n, m.field(key), "required")
		return ""
	}
	s, _ := m.d.scalar(n, m.field(key))
	return s
}

func (m *mapNode) intPtr(key string, minV int) *int {
	n := m.get(key)
	if n == nil {
		return nil
	}
	s, ok := m.d.scalar(n, m.field(key))
	if !ok {
		return nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || n.Tag != "!!int" {
		m.d.errorf(n, m.field(key), "want a whole number, got %q", s)
		return nil
	}
	if v < minV || v > 1_000_000 {
		m.d.errorf(n, m.field(key), "must be within %d..1000000, got %d", minV, v)
		return nil
	}
	return &v
}

func (m *mapNode) intVal(key string, minV, def int) int {
	if p := m.intPtr(key, minV); p != nil {
		return *p
	}
	return def
}

func (m *mapNode) boolPtr(key string) *bool {
	n := m.get(key)
	if n == nil {
		return nil
	}
	s, ok := m.d.scalar(n, m.field(key))
	if !ok {
		return nil
	}
	if n.Tag != "!!bool" {
		m.d.errorf(n, m.field(key), "want true or false, got %q", s)
		return nil
	}
	v := s == "true" || s == "True" || s == "TRUE"
	return &v
}

func (m *mapNode) boolVal(key string) bool {
	p := m.boolPtr(key)
	return p != nil && *p
}

// amount decodes "0.01" (CNY) or "0.01 USD" exactly with core/money; a YAML number is read
// from its text, never through a float.
func (m *mapNode) amount(key string) *money.Amount {
	n := m.get(key)
	if n == nil {
		return nil
	}
	s, ok := m.d.scalar(n, m.field(key))
	if !ok {
		return nil
	}
	a, err := parseAmount(s)
	if err != nil {
		m.d.errorf(n, m.field(key), "%v", err)
		return nil
	}
	return &a
}

func parseAmount(s string) (money.Amount, error) {
	num, cur, hasCur := strings.Cut(strings.TrimSpace(s), " ")
	c := money.CNY
	if hasCur {
		pc, err := money.ParseCurrency(strings.TrimSpace(cur))
		if err != nil {
			return money.Amount{}, fmt.Errorf("bad currency in amount %q: %w", s, err)
		}
		c = pc
	}
	a, err := money.Parse(num, c)
	if err != nil {
		return money.Amount{}, fmt.Errorf("bad amount %q (want yuan like \"0.01\" or \"12.50 USD\"): %w", s, err)
	}
	if a.IsNegative() {
		return money.Amount{}, fmt.Errorf("amount %q must not be negative", s)
	}
	return a, nil
}

func (m *mapNode) duration(key string) time.Duration {
	n := m.get(key)
	if n == nil {
		return 0
	}
	return m.d.durationNode(n, m.field(key))
}

func (d *decoder) durationNode(n *yaml.Node, path string) time.Duration {
	s, ok := d.scalar(n, path)
	if !ok {
		return 0
	}
	v, err := parseDuration(s)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return 0
	}
	return v
}

// parseDuration reads Go durations ("90s", "1h30m") plus whole days ("2d").
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok && days != "" {
		n, err := strconv.Atoi(days)
		if err == nil && n > 0 && n <= 3660 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (want e.g. 90s, 5m, 1h30m, 2d)", s)
	}
	if v <= 0 {
		return 0, fmt.Errorf("duration %q must be positive", s)
	}
	return v, nil
}

// parseTime reads RFC 3339 with an offset, or "2006-01-02 15:04:05" as Beijing time.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateTime, s, clock.Beijing()); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("bad time %q (want 2026-11-20T23:59:50+08:00, or 2026-11-20 23:59:50 for Beijing time)", s)
}

func (m *mapNode) timeVal(key string) (time.Time, bool) {
	n := m.get(key)
	if n == nil {
		return time.Time{}, false
	}
	return m.d.timeNode(n, m.field(key))
}

func (d *decoder) timeNode(n *yaml.Node, path string) (time.Time, bool) {
	s, ok := d.scalar(n, path)
	if !ok {
		return time.Time{}, false
	}
	t, err := parseTime(s)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return time.Time{}, false
	}
	return t, true
}

func (m *mapNode) date(key string) clock.Date {
	n := m.get(key)
	if n == nil {
		return clock.Date{}
	}
	s, ok := m.d.scalar(n, m.field(key))
	if !ok {
		return clock.Date{}
	}
	v, err := clock.ParseDate(s)
	if err != nil {
		m.d.errorf(n, m.field(key), "bad day %q (want 2026-11-20)", s)
		return clock.Date{}
	}
	return v
}

// statusNames are the contract's status names as written in scenarios.
func parseStatus(s string) (channel.Status, error) {
	var st channel.Status
	if err := st.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, fmt.Errorf("unknown status %q; known: %s", s, strings.Join(statusNames(), ", "))
	}
	return st, nil
}

func statusNames() []string {
	var out []string
	for s := channel.StatusUnknown; s <= channel.StatusReversed; s++ {
		out = append(out, s.String())
	}
	return out
}

// kindNames maps the scenario spelling of each error kind to the contract's Kind.
var kindNames = []struct {
	name string
	kind channel.Kind
}{
	{"unknown_outcome", channel.KindUnknown},
	{"invalid_request", channel.KindInvalidRequest},
	{"signature", channel.KindSignature},
	{"not_found", channel.KindNotFound},
	{"already_done", channel.KindAlreadyDone},
	{"declined", channel.KindDeclined},
	{"insufficient_funds", channel.KindInsufficientFunds},
	{"rate_limited", channel.KindRateLimited},
	{"unavailable", channel.KindUnavailable},
}

// KindName returns the scenario spelling of k ("unknown_outcome").
func KindName(k channel.Kind) string {
	for _, kn := range kindNames {
		if kn.kind == k {
			return kn.name
		}
	}
	return k.String()
}

func parseKind(s string) (channel.Kind, error) {
	for _, kn := range kindNames {
		if kn.name == s {
			return kn.kind, nil
		}
	}
	names := make([]string, len(kindNames))
	for i, kn := range kindNames {
		names[i] = kn.name
	}
	return 0, fmt.Errorf("unknown error kind %q; known: %s, any", s, strings.Join(names, ", "))
}

// oneOrMany returns a scalar as a one-item list, or a list's items.
func (d *decoder) oneOrMany(n *yaml.Node, path string) []*yaml.Node {
	n = d.deref(n, path)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.SequenceNode {
		if len(n.Content) == 0 {
			d.errorf(n, path, "empty list")
		}
		return n.Content
	}
	return []*yaml.Node{n}
}
