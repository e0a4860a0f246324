package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tongdao/tongdao/simulator"
)

// remoteSim drives a running simulator through its control API (/_sim/...).
type remoteSim struct {
	base   string // without trailing slash
	client *http.Client
}

// maxControlAnswer bounds a control API answer (records of a long scenario included).
const maxControlAnswer = 64 << 20

// Control implements simDriver over /_sim/{channel}/{path}.
func (r remoteSim) Control(ctx context.Context, method, chName, path string, q url.Values, in, out any) error {
	p := "/_sim/" + url.PathEscape(chName) + "/" + path
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return r.do(ctx, method, p, in, out)
}

func (r remoteSim) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("simulator %s %s: encoding: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, body)
	if err != nil {
		return fmt.Errorf("simulator %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("simulator %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxControlAnswer))
	if err != nil {
		return fmt.Errorf("simulator %s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
			Field string `json:"field"`
		}
		_ = json.Unmarshal(b, &e)
		if e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		return &simError{Status: resp.StatusCode, Field: e.Field, Msg: e.Error}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("simulator %s %s: decoding the answer: %w", method, path, err)
		}
	}
	return nil
}

func (r remoteSim) Reset(ctx context.Context) error {
	return r.do(ctx, http.MethodPost, "/_sim/reset", struct{}{}, nil)
}

type clockAnswer struct {
	Now     string `json:"now"`
	Mode    string `json:"mode"`
	NextDue string `json:"next_due"`
}

func (r remoteSim) clock(ctx context.Context) (clockAnswer, error) {
	var c clockAnswer
	err := r.do(ctx, http.MethodGet, "/_sim/clock", nil, &c)
	return c, err
}

func (r remoteSim) Now(ctx context.Context) (time.Time, error) {
	c, err := r.clock(ctx)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, c.Now)
	if err != nil {
		return time.Time{}, fmt.Errorf("simulator clock: bad time %q: %w", c.Now, err)
	}
	return t, nil
}

func (r remoteSim) SetTime(ctx context.Context, t time.Time) error {
	return r.do(ctx, http.MethodPost, "/_sim/clock/set", map[string]string{"time": t.Format(time.RFC3339Nano)}, nil)
}

func (r remoteSim) Advance(ctx context.Context, d time.Duration) error {
	return r.do(ctx, http.MethodPost, "/_sim/clock/advance", map[string]string{"duration": d.String()}, nil)
}

func (r remoteSim) NextDue(ctx context.Context) (time.Time, bool, error) {
	c, err := r.clock(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	if c.Mode != "virtual" {
		return time.Time{}, false, simulator.ErrNotVirtual
	}
	if c.NextDue == "" {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, c.NextDue)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("simulator clock: bad next_due %q: %w", c.NextDue, err)
	}
	return t, true, nil
}

func (r remoteSim) AddMerchant(ctx context.Context, raw json.RawMessage) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	err := r.do(ctx, http.MethodPost, "/_sim/merchants", raw, &out)
	return out.ID, err
}

func (r remoteSim) Merchants(ctx context.Context) (map[string][]json.RawMessage, error) {
	var out struct {
		Merchants map[string][]json.RawMessage `json:"merchants"`
	}
	err := r.do(ctx, http.MethodGet, "/_sim/merchants", nil, &out)
	return out.Merchants, err
}

func (r remoteSim) AddFault(ctx context.Context, p simulator.FaultPlan) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	err := r.do(ctx, http.MethodPost, "/_sim/faults", p, &out)
	return out.ID, err
}

func (r remoteSim) ClearFaults(ctx context.Context) error {
	var out struct {
		Faults []simulator.FaultPlan `json:"faults"`
	}
	if err := r.do(ctx, http.MethodGet, "/_sim/faults", nil, &out); err != nil {
		return err
	}
	for _, p := range out.Faults {
		if err := r.do(ctx, http.MethodDelete, "/_sim/faults/"+url.PathEscape(p.ID), nil, nil); err != nil {
			return err
		}
	}
	return nil
}

func (r remoteSim) Payer(ctx context.Context, op string, a simulator.PayerAction) (simulator.PayOutcome, error) {
	var out simulator.PayOutcome
	err := r.do(ctx, http.MethodPost, "/_sim/payer/"+op, a, &out)
	return out, err
}

func (r remoteSim) Records(ctx context.Context, f simulator.RecordFilter) ([]simulator.Record, error) {
	q := url.Values{}
	if f.Channel != "" {
		q.Set("channel", f.Channel)
	}
	if f.OutTradeNo != "" {
		q.Set("out_trade_no", f.OutTradeNo)
	}
	if f.Kind != "" {
		q.Set("kind", f.Kind)
	}
	if f.AfterSeq > 0 {
		q.Set("after", strconv.FormatInt(f.AfterSeq, 10))
	}
	path := "/_sim/records"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out struct {
		Records []simulator.Record `json:"records"`
	}
	err := r.do(ctx, http.MethodGet, path, nil, &out)
	return out.Records, err
}

// remoteCollector is the notify listener of remote mode, shared by the scenarios; each
// scenario swaps in its own collector.
type remoteCollector struct {
	srv  *http.Server
	ln   net.Listener
	base string
	mu   sync.Mutex
	cur  map[int]*collector // the running scenario's collector, by worker
}

func startRemoteCollector(listen, base string) (*remoteCollector, error) {
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("scenarios: notify listener on %s: %w", listen, err)
	}
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	rc := &remoteCollector{ln: ln, base: strings.TrimRight(base, "/"), cur: map[int]*collector{}}
	rc.srv = &http.Server{Handler: http.HandlerFunc(rc.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = rc.srv.Serve(ln) }()
	return rc, nil
}

func (rc *remoteCollector) set(worker int, c *collector) {
	rc.mu.Lock()
	rc.cur[worker] = c
	rc.mu.Unlock()
}

func (rc *remoteCollector) serve(w http.ResponseWriter, r *http.Request) {
	worker, rest, ok := splitWorker(r.URL.Path)
	if !ok {
		http.Error(w, "no such notify URL", http.StatusNotFound)
		return
	}
	rc.mu.Lock()
	c := rc.cur[worker]
	rc.mu.Unlock()
	if worker != 0 {
		r2 := r.Clone(r.Context())
		r2.URL.Path = rest
		r = r2
	}
	if c == nil {
		http.Error(w, "no scenario running", http.StatusServiceUnavailable)
		return
	}
	c.ServeHTTP(w, r)
}

func (rc *remoteCollector) close() { _ = rc.srv.Close() }
