package scenarios

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/tongdao/tongdao/simulator"
)

// probeNamespaces reports whether the simulator at base offers namespaces: it creates
// one and deletes it again.
func probeNamespaces(ctx context.Context, hc *http.Client, base string) bool {
	_, drop, err := createNamespace(ctx, hc, base, 1, simulator.DefaultStart)
	if err != nil {
		return false
	}
	drop()
	return true
}

// createNamespace asks the simulator at base for a namespace with the seed and start,
// and returns the namespace's base URL and a func that deletes it.
func createNamespace(ctx context.Context, hc *http.Client, base string, seed uint64, start time.Time) (string, func(), error) {
	drv := remoteSim{base: base, client: hc}
	var out struct {
		ID   string `json:"id"`
		Base string `json:"base"`
	}
	in := map[string]any{"seed": seed, "start": start.Format(time.RFC3339Nano)}
	if err := drv.do(ctx, http.MethodPost, "/_sim/namespaces", in, &out); err != nil {
		return "", nil, err
	}
	if out.ID == "" || out.Base == "" {
		return "", nil, errors.New("simulator: namespace answer without id or base")
	}
	drop := func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = drv.do(dctx, http.MethodDelete, "/_sim/namespaces/"+url.PathEscape(out.ID), nil, nil)
	}
	return base + out.Base, drop, nil
}

// resetSeed resets the simulator with the scenario's seed (POST /_sim/reset {"seed"}), so
// ids and nonces follow the scenario as in process; a simulator that refuses the body
// (older than the seed option) gets a plain reset.
func (r remoteSim) resetSeed(ctx context.Context, seed uint64) error {
	err := r.do(ctx, http.MethodPost, "/_sim/reset", map[string]any{"seed": seed}, nil)
	var se *simError
	if errors.As(err, &se) && se.Status == http.StatusBadRequest {
		return r.Reset(ctx)
	}
	return err
}
