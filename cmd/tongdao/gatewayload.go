package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tongdao/tongdao/core/gateway"
)

// gatewayLoad drives signed merchant requests against a running gateway from this process:
// closed-loop (as fast as --concurrency callers go) or open-loop at --rate per second, and
// reports throughput and latency percentiles. With --sim it also completes each payment: the
// simulator's payer pays it, and the command waits until the gateway reports it succeeded.
func gatewayLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tongdao gateway load", flag.ContinueOnError)
	url := fs.String("gateway", "http://127.0.0.1:8090", "the gateway's merchant API")
	merchant := fs.String("merchant", "M1", "merchant id")
	secret := fs.String("secret", "demo-merchant-secret-0123456789", "the merchant's HMAC secret (the demo config's by default)")
	method := fs.String("method", "qr", "payment method")
	conc := fs.Int("concurrency", 32, "callers")
	rate := fs.Float64("rate", 0, "open loop: requests per second (0 = closed loop, as fast as the callers go)")
	dur := fs.Duration("duration", 10*time.Second, "how long to send")
	sim := fs.String("sim", "", "simulator control URL (e.g. http://127.0.0.1:8080): also pay each payment and wait until it succeeded")
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: tongdao gateway load [--gateway URL] [--concurrency N] [--rate R] [--duration D] [--sim URL]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Sends signed POST /v1/payments requests (new order numbers each run) and prints created")
		fmt.Fprintln(fs.Output(), "payments per second and latency percentiles; with --sim, also completed payments per")
		fmt.Fprintln(fs.Output(), "second (paid by the simulated payer, callback applied). Loopback only; it stops by itself.")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if *conc < 1 || *dur <= 0 {
		fmt.Fprintln(stderr, "tongdao gateway load: --concurrency must be ≥ 1 and --duration > 0")
		return 2
	}
	tr := &http.Transport{MaxIdleConnsPerHost: *conc * 2, MaxConnsPerHost: *conc * 2}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	cl := &gateway.Client{BaseURL: *url, MerchantID: *merchant, Secret: *secret, HTTP: hc}
	var runID [4]byte
	_, _ = rand.Read(runID[:])
	prefix := "L" + hex.EncodeToString(runID[:])

	ctx, cancel := context.WithTimeout(ctx, *dur)
	defer cancel()
	var seq, created, completed, failed atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr atomic.Value
	var ticks <-chan time.Time
	if *rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / *rate))
		defer t.Stop()
		ticks = t.C
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			defer func() { mu.Lock(); lat = append(lat, mine...); mu.Unlock() }()
			for ctx.Err() == nil {
				if ticks != nil {
					select {
					case <-ctx.Done():
						return
					case <-ticks:
					}
				}
				no := fmt.Sprintf("%s-%07d", prefix, seq.Add(1))
				t0 := time.Now()
				p, err := cl.CreatePayment(context.WithoutCancel(ctx), &gateway.CreatePaymentRequest{OrderNo: no, Amount: 100 + seq.Load()%9900,
					Method: *method, Subject: "load", ClientIP: "127.0.0.1"}, "")
				mine = append(mine, time.Since(t0))
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				created.Add(1)
				if *sim == "" {
					continue
				}
				if err := simPay(context.WithoutCancel(ctx), hc, *sim, p.Channel, p.ChannelOrderNo); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				if waitSucceeded(context.WithoutCancel(ctx), cl, no) {
					completed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Fprintf(stdout, "tongdao gateway load: %s, %d callers", el.Round(time.Millisecond), *conc)
	if *rate > 0 {
		fmt.Fprintf(stdout, ", open loop at %g/s", *rate)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "  created   %d (%.0f/s), failed %d\n", created.Load(), float64(created.Load())/el.Seconds(), failed.Load())
	if *sim != "" {
		fmt.Fprintf(stdout, "  completed %d (%.0f/s): paid by the simulator's payer, callback applied\n", completed.Load(), float64(completed.Load())/el.Seconds())
	}
	fmt.Fprintf(stdout, "  create latency p50 %s  p90 %s  p99 %s  max %s\n", pct(.5).Round(10*time.Microsecond), pct(.9).Round(10*time.Microsecond),
		pct(.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
	if v := firstErr.Load(); v != nil {
		fmt.Fprintf(stdout, "  first error: %s\n", v)
	}
	if failed.Load() > 0 {
		return 1
	}
	return 0
}

// simPay makes the simulator's payer pay a channel order.
func simPay(ctx context.Context, hc *http.Client, sim, channelName, channelOrderNo string) error {
	body := fmt.Sprintf(`{"channel":%q,"out_trade_no":%q}`, channelName, channelOrderNo)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(sim, "/")+"/_sim/payer/pay", strings.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("simulator payer: HTTP %d", resp.StatusCode)
	}
	return nil
}

// waitSucceeded polls the payment until it succeeded (true) or 10 s pass.
func waitSucceeded(ctx context.Context, cl *gateway.Client, orderNo string) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p, err := cl.GetPayment(ctx, orderNo)
		var ge *gateway.Error
		if err == nil && p.State == "succeeded" {
			return true
		}
		if err != nil && !errors.As(err, &ge) {
			return false
		}
		time.Sleep(5 * time.Millisecond) // a load generator against a wall-clock system: polling is the point
	}
	return false
}
