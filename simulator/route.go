package simulator

import (
	"fmt"
	"net"
	"sort"
	"strings"
)

type route struct {
	Route
	h Handler
	e *Engine
}

// routeTable maps requests to handlers. It is filled during New (Protocol.Register) and
// read-only afterwards, so lookups take no lock.
type routeTable struct {
	exact  map[string]*route // "METHOD path"
	prefix []*route          // longest prefix first
	host   []*route          // routes with Route.Host, in registration order
	paths  map[string]bool   // every exact path, for 405 answers
}

func (t *routeTable) add(r *route) error {
	if t.exact == nil {
		t.exact = make(map[string]*route)
		t.paths = make(map[string]bool)
	}
	for _, o := range t.host {
		if o.Host == r.Host && o.Path == r.Path && o.Method == r.Method && o.Prefix == r.Prefix {
			return fmt.Errorf("simulator: route %s %s%s of %s already taken by %s", r.Method, r.Host, r.Path, r.e.name, o.e.name)
		}
	}
	switch {
	case r.Host != "":
		t.host = append(t.host, r)
	case r.Prefix:
		for _, o := range t.prefix {
			if o.Path == r.Path && o.Method == r.Method {
				return fmt.Errorf("simulator: route %s %s* of %s already taken by %s", r.Method, r.Path, r.e.name, o.e.name)
			}
		}
		t.prefix = append(t.prefix, r)
		sort.SliceStable(t.prefix, func(i, j int) bool { return len(t.prefix[i].Path) > len(t.prefix[j].Path) })
	default:
		k := r.Method + " " + r.Path
		if o, ok := t.exact[k]; ok {
			return fmt.Errorf("simulator: route %s %s of %s already taken by %s", r.Method, r.Path, r.e.name, o.e.name)
		}
		t.exact[k] = r
		t.paths[r.Path] = true
	}
	return nil
}

// lookup returns the route for a request, or nil and whether the path exists under
// another method.
func (t *routeTable) lookup(method, host, path string) (*route, bool) {
	if len(t.host) > 0 {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		for _, r := range t.host {
			if strings.HasPrefix(host, r.Host) && (r.Path == path || (r.Prefix && strings.HasPrefix(path, r.Path))) && r.Method == method {
				return r, false
			}
		}
	}
	if r, ok := t.exact[method+" "+path]; ok {
		return r, false
	}
	for _, r := range t.prefix {
		if strings.HasPrefix(path, r.Path) && r.Method == method {
			return r, false
		}
	}
	return nil, t.paths[path]
}
