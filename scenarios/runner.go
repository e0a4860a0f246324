package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// ChannelFactory builds the adapter for one merchant of one channel, pointed at the
// simulator: simURL is its base URL (no trailing slash) and httpClient reaches it (in
// process it carries the calls without a network; use it for every call, including the
// ones a real channel wants a client certificate for). It is called once per merchant per
// scenario.
type ChannelFactory func(simURL string, merchant MerchantConfig, httpClient *http.Client) (channel.Channel, error)

// MerchantConfig is what a ChannelFactory needs to know about a merchant.
type MerchantConfig struct {
	// Channel is the channel name ("wechat").
	Channel string
	// ID is the merchant's id on the channel as the simulator reported it (WeChat mch_id,
	// Alipay app_id); "" if it could not tell.
	ID string
	// Config is the simulator's merchant document: the scenario's `config:` (as JSON) for
	// merchants the scenario declares, or the simulator's own listing of a default (demo)
	// merchant. Its fields are the channel's (WeChat: mch_id, appids, key, ...).
	Config json.RawMessage
	// Demo reports that the merchant is one the simulator registers by itself.
	Demo bool
	// Adapter holds the scenario's adapter options for this merchant (the merchant's
	// `adapter:` mapping as JSON, e.g. {"cert_mode": true}); nil when none. They are the
	// factory's to interpret; the simulator never sees them.
	Adapter json.RawMessage
	// Clock is the simulator's clock (virtual time): adapters that stamp times (time_start,
	// timestamps) must read it so requests agree with the simulator.
	Clock clock.Clock
	// NotifyURL is the scenario's notify endpoint for this merchant; the runner also puts
	// it in every request that takes one.
	NotifyURL string
}

// Options configures Run.
type Options struct {
	// Factories builds adapters by channel name. A scenario using a channel without a
	// factory fails with a clear message.
	Factories map[string]ChannelFactory
	// SimURL is a running simulator's base URL; "" runs every scenario against a fresh
	// in-process simulator built from Protocols.
	SimURL string
	// Protocols returns fresh protocol instances for one in-process simulator (called once
	// per scenario). Required when SimURL is "".
	Protocols func() ([]simulator.Protocol, error)
	// HTTPClient talks to a remote simulator (control API and adapters); nil = a client
	// with a 30 s timeout.
	HTTPClient *http.Client
	// NotifyListen is the address the notify endpoint listens on in remote mode; "" =
	// "127.0.0.1:0". NotifyURL is the base URL the remote simulator reaches it at; "" =
	// http:// plus the listener's address.
	NotifyListen string
	NotifyURL    string
	// ScenarioTimeout bounds one scenario in wall time; 0 = 2 minutes.
	ScenarioTimeout time.Duration
	// WallClock measures Result.Elapsed (never the scenario's time, which is the
	// simulator's); nil = clock.Real().
	WallClock clock.Clock
	// Gateway builds the in-process gateway of `target: gateway` scenarios (target.go);
	// GatewayURL names a running gateway instead, and GatewaySign signs requests to it as
	// its merchant. TargetURL is the base URL of the merchant service `target: http`
	// scenarios test (which talks to the simulator at SimURL).
	Gateway     GatewayStarter
	GatewayURL  string
	GatewaySign func(req *http.Request, body []byte) error
	TargetURL   string
	// Parallel is how many scenarios run at once; 0 or 1 = one after another. Results
	// stay in list order. In process every scenario has its own simulator (its own
	// merchants, orders, clock and seed), and so has every scenario in a namespace of a
	// remote simulator: any number can run at once. Against remote simulators without
	// namespaces each running scenario needs one to itself: at most 1+len(MoreSimURLs).
	Parallel int
	// MoreSimURLs are further running simulators for parallel remote runs (shards): each
	// worker owns one simulator (SimURL, then these) and resets it before each scenario.
	// Only used when the simulators have no namespaces (or NoNamespaces is set).
	MoreSimURLs []string
	// NoNamespaces makes remote runs reset the shared simulator before each scenario even
	// when it offers namespaces (POST /_sim/namespaces), as simulators without them are.
	NoNamespaces bool

	// namespaces: every remote scenario runs in a namespace of its own (set by Run after
	// asking the simulator).
	namespaces bool

	// worker is the index of the worker running a scenario (its simulator shard and its
	// notify path prefix).
	worker int
}

// inProcessSimURL is the base URL adapters see in process; the transport ignores the host.
const inProcessSimURL = "http://sim.tongdao.test"

// inProcessNotifyURL is the notify endpoint's base URL in process.
const inProcessNotifyURL = "http://merchant.tongdao.test"

// Result is the outcome of one scenario.
type Result struct {
	Scenario *Scenario
	Passed   bool
	// Steps is the number of steps executed (all of them when Passed).
	Steps int
	// Failure is the first failing expectation (nil when Passed).
	Failure *Failure
	// Failures lists every failing expectation, Failure first: the checks of one expect
	// block do not depend on each other (a step's result, its callbacks, records and
	// statements), so all of them are made; the steps after a failed step are not run.
	Failures []Failure
	// Transcript is the runner's step log interleaved with the simulator's records, one
	// line each; deterministic for a scenario and seed in process.
	Transcript []string
	// Elapsed is the wall time the scenario took.
	Elapsed time.Duration
	// Skipped reports that the scenario did not run because a channel it uses has no
	// factory in Options (an adapter this build does not wire) or is not served by the
	// simulator; SkipReason says which.
	// A skipped result is neither passed nor failed.
	Skipped    bool
	SkipReason string
}

// Failure says what went wrong first.
type Failure struct {
	// Pos is the failing expectation's (or step's) position in the file.
	Pos Pos
	// Step is the 1-based failing step; 0 for setup and scenario-level expectations.
	Step int
	// Message says what was expected and what happened.
	Message string
	// Excerpt is the part of the transcript around the failure.
	Excerpt []string
}

// Run runs the scenarios one after another and returns a result for each, in order. It
// returns an error only when the options are unusable (nothing ran); a scenario that
// cannot start (merchant refused, remote simulator gone) is a failed Result, and one using
// a channel without a factory, or one the simulator does not serve, is a skipped Result.
func Run(ctx context.Context, list []*Scenario, opts Options) ([]Result, error) {
	if opts.SimURL == "" && opts.Protocols == nil {
		return nil, errors.New("scenarios: Options.Protocols is required to run in process (or set SimURL)")
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.ScenarioTimeout <= 0 {
		opts.ScenarioTimeout = 2 * time.Minute
	}
	if opts.WallClock == nil {
		opts.WallClock = clock.Real()
	}
	var remoteColl *remoteCollector
	if opts.SimURL != "" {
		rc, err := startRemoteCollector(opts.NotifyListen, opts.NotifyURL)
		if err != nil {
			return nil, err
		}
		defer rc.close()
		remoteColl = rc
	}
	served, err := servedChannels(ctx, &opts)
	if err != nil {
		return nil, err
	}
	if opts.SimURL != "" && !opts.NoNamespaces {
		opts.namespaces = probeNamespaces(ctx, opts.HTTPClient, strings.TrimRight(opts.SimURL, "/"))
	}
	if err := checkShards(ctx, &opts, served); err != nil {
		return nil, err
	}
	return runAll(ctx, list, &opts, served, remoteColl), nil
}

// runScenario runs one scenario (or skips it) and times it.
func runScenario(ctx context.Context, sc *Scenario, opts *Options, served map[string]bool, rc *remoteCollector) Result {
	if reason := skipReason(sc, opts, served); reason != "" {
		return Result{Scenario: sc, Skipped: true, SkipReason: reason}
	}
	wall := opts.WallClock.Now()
	var res Result
	func() {
		sctx, cancel := context.WithTimeout(ctx, opts.ScenarioTimeout)
		defer cancel()
		res = runOne(sctx, sc, opts, rc)
	}()
	res.Elapsed = opts.WallClock.Since(wall)
	return res
}

// errStop ends a scenario after a failure has been recorded.
var errStop = errors.New("scenario stopped")

// servedChannels returns the channels the simulator serves: the in-process protocols'
// names, or the remote simulator's GET /_sim/ list.
func servedChannels(ctx context.Context, opts *Options) (map[string]bool, error) {
	out := map[string]bool{}
	if opts.SimURL == "" {
		protos, err := opts.Protocols()
		if err != nil {
			return nil, fmt.Errorf("scenarios: building the simulator's protocols: %w", err)
		}
		for _, p := range protos {
			out[p.Name()] = true
		}
		return out, nil
	}
	drv := remoteSim{base: strings.TrimRight(opts.SimURL, "/"), client: opts.HTTPClient}
	var idx struct {
		Channels []string `json:"channels"`
	}
	if err := drv.do(ctx, http.MethodGet, "/_sim/", nil, &idx); err != nil {
		return nil, fmt.Errorf("%w: asking the simulator at %s which channels it serves: %w", ErrUnreachable, drv.base, err)
	}
	for _, c := range idx.Channels {
		out[c] = true
	}
	return out, nil
}

// skipReason says why a scenario cannot run here: a channel without an adapter factory or
// not served by the simulator ("" = it can run).
func skipReason(sc *Scenario, opts *Options, served map[string]bool) string {
	if reason := targetSkipReason(sc, opts); reason != "" {
		return reason
	}
	var noAdapter, noSim []string
	for _, ch := range sc.Channels() {
		if _, ok := opts.Factories[ch]; !ok && sc.Target != TargetHTTP {
			noAdapter = append(noAdapter, ch)
		} else if !served[ch] {
			noSim = append(noSim, ch)
		}
	}
	switch {
	case len(noAdapter) > 0:
		return "no adapter in this build for " + strings.Join(noAdapter, ", ")
	case len(noSim) > 0:
		return "the simulator does not serve " + strings.Join(noSim, ", ")
	}
	return ""
}

func runOne(ctx context.Context, sc *Scenario, opts *Options, rc *remoteCollector) Result {
	r := &run{sc: sc, opts: opts, res: Result{Scenario: sc}, chans: map[string]channel.Channel{},
		orders: map[string]*orderState{}, refunds: map[string]time.Time{}, bindings: map[string]*bindState{}, payouts: map[string]time.Time{}, merchants: map[string][]*merchantEntry{},
		cancels: map[string]time.Time{}}
	if err := r.setup(ctx, rc); err != nil {
		if !errors.Is(err, errStop) {
			r.fail(sc.Pos, 0, "setup: "+err.Error())
		}
		return r.finish()
	}
	for i := range sc.Steps {
		st := &sc.Steps[i]
		r.stepStart = append(r.stepStart, len(r.res.Transcript))
		if err := r.step(ctx, st); err != nil {
			if !errors.Is(err, errStop) {
				r.fail(st.Pos, st.Index, err.Error())
			}
			return r.finish()
		}
		r.res.Steps++
	}
	if sc.Expect != nil {
		r.stepStart = append(r.stepStart, len(r.res.Transcript))
		r.logf("expect (scenario level) %s", sc.Expect.Pos)
		if err := r.flush(ctx); err != nil {
			r.fail(sc.Expect.Pos, 0, err.Error())
			return r.finish()
		}
		top, err := r.expandExpect(sc.Expect)
		if err != nil {
			r.fail(sc.Expect.Pos, 0, err.Error())
			return r.finish()
		}
		if err := r.checkShared(ctx, top, nil, 0); err != nil {
			if !errors.Is(err, errStop) {
				r.fail(sc.Expect.Pos, 0, err.Error())
			}
			return r.finish()
		}
	}
	r.res.Passed = true
	return r.finish()
}

// run is one scenario's execution state.
type run struct {
	sc   *Scenario
	opts *Options
	res  Result

	drv      simDriver
	simURL   string
	client   *http.Client
	clk      clock.Clock    // what adapters read
	mirror   *clock.Virtual // remote mode: follows the remote clock
	coll     *collector
	notify   string // notify base URL
	local    *simulator.Server
	teardown func()

	merchants  map[string][]*merchantEntry // by channel; [0] is the default
	chans      map[string]channel.Channel  // by channel + "/" + merchant id
	orders     map[string]*orderState      // by channel + "/" + order number
	refunds    map[string]time.Time        // by channel + "/" + refund number: first attempt time
	stepStart  []int                       // transcript index where each step began
	lastSeq    int64                       // last simulator record copied to the transcript
	stmt       []channel.StatementRecord   // the last downloaded statement
	stmtTotals *channel.StatementTotals    // and its totals
	bindings   map[string]*bindState       // by channel + "/" + binding number
	payouts    map[string]time.Time        // by channel + "/" + payout number: first attempt time
	cancels    map[string]time.Time        // by channel + "/" + cancel number: first attempt time
	faults     []addedFault                // fault plans the steps installed
	tgt        *targetRun                  // the system under test (target.go)
	// dropNamespace deletes the scenario's namespace on a remote simulator (nil: none).
	dropNamespace func()
	// dupCopies numbers duplicate callback copies per order for the transcript.
	dupCopies map[string]int
	// shiftDays moves every scenario time and day later (remote mode, when the
	// simulator's clock is already past the scenario's start).
	shiftDays int
}

// at returns a scenario time as run (shifted in remote mode).
func (r *run) at(t time.Time) time.Time {
	if r.shiftDays == 0 {
		return t
	}
	return t.AddDate(0, 0, r.shiftDays)
}

// day returns a scenario day as run (shifted in remote mode).
func (r *run) day(d clock.Date) clock.Date {
	if r.shiftDays == 0 || !d.Valid() {
		return d
	}
	return d.AddDays(r.shiftDays)
}

// addedFault is a fault plan a step installed, to report plans that never acted.
type addedFault struct {
	id   string
	step int
	desc string
}

type merchantEntry struct {
	alias string
	key   string // unique within the channel: alias, else merchant id
	cfg   MerchantConfig
}

type orderState struct {
	merchant *merchantEntry
	amount   money.Amount
	time     time.Time
	txnID    string
}

func (r *run) setup(ctx context.Context, rc *remoteCollector) error {
	sc := r.sc
	r.teardown = func() {}
	if r.opts.SimURL == "" {
		r.coll = newCollector(nil)
		protos, err := r.opts.Protocols()
		if err != nil {
			return fmt.Errorf("building the simulator's protocols: %w", err)
		}
		srv, err := simulator.New(simulator.Config{
			Protocols:         protos,
			Seed:              sc.Seed,
			Start:             sc.Start,
			CallbackTransport: simulator.HandlerTransport(callbackRouter{r}),
			MaxRecords:        -1,
		})
		if err != nil {
			return fmt.Errorf("starting the simulator: %w", err)
		}
		r.local = srv
		r.coll.clk = srv.Clock()
		r.drv = localSim{srv}
		r.clk = srv.Clock()
		r.simURL = inProcessSimURL
		r.client = &http.Client{Transport: srv.Transport()}
		r.notify = inProcessNotifyURL
	} else {
		base := strings.TrimRight(r.opts.SimURL, "/")
		if r.opts.namespaces {
			// A namespace of its own: fresh simulator, the scenario's seed and start, so
			// nothing is shifted and parallel runs share nothing.
			nsBase, drop, err := createNamespace(ctx, r.opts.HTTPClient, base, sc.Seed, sc.Start)
			if err != nil {
				return fmt.Errorf("creating a namespace on the simulator at %s: %w", base, err)
			}
			r.dropNamespace = drop
			r.teardown = drop // until the collector is set up too
			base = nsBase
		}
		drv := remoteSim{base: base, client: r.opts.HTTPClient}
		r.drv = drv
		r.simURL = drv.base
		r.client = r.opts.HTTPClient
		if err := drv.resetSeed(ctx, sc.Seed); err != nil {
			return fmt.Errorf("resetting the simulator at %s: %w", drv.base, err)
		}
		now, err := drv.Now(ctx)
		if err != nil {
			return err
		}
		if now.After(sc.Start) {
			// The remote clock never moves backwards: run the whole scenario whole weeks
			// later (same weekdays and times of day), shifting every time and day in it.
			week := 7 * 24 * time.Hour
			weeks := int(now.Sub(sc.Start)/week) + 1
			r.shiftDays = 7 * weeks
		}
		start := r.at(sc.Start)
		if err := drv.SetTime(ctx, start); err != nil {
			return err
		}
		if r.shiftDays != 0 {
			r.logf("remote simulator clock at %s: scenario shifted %d days later (every time and day below is shifted)", fmtTime(now), r.shiftDays)
		}
		r.mirror = clock.NewVirtual(start)
		r.clk = r.mirror
		r.coll = newCollector(r.mirror)
		rc.set(r.opts.worker, r.coll)
		r.teardown = func() {
			rc.set(r.opts.worker, nil)
			if r.dropNamespace != nil {
				r.dropNamespace()
			}
		}
		r.notify = rc.base + workerPrefix(r.opts.worker)
	}
	r.logf("scenario %q (%s) seed %d start %s", sc.Name, sc.Pos.File, sc.Seed, fmtTime(r.at(sc.Start)))
	listed, err := r.drv.Merchants(ctx)
	if err != nil {
		return fmt.Errorf("listing the simulator's merchants: %w", err)
	}
	demo := func(ch string) (MerchantConfig, bool) {
		docs := listed[ch]
		if len(docs) == 0 {
			return MerchantConfig{}, false
		}
		return MerchantConfig{Channel: ch, ID: merchantID(docs[0]), Config: docs[0], Demo: true}, true
	}
	// The scenario's own merchants first (a merchant without config is the simulator's
	// demo merchant, perhaps with adapter options), then the demo merchant of each channel
	// it declares none for.
	for _, m := range sc.Merchants {
		var cfg MerchantConfig
		if len(m.Config) == 0 {
			var ok bool
			if cfg, ok = demo(m.Channel); !ok {
				r.fail(m.Pos, 0, fmt.Sprintf("the simulator has no %s demo merchant; give this merchant a config", m.Channel))
				return errStop
			}
		} else {
			doc := map[string]json.RawMessage{}
			if err := json.Unmarshal(m.Config, &doc); err != nil {
				r.fail(m.Pos, 0, "merchant config: want a mapping")
				return errStop
			}
			doc["channel"], _ = json.Marshal(m.Channel)
			raw, _ := json.Marshal(doc)
			id, err := r.drv.AddMerchant(ctx, raw)
			if err != nil {
				r.fail(m.Pos, 0, fmt.Sprintf("merchant of %s refused by the simulator: %v", m.Channel, err))
				return errStop
			}
			cfg = MerchantConfig{Channel: m.Channel, ID: id, Config: m.Config}
			r.logf("merchant %s %s added", m.Channel, id)
		}
		cfg.Adapter = m.Adapter
		r.addMerchant(m.As, cfg)
	}
	for _, ch := range sc.Channels() {
		if len(r.merchants[ch]) > 0 {
			continue
		}
		cfg, ok := demo(ch)
		if !ok {
			r.fail(sc.Pos, 0, fmt.Sprintf("the simulator has no %s merchant and the scenario declares none (is the %s protocol served?)", ch, ch))
			return errStop
		}
		r.addMerchant("", cfg)
	}
	return r.setupTarget(ctx)
}

// addMerchant records a merchant under a key unique within its channel (the alias, else
// the merchant id), which names its adapter and its notify URL.
func (r *run) addMerchant(alias string, cfg MerchantConfig) {
	key := alias
	if key == "" {
		key = cfg.ID
	}
	if key == "" {
		key = "default"
	}
	for _, m := range r.merchants[cfg.Channel] {
		if m.key == key {
			key += fmt.Sprintf("-%d", len(r.merchants[cfg.Channel])+1)
			break
		}
	}
	r.merchants[cfg.Channel] = append(r.merchants[cfg.Channel], &merchantEntry{alias: alias, key: key, cfg: cfg})
}

// merchant resolves a step's channel and merchant alias.
func (r *run) merchant(chName, alias string) (*merchantEntry, error) {
	list := r.merchants[chName]
	if len(list) == 0 {
		return nil, fmt.Errorf("no %s merchant", chName)
	}
	if alias == "" {
		return list[0], nil
	}
	for _, m := range list {
		if m.alias == alias {
			return m, nil
		}
	}
	return nil, fmt.Errorf("no %s merchant %q", chName, alias)
}

// channelFor returns (building on first use) the adapter of a merchant.
func (r *run) channelFor(m *merchantEntry) (channel.Channel, error) {
	key := m.cfg.Channel + "/" + m.key
	if ch, ok := r.chans[key]; ok {
		return ch, nil
	}
	f := r.opts.Factories[m.cfg.Channel]
	if f == nil {
		return nil, fmt.Errorf("no adapter for channel %q", m.cfg.Channel)
	}
	cfg := m.cfg
	cfg.Clock = r.clk
	cfg.NotifyURL = r.notifyURL(m)
	ch, err := f(r.simURL, cfg, r.client)
	if err != nil {
		return nil, fmt.Errorf("building the %s adapter for merchant %s: %w", cfg.Channel, cfg.ID, err)
	}
	r.chans[key] = ch
	r.coll.register(cfg.Channel, m.key, ch)
	return ch, nil
}

func (r *run) notifyURL(m *merchantEntry) string {
	return r.notify + notifyPath(m.cfg.Channel, m.key)
}

// syncClock brings the remote clock's mirror up to date (no-op in process).
func (r *run) syncClock(ctx context.Context) error {
	if r.mirror == nil {
		return nil
	}
	now, err := r.drv.Now(ctx)
	if err != nil {
		return err
	}
	if now.After(r.mirror.Now()) {
		_ = r.mirror.Set(now)
	}
	return nil
}

// now returns the simulator's time.
func (r *run) now(ctx context.Context) time.Time {
	if r.mirror != nil {
		_ = r.syncClock(ctx)
	}
	return r.clk.Now()
}

// flush delivers what is due now (callbacks scheduled with no delay).
func (r *run) flush(ctx context.Context) error {
	if err := r.drv.Advance(ctx, 0); err != nil {
		return fmt.Errorf("advancing the clock: %w", err)
	}
	return r.syncClock(ctx)
}
