package sign

import (
	"net/url"
	"slices"
	"strings"
)

// Param is one key/value pair of a signed message. Values are the raw (decoded,
// un-URL-encoded) UTF-8 text that is signed byte for byte.
type Param struct {
	Key   string
	Value string
}

// Params is the parameter container shared by adapters and the simulator: a small slice
// of key/value pairs. It is cheap to build (no hashing, one backing array) and
// AppendCanonical reads it without allocating. Keys are unique when built with Set; a
// Params built by hand with duplicate keys signs each occurrence. The zero value is an
// empty set ready to use. Params is not safe for concurrent mutation.
type Params []Param

// Set replaces the value of key if present, otherwise appends the pair. It keeps the
// existing order, so a sorted Params stays sorted only if key was already present.
func (p *Params) Set(key, value string) {
	for i := range *p {
		if (*p)[i].Key == key {
			(*p)[i].Value = value
			return
		}
	}
	*p = append(*p, Param{Key: key, Value: value})
}

// Get returns the value of the first pair named key and whether it was present.
func (p Params) Get(key string) (string, bool) {
	for i := range p {
		if p[i].Key == key {
			return p[i].Value, true
		}
	}
	return "", false
}

// Value returns the value of key, or "" when absent.
func (p Params) Value(key string) string {
	v, _ := p.Get(key)
	return v
}

// Del removes every pair named key, keeping the order of the rest.
func (p *Params) Del(key string) {
	*p = slices.DeleteFunc(*p, func(x Param) bool { return x.Key == key })
}

// Sort orders the pairs by key in byte order (the order of Java's TreeMap and of Go's
// string comparison). It is stable, so duplicate keys keep their relative order.
func (p Params) Sort() {
	slices.SortStableFunc(p, func(a, b Param) int { return strings.Compare(a.Key, b.Key) })
}

// IsSorted reports whether the pairs are in byte order of key.
func (p Params) IsSorted() bool {
	for i := 1; i < len(p); i++ {
		if p[i-1].Key > p[i].Key {
			return false
		}
	}
	return true
}

// Clone returns a copy that can be modified without touching p.
func (p Params) Clone() Params { return slices.Clone(p) }

// Map returns the pairs as a map; for duplicate keys the first value wins.
func (p Params) Map() map[string]string {
	m := make(map[string]string, len(p))
	for _, kv := range p {
		if _, ok := m[kv.Key]; !ok {
			m[kv.Key] = kv.Value
		}
	}
	return m
}

// ParamsFromValues converts decoded form or query values to sorted Params, taking the
// first value of each key (the channels never repeat a signed key).
func ParamsFromValues(v url.Values) Params {
	p := make(Params, 0, len(v))
	for k, vs := range v {
		val := ""
		if len(vs) > 0 {
			val = vs[0]
		}
		p = append(p, Param{Key: k, Value: val})
	}
	p.Sort()
	return p
}

// ParamsFromMap converts a map to sorted Params.
func ParamsFromMap(m map[string]string) Params {
	p := make(Params, 0, len(m))
	for k, v := range m {
		p = append(p, Param{Key: k, Value: v})
	}
	p.Sort()
	return p
}
