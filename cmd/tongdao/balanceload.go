package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/balance"
	"github.com/tongdao/tongdao/core/balance/balancetest"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
)

const balanceUsage = `Usage: tongdao balance load [flags]

Measures the customer's balance query end to end: an in-process gateway with the balance
routes on a real store, served over HTTP on loopback; tokens issued by signed merchant calls;
then queries sent at a fixed rate (open loop: each one is due at its time whether or not
the earlier ones were answered), every one audited in the hash-chained audit log before it
is answered. Latency is measured from when a query was due, so a stall shows in full.
Balances come from an in-memory source (a wallet's own read time is not included).

Flags:
`

func balanceMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, balanceUsage)
		fmt.Fprintln(stdout, "  (tongdao balance load --help lists them)")
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] != "load" {
		fmt.Fprintf(stderr, "tongdao balance: unknown command %q (the only one is load)\n", args[0])
		return 2
	}
	return balanceLoad(ctx, args[1:], stdout, stderr)
}

func balanceLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tongdao balance load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), balanceUsage)
		fs.PrintDefaults()
	}
	dsn := fs.String("db", "", "store DSN (sqlite:PATH or postgres://…); default a fresh SQLite file in a temporary directory")
	rate := fs.Int("rate", 1000, "queries per second")
	dur := fs.Duration("duration", 10*time.Second, "how long to send queries")
	users := fs.Int("users", 2000, "customers (one account and one token each), queried in turn")
	workers := fs.Int("workers", 256, "concurrent HTTP clients")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the fixed-rate run to this file")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if *rate < 1 || *dur <= 0 || *users < 1 || *workers < 1 {
		fmt.Fprintln(stderr, "tongdao balance load: --rate, --duration, --users and --workers must be positive")
		return 2
	}
	if *dsn == "" {
		dir, err := os.MkdirTemp("", "tongdao-balance-load-")
		if err != nil {
			fmt.Fprintf(stderr, "tongdao balance load: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		*dsn = "sqlite:" + filepath.Join(dir, "balance.db")
	}
	if err := runBalanceLoad(ctx, *dsn, *rate, *dur, *users, *workers, *cpuProfile, stdout); err != nil {
		fmt.Fprintf(stderr, "tongdao balance load: %v\n", err)
		return 1
	}
	return 0
}

func runBalanceLoad(ctx context.Context, dsn string, rate int, dur time.Duration, users, workers int, cpuProfile string, stdout io.Writer) error {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	alog, err := audit.New(ctx, audit.Config{Store: db})
	if err != nil {
		return err
	}
	defer alog.Close()
	src := balancetest.New()
	for i := 0; i < users; i++ {
		src.Put(fmt.Sprintf("u%05d", i), balance.View{AccountID: fmt.Sprintf("w%05d", i), Available: money.Fen(int64(100000 + i)),
			Frozen: money.Fen(0), CustomerName: "张三丰", State: "active", Cards: []balance.Card{{Number: "6216261234567890018", Bank: "ICBC"}}})
	}
	key := make([]byte, 32)
	copy(key, "balance-load-token-key-not-secret")
	svc, err := balance.New(balance.Config{Source: src, Audit: alog, TokenKey: key, TokenTTL: 15 * time.Minute,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if err != nil {
		return err
	}
	const mid, secret = "LOAD", "balance-load-merchant-secret"
	gw, err := gateway.New(gateway.Config{Store: db, PublicURL: "http://127.0.0.1:1", Router: noRoute{},
		Merchants: []gateway.Merchant{{ID: mid, HMACSecret: secret, RatePerSecond: 1e6, Burst: 1e6}}})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	// Time inside the server's handler (token, limits, source, audit commit, JSON), per query.
	var hmu sync.Mutex
	var inHandler []time.Duration
	mounted := svc.Mount(gw)
	timed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		mounted.ServeHTTP(w, r)
		if r.Method == http.MethodGet {
			d := time.Since(began)
			hmu.Lock()
			inHandler = append(inHandler, d)
			hmu.Unlock()
		}
	})
	srv := &http.Server{Handler: timed, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: workers * 2, MaxIdleConnsPerHost: workers * 2, MaxConnsPerHost: 0}, Timeout: 30 * time.Second}

	// Tokens, by signed merchant calls (audited too).
	began := time.Now()
	tokens := make([]string, users)
	mc := &gateway.Client{BaseURL: base, MerchantID: mid, Secret: secret, HTTP: hc}
	var wg sync.WaitGroup
	var tokErr atomic.Value
	next := atomic.Int64{}
	for w := 0; w < min(32, users); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < users; i = int(next.Add(1) - 1) {
				var out balance.TokenResponse
				if _, err := mc.Do(ctx, http.MethodPost, balance.TokenPath, balance.TokenRequest{UserID: fmt.Sprintf("u%05d", i), AccountID: fmt.Sprintf("w%05d", i)}, "", &out); err != nil {
					tokErr.Store(err)
					return
				}
				tokens[i] = "Bearer " + out.Token
			}
		}()
	}
	wg.Wait()
	if e, ok := tokErr.Load().(error); ok {
		return fmt.Errorf("issue tokens: %w", e)
	}
	fmt.Fprintf(stdout, "balance load: %s, %d users, tokens issued by signed calls in %.2fs\n", storeName(db), users, time.Since(began).Seconds())

	// The fixed-rate run.
	n := int(dur.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	lat := make([]time.Duration, n)
	rtt := make([]time.Duration, n) // from when the request was sent
	status := make([]int32, n)
	jobs := make(chan int, workers)
	recs0, commits0, cn0 := alog.Stats().Records.Load(), alog.Stats().Commits.Load(), alog.Stats().CommitNanos.Load()
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cpu0 := processCPU()
	t0 := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for i := range jobs {
				u := i % users
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/v1/customer/accounts/w%05d/balance", base, u), nil)
				req.Header.Set("Authorization", tokens[u])
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("100.64.%d.%d", u/250, u%250+1))
				sent := time.Now()
				resp, err := hc.Do(req)
				if err == nil {
					buf.Reset()
					_, _ = buf.ReadFrom(resp.Body)
					resp.Body.Close()
					status[i] = int32(resp.StatusCode)
				}
				lat[i] = time.Since(t0.Add(time.Duration(i) * interval))
				rtt[i] = time.Since(sent)
			}
		}()
	}
	for i := 0; i < n; i++ {
		due := t0.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			n = i
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(t0)
	cpu := processCPU() - cpu0
	lat, rtt, status = lat[:n], rtt[:n], status[:n]
	byStatus := map[int32]int{}
	for _, s := range status {
		byStatus[s]++
	}
	pct, spct := percentiles(lat), percentiles(rtt)
	hmu.Lock()
	hpct := percentiles(inHandler)
	hmu.Unlock()
	recs, commits, cn := alog.Stats().Records.Load()-recs0, alog.Stats().Commits.Load()-commits0, time.Duration(alog.Stats().CommitNanos.Load()-cn0)
	fmt.Fprintf(stdout, "  %d queries at %d/s for %s: %.0f/s achieved; answers %v\n", n, rate, dur, float64(n)/elapsed.Seconds(), byStatus)
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
	fmt.Fprintf(stdout, "  latency from due time: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", r(pct(.5)), r(pct(.9)), r(pct(.99)), r(pct(.999)), r(pct(1)))
	fmt.Fprintf(stdout, "  latency from send:     p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", r(spct(.5)), r(spct(.9)), r(spct(.99)), r(spct(.999)), r(spct(1)))
	fmt.Fprintf(stdout, "  in the server's handler:  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", r(hpct(.5)), r(hpct(.9)), r(hpct(.99)), r(hpct(.999)), r(hpct(1)))
	if commits > 0 {
		fmt.Fprintf(stdout, "  audit: %d records in %d commits (%.1f per commit), %s a commit on average, writer busy %.0f%%\n",
			recs, commits, float64(recs)/float64(commits), r(cn/time.Duration(commits)), 100*cn.Seconds()/elapsed.Seconds())
	}
	if cpu > 0 && n > 0 {
		fmt.Fprintf(stdout, "  process CPU (server and load generator together): %s a query\n", (cpu / time.Duration(n)).Round(time.Microsecond))
	}
	vb := time.Now()
	rp, err := audit.Verify(ctx, db, audit.VerifyOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  audit verify: %d records, ok=%v (%.2fs)\n", rp.Records, rp.OK(), time.Since(vb).Seconds())
	if !rp.OK() {
		return errors.New("the audit log does not verify")
	}
	if byStatus[http.StatusOK] != n {
		return fmt.Errorf("%d of %d queries were not answered 200", n-byStatus[http.StatusOK], n)
	}
	return nil
}

func storeName(db *store.DB) string { return string(db.Dialect()) }

// noRoute satisfies the gateway's config for commands that make no payments.
type noRoute struct{}

func (noRoute) Route(context.Context, gateway.RouteRequest) (gateway.RouteDecision, error) {
	return gateway.RouteDecision{}, nil
}

// percentiles returns a function giving the p-th percentile (0–1) of ds.
func percentiles(ds []time.Duration) func(float64) time.Duration {
	sorted := append([]time.Duration(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return func(p float64) time.Duration {
		if len(sorted) == 0 {
			return 0
		}
		return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
	}
}

// processCPU is the user+system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
