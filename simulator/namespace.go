package simulator

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

// Namespaces serve many independent simulators on one listener, so parallel test runs
// against one `sim serve` do not share merchants, orders, fault plans, records or clock.
//
//	POST   /_sim/namespaces {"seed": 7, "start": "2026-11-20T10:00:00+08:00"}
//	       -> 201 {"id": "n1", "base": "/_ns/n1", "now": ..., "seed": 7}
//	GET    /_sim/namespaces            -> {"namespaces": ["n1", ...]}
//	DELETE /_sim/namespaces/{id}       -> 200 {"deleted": "n1"}
//	ANY    /_ns/{id}/...               -> that simulator (channel paths and /_sim/ alike)
//
// Everything else goes to the root simulator, so a client that knows nothing of
// namespaces sees a plain simulator. A namespace is a fresh Server built by the factory
// with the seed and start time asked for (its own virtual clock, which therefore needs no
// shifting), and lives until deleted.
type Namespaces struct {
	root   *Server
	newSim func(NamespaceOptions) (*Server, error)
	max    int

	mu  sync.Mutex
	seq int
	ns  map[string]*Server
}

// NamespaceOptions are a new namespace's seed and virtual start time.
type NamespaceOptions struct {
	Seed  uint64
	Start time.Time
}

// NamespacePrefix starts the path of every request to a namespace.
const NamespacePrefix = "/_ns/"

// prefixHeader carries a namespace's path prefix to the protocols that build absolute
// URLs (Alipay's bill download URL); set by Namespaces only, see PathPrefix.
const prefixHeader = "X-Tongdao-Sim-Prefix"

var namespaceID = regexp.MustCompile(`^n[0-9]{1,9}$`)

// NewNamespaces serves root and the namespaces newSim builds; max bounds how many exist
// at once (0 = 64).
func NewNamespaces(root *Server, newSim func(NamespaceOptions) (*Server, error), max int) *Namespaces {
	if max <= 0 {
		max = 64
	}
	return &Namespaces{root: root, newSim: newSim, max: max, ns: map[string]*Server{}}
}

// PathPrefix returns the namespace path prefix ("/_ns/n1") of a request served inside a
// namespace, "" otherwise; protocols put it in front of absolute URLs they hand out.
func PathPrefix(r *http.Request) string {
	p := r.Header.Get(prefixHeader)
	if id, ok := strings.CutPrefix(p, NamespacePrefix); ok && namespaceID.MatchString(id) {
		return p
	}
	return ""
}

// ServeHTTP routes namespace control, namespaced requests and the rest (the root).
func (n *Namespaces) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Header.Del(prefixHeader) // only Namespaces sets it
	p := r.URL.Path
	switch {
	case p == "/_sim/namespaces" && r.Method == http.MethodPost:
		n.create(w, r)
	case p == "/_sim/namespaces" && r.Method == http.MethodGet:
		n.mu.Lock()
		ids := make([]string, 0, len(n.ns))
		for id := range n.ns {
			ids = append(ids, id)
		}
		n.mu.Unlock()
		sort.Slice(ids, func(i, j int) bool { return nsNum(ids[i]) < nsNum(ids[j]) })
		writeJSON(w, http.StatusOK, map[string]any{"namespaces": ids})
	case strings.HasPrefix(p, "/_sim/namespaces/") && r.Method == http.MethodDelete:
		id := strings.TrimPrefix(p, "/_sim/namespaces/")
		n.mu.Lock()
		_, ok := n.ns[id]
		delete(n.ns, id)
		n.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, "id", "no namespace "+strconv.Quote(id))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"deleted": id})
	case strings.HasPrefix(p, NamespacePrefix):
		id, rest, _ := strings.Cut(strings.TrimPrefix(p, NamespacePrefix), "/")
		n.mu.Lock()
		s := n.ns[id]
		n.mu.Unlock()
		if s == nil {
			writeError(w, http.StatusNotFound, "id", "no namespace "+strconv.Quote(id)+"; create one with POST /_sim/namespaces")
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + rest
		r2.URL.RawPath = ""
		r2.RequestURI = ""
		r2.Header.Set(prefixHeader, NamespacePrefix+id)
		s.ServeHTTP(w, r2)
	default:
		n.root.ServeHTTP(w, r)
	}
}

func nsNum(id string) int {
	v, _ := strconv.Atoi(strings.TrimPrefix(id, "n"))
	return v
}

func (n *Namespaces) create(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	var in struct {
		Seed  *uint64 `json:"seed"`
		Start *string `json:"start"`
	}
	if err := decodeStrict(b, &in); err != nil {
		writeErr(w, err)
		return
	}
	o := NamespaceOptions{Seed: 1, Start: DefaultStart}
	if in.Seed != nil {
		o.Seed = *in.Seed
	}
	if in.Start != nil {
		t, err := time.Parse(time.RFC3339Nano, *in.Start)
		if err != nil {
			writeError(w, http.StatusBadRequest, "start", "want RFC 3339 like 2026-11-20T10:00:00+08:00")
			return
		}
		if err := checkTime(t); err != nil {
			writeError(w, http.StatusBadRequest, "start", err.Error())
			return
		}
		o.Start = t
	}
	n.mu.Lock()
	full := len(n.ns) >= n.max
	n.mu.Unlock()
	if full {
		writeError(w, http.StatusConflict, "", fmt.Sprintf("%d namespaces exist, the most this simulator keeps; DELETE /_sim/namespaces/{id} finished ones", n.max))
		return
	}
	s, err := n.newSim(o)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "", "building the namespace's simulator: "+err.Error())
		return
	}
	n.mu.Lock()
	if len(n.ns) >= n.max {
		n.mu.Unlock()
		writeError(w, http.StatusConflict, "", fmt.Sprintf("%d namespaces exist, the most this simulator keeps; DELETE /_sim/namespaces/{id} finished ones", n.max))
		return
	}
	n.seq++
	id := "n" + strconv.Itoa(n.seq)
	n.ns[id] = s
	n.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "base": NamespacePrefix + id,
		"now": s.Clock().Now().In(clock.Beijing()).Format(time.RFC3339), "seed": s.Rand().Seed()})
}
