package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
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
	sim := fs.String("sim", "", "simulator control URL (e.g. http://127.0.0.1:8080): the simulator's payer also pays each payment")
	metrics := fs.String("metrics", "", "the gateway's /metrics URL: with --sim, wait until every payment succeeded and its ledger posting and webhook are done, and report completed payments/s")
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
	base := metricValues(hc, *metrics)
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
				completed.Add(1) // paid; the callback, posting and webhook follow asynchronously
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	var done time.Duration
	if *sim != "" && *metrics != "" {
		// Completed = the callback applied (succeeded), the ledger posting and the webhook
		// done: wait for the gateway to get there.
		want := base["succeeded"] + float64(completed.Load())
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			m := metricValues(hc, *metrics)
			if m["succeeded"] >= want && m["ledger"] == 0 && m["webhook"] == 0 {
				done = time.Since(start)
				break
			}
		}
	}
	pct := percentiles(lat)
	fmt.Fprintf(stdout, "tongdao gateway load: %s, %d callers", el.Round(time.Millisecond), *conc)
	if *rate > 0 {
		fmt.Fprintf(stdout, ", open loop at %g/s", *rate)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "  created   %d (%.0f/s), failed %d\n", created.Load(), float64(created.Load())/el.Seconds(), failed.Load())
	switch {
	case *sim != "" && done > 0:
		fmt.Fprintf(stdout, "  completed %d in %s (%.0f/s): paid by the simulator's payer, callback applied, ledger posted, webhook done\n",
			completed.Load(), done.Round(time.Millisecond), float64(completed.Load())/done.Seconds())
	case *sim != "" && *metrics != "":
		fmt.Fprintf(stdout, "  completed: not every payment was finished within 2 minutes of the load\n")
	case *sim != "":
		fmt.Fprintf(stdout, "  paid %d (%.0f/s) by the simulator's payer (add --metrics to wait for completion)\n", completed.Load(), float64(completed.Load())/el.Seconds())
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

// metricValues reads the gateway's /metrics: succeeded payments and the pending outbox
// deliveries of the ledger and webhook consumers. Missing or unreachable: empty.
func metricValues(hc *http.Client, url string) map[string]float64 {
	out := map[string]float64{}
	if url == "" {
		return out
	}
	resp, err := hc.Get(url)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	for _, line := range strings.Split(string(b), "\n") {
		var v float64
		switch {
		case strings.HasPrefix(line, `tongdao_gateway_payments{state="succeeded"} `):
			_, _ = fmt.Sscan(strings.Fields(line)[1], &v)
			out["succeeded"] = v
		case strings.HasPrefix(line, `tongdao_outbox_pending{consumer="ledger"} `):
			_, _ = fmt.Sscan(strings.Fields(line)[1], &v)
			out["ledger"] = v
		case strings.HasPrefix(line, `tongdao_outbox_pending{consumer="webhook"} `):
			_, _ = fmt.Sscan(strings.Fields(line)[1], &v)
			out["webhook"] = v
		}
	}
	return out
}
