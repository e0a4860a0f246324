package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/monitor"
	"github.com/tongdao/tongdao/core/risk"
	"github.com/tongdao/tongdao/core/router"
	"github.com/tongdao/tongdao/core/store"
)

// routing is what `gateway serve` built from the routing and risk sections: the channel
// monitor wraps every account; the router and the risk engine are reloaded from the file.
type routing struct {
	router  *router.Router
	risk    *risk.Engine
	chans   map[string]channel.Channel
	closers []io.Closer
}

// Close closes the Redis clients.
func (rt *routing) Close() {
	for _, c := range rt.closers {
		_ = c.Close()
	}
}

// setupRouting wraps cfg's accounts with channel metrics in reg and, when the file has them,
// installs core/router and core/risk built from its routing and risk sections.
func (f *gatewayFile) setupRouting(cfg *gateway.Config, reg prometheus.Registerer, db *store.DB, clk clock.Clock, log *slog.Logger) (*routing, error) {
	m, err := monitor.New(reg, clk)
	if err != nil {
		return nil, err
	}
	if err := m.RegisterQueue(reg, db); err != nil {
		return nil, err
	}
	rt := &routing{chans: map[string]channel.Channel{}}
	for i := range cfg.Accounts {
		cfg.Accounts[i].Channel = m.Wrap(cfg.Accounts[i].ID, cfg.Accounts[i].Channel)
		rt.chans[cfg.Accounts[i].ID] = cfg.Accounts[i].Channel
	}
	if f.Routing != nil {
		rc, err := f.Routing.Config(f.path, rt.chans)
		if err != nil {
			return nil, err
		}
		rc.Clock, rc.Logger = clk, log
		if f.Routing.Redis != "" {
			cl := redis.NewClient(&redis.Options{Addr: f.Routing.Redis})
			rc.Limits = &router.RedisLimits{Client: cl}
			rt.closers = append(rt.closers, cl)
		}
		if rt.router, err = router.New(rc); err != nil {
			return nil, fmt.Errorf("%s: %w", f.path, err)
		}
		if err := m.RegisterHealth(reg, rt.router); err != nil {
			return nil, err
		}
		cfg.Router = rt.router
	}
	if f.Risk != nil {
		lists, rules, err := f.Risk.Compile(f.path)
		if err != nil {
			return nil, err
		}
		rcfg := risk.Config{Lists: lists, Rules: rules, Clock: clk, Logger: log, Cases: db}
		if f.Risk.Redis != "" {
			rc := redis.NewClient(&redis.Options{Addr: f.Risk.Redis})
			rcfg.Velocity = &risk.RedisVelocity{Client: rc}
			rt.closers = append(rt.closers, rc)
		}
		if rt.risk, err = risk.New(rcfg); err != nil {
			return nil, fmt.Errorf("%s: %w", f.path, err)
		}
		cfg.Risk = rt.risk
	}
	return rt, nil
}

// reload re-reads path and replaces the routing rules and the risk lists and rules. Accounts,
// merchants and the Redis address need a restart. A bad file changes nothing.
func (rt *routing) reload(path string) error {
	f, err := loadGatewayFile(path)
	if err != nil {
		return err
	}
	if rt.router != nil && f.Routing != nil {
		rc, err := f.Routing.Config(path, rt.chans)
		if err != nil {
			return err
		}
		if err := rt.router.Reload(rc); err != nil {
			return err
		}
	}
	if rt.risk != nil && f.Risk != nil {
		lists, rules, err := f.Risk.Compile(path)
		if err != nil {
			return err
		}
		if err := rt.risk.Reload(lists, rules); err != nil {
			return err
		}
	}
	return nil
}

// reloadOnHUP reloads rt from path on every SIGHUP until ctx ends, logging the outcome.
func (rt *routing) reloadOnHUP(ctx context.Context, path string, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := rt.reload(path); err != nil {
					log.Error("config reload refused; the previous routing and risk rules stay", "file", path, "err", err)
				} else {
					log.Info("routing and risk rules reloaded", "file", path)
				}
			}
		}
	}()
}

// gatewayRoute explains, without sending anything, which account the config's routing
// section would choose for a payment and why (`tongdao gateway route`).
func gatewayRoute(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tongdao gateway route", flag.ContinueOnError)
	cfgPath := fs.String("config", "gateway.yaml", "gateway config with a routing section (docs/ROUTING.md)")
	merchant := fs.String("merchant", "", "merchant id")
	method := fs.String("method", "qr", "payment method: qr, app, jsapi, h5, web, barcode, token")
	amount := fs.String("amount", "", "amount in yuan, e.g. 88.00")
	cur := fs.String("currency", "CNY", "currency")
	bin := fs.String("card-bin", "", "first 6–8 digits of the card, for card rules")
	at := fs.String("at", "", "instant to decide at (RFC 3339, e.g. 2026-12-07T12:00:00+08:00); default now")
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: tongdao gateway route --config FILE --merchant ID --method M --amount YUAN [--card-bin DIGITS] [--at TIME]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Prints the routing decision for one payment: the rule that matched, the candidates in the")
		fmt.Fprintln(fs.Output(), "order the gateway would try them, and why each other account was skipped. Limits and")
		fmt.Fprintln(fs.Output(), "health start empty here (they live in the serving process).")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	c, err := money.ParseCurrency(*cur)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao gateway route: --currency: %v\n", err)
		return 2
	}
	amt, err := money.Parse(*amount, c)
	if err != nil || !amt.IsPositive() {
		fmt.Fprintf(stderr, "tongdao gateway route: --amount %q: want a positive amount such as 88.00\n", *amount)
		return 2
	}
	when := time.Now()
	if *at != "" {
		if when, err = time.Parse(time.RFC3339, *at); err != nil {
			fmt.Fprintf(stderr, "tongdao gateway route: --at: %v\n", err)
			return 2
		}
	}
	f, err := loadGatewayFile(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao gateway route: config: %v\n", err)
		return 2
	}
	if f.Routing == nil {
		fmt.Fprintf(stderr, "tongdao gateway route: %s has no routing section\n", *cfgPath)
		return 2
	}
	cfg, err := f.build(nil, clock.Real(), nil, &http.Client{})
	if err != nil {
		fmt.Fprintf(stderr, "tongdao gateway route: config: %v\n", err)
		return 2
	}
	chans := map[string]channel.Channel{}
	for _, a := range cfg.Accounts {
		chans[a.ID] = a.Channel
	}
	rc, err := f.Routing.Config(*cfgPath, chans)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao gateway route: config: %v\n", err)
		return 2
	}
	r, err := router.New(rc)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao gateway route: %v\n", err)
		return 2
	}
	var d router.Decision
	r.Decide(&gateway.RouteRequest{MerchantID: *merchant, Method: channel.Method(*method), Amount: amt, At: when, CardBIN: *bin}, &d)
	fmt.Fprintln(stdout, d.String())
	if d.Eligible == 0 {
		return 1
	}
	return 0
}
