package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/monitor"
	"github.com/tongdao/tongdao/core/risk"
	"github.com/tongdao/tongdao/core/router"
	"github.com/tongdao/tongdao/core/store"
)

// routing is what `gateway serve` built from the routing and risk sections: the channel
// monitor wraps every account; the router and the risk engine are reloaded from the file.
type routing struct {
	router *router.Router
	risk   *risk.Engine
	chans  map[string]channel.Channel
	closer io.Closer
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
			rcfg.Velocity, rt.closer = &risk.RedisVelocity{Client: rc}, rc
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
