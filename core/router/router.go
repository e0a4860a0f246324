package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
)

// ErrConfig is wrapped by every error New and Reload return for a bad Config.
var ErrConfig = errors.New("router: invalid config")

// ErrNoRoute is wrapped by Route's error when no rule matches or no candidate is eligible.
var ErrNoRoute = errors.New("router: no route")

// MaxCandidates bounds the accounts one rule may name (a Decision holds them inline).
const MaxCandidates = 16

// Account is one channel account as the router sees it.
type Account struct {
	ID       string
	Channel  channel.Channel // for Methods() and the optional interfaces
	Priority int             // higher first (ByPriority, and ties elsewhere)
	Weight   int             // ByWeight share, an integer ≥ 0 (0 = never chosen by weight, still a failover)
	Limits   Limits
	// Maintenance windows: the account is skipped inside them.
	Maintenance []Window
	// FeeMicros and FeeFixed are the account's fee for ByFee: amount × FeeMicros / 1e6
	// (rounded half up, in minor units) + FeeFixed. Config.Fee overrides them.
	FeeMicros int64
	FeeFixed  money.Amount
}

// FeeFunc returns the fee account would charge on amount (e.g. from clearing's fee
// contracts). It must not block.
type FeeFunc func(account string, amount money.Amount) money.Amount

// Config configures a Router.
type Config struct {
	Accounts []Account
	Rules    []Rule // the first matching rule wins
	// MerchantClasses maps a merchant id to its class (Rule.MerchantClasses).
	MerchantClasses map[string]string
	Health          Health
	Fee             FeeFunc // nil = Account.FeeMicros and FeeFixed
	// Limits keeps per-day and per-month usage shared by several processes (RedisLimits);
	// nil counts in this process only. Reload keeps the store given to New.
	Limits LimitStore
	BINs   *card.BINTable // nil = card.DefaultBINs()
	Clock  clock.Clock    // default clock.Real(); only used when a request has no time
	Logger *slog.Logger   // every decision is logged at Info with its explanation
}

// table is one compiled Config; Reload swaps it atomically.
type table struct {
	accounts []account
	byID     map[string]int
	rules    []rule
	classes  map[string]string
	bins     map[string]binInfo
	health   Health
	fee      FeeFunc
}

type account struct {
	Account
	methods uint16
	state   *acctState
}

// Router implements gateway.Router and gateway.AttemptObserver. Safe for concurrent use.
type Router struct {
	t      atomic.Pointer[table]
	mu     sync.Mutex // guards states and wheels (creation only)
	states map[string]*acctState
	wheels map[string]*swrr
	log    *slog.Logger
	clk    clock.Clock
	shared LimitStore
}

var (
	_ gateway.Router          = (*Router)(nil)
	_ gateway.AttemptObserver = (*Router)(nil)
)

// New validates cfg and returns a Router.
func New(cfg Config) (*Router, error) {
	r := &Router{states: map[string]*acctState{}, wheels: map[string]*swrr{}, log: cfg.Logger, clk: cfg.Clock, shared: cfg.Limits}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.clk == nil {
		r.clk = clock.Real()
	}
	if err := r.Reload(cfg); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload validates cfg and, when it is good, replaces the rules, accounts and health
// settings atomically; decisions in flight finish on the old ones. Limit counters, health
// windows and breakers are kept per account id. A bad cfg changes nothing.
func (r *Router) Reload(cfg Config) error {
	t, err := r.compile(cfg)
	if err != nil {
		return err
	}
	r.t.Store(t)
	return nil
}

func (r *Router) compile(cfg Config) (*table, error) {
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	t := &table{byID: map[string]int{}, classes: cfg.MerchantClasses, health: cfg.Health, fee: cfg.Fee}
	t.health.defaults()
	bins := cfg.BINs
	if bins == nil {
		bins = card.DefaultBINs()
	}
	t.bins = map[string]binInfo{}
	for _, b := range bins.Rows() {
		if _, ok := t.bins[b.Prefix]; !ok {
			t.bins[b.Prefix] = binInfo{bank: b.BankCode, typ: b.Type}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range cfg.Accounts {
		switch {
		case a.ID == "":
			bad("an account has no id")
			continue
		case a.Channel == nil:
			bad("account %s has no channel", a.ID)
			continue
		case a.Weight < 0:
			bad("account %s: weight %d is negative", a.ID, a.Weight)
		case a.FeeMicros < 0:
			bad("account %s: fee rate is negative", a.ID)
		}
		if _, dup := t.byID[a.ID]; dup {
			bad("account %s is listed twice", a.ID)
			continue
		}
		for _, w := range a.Maintenance {
			if !w.From.IsZero() && !w.To.After(w.From) {
				bad("account %s: maintenance window ends (%s) before it starts (%s)", a.ID, w.To, w.From)
			}
		}
		acc := account{Account: a}
		for _, m := range a.Channel.Methods() {
			acc.methods |= methodBit(m)
		}
		if r.states[a.ID] == nil {
			r.states[a.ID] = &acctState{}
		}
		acc.state = r.states[a.ID]
		t.byID[a.ID] = len(t.accounts)
		t.accounts = append(t.accounts, acc)
	}
	names := map[string]bool{}
	for i, rc := range cfg.Rules {
		where := rc.Source
		if where == "" {
			where = "rule " + strconv.Itoa(i+1)
		}
		if rc.Name == "" {
			rc.Name = "rule-" + strconv.Itoa(i+1)
		}
		if names[rc.Name] {
			bad("%s: rule name %q is used twice", where, rc.Name)
		}
		names[rc.Name] = true
		cr := rule{Rule: rc}
		if cr.Choose == "" {
			cr.Choose = ByPriority
		}
		switch cr.Choose {
		case ByPriority, ByWeight, ByFee:
		default:
			bad("%s: choose %q is not one of priority, weight, fee", where, cr.Choose)
		}
		for _, m := range rc.Methods {
			b := methodBit(m)
			if b == 0 {
				bad("%s: method %q is not one of qr, app, jsapi, h5, web, barcode, token", where, m)
			}
			cr.methods |= b
		}
		for _, c := range rc.Requires {
			if capabilities[c] == nil {
				bad("%s: requires %q is not one of closer, canceller, binder, pay_sms, authorizer, payouter, balance", where, c)
			}
		}
		if !rc.MinAmount.IsZero() && !rc.MaxAmount.IsZero() {
			if c, err := rc.MinAmount.Cmp(rc.MaxAmount); err != nil || c > 0 {
				bad("%s: amount min %s is above max %s (or in another currency)", where, rc.MinAmount, rc.MaxAmount)
			}
		}
		if len(rc.Accounts) == 0 {
			bad("%s: rule %s names no accounts", where, rc.Name)
		}
		if len(rc.Accounts) > MaxCandidates {
			bad("%s: rule %s names %d accounts; at most %d", where, rc.Name, len(rc.Accounts), MaxCandidates)
		}
		inRule := map[string]bool{}
		for _, id := range rc.Accounts {
			if inRule[id] {
				bad("%s: rule %s names account %s twice", where, rc.Name, id)
			}
			inRule[id] = true
			k, ok := t.byID[id]
			if !ok {
				bad("%s: rule %s names unknown account %q", where, rc.Name, id)
				continue
			}
			capable := true
			for _, c := range rc.Requires {
				if f := capabilities[c]; f != nil && !f(t.accounts[k].Channel) {
					capable = false
				}
			}
			cr.accounts = append(cr.accounts, k)
			cr.capable = append(cr.capable, capable)
		}
		if cr.Choose == ByWeight {
			key := cr.Name + "\x00" + strings.Join(rc.Accounts, ",")
			if r.wheels[key] == nil {
				r.wheels[key] = &swrr{}
			}
			cr.swrr = r.wheels[key]
		}
		t.rules = append(t.rules, cr)
	}
	if len(t.rules) == 0 && len(errs) == 0 {
		bad("no rules: payments could go nowhere")
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrConfig, strings.Join(errs, "; "))
	}
	return t, nil
}

// swrr is the smooth weighted round-robin state of one rule (nginx's algorithm): each pick
// adds every eligible account's weight to its current value, takes the largest and
// subtracts the total from it. Over any run of picks each account's share stays within one
// pick of its weight's share.
type swrr struct {
	mu      sync.Mutex
	current [MaxCandidates]int64
}

// Skip is why a candidate was not eligible (SkipNone: it was).
type Skip uint8

// Reasons a candidate is skipped.
const (
	SkipNone Skip = iota
	SkipMethod
	SkipCapability
	SkipMaintenance
	SkipPerTxn
	SkipPerDay
	SkipPerMonth
	SkipCurrency
	SkipBreakerOpen
	SkipProbesBusy
)

type skip = Skip

const (
	skipNone        = SkipNone
	skipPerTxn      = SkipPerTxn
	skipPerDay      = SkipPerDay
	skipPerMonth    = SkipPerMonth
	skipCurrency    = SkipCurrency
	skipBreakerOpen = SkipBreakerOpen
	skipProbesBusy  = SkipProbesBusy
)

var skipNames = [...]string{
	SkipNone:        "eligible",
	SkipMethod:      "method not supported by the channel",
	SkipCapability:  "channel lacks a capability the rule requires",
	SkipMaintenance: "in a maintenance window",
	SkipPerTxn:      "over the per-transaction limit",
	SkipPerDay:      "per-day limit used up",
	SkipPerMonth:    "per-month limit used up",
	SkipCurrency:    "limits are in another currency",
	SkipBreakerOpen: "circuit breaker open",
	SkipProbesBusy:  "breaker half-open and its probes are busy",
}

// String describes the reason in words, as explanations show it.
func (s Skip) String() string {
	if int(s) < len(skipNames) {
		return skipNames[s]
	}
	return "skip(" + strconv.Itoa(int(s)) + ")"
}

// Candidate is one account of the matching rule and what the decision made of it.
type Candidate struct {
	Account  string
	Skipped  Skip // SkipNone: eligible
	Priority int
	Weight   int
	Fee      money.Amount // ByFee only
	Slow     bool         // mean latency over Health.SlowLatency: moved behind the others
}

// Decision is a routing decision with its explanation. It holds its candidates inline, so
// Decide does not allocate.
type Decision struct {
	Rule       string // the matching rule's name ("" = none matched)
	Source     string // where the rule was written
	Choose     Strategy
	Eligible   int // the first Eligible of Candidates are eligible, in the order to try them
	N          int // Candidates[:N] are the rule's accounts: eligible first, then skipped
	Candidates [MaxCandidates]Candidate
}

// Chosen returns the first eligible account, or "".
func (d *Decision) Chosen() string {
	if d.Eligible == 0 {
		return ""
	}
	return d.Candidates[0].Account
}

// String explains the decision in one line: the rule, then every candidate and why it was
// chosen, ordered or skipped.
func (d *Decision) String() string {
	if d.Rule == "" {
		return "no rule matches"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rule %s (%s), by %s:", d.Rule, d.Source, d.Choose)
	for i := 0; i < d.N; i++ {
		c := &d.Candidates[i]
		if c.Skipped != SkipNone {
			fmt.Fprintf(&b, " %s skipped: %s;", c.Account, c.Skipped)
			continue
		}
		fmt.Fprintf(&b, " #%d %s (priority %d", i+1, c.Account, c.Priority)
		switch d.Choose {
		case ByWeight:
			fmt.Fprintf(&b, ", weight %d", c.Weight)
		case ByFee:
			fmt.Fprintf(&b, ", fee %s", c.Fee)
		}
		if c.Slow {
			b.WriteString(", slow")
		}
		b.WriteString(");")
	}
	return strings.TrimSuffix(b.String(), ";")
}

// requestView is a RouteRequest with its derived values computed once.
type requestView struct {
	merchant  string
	methodBit uint16
	method    channel.Method
	amount    money.Amount
	at        time.Time
	minute    int
	bin       binInfo
	binFound  bool
}

func (t *table) lookupBIN(bin string) (binInfo, bool) {
	for n := min(len(bin), 8); n >= 6; n-- {
		if b, ok := t.bins[bin[:n]]; ok {
			return b, true
		}
	}
	return binInfo{}, false
}

// Decide fills d with the decision for req. It does not allocate. It changes only the
// weighted round-robin position of the matching rule (and moves breakers whose open time
// has passed to half-open); limits are reserved by BeginAttempt.
func (r *Router) Decide(req *gateway.RouteRequest, d *Decision) {
	t := r.t.Load()
	*d = Decision{}
	at := req.At
	if at.IsZero() {
		at = r.clk.Now()
	}
	v := requestView{merchant: req.MerchantID, method: req.Method, methodBit: methodBit(req.Method), amount: req.Amount, at: at, minute: minuteOfDay(at)}
	if req.CardBIN != "" {
		v.bin, v.binFound = t.lookupBIN(req.CardBIN)
	}
	var ru *rule
	for i := range t.rules {
		if t.rules[i].match(t, &v) {
			ru = &t.rules[i]
			break
		}
	}
	if ru == nil {
		return
	}
	d.Rule, d.Source, d.Choose = ru.Name, ru.Source, ru.Choose
	// Filters, in the rule's order; eligible ones are compacted to the front afterwards.
	var skipped [MaxCandidates]Candidate
	ns := 0
	for j, k := range ru.accounts {
		a := &t.accounts[k]
		c := Candidate{Account: a.ID, Priority: a.Priority, Weight: a.Weight}
		switch {
		case a.methods&v.methodBit == 0:
			c.Skipped = SkipMethod
		case !ru.capable[j]:
			c.Skipped = SkipCapability
		case inMaintenance(a.Maintenance, at, v.minute):
			c.Skipped = SkipMaintenance
		default:
			st := a.state
			st.mu.Lock()
			c.Skipped = st.limits.fits(&a.Limits, req.Amount, at)
			if c.Skipped == SkipNone {
				var ok bool
				ok, c.Skipped = st.health.admit(&t.health, at)
				_ = ok
				if c.Skipped == SkipNone && t.health.SlowLatency > 0 {
					c.Slow = st.health.stats(&t.health, at).MeanLatency > t.health.SlowLatency
				}
			}
			st.mu.Unlock()
		}
		if c.Skipped != SkipNone {
			skipped[ns] = c
			ns++
			continue
		}
		if ru.Choose == ByFee {
			c.Fee = t.feeOf(a, req.Amount)
		}
		d.Candidates[d.Eligible] = c
		d.Eligible++
	}
	r.order(ru, d)
	d.N = d.Eligible
	for i := 0; i < ns; i++ {
		d.Candidates[d.N] = skipped[i]
		d.N++
	}
}

func inMaintenance(ws []Window, at time.Time, minute int) bool {
	for i := range ws {
		if ws[i].contains(at, minute) {
			return true
		}
	}
	return false
}

func (t *table) feeOf(a *account, amount money.Amount) money.Amount {
	if t.fee != nil {
		return t.fee(a.ID, amount)
	}
	fee := (amount.Minor()*a.FeeMicros + 500_000) / 1_000_000
	if a.FeeFixed.Currency() == amount.Currency() {
		fee += a.FeeFixed.Minor()
	}
	return money.New(fee, amount.Currency())
}

// order sorts d.Candidates[:d.Eligible] by the rule's strategy (insertion sort: at most 16,
// no allocation); slow accounts go behind the others.
func (r *Router) order(ru *rule, d *Decision) {
	c := d.Candidates[:d.Eligible]
	less := func(a, b *Candidate) bool {
		if a.Slow != b.Slow {
			return !a.Slow
		}
		if ru.Choose == ByFee && a.Fee.Minor() != b.Fee.Minor() {
			return a.Fee.Minor() < b.Fee.Minor()
		}
		return a.Priority > b.Priority
	}
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && less(&c[j], &c[j-1]); j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
	if ru.Choose != ByWeight || len(c) == 0 {
		return
	}
	// Smooth weighted round-robin over the eligible accounts, indexed by their place in the
	// rule (stable across decisions whatever the filters removed).
	w := ru.swrr
	w.mu.Lock()
	var total int64
	best, bestVal := -1, int64(0)
	for i := range c {
		if c[i].Slow || c[i].Weight == 0 {
			continue
		}
		p := ru.position(c[i].Account)
		w.current[p] += int64(c[i].Weight)
		total += int64(c[i].Weight)
		if best < 0 || w.current[p] > bestVal {
			best, bestVal = i, w.current[p]
		}
	}
	if best >= 0 {
		w.current[ru.position(c[best].Account)] -= total
	}
	w.mu.Unlock()
	if best > 0 {
		first := c[best]
		copy(c[1:best+1], c[:best])
		c[0] = first
	}
}

func (ru *rule) position(account string) int {
	for i, id := range ru.Accounts {
		if id == account {
			return i
		}
	}
	return 0
}

// Route implements gateway.Router: it decides, logs the explanation and answers the
// eligible accounts in order as RouteDecision.Candidates.
func (r *Router) Route(ctx context.Context, req gateway.RouteRequest) (gateway.RouteDecision, error) {
	var d Decision
	r.Decide(&req, &d)
	why := d.String()
	r.log.LogAttrs(ctx, slog.LevelInfo, "route", slog.String("merchant", req.MerchantID), slog.String("method", string(req.Method)),
		slog.String("amount", req.Amount.String()), slog.String("chosen", d.Chosen()), slog.String("why", why))
	if d.Eligible == 0 {
		return gateway.RouteDecision{Reason: why}, fmt.Errorf("%w: %s", ErrNoRoute, why)
	}
	out := gateway.RouteDecision{Account: d.Candidates[0].Account, Reason: why, Candidates: make([]string, d.Eligible)}
	for i := range out.Candidates {
		out.Candidates[i] = d.Candidates[i].Account
	}
	return out, nil
}

// BeginAttempt implements gateway.AttemptObserver: it takes a half-open breaker's probe
// slot and reserves the amount against the account's limits, exactly under concurrency
// (one lock per account; with a shared LimitStore, one atomic call to it). An error means
// the account must not be tried now. A LimitStore that cannot be reached refuses accounts
// with day or month limits (fail closed: nothing is sent); others are unaffected.
func (r *Router) BeginAttempt(account string, amount money.Amount, at time.Time) error {
	t := r.t.Load()
	k, ok := t.byID[account]
	if !ok {
		return nil // not routed by us
	}
	a := &t.accounts[k]
	st := a.state
	shared := r.shared != nil && (!a.Limits.PerDay.IsZero() || !a.Limits.PerMonth.IsZero())
	st.mu.Lock()
	if shared {
		if why := st.limits.fitsTxn(&a.Limits, amount); why != SkipNone {
			st.mu.Unlock()
			return fmt.Errorf("account %s: %s", account, why)
		}
	} else if why := st.limits.fits(&a.Limits, amount, at); why != SkipNone {
		st.mu.Unlock()
		return fmt.Errorf("account %s: %s", account, why)
	}
	if why := st.health.take(&t.health, at); why != SkipNone {
		st.mu.Unlock()
		return fmt.Errorf("account %s: %s", account, why)
	}
	if !shared {
		st.limits.reserve(&a.Limits, amount, at)
		st.mu.Unlock()
		return nil
	}
	st.mu.Unlock()
	day, month := beijingDay(at)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	why, dayUsed, monthUsed, err := r.shared.Reserve(ctx, account, day, month, amount.Minor(), a.Limits.PerDay.Minor(), a.Limits.PerMonth.Minor())
	st.mu.Lock()
	defer st.mu.Unlock()
	if err == nil {
		st.limits.roll(day, month)
		st.limits.dayUsed, st.limits.monthUsed = dayUsed, monthUsed // mirror for Decide's explanations
	}
	if err != nil || why != SkipNone {
		st.health.untake()
		if err != nil {
			r.log.Error("shared limits unreachable; not sending to an account with limits", "account", account, "err", err)
			return fmt.Errorf("account %s: shared limits unreachable: %w", account, err)
		}
		return fmt.Errorf("account %s: %s", account, why)
	}
	return nil
}

// EndAttempt implements gateway.AttemptObserver: it records the call in the account's
// health window and breaker and releases the limit reservation when the channel surely
// moved no money (any definitive error other than "already done"; an unknown outcome or an
// answer keeps it). A payment that was accepted but never paid (an expired QR code) keeps
// counting: limits err on the safe side.
func (r *Router) EndAttempt(at gateway.Attempt) {
	t := r.t.Load()
	k, ok := t.byID[at.Account]
	if !ok {
		return
	}
	a := &t.accounts[k]
	st := a.state
	fault := ChannelFault(at.Err)
	end := at.At.Add(at.Latency)
	release := false
	if at.Err != nil {
		switch channel.KindOf(at.Err) {
		case channel.KindUnknown, channel.KindAlreadyDone:
		default:
			release = true
		}
	}
	shared := r.shared != nil && (!a.Limits.PerDay.IsZero() || !a.Limits.PerMonth.IsZero())
	st.mu.Lock()
	st.health.record(&t.health, end, at.Latency, fault)
	st.health.settle(&t.health, end, fault)
	if release {
		st.limits.release(at.Amount, at.At)
	}
	st.mu.Unlock()
	if release && shared {
		day, month := beijingDay(at.At)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := r.shared.Release(ctx, at.Account, day, month, at.Amount.Minor()); err != nil {
			r.log.Error("shared limits: could not give back a refused payment's reservation (the limit stays lower until the day ends)",
				"account", at.Account, "amount", at.Amount.String(), "err", err)
		}
	}
}

// Health returns account's health over the window ending at now.
func (r *Router) Health(account string, now time.Time) (HealthStats, bool) {
	t := r.t.Load()
	k, ok := t.byID[account]
	if !ok {
		return HealthStats{}, false
	}
	st := t.accounts[k].state
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.health.stats(&t.health, now), true
}

// Usage returns what account was sent on now's Beijing day and month (minor units).
func (r *Router) Usage(account string, now time.Time) (day, month int64) {
	t := r.t.Load()
	k, ok := t.byID[account]
	if !ok {
		return 0, 0
	}
	st := t.accounts[k].state
	st.mu.Lock()
	defer st.mu.Unlock()
	d, m := beijingDay(now)
	if st.limits.day == d {
		day = st.limits.dayUsed
	}
	if st.limits.month == m {
		month = st.limits.monthUsed
	}
	return day, month
}

// Accounts returns the configured account ids in order.
func (r *Router) Accounts() []string {
	t := r.t.Load()
	out := make([]string, len(t.accounts))
	for i := range t.accounts {
		out[i] = t.accounts[i].ID
	}
	return out
}

// BreakerState implements monitor.HealthSource: the account's breaker (0 closed, 1
// half-open, 2 open) and its calls and faults over the window ending at now.
func (r *Router) BreakerState(account string, now time.Time) (state int, calls, faults int64) {
	h, _ := r.Health(account, now)
	return int(h.Breaker), h.Calls, h.Faults
}
