package simulator

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

// controlPrefix is where the control API lives; protocols cannot register below it.
const controlPrefix = "/_sim/"

// Server is the simulator: an http.Handler serving every configured protocol at its real
// paths plus the control API under /_sim/. Create it with New; serve it with any
// http.Server, httptest.Server, or Start in tests. Safe for concurrent use.
type Server struct {
	cfg         Config
	clk         clock.Clock
	virt        *clock.Virtual // nil in wall-clock mode
	wall        clock.Clock    // for socket-level waits (Hold), never for simulated time
	rand        *Rand
	log         *slog.Logger
	routes      routeTable
	faults      faultSet
	rec         recorder
	notify      notifier
	engines     []*Engine
	byName      map[string]*Engine
	control     http.Handler
	cbTransport http.RoundTripper
	cbNetwork   bool // cbTransport is an *http.Transport: attempts wait on the network
	disp        dispatcher
	batch       batch
	clientCAs   *x509.CertPool // set by UseTLS; nil = only check presence
}

// New builds a simulator from cfg: it validates the config, registers every protocol (in
// order) and returns the server. It fails on duplicate channel names or routes.
func New(cfg Config) (*Server, error) {
	cfg.withDefaults()
	s := &Server{cfg: cfg, wall: clock.Real(), byName: make(map[string]*Engine)}
	switch c := cfg.Clock.(type) {
	case nil:
		s.virt = clock.NewVirtual(cfg.Start)
		s.clk = s.virt
	case *clock.Virtual:
		s.virt = c
		s.clk = c
	default:
		s.clk = c
	}
	if s.virt != nil {
		if err := checkTime(s.virt.Now()); err != nil {
			return nil, fmt.Errorf("simulator: Config.Start: %w", err)
		}
	}
	switch cfg.ClientCert {
	case ClientCertRequire, ClientCertRequest, ClientCertOff:
	default:
		return nil, fmt.Errorf("simulator: Config.ClientCert %q: want require, request or off", cfg.ClientCert)
	}
	s.rand = newRand(cfg.Seed)
	s.log = cfg.Logger
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxRecords > 0 {
		s.rec.max = cfg.MaxRecords
	}
	s.notify.init(s.clk)
	s.cbTransport = cfg.CallbackTransport
	if s.cbTransport == nil {
		s.cbTransport = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: cfg.CallbackHostLimit, IdleConnTimeout: 90 * time.Second}
	}
	_, s.cbNetwork = s.cbTransport.(*http.Transport)
	s.disp.init(cfg.CallbackWorkers, cfg.CallbackHostLimit, s.wall.Now)
	for i, p := range cfg.Protocols {
		if p == nil {
			return nil, fmt.Errorf("simulator: Config.Protocols[%d] is nil", i)
		}
		name := p.Name()
		if name == "" || strings.ContainsAny(name, "/ ") {
			return nil, fmt.Errorf("simulator: Config.Protocols[%d]: bad channel name %q", i, name)
		}
		if _, dup := s.byName[name]; dup {
			return nil, fmt.Errorf("simulator: Config.Protocols[%d]: channel %q twice", i, name)
		}
		e := &Engine{s: s, name: name, proto: p}
		s.byName[name] = e
		s.engines = append(s.engines, e)
		if err := p.Register(e); err != nil {
			return nil, fmt.Errorf("simulator: register %s: %w", name, err)
		}
	}
	s.control = s.controlHandler()
	return s, nil
}

// Clock returns the simulator's clock.
func (s *Server) Clock() clock.Clock { return s.clk }

// Virtual returns the virtual clock, or nil in wall-clock mode.
func (s *Server) Virtual() *clock.Virtual { return s.virt }

// Rand returns the seeded random source.
func (s *Server) Rand() *Rand { return s.rand }

// Channels returns the configured channel names in configuration order.
func (s *Server) Channels() []string {
	out := make([]string, len(s.engines))
	for i, e := range s.engines {
		out[i] = e.name
	}
	return out
}

// Protocol returns the protocol serving channel name, or nil.
func (s *Server) Protocol(name string) Protocol {
	if e, ok := s.byName[name]; ok {
		return e.proto
	}
	return nil
}

// Advance moves the virtual clock forward by d, delivering every callback that falls due
// on the way (in due order, synchronously). ErrNotVirtual in wall mode.
func (s *Server) Advance(d time.Duration) error {
	if s.virt == nil {
		return ErrNotVirtual
	}
	if err := s.checkAdvance(d); err != nil {
		return err
	}
	s.virt.Advance(d)
	return nil
}

// checkAdvance refuses a negative d or one that would take the clock past MaxTime.
func (s *Server) checkAdvance(d time.Duration) error {
	if d < 0 {
		return fieldErr("duration", "must not be negative")
	}
	if room := MaxTime.Sub(s.clk.Now()); d > room {
		return fieldErr("duration", "would move the clock past %s, the latest time the simulator represents (room left: %s)",
			MaxTime.Format(time.RFC3339), room)
	}
	return nil
}

// SetTime moves the virtual clock to t (not backwards), as Advance.
func (s *Server) SetTime(t time.Time) error {
	if s.virt == nil {
		return ErrNotVirtual
	}
	if err := checkTime(t); err != nil {
		return &FieldError{Field: "time", Reason: err.Error()}
	}
	if err := s.virt.Set(t); err != nil {
		return &FieldError{Field: "time", Reason: err.Error()}
	}
	return nil
}

// ResetOptions are the optional parts of a reset: a new seed (kept for later resets) and a
// time to move the virtual clock to once everything is dropped (not before now: the
// clock never goes backwards).
type ResetOptions struct {
	Seed *uint64
	Time *time.Time
}

// ResetWith checks o, then resets as Reset does with o's seed, then moves the clock to
// o.Time without anything left to fire. Bad options change nothing.
func (s *Server) ResetWith(o ResetOptions) error {
	if o.Time != nil {
		switch {
		case s.virt == nil:
			return ErrNotVirtual
		case o.Time.Before(s.clk.Now()):
			return fieldErr("time", "before the current time %s; the clock never moves backwards", s.clk.Now().In(clock.Beijing()).Format(time.RFC3339))
		}
		if err := checkTime(*o.Time); err != nil {
			return &FieldError{Field: "time", Reason: err.Error()}
		}
	}
	if o.Seed != nil {
		s.rand.setSeed(*o.Seed)
	}
	s.Reset()
	if o.Time != nil {
		if err := s.virt.Set(*o.Time); err != nil {
			return &FieldError{Field: "time", Reason: err.Error()}
		}
	}
	return nil
}

// Reset drops all protocol state (demo merchants come back), fault plans, records and
// callbacks in flight, and reseeds the random source. The clock is not moved.
func (s *Server) Reset() {
	s.notify.reset()
	s.faults.reset()
	s.rand.reseed()
	for _, e := range s.engines {
		e.proto.Reset()
	}
	s.rec.reset()
}

// AddFault adds a fault plan and returns its id. Besides FaultPlan.Validate, a call or
// callback plan's op must be one the channel (or, without a channel, some channel) knows,
// where the protocols say (Route.Op, Operations): a misspelt op would never match.
func (s *Server) AddFault(p FaultPlan) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	if err := s.checkFaultOp(p); err != nil {
		return "", err
	}
	return s.faults.add(p)
}

// checkFaultOp refuses a call or callback plan whose op no matching channel knows.
func (s *Server) checkFaultOp(p FaultPlan) error {
	cat := kindCategory[p.Kind]
	if p.Op == "" || (cat != catCall && cat != catCallback) {
		return nil
	}
	engines := s.engines
	if p.Channel != "" {
		e, ok := s.byName[p.Channel]
		if !ok {
			return nil // the control API refuses unknown channels itself
		}
		engines = []*Engine{e}
	}
	known := map[string]bool{}
	for _, e := range engines {
		var ops map[string]bool
		var complete bool
		if cat == catCall {
			ops, complete = e.callOps()
		} else {
			ops, complete = e.callbackKinds()
		}
		if !complete || ops[p.Op] {
			return nil
		}
		for k := range ops {
			known[k] = true
		}
	}
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	what := "operation"
	if cat == catCallback {
		what = "callback kind"
	}
	return fieldErr("op", "unknown %s %q; known: %s", what, p.Op, strings.Join(names, ", "))
}

// RemoveFault removes the plan with id; false if there is none.
func (s *Server) RemoveFault(id string) bool { return s.faults.remove(id) }

// Faults returns the active plans in the order they were added.
func (s *Server) Faults() []FaultPlan { return s.faults.list() }

// Records returns the transcript records matching f, in order.
func (s *Server) Records(f RecordFilter) []Record { return s.rec.filter(f) }

// WriteTranscript writes the records matching f as JSON lines.
func (s *Server) WriteTranscript(w io.Writer, f RecordFilter) error { return s.rec.writeJSONL(w, f) }

// PendingCallbacks returns the number of callbacks waiting for an attempt.
func (s *Server) PendingCallbacks() int { return s.notify.count() }

func (s *Server) record(r Record) int64 {
	if r.Time.IsZero() {
		r.Time = s.clk.Now()
	}
	return s.rec.add(r)
}

// ServeHTTP serves the control API under /_sim/ and every protocol route. It never panics
// on any input: protocol panics are recovered and answered 500.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, controlPrefix) || r.URL.Path == "/_sim" {
		s.control.ServeHTTP(w, r)
		return
	}
	rt, otherMethod := s.routes.lookup(r.Method, r.Host, r.URL.Path)
	if rt == nil {
		if otherMethod {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	s.serveRoute(w, r, rt)
}

func (s *Server) serveRoute(w http.ResponseWriter, r *http.Request, rt *route) {
	c := &Call{Request: r, Route: rt.Route, e: rt.e, op: rt.Op}
	uri := r.URL.Path
	if r.URL.RawQuery != "" || r.URL.RawPath != "" {
		uri = r.URL.RequestURI()
	}
	rec := Record{Kind: RecordCall, Channel: rt.e.name, Method: r.Method, URL: uri}
	max := rt.MaxBody
	if max <= 0 {
		max = s.cfg.MaxBody
	}
	body, err := readAll(http.MaxBytesReader(w, r.Body, max), r.ContentLength)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		// The protocol answers in its own format; the connection is closed after the
		// answer (MaxBytesReader), so the rest of the body is never read.
		c.tooLarge, body = true, nil
		rec.Error = fmt.Sprintf("request body over the %d-byte limit (Content-Length %d): not read", max, r.ContentLength)
	case err != nil:
		rec.Status, rec.Error, rec.Op = http.StatusBadRequest, "reading request body: "+err.Error(), rt.Op
		s.record(rec)
		http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
		return
	}
	c.Body = body
	rec.Request, rec.RequestLen = clipBody(body, s.cfg.MaxRecordBody)

	if rt.ClientCert && r.TLS != nil && s.cfg.ClientCert == ClientCertRequire && !s.clientCertOK(r) {
		rec.Op, rec.Error = rt.Op, "no valid TLS client certificate: connection dropped"
		s.record(rec)
		s.abort(w, r, false, true)
		return
	}

	reply := s.runHandler(rt, c, &rec)
	// The names often point into a protocol's parse buffer; the record must not keep
	// that alive, so it shares the request text's memory or keeps a copy.
	rec.Op, rec.Merchant, rec.OutTradeNo = c.op, ownedIn(c.merchant, rec.Request), ownedIn(c.outTradeNo, rec.Request)
	for _, p := range c.faults {
		rec.Faults = append(rec.Faults, faultTag(p))
	}

	if c.stop != nil {
		s.finishStopped(w, r, c, &rec)
		return
	}
	if reply == nil {
		reply = &Reply{Status: http.StatusInternalServerError, ContentType: "text/plain; charset=utf-8", Body: []byte("simulator: protocol returned no reply")}
		rec.Error = "protocol handler returned nil without a stopping fault"
	}
	// After-processing faults, in the order a real failure would show them.
	if p, ok := findKind(c.faults, FaultDelay); ok && p.Stage != StageBefore {
		if !s.delay(r.Context(), p) {
			rec.Error = "client gave up during the delay"
		}
	}
	if p, ok := findKind(c.faults, FaultTimeoutAfter); ok {
		rec.Status = reply.status()
		rec.Response, rec.ResponseLen = clipBody(reply.Body, s.cfg.MaxRecordBody)
		rec.Note = "processed; response withheld (timeout after processing)"
		s.record(rec)
		s.abort(w, r, p.Hold, false)
		return
	}
	if p, ok := findKind(c.faults, FaultReset); ok && p.Stage == StageAfter {
		rec.Note = "processed; connection reset instead of the response"
		s.record(rec)
		s.abort(w, r, false, true)
		return
	}
	if p, ok := findKind(c.faults, FaultHTTP5xx); ok && p.Stage == StageAfter {
		reply = http5xx(p)
	}
	if p, ok := findKind(c.faults, FaultMalformedBody); ok {
		b := []byte(p.Body)
		if len(b) == 0 {
			// '=' first: an empty key for k=v parsers; '<' and '{' left open for XML and JSON.
			b = []byte("=<{\"simulator malformed body")
		}
		reply = &Reply{Status: reply.Status, ContentType: reply.ContentType, Header: reply.Header, Body: b}
	}
	if p, ok := findKind(c.faults, FaultTruncatedBody); ok {
		n := len(reply.Body) / 2
		if p.Count > 0 && p.Count < len(reply.Body) {
			n = p.Count
		}
		reply = &Reply{Status: reply.Status, ContentType: reply.ContentType, Header: reply.Header, Body: reply.Body[:n]}
	}
	rec.Status = reply.status()
	rec.Response, rec.ResponseLen = clipBody(reply.Body, s.cfg.MaxRecordBody)
	s.record(rec)
	writeReply(w, reply)
}

// readAll reads a request body incrementally: memory grows with the bytes that actually
// arrived, never with what Content-Length claims (a slow client announcing 1 MiB must not
// make the server hold 1 MiB while it trickles). The first buffer is at most 32 KiB.
func readAll(r io.Reader, n int64) ([]byte, error) {
	const first = 32 << 10
	c := int64(512)
	if n > 0 {
		c = min(n+1, first) // +1: the read that sees EOF needs no growth
	}
	b := make([]byte, 0, c)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		k, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+k]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// runHandler calls the protocol's handler, turning a panic into a 500 reply.
func (s *Server) runHandler(rt *route, c *Call, rec *Record) (reply *Reply) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("protocol handler panicked", "channel", rt.e.name, "path", rt.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			rec.Error = fmt.Sprintf("protocol handler panicked: %v", v)
			c.stop = nil
			reply = &Reply{Status: http.StatusInternalServerError, ContentType: "text/plain; charset=utf-8", Body: []byte("simulator: internal error")}
		}
	}()
	return rt.h(c)
}

// finishStopped answers a call a before-processing fault stopped in Identify.
func (s *Server) finishStopped(w http.ResponseWriter, r *http.Request, c *Call, rec *Record) {
	p := *c.stop
	switch p.Kind {
	case FaultTimeoutBefore:
		rec.Note = "not processed; no response (timeout before processing)"
		s.record(*rec)
		s.abort(w, r, p.Hold, false)
	case FaultReset:
		rec.Note = "not processed; connection reset"
		s.record(*rec)
		s.abort(w, r, false, true)
	case FaultHTTP5xx:
		reply := http5xx(p)
		rec.Status, rec.Note = reply.Status, "not processed"
		rec.Response, rec.ResponseLen = clipBody(reply.Body, s.cfg.MaxRecordBody)
		s.record(*rec)
		writeReply(w, reply)
	default: // a before-stage delay the client gave up on
		rec.Note = "not processed; client gave up during the delay"
		s.record(*rec)
		s.abort(w, r, false, false)
	}
}

func http5xx(p FaultPlan) *Reply {
	st := p.Status
	if st == 0 {
		st = http.StatusServiceUnavailable
	}
	body := p.Body
	if body == "" {
		body = strconv.Itoa(st) + " " + http.StatusText(st)
	}
	return &Reply{Status: st, ContentType: "text/plain; charset=utf-8", Body: []byte(body)}
}

func (r *Reply) status() int {
	if r.Status == 0 {
		return http.StatusOK
	}
	return r.Status
}

func writeReply(w http.ResponseWriter, r *Reply) {
	h := w.Header()
	for k, v := range r.Header {
		h[k] = v
	}
	if r.ContentType != "" {
		h.Set("Content-Type", r.ContentType)
	}
	h.Set("Content-Length", strconv.Itoa(len(r.Body)))
	w.WriteHeader(r.status())
	_, _ = w.Write(r.Body)
}

// delay applies a delay plan; it returns false if the client gave up while waiting.
func (s *Server) delay(ctx context.Context, p FaultPlan) bool {
	d := time.Duration(p.Delay)
	mode := p.DelayMode
	if mode == "" {
		mode = DelayWait
		if s.virt != nil {
			mode = DelayAdvance
		}
	}
	if mode == DelayAdvance && s.virt != nil {
		// Never past MaxTime: the rest of the delay is simply not simulated.
		s.virt.Advance(min(d, max(0, MaxTime.Sub(s.virt.Now()))))
		return true
	}
	t := s.clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		return false
	}
}

// aborter is implemented by the in-process transport's response writer.
type aborter interface{ abort(reset bool) }

// abort ends the exchange without a response: optionally held until the client gives up
// (at most Config.HoldMax, wall time), then the connection is closed — with a TCP reset
// when reset is set.
func (s *Server) abort(w http.ResponseWriter, r *http.Request, hold, reset bool) {
	if hold {
		t := s.wall.NewTimer(s.cfg.HoldMax)
		select {
		case <-r.Context().Done():
		case <-t.C():
		}
		t.Stop()
	}
	if a, ok := w.(aborter); ok {
		a.abort(reset)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if reset {
		setLinger0(conn)
	}
	_ = conn.Close()
}

func setLinger0(c net.Conn) {
	// Unwrap TLS and listener wrappers (a connection limit) down to the TCP connection.
	for i := 0; i < 8; i++ {
		nc, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = nc.NetConn()
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
}

// clientCertOK reports whether the request carries a client certificate (issued by the
// simulator's CA when one is configured).
func (s *Server) clientCertOK(r *http.Request) bool {
	certs := r.TLS.PeerCertificates
	if len(certs) == 0 {
		return false
	}
	if s.clientCAs == nil {
		return true
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: s.clientCAs, Intermediates: inter,
		CurrentTime: s.wall.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return err == nil
}
