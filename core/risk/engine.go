package risk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
)

// ErrConfig is wrapped by every error New and Reload return for a bad Config.
var ErrConfig = errors.New("risk: invalid config")

// Config configures an Engine.
type Config struct {
	Lists []List
	Rules []Rule
	// Velocity keeps velocity windows; default NewMemoryVelocity().
	Velocity VelocityStore
	// Bindings keeps binding state; default NewMemoryBindings().
	Bindings BindingStore
	// Cases records every assessment; default &MemoryCases{}.
	Cases  CaseLog
	Clock  clock.Clock // for requests without a time; default clock.Real()
	Logger *slog.Logger
}

// Engine implements gateway.Risk. Safe for concurrent use.
type Engine struct {
	t        atomic.Pointer[ruleset]
	velocity VelocityStore
	bindings BindingStore
	cases    CaseLog
	clk      clock.Clock
	log      *slog.Logger
	pool     sync.Pool // *scratch
}

var _ gateway.Risk = (*Engine)(nil)

// ruleset is one compiled Config.
type ruleset struct {
	allow    []rule // rules whose verdict is allow: evaluated first
	others   []rule
	counters []counterSpec
}

type counterSpec struct {
	per     Kind
	windows []time.Duration
}

type scratch struct {
	counters []Counter
	hits     []Hit
}

// New validates cfg and returns an Engine.
func New(cfg Config) (*Engine, error) {
	e := &Engine{velocity: cfg.Velocity, bindings: cfg.Bindings, cases: cfg.Cases, clk: cfg.Clock, log: cfg.Logger}
	if e.velocity == nil {
		e.velocity = NewMemoryVelocity()
	}
	if e.bindings == nil {
		e.bindings = NewMemoryBindings()
	}
	if e.cases == nil {
		e.cases = &MemoryCases{}
	}
	if e.clk == nil {
		e.clk = clock.Real()
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.pool.New = func() any { return &scratch{} }
	if err := e.Reload(cfg.Lists, cfg.Rules); err != nil {
		return nil, err
	}
	return e, nil
}

// Reload replaces the lists and rules atomically when they are valid; a bad set changes
// nothing. Velocity, binding state and the case log are kept.
func (e *Engine) Reload(lists []List, rules []Rule) error {
	rs, err := compile(lists, rules)
	if err != nil {
		return err
	}
	e.t.Store(rs)
	return nil
}

func compile(lists []List, rules []Rule) (*ruleset, error) {
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	byName := map[string]*list{}
	for _, l := range lists {
		switch l.Kind {
		case User, Card, Device, IP, Merchant:
		default:
			bad("list %s: kind %q is not one of user, card, device, ip, merchant", l.Name, l.Kind)
		}
		if byName[l.Name] != nil {
			bad("list %s is defined twice", l.Name)
		}
		cl := &list{kind: l.Kind, values: make(map[string]struct{}, len(l.Values))}
		for _, v := range l.Values {
			cl.values[v] = struct{}{}
		}
		byName[l.Name] = cl
	}
	rs := &ruleset{}
	names := map[string]bool{}
	for i, r := range rules {
		where := r.Source
		if where == "" {
			where = fmt.Sprintf("rule %d", i+1)
		}
		if r.Name == "" {
			bad("%s: name is required (the case log and the API name the rule that fired)", where)
		}
		if names[r.Name] {
			bad("%s: rule name %q is used twice", where, r.Name)
		}
		names[r.Name] = true
		cr := rule{Rule: r, velocity: -1}
		switch r.Then {
		case gateway.Allow, gateway.Challenge, gateway.Block:
		default:
			bad("%s: then %q is not one of allow, challenge, block", where, r.Then)
		}
		c := r.When
		empty := true
		if c.InList != "" {
			empty = false
			if cr.list = byName[c.InList]; cr.list == nil {
				bad("%s: in_list names unknown list %q", where, c.InList)
			}
		}
		if !c.AmountOver.IsZero() || len(c.Methods) > 0 || len(c.Merchants) > 0 || c.CardsPerUserOver > 0 || c.BindAttemptsOver > 0 || c.NewCardWithin > 0 {
			empty = false
		}
		if c.BindAttemptsOver > 0 && c.BindWindow <= 0 {
			bad("%s: bind_attempts_over needs a positive bind_window", where)
		}
		if v := c.Velocity; v != nil {
			empty = false
			switch v.Per {
			case User, Card, Device, IP:
			default:
				bad("%s: velocity per %q is not one of user, card, device, ip", where, v.Per)
			}
			if v.Window <= 0 {
				bad("%s: velocity window must be positive", where)
			}
			if v.CountOver <= 0 && v.AmountOver.IsZero() {
				bad("%s: velocity needs count_over or amount_over", where)
			}
			k := -1
			for j := range rs.counters {
				if rs.counters[j].per == v.Per {
					k = j
				}
			}
			if k < 0 {
				k = len(rs.counters)
				rs.counters = append(rs.counters, counterSpec{per: v.Per})
			}
			w := -1
			for j, d := range rs.counters[k].windows {
				if d == v.Window {
					w = j
				}
			}
			if w < 0 {
				w = len(rs.counters[k].windows)
				rs.counters[k].windows = append(rs.counters[k].windows, v.Window)
			}
			cr.velocity, cr.window = k, w
		}
		if empty {
			bad("%s: rule %s has no condition (it would fire on every payment)", where, r.Name)
		}
		if r.Then == gateway.Allow {
			rs.allow = append(rs.allow, cr)
		} else {
			rs.others = append(rs.others, cr)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrConfig, strings.Join(errs, "; "))
	}
	return rs, nil
}

// Assess implements gateway.Risk: it records the payment in the velocity windows, applies
// allow-list rules first, then every other rule (the strongest verdict wins; shadow rules
// only log), stores the case and answers the verdict with the rule that decided.
func (e *Engine) Assess(ctx context.Context, req gateway.RiskRequest) (gateway.RiskDecision, error) {
	rs := e.t.Load()
	at := req.At
	if at.IsZero() {
		at = e.clk.Now()
	}
	s := e.pool.Get().(*scratch)
	defer e.pool.Put(s)
	s.hits = s.hits[:0]
	// Velocity: one Record for every kind a rule counts by (one round trip on Redis).
	s.counters = s.counters[:0]
	var present [8]int // counter spec index → index in s.counters, -1 when the request has no value
	for j, cs := range rs.counters {
		v := valueOf(cs.per, &req)
		if v == "" {
			present[j] = -1
			continue
		}
		present[j] = len(s.counters)
		if len(s.counters) < cap(s.counters) {
			s.counters = s.counters[:len(s.counters)+1]
		} else {
			s.counters = append(s.counters, Counter{})
		}
		c := &s.counters[len(s.counters)-1]
		c.Key, c.Windows = string(cs.per)+":"+v, cs.windows
	}
	id := eventID(req.MerchantID, req.OrderNo, at)
	if len(s.counters) > 0 {
		if err := e.velocity.Record(ctx, id, req.Amount.Minor(), at, s.counters); err != nil {
			return gateway.RiskDecision{}, err
		}
	}
	dec := gateway.RiskDecision{Verdict: gateway.Allow}
	decided := false
	for i := range rs.allow {
		r := &rs.allow[i]
		ok, detail, err := e.holds(ctx, r, &req, at, s, &present)
		if err != nil {
			return gateway.RiskDecision{}, err
		}
		if ok {
			s.hits = append(s.hits, Hit{Rule: r.Name, Verdict: r.Then, Shadow: r.Shadow, Detail: detail})
			if !r.Shadow {
				dec.Rule, decided = r.Name, true
				break
			}
		}
	}
	if !decided {
		for i := range rs.others {
			r := &rs.others[i]
			ok, detail, err := e.holds(ctx, r, &req, at, s, &present)
			if err != nil {
				return gateway.RiskDecision{}, err
			}
			if !ok {
				continue
			}
			s.hits = append(s.hits, Hit{Rule: r.Name, Verdict: r.Then, Shadow: r.Shadow, Detail: detail})
			if !r.Shadow && severity(r.Then) > severity(dec.Verdict) {
				dec = gateway.RiskDecision{Verdict: r.Then, Rule: r.Name}
			}
		}
	}
	if dec.Rule == "" {
		dec.Rule = "default-allow"
	}
	c := &Case{ID: id, At: at, MerchantID: req.MerchantID, OrderNo: req.OrderNo, Method: string(req.Method),
		Amount: req.Amount, User: req.PayerID, CardFingerprint: req.CardFingerprint, DeviceID: req.DeviceID, ClientIP: req.ClientIP,
		Verdict: dec.Verdict, Rule: dec.Rule}
	if len(s.hits) > 0 {
		c.Hits = append([]Hit(nil), s.hits...)
		for _, h := range s.hits {
			if h.Shadow {
				e.log.LogAttrs(ctx, slog.LevelInfo, "risk shadow rule fired", slog.String("rule", h.Rule), slog.String("would", string(h.Verdict)),
					slog.String("merchant", req.MerchantID), slog.String("order_no", req.OrderNo), slog.String("detail", h.Detail))
			}
		}
	}
	if err := e.cases.RecordCase(ctx, c); err != nil {
		return gateway.RiskDecision{}, fmt.Errorf("risk: case log: %w", err)
	}
	if dec.Verdict != gateway.Allow {
		e.log.LogAttrs(ctx, slog.LevelInfo, "risk", slog.String("verdict", string(dec.Verdict)), slog.String("rule", dec.Rule),
			slog.String("merchant", req.MerchantID), slog.String("order_no", req.OrderNo))
	}
	return dec, nil
}

// holds evaluates r's condition; detail says what it saw when it fired.
func (e *Engine) holds(ctx context.Context, r *rule, req *gateway.RiskRequest, at time.Time, s *scratch, present *[8]int) (bool, string, error) {
	c := &r.When
	detail := ""
	if r.list != nil {
		v := valueOf(r.list.kind, req)
		if _, ok := r.list.values[v]; v == "" || !ok {
			return false, "", nil
		}
		detail = fmt.Sprintf("%s %s in list %s", r.list.kind, v, c.InList)
	}
	if len(c.Methods) > 0 && !contains(c.Methods, req.Method) {
		return false, "", nil
	}
	if len(c.Merchants) > 0 && !contains(c.Merchants, req.MerchantID) {
		return false, "", nil
	}
	if !c.AmountOver.IsZero() && (c.AmountOver.Currency() != req.Amount.Currency() || req.Amount.Minor() <= c.AmountOver.Minor()) {
		return false, "", nil
	}
	if r.velocity >= 0 {
		k := present[r.velocity]
		if k < 0 {
			return false, "", nil
		}
		t := s.counters[k].Totals[r.window]
		v := c.Velocity
		countHit := v.CountOver > 0 && t.Count > v.CountOver
		amountHit := !v.AmountOver.IsZero() && v.AmountOver.Currency() == req.Amount.Currency() && t.Amount > v.AmountOver.Minor()
		if !countHit && !amountHit {
			return false, "", nil
		}
		detail = fmt.Sprintf("%s velocity: %d payments, %s in %s", v.Per, t.Count, moneyOf(t.Amount, req), v.Window)
	}
	if c.CardsPerUserOver > 0 || c.BindAttemptsOver > 0 || c.NewCardWithin > 0 {
		ok, d, err := e.binding(ctx, c, req, at)
		if err != nil || !ok {
			return false, "", err
		}
		detail = d
	}
	if detail == "" && !c.AmountOver.IsZero() {
		detail = "amount " + req.Amount.String() + " over " + c.AmountOver.String()
	}
	return true, detail, nil
}

func (e *Engine) binding(ctx context.Context, c *Condition, req *gateway.RiskRequest, at time.Time) (bool, string, error) {
	var parts []string
	if c.CardsPerUserOver > 0 {
		if req.PayerID == "" {
			return false, "", nil
		}
		n, err := e.bindings.CardsOf(ctx, req.PayerID)
		if err != nil || n <= c.CardsPerUserOver {
			return false, "", err
		}
		parts = append(parts, fmt.Sprintf("user has %d cards bound", n))
	}
	if c.BindAttemptsOver > 0 {
		if req.CardFingerprint == "" {
			return false, "", nil
		}
		n, err := e.bindings.Attempts(ctx, req.CardFingerprint, c.BindWindow, at)
		if err != nil || n <= c.BindAttemptsOver {
			return false, "", err
		}
		parts = append(parts, fmt.Sprintf("card had %d bind attempts in %s", n, c.BindWindow))
	}
	if c.NewCardWithin > 0 {
		if req.CardFingerprint == "" {
			return false, "", nil
		}
		t, err := e.bindings.BoundAt(ctx, req.CardFingerprint)
		if err != nil || t.IsZero() || !at.Before(t.Add(c.NewCardWithin)) {
			return false, "", err
		}
		parts = append(parts, fmt.Sprintf("card bound %s ago, paying %s", at.Sub(t), req.Amount))
	}
	return true, strings.Join(parts, "; "), nil
}

// Bind records a binding event (attempt, bound, unbound) for the binding rules.
func (e *Engine) Bind(ctx context.Context, ev BindEvent) error {
	if ev.Card == "" || (ev.Kind != BindAttempt && ev.User == "") {
		return errors.New("risk: bind event needs a card fingerprint (and a user unless it is an attempt)")
	}
	if ev.At.IsZero() {
		ev.At = e.clk.Now()
	}
	return e.bindings.Apply(ctx, ev)
}

// Cases returns recorded cases (see CaseLog).
func (e *Engine) Cases(ctx context.Context, q CaseQuery) ([]Case, error) {
	return e.cases.Cases(ctx, q)
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
