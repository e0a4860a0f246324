package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/wallet"
)

func gatewayMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, "Usage: tongdao gateway serve [flags]   |   tongdao gateway load [flags]")
		fmt.Fprintln(stdout)
		fmt.Fprintln(stdout, "Runs the merchant API (/v1/payments, /v1/refunds, /v1/openapi.json), the channel")
		fmt.Fprintln(stdout, "callbacks (/notify/{channel}/{account}) and the background work (query-back of")
		fmt.Fprintln(stdout, "unknown outcomes, closing expired orders). `gateway load` drives signed requests at a")
		fmt.Fprintln(stdout, "running gateway and reports throughput and latency. See `tongdao docs gateway`.")
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "serve":
		return gatewayServe(ctx, args[1:], stdout, stderr)
	case "load":
		return gatewayLoad(ctx, args[1:], stdout, stderr)
	case "route":
		return gatewayRoute(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "tongdao gateway: unknown subcommand %q (want serve, load or route)\n", args[0])
	return 2
}

func gatewayServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tongdao gateway serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address of the merchant API and the channel callbacks")
	metricsAddr := fs.String("metrics-addr", "127.0.0.1:9090", "listen address of Prometheus /metrics (empty = off)")
	dsn := fs.String("db", store.DefaultDSN, "store: sqlite:PATH or postgres://… (orders, events, ledger)")
	cfgPath := fs.String("config", "gateway.yaml", "gateway config (merchants, channel accounts, routes; see `tongdao docs gateway`)")
	interval := fs.Duration("work-interval", time.Second, "how often the background work runs (query-back, expiry)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error (logs go to stderr as JSON; never secrets or card data)")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile to this file until shutdown (for performance work)")
	natsURL := fs.String("nats", "", "also publish order events to NATS JetStream at this URL (e.g. nats://127.0.0.1:4222); empty = off")
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: tongdao gateway serve [--addr HOST:PORT] [--metrics-addr HOST:PORT] [--db DSN] [--config FILE]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Serves the merchant API and the channel callbacks, and runs the background work, until")
		fmt.Fprintln(fs.Output(), "interrupted; then it stops taking requests, finishes those in flight and exits.")
		fmt.Fprintln(fs.Output(), "Beside the API it posts every money movement to the ledger (same database) and")
		fmt.Fprintln(fs.Output(), "delivers merchant webhooks, both from the order outbox.")
		fmt.Fprintln(fs.Output(), "Several instances may share one PostgreSQL database (--db postgres://…).")
		fmt.Fprintln(fs.Output(), "A `wallet:` block in the config adds customers and wallets under /v1/wallet/…")
		fmt.Fprintln(fs.Output(), "(see `tongdao docs wallets`).")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "tongdao gateway serve: --log-level %q: want debug, info, warn or error\n", *logLevel)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "tongdao gateway serve: %v\n", err)
			return 1
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			fmt.Fprintf(stderr, "tongdao gateway serve: %v\n", err)
			return 1
		}
		defer func() { pprof.StopCPUProfile(); _ = pf.Close() }()
	}
	file, err := loadGatewayFile(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao gateway serve: config: %v\n", err)
		return 2
	}
	db, err := store.Open(ctx, *dsn)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao gateway serve: %v\n", err)
		return 1
	}
	defer db.Close()
	// Every process writing to this database must queue events for the same consumers.
	file.outboxSetup(db, *natsURL != "")
	// Keep as many idle connections per channel host as requests in flight: with the default
	// two, a busy gateway dialled a new connection for most channel calls (7% of its CPU).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 1024, 256
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	cfg, err := file.build(db, clock.Real(), log, hc)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao gateway serve: config: %v\n", err)
		return 2
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Channel metrics on every account; core/router and core/risk from the routing and risk
	// sections when present, reloaded on SIGHUP (gatewayrouting.go).
	rt, err := file.setupRouting(&cfg, reg, db, clock.Real(), log)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao gateway serve: config: %v\n", err)
		return 2
	}
	defer rt.Close()
	rt.reloadOnHUP(ctx, *cfgPath, log)
	gw, err := gateway.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao gateway serve: %v\n", err)
		return 2
	}
	contracts, err := file.contracts(gw.Accounts())
	if err != nil {
		fmt.Fprintf(stderr, "tongdao gateway serve: config: %v\n", err)
		return 2
	}
	work, err := newCoreWorkWith(db, gw, clock.Real(), log, contracts, file.webhooks(), nil, file.skipMerchants()...)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao gateway serve: %v\n", err)
		return 2
	}
	defer work.close()
	if err := setupAgeing(ctx, file, work.ledger, db, gw.Accounts(), reg); err != nil {
		fmt.Fprintf(stderr, "tongdao gateway serve: clearing: %v\n", err)
		return 1
	}
	var wsvc *wallet.Service
	if file.walletOn() {
		if wsvc, err = file.newWallet(db, gw, work.ledger, clock.Real(), log); err != nil {
			fmt.Fprintf(stderr, "tongdao gateway serve: wallet: %v\n", err)
			return 2
		}
		work.extra = append(work.extra, walletRun(wsvc, *interval))
	}
	var handler http.Handler = gw
	if wsvc != nil && file.Wallet.BalanceTokenKey != "" {
		h, closeAudit, err := file.newBalance(ctx, db, gw, wsvc, clock.Real(), log)
		if err != nil {
			fmt.Fprintf(stderr, "tongdao gateway serve: balance query: %v\n", err)
			return 2
		}
		defer closeAudit()
		handler = h
	}
	if *natsURL != "" {
		pub, closeNATS, err := newNATSPublisher(ctx, *natsURL, db, log)
		if err != nil {
			fmt.Fprintf(stderr, "tongdao gateway serve: nats: %v\n", err)
			return 1
		}
		defer closeNATS()
		work.extra = append(work.extra, pub.Run)
	}
	if err := gw.RegisterMetrics(reg); err != nil {
		fmt.Fprintf(stderr, "tongdao gateway serve: metrics: %v\n", err)
		return 1
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao gateway serve: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}
	var msrv *http.Server
	if *metricsAddr != "" {
		mln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			_ = ln.Close()
			fmt.Fprintf(stderr, "tongdao gateway serve: metrics: %v\n", err)
			return 1
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = msrv.Serve(mln) }()
	}
	fmt.Fprintf(stdout, "tongdao gateway: merchant API on http://%s (openapi: /v1/openapi.json), callbacks at %s/notify/{channel}/{account}\n",
		ln.Addr(), cfg.PublicURL)
	if msrv != nil {
		fmt.Fprintf(stdout, "  metrics: http://%s/metrics\n", *metricsAddr)
	}
	fmt.Fprintf(stdout, "  store: %s; %d merchants, %d channel accounts\n", redactDSN(*dsn), len(cfg.Merchants), len(cfg.Accounts))
	if wsvc != nil {
		fmt.Fprintf(stdout, "  wallet: /v1/wallet/… (top-ups under merchant %s)\n", file.Wallet.TopUpMerchant)
		if file.Wallet.BalanceTokenKey != "" {
			fmt.Fprintln(stdout, "  balance query: POST /v1/balance-tokens (merchant), GET /v1/customer/accounts/{account_id}/balance (customer, Bearer token), audited")
		}
	}

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		work.run(workCtx, *interval, log)
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(stderr, "tongdao gateway serve: %v\n", err)
		}
	}
	// Graceful stop: no new requests; requests in flight finish (their changes are committed
	// before they answer); then the background work stops between tasks.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	if msrv != nil {
		_ = msrv.Shutdown(shutdownCtx)
	}
	stopWork()
	wg.Wait()
	if wsvc != nil {
		_ = wsvc.Flush(shutdownCtx) // final states of answered transfers; WorkOnce re-drives any left
	}
	fmt.Fprintln(stdout, "tongdao gateway: stopped")
	return 0
}

// redactDSN hides a PostgreSQL password.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "@"); i > 0 && strings.HasPrefix(dsn, "postgres") {
		if j := strings.Index(dsn, "://"); j > 0 && j < i {
			user := dsn[j+3 : i]
			if k := strings.Index(user, ":"); k >= 0 {
				return dsn[:j+3] + user[:k] + ":***" + dsn[i:]
			}
		}
	}
	return dsn
}
