package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/alipay"
	"github.com/tongdao/tongdao/simulator/bank"
	"github.com/tongdao/tongdao/simulator/unionpay"
	"github.com/tongdao/tongdao/simulator/wechat"
)

// simMain runs `tongdao sim SUBCOMMAND`.
func simMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		simUsage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "serve":
		return simServe(ctx, args[1:], stdout, stderr)
	case "load":
		return simLoad(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "tongdao sim: unknown subcommand %q\n\n", args[0])
	simUsage(stderr)
	return 2
}

func simUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: tongdao sim SUBCOMMAND [FLAGS]   (each takes --help)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "  serve   serve every simulated channel at its real paths, plus the control API under /_sim/")
	fmt.Fprintln(w, "  load    load generator: signed WeChat unified-order requests against a running `sim serve`")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "See `tongdao docs simulator`.")
}

// simProtocols builds every protocol the binary knows.
func simProtocols() ([]simulator.Protocol, error) {
	wx, err := wechat.New(wechat.Config{})
	if err != nil {
		return nil, err
	}
	ali, err := alipay.New(alipay.Config{})
	if err != nil {
		return nil, err
	}
	bk, err := bank.New(bank.Config{})
	if err != nil {
		return nil, err
	}
	up, err := unionpay.New(unionpay.Config{})
	if err != nil {
		return nil, err
	}
	return []simulator.Protocol{wx, ali, up, bk}, nil
}

type serveFlags struct {
	addr, clockMode, start, merchants, tlsDir, clientCert string
	cpuProfile, logLevel                                  string
	seed                                                  uint64
	tls                                                   bool
	maxRecords, maxConns, maxRecordBody, maxNamespaces    int
	callbackWorkers, callbackHostLimit                    int
	callbackTimeout                                       time.Duration
	readTimeout, writeTimeout, idleTimeout                time.Duration
}

func simServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f serveFlags
	fs := flag.NewFlagSet("tongdao sim serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse errors and help are printed below, to the right stream
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "listen address (host:port; port 0 picks one)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the random source (ids, nonces, fault probabilities)")
	fs.BoolVar(&f.tls, "tls", false, "serve HTTPS with a freshly generated test CA (written to --tls-dir)")
	fs.StringVar(&f.tlsDir, "tls-dir", "", "where --tls writes ca.pem and the demo merchants' client certificates (default: a new temp dir)")
	fs.StringVar(&f.clientCert, "client-cert", "request", "client certificates on paths that demand one (WeChat /secapi/): require, request or off")
	fs.StringVar(&f.clockMode, "clock", "virtual", "virtual (moves only via /_sim/clock; deterministic) or wall")
	fs.StringVar(&f.start, "start", "", "virtual clock start, RFC 3339 (default 2024-06-03T10:00:00+08:00)")
	fs.StringVar(&f.merchants, "merchants", "", "JSON file: an array of merchant objects {\"channel\":...} added at start")
	fs.IntVar(&f.maxRecords, "max-records", 20000, "transcript records kept in memory (oldest dropped first; -1 = unbounded)")
	fs.IntVar(&f.maxRecordBody, "max-record-body", 4096, "bytes of each body a record keeps (longer: a prefix and the full length; -1 = whole)")
	fs.DurationVar(&f.callbackTimeout, "callback-timeout", 5*time.Second, "default wait for a merchant's answer to a callback (wall time)")
	fs.IntVar(&f.callbackWorkers, "callback-workers", 256, "callback attempts in flight at once")
	fs.IntVar(&f.callbackHostLimit, "callback-host-limit", 32, "callback attempts in flight to one notify host:port (a dead endpoint holds at most this many)")
	fs.DurationVar(&f.readTimeout, "read-timeout", 30*time.Second, "longest time to read one request, headers and body (a slow client is cut off)")
	fs.DurationVar(&f.writeTimeout, "write-timeout", 3*time.Minute, "longest time from the end of a request's headers to the end of its answer (above the 2-minute hold of timeout faults)")
	fs.DurationVar(&f.idleTimeout, "idle-timeout", 2*time.Minute, "how long an idle keep-alive connection stays open")
	fs.IntVar(&f.maxConns, "max-conns", 1024, "most connections served at once; more wait to be accepted (0 = no limit)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log to stderr (callback delivery errors, recovered panics): debug, info, warn, error or off")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a Go CPU profile to this file until shutdown (for performance work)")
	fs.IntVar(&f.maxNamespaces, "max-namespaces", 64, "simulators kept at once under POST /_sim/namespaces (one per parallel scenario run; 0 = no namespaces)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: tongdao sim serve [--addr HOST:PORT] [--seed N] [--tls] [--clock virtual|wall] [--merchants FILE] [flags]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Serves every simulated channel on one listener at the real paths (a real SDK needs only its")
		fmt.Fprintln(fs.Output(), "host changed) and the JSON control API under /_sim/. See `tongdao docs simulator`.")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tongdao sim serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := serve(ctx, f, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "tongdao sim serve: %v\n", err)
		return 1
	}
	return 0
}

// simLogger is the simulator's logger: slog text to w at level ("off" discards).
func simLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	switch level {
	case "off":
		return slog.New(slog.DiscardHandler), nil
	case "debug":
		l = slog.LevelDebug
	case "info", "":
		l = slog.LevelInfo
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn, error or off", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// httpServer is the listener side of `sim serve`: every timeout set, so a client that
// trickles a request (headers or body) or sits idle cannot hold a connection for ever.
func httpServer(h http.Handler, f serveFlags, log *slog.Logger) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: min(10*time.Second, f.readTimeout), ReadTimeout: f.readTimeout,
		WriteTimeout: f.writeTimeout, IdleTimeout: f.idleTimeout, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
}

func serve(ctx context.Context, f serveFlags, stdout, stderr io.Writer) error {
	protos, err := simProtocols()
	if err != nil {
		return err
	}
	log, err := simLogger(stderr, f.logLevel)
	if err != nil {
		return err
	}
	if f.readTimeout <= 0 || f.writeTimeout <= 0 || f.idleTimeout <= 0 || f.maxConns < 0 || f.maxRecordBody == 0 ||
		f.callbackWorkers <= 0 || f.callbackHostLimit <= 0 {
		return errors.New("--read-timeout, --write-timeout, --idle-timeout, --callback-workers and --callback-host-limit must be positive, --max-conns not negative, --max-record-body not 0")
	}
	cfg := simulator.Config{Protocols: protos, Seed: f.seed, MaxRecords: f.maxRecords, MaxRecordBody: f.maxRecordBody, Logger: log,
		CallbackWorkers: f.callbackWorkers, CallbackHostLimit: f.callbackHostLimit,
		CallbackTimeout: f.callbackTimeout, ClientCert: simulator.ClientCertMode(f.clientCert)}
	switch f.clockMode {
	case "virtual":
	case "wall":
		cfg.Clock = clock.Real()
	default:
		return fmt.Errorf("--clock %q: want virtual or wall", f.clockMode)
	}
	if f.start != "" {
		if f.clockMode == "wall" {
			return errors.New("--start needs --clock virtual")
		}
		t, err := time.Parse(time.RFC3339, f.start)
		if err != nil {
			return fmt.Errorf("--start: %w", err)
		}
		cfg.Start = t
	}
	s, err := simulator.New(cfg)
	if err != nil {
		return err
	}
	var merchantsData []byte
	if f.merchants != "" {
		data, err := os.ReadFile(f.merchants)
		if err != nil {
			return fmt.Errorf("--merchants: %w", err)
		}
		if _, err := s.LoadMerchants(data); err != nil {
			return fmt.Errorf("--merchants %s: %w", f.merchants, err)
		}
		merchantsData = data
	}
	var handler http.Handler = s
	if f.maxNamespaces > 0 {
		handler = simulator.NewNamespaces(s, namespaceFactory(cfg, merchantsData), f.maxNamespaces)
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	if f.maxConns > 0 {
		ln = limitListener(ln, f.maxConns)
	}
	hs := httpServer(handler, f, log)
	scheme := "http"
	var tlsNote []string
	if f.tls {
		scheme = "https"
		if tlsNote, err = setupTLS(s, hs, f.tlsDir, ln.Addr()); err != nil {
			ln.Close()
			return err
		}
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			ln.Close()
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			ln.Close()
			return err
		}
		defer pprof.StopCPUProfile()
	}
	base := fmt.Sprintf("%s://%s", scheme, ln.Addr())
	printBanner(stdout, s, base, f, tlsNote)
	errc := make(chan error, 1)
	go func() {
		if f.tls {
			errc <- hs.ServeTLS(ln, "", "")
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Fprintln(stdout, "tongdao sim: shutting down")
	return hs.Shutdown(sctx)
}

// setupTLS creates the test CA, the server certificate and a client certificate per demo
// WeChat merchant, writes the PEM files and configures hs.
func setupTLS(s *simulator.Server, hs *http.Server, dir string, addr net.Addr) ([]string, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "tongdao-sim-tls-")
		if err != nil {
			return nil, err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	now := time.Now()
	ca, err := simulator.NewCA(now)
	if err != nil {
		return nil, err
	}
	hosts := []string{"localhost", "127.0.0.1", "::1", "api.mch.weixin.qq.com", "openapi.alipay.com",
		"openapi-sandbox.dl.alipaydev.com", "gateway.95516.com", "filedownload.95516.com"}
	if h, _, err := net.SplitHostPort(addr.String()); err == nil && h != "" {
		hosts = append(hosts, h)
	}
	tc, err := s.TLSConfig(ca, now, hosts...)
	if err != nil {
		return nil, err
	}
	hs.TLSConfig = tc
	caPath := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caPath, ca.CertPEM, 0o644); err != nil {
		return nil, err
	}
	notes := []string{"CA certificate (trust it in your client): " + caPath}
	client, err := ca.IssueClient(now, wechat.DemoMchID)
	if err != nil {
		return nil, err
	}
	cp, kp := filepath.Join(dir, "apiclient_cert.pem"), filepath.Join(dir, "apiclient_key.pem")
	if err := os.WriteFile(cp, client.CertPEM, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(kp, client.KeyPEM, 0o600); err != nil {
		return nil, err
	}
	notes = append(notes, "client certificate for /secapi/ (mch_id "+wechat.DemoMchID+"): "+cp+" + "+kp)
	return notes, nil
}

// bannerJSON renders a merchant for the start banner, with PEM blocks (keys, certificates)
// shortened: they are in GET /_sim/merchants and simulator/demo/.
func bannerJSON(m any) string {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Sprint(m)
	}
	var obj map[string]any
	if json.Unmarshal(b, &obj) != nil {
		return string(b)
	}
	for k, v := range obj {
		if str, ok := v.(string); ok && strings.Contains(str, "-----BEGIN ") {
			obj[k] = "<PEM: GET /_sim/merchants>"
		}
	}
	var out strings.Builder
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if enc.Encode(obj) != nil {
		return string(b)
	}
	return strings.TrimSpace(out.String())
}

func printBanner(w io.Writer, s *simulator.Server, base string, f serveFlags, tlsNote []string) {
	fmt.Fprintf(w, "tongdao simulator listening on %s\n", base)
	fmt.Fprintf(w, "  clock %s, now %s; seed %d\n", f.clockMode, s.Clock().Now().In(clock.Beijing()).Format(time.RFC3339), f.seed)
	fmt.Fprintf(w, "  channels: %v\n", s.Channels())
	fmt.Fprintln(w, "  merchants (test keys only):")
	ms := s.Merchants()
	for _, ch := range s.Channels() {
		for _, m := range ms[ch] {
			fmt.Fprintf(w, "    %-9s %s\n", ch, bannerJSON(m))
		}
	}
	for _, n := range tlsNote {
		fmt.Fprintln(w, "  "+n)
	}
	fmt.Fprintf(w, "  control API: %s/_sim/  (curl examples: `tongdao docs simulator`)\n", base)
	if f.clockMode == "virtual" {
		fmt.Fprintf(w, "  virtual clock: callbacks go out when it moves, e.g. curl -XPOST %s/_sim/clock/advance -d '{\"duration\":\"0s\"}'\n", base)
	}
}
