package scenarios

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

// Misbehaviour is a misbehave step: how the merchant endpoint the runner plays answers
// its next requests.
type Misbehaviour struct {
	// At is the endpoint: "notify" (the runner's notify endpoint, which receives the
	// channels' callbacks under target adapters) or "webhooks" (the merchant's webhook
	// endpoint, which receives the in-process gateway's webhooks).
	At string
	// Respond is what it does: "ok" (behave again), "wrong_ack" (process, then answer 200
	// with Body instead of the channel's acknowledgement), "status" (answer Status without
	// processing), "down" (close the connection without answering) or "slow" (process, then
	// answer only after the sender stopped waiting: the sender sees a timeout).
	Respond string
	Status  int
	Body    string
	// First limits it to the next First requests (0 = until the next misbehave step).
	First int
}

// Misbehaviour answers.
const (
	RespondOK       = "ok"
	RespondWrongAck = "wrong_ack"
	RespondStatus   = "status"
	RespondDown     = "down"
	RespondSlow     = "slow"
)

var respondKinds = []string{RespondOK, RespondWrongAck, RespondStatus, RespondDown, RespondSlow}

// misbehaviour is the current plan of one endpoint; safe for concurrent use.
type misbehaviour struct {
	mu   sync.Mutex
	plan *Misbehaviour
	left int // requests left when plan.First > 0
}

func (m *misbehaviour) set(p *Misbehaviour) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p == nil || p.Respond == RespondOK {
		m.plan = nil
		return
	}
	cp := *p
	m.plan, m.left = &cp, p.First
}

// take returns the plan acting on the next request ("" Respond = behave).
func (m *misbehaviour) take() Misbehaviour {
	if m == nil {
		return Misbehaviour{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.plan == nil {
		return Misbehaviour{}
	}
	p := *m.plan
	if p.First > 0 {
		m.left--
		if m.left <= 0 {
			m.plan = nil
		}
	}
	return p
}

// before acts on a request before it is processed: true when p answered it (down,
// status).
func (p Misbehaviour) before(w http.ResponseWriter) bool {
	switch p.Respond {
	case RespondDown:
		// net/http closes the connection; the in-process transport reports it as closed.
		panic(http.ErrAbortHandler)
	case RespondStatus:
		code := p.Status
		if code == 0 {
			code = http.StatusInternalServerError
		}
		body := p.Body
		if body == "" {
			body = "internal error"
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
		return true
	}
	return false
}

// after acts on a processed request instead of the normal answer: true when p answered it
// (wrong_ack, slow).
func (p Misbehaviour) after(w http.ResponseWriter) bool {
	switch p.Respond {
	case RespondWrongAck:
		body := p.Body
		if body == "" {
			body = "received"
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, body)
		return true
	case RespondSlow:
		// The answer comes after the sender's deadline: what the sender sees is a
		// connection that produced nothing in time. Modelled as a closed connection, so no
		// test waits on a wall clock.
		panic(http.ErrAbortHandler)
	}
	return false
}

// hookDelivery is one request that reached the merchant's webhook endpoint.
type hookDelivery struct {
	Time     time.Time
	Type     string // Tongdao-Event-Type (or the body's "type")
	EventID  string
	OrderNo  string // data.order_no
	Status   int    // what the endpoint answered (0: connection closed)
	Verified bool   // the signature verified
	Respond  string // the misbehaviour that acted ("" = none)
}

// merchantEndpoint plays the merchant's webhook endpoint: it verifies each webhook,
// records it, and answers 204 unless told to misbehave.
type merchantEndpoint struct {
	clk    clock.Clock
	verify func(h http.Header, body []byte, now time.Time) error
	mis    misbehaviour

	mu   sync.Mutex
	list []hookDelivery
}

func newMerchantEndpoint(clk clock.Clock) *merchantEndpoint {
	return &merchantEndpoint{clk: clk}
}

func (m *merchantEndpoint) all() []hookDelivery {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]hookDelivery(nil), m.list...)
}

func (m *merchantEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	d := hookDelivery{Time: m.clk.Now(), Type: r.Header.Get("Tongdao-Event-Type"), EventID: r.Header.Get("Tongdao-Event-Id")}
	var env struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Data struct {
			OrderNo string `json:"order_no"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &env) == nil {
		if d.Type == "" {
			d.Type = env.Type
		}
		if d.EventID == "" {
			d.EventID = env.ID
		}
		d.OrderNo = env.Data.OrderNo
	}
	d.Verified = m.verify == nil || m.verify(r.Header, body, m.clk.Now()) == nil
	p := m.mis.take()
	d.Respond = p.Respond
	defer func() {
		m.mu.Lock()
		m.list = append(m.list, d)
		m.mu.Unlock()
	}()
	rec := &statusRecorder{ResponseWriter: w}
	if p.before(rec) {
		d.Status = rec.status
		return
	}
	if !d.Verified {
		http.Error(rec, "bad signature", http.StatusBadRequest)
		d.Status = rec.status
		return
	}
	if p.after(rec) {
		d.Status = rec.status
		return
	}
	rec.WriteHeader(http.StatusNoContent)
	d.Status = rec.status
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func fmtHook(d *hookDelivery) string {
	s := fmt.Sprintf("webhook %s %s order=%s -> %d", d.Type, d.EventID, d.OrderNo, d.Status)
	if d.Status == 0 {
		s = fmt.Sprintf("webhook %s %s order=%s -> connection closed", d.Type, d.EventID, d.OrderNo)
	}
	if !d.Verified {
		s += " (bad signature)"
	}
	if d.Respond != "" {
		s += " [misbehave " + d.Respond + "]"
	}
	return s
}

// WebhookExpect counts the webhooks the merchant's endpoint received (target gateway).
type WebhookExpect struct {
	Pos   Pos
	Type  string // "payment.succeeded"; "" = any
	Order string // the merchant order number; "" = any
	// Answered counts only deliveries the endpoint answered with this status (0 = any;
	// connection closes answer nothing).
	Answered        int
	Count, Min, Max *int
	// Events counts distinct event ids instead of deliveries.
	Events bool
}

func (w *WebhookExpect) describe() string {
	parts := []string{}
	if w.Type != "" {
		parts = append(parts, "type="+w.Type)
	}
	if w.Order != "" {
		parts = append(parts, "order="+w.Order)
	}
	if w.Answered != 0 {
		parts = append(parts, fmt.Sprintf("answered=%d", w.Answered))
	}
	what := "webhook deliveries"
	if w.Events {
		what = "distinct webhook events"
	}
	if len(parts) == 0 {
		return what
	}
	return what + " with " + strings.Join(parts, " ")
}

func (r *run) checkWebhooks(we *WebhookExpect) error {
	if r.tgt == nil || r.tgt.gw == nil {
		return errors.New("webhooks are observed with the in-process gateway only (`target: gateway` without --gateway-url): a running gateway sends its webhooks to the URL its own config names")
	}
	hooks := r.tgt.hooks.all()
	n := 0
	seen := map[string]bool{}
	for i := range hooks {
		h := &hooks[i]
		if (we.Type != "" && h.Type != we.Type) || (we.Order != "" && h.OrderNo != we.Order) || (we.Answered != 0 && h.Status != we.Answered) {
			continue
		}
		if we.Events {
			if seen[h.EventID] {
				continue
			}
			seen[h.EventID] = true
		}
		n++
	}
	return checkCount(we.describe(), n, we.Count, we.Min, we.Max)
}

func checkCount(what string, n int, count, lo, hi *int) error {
	switch {
	case count != nil && n != *count:
		return fmt.Errorf("expected %d %s, got %d", *count, what, n)
	case lo != nil && n < *lo:
		return fmt.Errorf("expected at least %d %s, got %d", *lo, what, n)
	case hi != nil && n > *hi:
		return fmt.Errorf("expected at most %d %s, got %d", *hi, what, n)
	}
	return nil
}
