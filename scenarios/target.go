package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
)

// Target names the system a scenario tests (its `target:`).
type Target string

// Targets.
const (
	// TargetAdapters drives tongdao's own adapters against the simulator (the default);
	// the runner's notify endpoint plays the merchant.
	TargetAdapters Target = "adapters"
	// TargetGateway drives the tongdao merchant API: in process (Options.Gateway builds one
	// per scenario, wired to the in-process simulator) or at Options.TargetURL, signing
	// every http step as the merchant.
	TargetGateway Target = "gateway"
	// TargetHTTP drives any merchant service at Options.TargetURL that talks to the
	// simulator at Options.SimURL.
	TargetHTTP Target = "http"
)

// Targets lists the targets in documentation order.
func Targets() []Target { return []Target{TargetAdapters, TargetGateway, TargetHTTP} }

// GatewayEnv is what a GatewayStarter gets to build an in-process gateway for one scenario.
type GatewayEnv struct {
	// SimURL and HTTPClient reach the scenario's simulator (in process: a transport
	// without a network); hand both to the adapters.
	SimURL     string
	HTTPClient *http.Client
	// Clock is the simulator's (virtual) clock: the gateway must read it.
	Clock clock.Clock
	// Merchants holds the default merchant of every channel the scenario's simulator
	// serves; Factories builds their adapters.
	Merchants []MerchantConfig
	Factories map[string]ChannelFactory
	// PublicURL is the gateway's base URL as the simulator reaches it: channel callbacks
	// to PublicURL + "/notify/..." are delivered to GatewayTarget.Handler.
	PublicURL string
	// WebhookURL and WebhookClient reach the merchant's webhook endpoint, which the runner
	// plays (and can make misbehave); WebhookSecret is the secret it verifies with.
	WebhookURL    string
	WebhookClient *http.Client
	WebhookSecret string
}

// GatewayTarget is one in-process gateway built for a scenario.
type GatewayTarget struct {
	// Handler serves the merchant API and the channels' notify endpoints.
	Handler http.Handler
	// Sign signs a request to the merchant API as the scenario's merchant (body is the
	// request body already set on req).
	Sign func(req *http.Request, body []byte) error
	// Work runs the gateway's background work once (query-back of unknown outcomes, expiry
	// and close, merchant webhooks due now); the runner calls it after every clock move.
	Work func(ctx context.Context) error
	// Close releases the gateway (its store).
	Close func() error
	// VerifyWebhook checks a webhook's signature as the merchant would (nil: not checked).
	VerifyWebhook func(h http.Header, body []byte, now time.Time) error
	// Core runs a core step (recon, settle, ledger_verify, …: core_steps.go) against the
	// gateway's store and ledger and returns its JSON result; nil: core steps fail.
	Core func(ctx context.Context, call CoreCall) ([]byte, error)
}

// GatewayStarter builds an in-process gateway for one scenario (Options.Gateway). cmd
// and tests wire it (scenarios/gatewaytarget), so this package imports no adapter and no
// part of the payment core.
type GatewayStarter func(ctx context.Context, env GatewayEnv) (*GatewayTarget, error)

// inProcessGatewayURL is the in-process gateway's base URL; the callback transport sends
// callbacks for its host to the gateway.
const inProcessGatewayURL = "http://gateway.tongdao.test"

// inProcessHooksURL is the merchant's webhook endpoint in process.
const inProcessHooksURL = "http://hooks.tongdao.test/webhooks"

// scenarioWebhookSecret is the webhook secret of the in-process gateway's merchant.
const scenarioWebhookSecret = "scenario-webhook-secret-0123456789"

// target decodes a scenario's `target:` (default adapters).
func (d *decoder) target(m *mapNode) Target {
	n := m.get("target")
	if n == nil {
		return TargetAdapters
	}
	v, ok := d.scalar(n, "target")
	if !ok {
		return TargetAdapters
	}
	for _, t := range Targets() {
		if Target(v) == t {
			return t
		}
	}
	names := make([]string, 0, 3)
	for _, t := range Targets() {
		names = append(names, string(t))
	}
	d.errorf(n, "target", "unknown target %q; known: %s (the URL of a gateway or service is given to the runner: --target-url)", v, strings.Join(names, ", "))
	return TargetAdapters
}

// targetRun is a scenario's system under test while it runs.
type targetRun struct {
	kind   Target
	base   string // base URL of http steps, no trailing slash
	client *http.Client
	sign   func(*http.Request, []byte) error
	work   func(context.Context) error
	close  func() error
	gw     http.Handler // in-process gateway
	core   func(context.Context, CoreCall) ([]byte, error)
	hooks  *merchantEndpoint
	vars   map[string]string
	// hooksSeen is how many webhooks the transcript shows already.
	hooksSeen int
}

// targetSkipReason says why a scenario's target cannot be reached with these options ("" =
// it can): a run of a whole folder skips, rather than fails, what it was given no URL for.
func targetSkipReason(sc *Scenario, opts *Options) string {
	switch sc.Target {
	case TargetHTTP:
		if opts.TargetURL == "" || opts.SimURL == "" {
			return "target http needs the service's URL (--target-url) and the simulator it talks to (--sim)"
		}
	case TargetGateway:
		if opts.GatewayURL == "" && opts.Gateway == nil {
			return "target gateway: this build wires no in-process gateway; give a running gateway's URL (--gateway-url)"
		}
		if opts.GatewayURL == "" && opts.SimURL != "" {
			return "target gateway: the in-process gateway runs with the in-process simulator only; against --sim give a running gateway's URL (--gateway-url)"
		}
	}
	return ""
}

// callbackRouter delivers in-process callbacks: to the in-process gateway for its host,
// else to the runner's notify endpoint.
type callbackRouter struct{ r *run }

func (c callbackRouter) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if t := c.r.tgt; t != nil && t.gw != nil && req.Host == hostOf(inProcessGatewayURL) {
		t.gw.ServeHTTP(w, req)
		return
	}
	c.r.coll.ServeHTTP(w, req)
}

func hostOf(u string) string {
	_, rest, _ := strings.Cut(u, "://")
	h, _, _ := strings.Cut(rest, "/")
	return h
}

// setupTarget prepares the scenario's system under test after the simulator and its
// merchants are ready.
func (r *run) setupTarget(ctx context.Context) error {
	t := &targetRun{kind: r.sc.Target, vars: map[string]string{}, client: r.opts.HTTPClient}
	r.tgt = t
	if t.kind == "" {
		t.kind = TargetAdapters
	}
	t.hooks = newMerchantEndpoint(r.clk)
	switch t.kind {
	case TargetAdapters:
		return nil
	case TargetHTTP:
		if r.opts.TargetURL == "" {
			return errors.New("target http: give the service's base URL (Options.TargetURL, --target-url)")
		}
		if r.opts.SimURL == "" {
			return errors.New("target http: the service under test must talk to a running simulator; give its URL (Options.SimURL, --sim) and point the service at the same simulator")
		}
		t.base = strings.TrimRight(r.opts.TargetURL, "/")
		r.logf("target http %s", t.base)
		return nil
	}
	// Gateway.
	if r.opts.GatewayURL != "" {
		t.base = strings.TrimRight(r.opts.GatewayURL, "/")
		t.sign = r.opts.GatewaySign
		r.logf("target gateway %s", t.base)
		return nil
	}
	if r.opts.Gateway == nil {
		return errors.New("target gateway: this build wires no in-process gateway (Options.Gateway); give a running gateway's URL (--target-url)")
	}
	if r.local == nil {
		return errors.New("target gateway: the in-process gateway runs with the in-process simulator only; against --sim give a running gateway's URL (--target-url)")
	}
	env := GatewayEnv{SimURL: r.simURL, HTTPClient: r.client, Clock: r.clk, Factories: r.opts.Factories,
		PublicURL: inProcessGatewayURL, WebhookURL: inProcessHooksURL, WebhookSecret: scenarioWebhookSecret,
		WebhookClient: &http.Client{Transport: simulator.HandlerTransport(t.hooks)}}
	for _, ch := range r.local.Channels() {
		if list := r.merchants[ch]; len(list) > 0 {
			env.Merchants = append(env.Merchants, list[0].cfg)
			continue
		}
		listed, err := r.drv.Merchants(ctx)
		if err != nil {
			return err
		}
		if docs := listed[ch]; len(docs) > 0 {
			env.Merchants = append(env.Merchants, MerchantConfig{Channel: ch, ID: merchantID(docs[0]), Config: docs[0], Demo: true, Clock: r.clk})
		}
	}
	for i := range env.Merchants {
		env.Merchants[i].Clock = r.clk
	}
	g, err := r.opts.Gateway(ctx, env)
	if err != nil {
		return fmt.Errorf("target gateway: starting the in-process gateway: %w", err)
	}
	t.gw, t.sign, t.work, t.close, t.core = g.Handler, g.Sign, g.Work, g.Close, g.Core
	t.base = inProcessGatewayURL
	t.client = &http.Client{Transport: simulator.HandlerTransport(g.Handler), Timeout: 30 * time.Second}
	t.hooks.verify = g.VerifyWebhook
	prev := r.teardown
	r.teardown = func() {
		if t.close != nil {
			_ = t.close()
		}
		prev()
	}
	if t.work != nil {
		r.drv = workDriver{simDriver: r.drv, work: t.work}
	}
	r.logf("target gateway (in process, store on SQLite)")
	return nil
}

// workDriver runs the in-process gateway's background work after every clock move, as its
// workers would when their poll time came.
type workDriver struct {
	simDriver
	work func(context.Context) error
}

func (w workDriver) Advance(ctx context.Context, d time.Duration) error {
	if err := w.simDriver.Advance(ctx, d); err != nil {
		return err
	}
	if err := w.work(ctx); err != nil {
		return fmt.Errorf("gateway background work: %w", err)
	}
	return nil
}

func (w workDriver) SetTime(ctx context.Context, t time.Time) error {
	if err := w.simDriver.SetTime(ctx, t); err != nil {
		return err
	}
	if err := w.work(ctx); err != nil {
		return fmt.Errorf("gateway background work: %w", err)
	}
	return nil
}
