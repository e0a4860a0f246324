package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/wechat"
)

// simLoad is a load generator for `sim serve`: workers POST signed WeChat v2 unified-order
// requests (demo merchant, MD5) with unique order numbers for a fixed time, then report
// throughput, latency and — given --pid — the server's CPU time and memory from /proc.
func simLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tongdao sim load", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse errors and help are printed below, to the right stream
	url := fs.String("url", "http://127.0.0.1:8080", "base URL of a running `tongdao sim serve`")
	dur := fs.Duration("duration", 10*time.Second, "how long to send")
	workers := fs.Int("concurrency", 64, "concurrent connections")
	pid := fs.Int("pid", 0, "process id of the simulator, to report its CPU and memory (Linux /proc)")
	prefix := fs.String("prefix", "L", "prefix of generated out_trade_no values (use a new one per run)")
	maxReq := fs.Int64("requests", 0, "stop after this many requests in total (0 = run for --duration)")
	orders := fs.Int("orders", 0, "instead of loading a server: create this many orders in this process through the simulator's HTTP handler and report its memory")
	maxRecords := fs.Int("max-records", 20000, "with --orders: transcript records kept (as sim serve --max-records)")
	memProfile := fs.String("memprofile", "", "with --orders: write a Go heap profile to this file after the GC")
	channelName := fs.String("channel", "wechat", "wechat: signed unified orders; bank: BIND_APPLY envelopes (SM2 signature, SM2-wrapped SM4 key, four encrypted fields), built before the clock starts, --requests of them (default 2000), then the simulator's CPU per request is compared with the bare SM2/SM4 CPU time the request needs, measured in this process; unionpay: backTransReq encryption-certificate queries signed with the demo PKCS#12 (signMethod 01), compared with the bare RSA verify+sign CPU measured in this process before and after the run")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: tongdao sim load [--channel wechat|bank] [--url URL] [--duration 10s] [--concurrency 64] [--pid PID]")
		fmt.Fprintln(fs.Output(), "       tongdao sim load --orders N [--max-records N] [--memprofile FILE]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Sends signed WeChat unified-order requests (demo merchant 10000100) to a running simulator;")
		fmt.Fprintln(fs.Output(), "with --channel bank, BIND_APPLY requests of the bank's demo merchant M0000001.")
		fmt.Fprintln(fs.Output(), "With --orders N it instead builds the simulator in this process (as sim serve does), creates N")
		fmt.Fprintln(fs.Output(), "orders through its HTTP handler and reports heap in use and RSS after a GC.")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if *orders > 0 {
		return simLoadInProcess(stdout, stderr, *orders, *maxRecords, *prefix, *memProfile)
	}
	if *workers < 1 || *dur <= 0 {
		fmt.Fprintln(stderr, "tongdao sim load: --concurrency and --duration must be positive")
		return 2
	}
	job := wechatJob(*prefix)
	switch *channelName {
	case "wechat":
	case "bank":
		if *maxReq <= 0 {
			*maxReq = 2000
		}
		var err error
		if job, err = bankJob(ctx, *url, *prefix, int(*maxReq), stderr); err != nil {
			fmt.Fprintf(stderr, "tongdao sim load: %v\n", err)
			return 1
		}
	case "unionpay":
		var err error
		if job, err = unionpayJob(); err != nil {
			fmt.Fprintf(stderr, "tongdao sim load: %v\n", err)
			return 1
		}
	default:
		fmt.Fprintf(stderr, "tongdao sim load: --channel %q: want wechat, bank or unionpay\n", *channelName)
		return 2
	}
	res, err := runLoad(ctx, *url, *dur, *workers, *pid, *maxReq, job)
	if err != nil {
		fmt.Fprintf(stderr, "tongdao sim load: %v\n", err)
		return 1
	}
	res.print(stdout, *dur, *workers)
	if job.report != nil {
		job.report(stdout, res)
	}
	if res.ok == 0 {
		return 1
	}
	return 0
}

type loadResult struct {
	ok, bad, errs  int64
	firstErr       string
	elapsed        time.Duration
	lat            []time.Duration
	srvCPU         time.Duration
	srvRSS, srvHWM int64 // KiB
	selfCPU        time.Duration
	havePID        bool
}

// loadJob is what the workers send: next fills the n-th body of worker w (false: nothing
// left), ok judges an answer.
type loadJob struct {
	path, contentType string
	next              func(w, n int, body *bytes.Buffer) bool
	ok                func(status int, resp []byte) bool
	report            func(w io.Writer, r *loadResult) // extra lines after the summary
}

func wechatJob(prefix string) loadJob {
	return loadJob{path: "/pay/unifiedorder", contentType: "text/xml",
		next: func(w, n int, body *bytes.Buffer) bool {
			unifiedOrderXML(body, prefix+strconv.Itoa(w)+"x"+strconv.Itoa(n), n)
			return true
		},
		ok: func(status int, resp []byte) bool {
			return status == 200 && bytes.Contains(resp, []byte("<result_code><![CDATA[SUCCESS]]></result_code>"))
		}}
}

func runLoad(ctx context.Context, base string, dur time.Duration, workers, pid int, maxReq int64, job loadJob) (*loadResult, error) {
	u, err := neturl.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("--url %q: want http://host:port (the load generator speaks plain HTTP/1.1)", base)
	}
	res := &loadResult{}
	var before time.Duration
	if pid > 0 {
		c, err := procCPU(pid)
		if err != nil {
			return nil, err
		}
		before, res.havePID = c, true
	}
	selfBefore := selfCPU()
	var ok, bad, errs, sent atomic.Int64
	var mu sync.Mutex
	var firstErr string
	note := func(s string) {
		mu.Lock()
		if firstErr == "" {
			firstErr = s
		}
		mu.Unlock()
	}
	lats := make([][]time.Duration, workers)
	deadline := time.Now().Add(dur)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var c *loadConn
			var body bytes.Buffer
			for n := 0; ; n++ {
				if maxReq > 0 {
					if sent.Add(1) > maxReq || ctx.Err() != nil {
						break
					}
				} else if n%16 == 0 && (time.Now().After(deadline) || ctx.Err() != nil) {
					break
				}
				if c == nil {
					var err error
					if c, err = dialLoad(u.Host); err != nil {
						errs.Add(1)
						note(err.Error())
						// Back off briefly before redialling, but stop at once when asked to.
						select {
						case <-ctx.Done():
						case <-time.After(10 * time.Millisecond):
						}
						continue
					}
				}
				body.Reset()
				if !job.next(w, n, &body) {
					break
				}
				t0 := time.Now()
				status, resp, err := c.post(u.Host, job.path, job.contentType, body.Bytes())
				if err != nil {
					errs.Add(1)
					note(err.Error())
					c.close()
					c = nil
					continue
				}
				lats[w] = append(lats[w], time.Since(t0))
				if job.ok(status, resp) {
					ok.Add(1)
				} else {
					bad.Add(1)
					note(fmt.Sprintf("status %d: %.200s", status, resp))
				}
			}
			if c != nil {
				c.close()
			}
		}(w)
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.ok, res.bad, res.errs, res.firstErr = ok.Load(), bad.Load(), errs.Load(), firstErr
	for _, l := range lats {
		res.lat = append(res.lat, l...)
	}
	slices.Sort(res.lat)
	res.selfCPU = selfCPU() - selfBefore
	if pid > 0 {
		after, err := procCPU(pid)
		if err != nil {
			return nil, err
		}
		res.srvCPU = after - before
		res.srvRSS, res.srvHWM = procMem(pid)
	}
	return res, nil
}

// loadConn is a minimal keep-alive HTTP/1.1 client connection: one request in flight,
// responses framed by Content-Length (which the simulator always sends). It keeps the
// generator's own CPU cost small so that the measurement is of the server.
type loadConn struct {
	nc net.Conn
	br *bufio.Reader
	bw *bufio.Writer
	rb []byte
}

func dialLoad(host string) (*loadConn, error) {
	nc, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &loadConn{nc: nc, br: bufio.NewReaderSize(nc, 16<<10), bw: bufio.NewWriterSize(nc, 16<<10)}, nil
}

func (c *loadConn) close() { _ = c.nc.Close() }

func (c *loadConn) post(host, path, contentType string, body []byte) (int, []byte, error) {
	_ = c.nc.SetDeadline(time.Now().Add(10 * time.Second))
	c.bw.WriteString("POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: " + contentType + "\r\nContent-Length: ")
	c.bw.WriteString(strconv.Itoa(len(body)))
	c.bw.WriteString("\r\n\r\n")
	c.bw.Write(body)
	if err := c.bw.Flush(); err != nil {
		return 0, nil, err
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	n := -1
	for {
		h, err := c.br.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		if len(h) <= 2 {
			break
		}
		if k, v, found := bytes.Cut(h, []byte(":")); found && bytes.EqualFold(k, []byte("Content-Length")) {
			if n, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return 0, nil, fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
	if n < 0 {
		return 0, nil, errors.New("response without Content-Length")
	}
	if cap(c.rb) < n {
		c.rb = make([]byte, n)
	}
	c.rb = c.rb[:n]
	if _, err := io.ReadFull(c.br, c.rb); err != nil {
		return 0, nil, err
	}
	return status, c.rb, nil
}

// unifiedOrderXML writes a signed NATIVE unified-order request (wechat-v2.md §6.1).
func unifiedOrderXML(w *bytes.Buffer, outTradeNo string, n int) {
	p := sign.Params{
		{Key: "appid", Value: wechat.DemoAppID},
		{Key: "body", Value: "load test"},
		{Key: "mch_id", Value: wechat.DemoMchID},
		{Key: "nonce_str", Value: "n" + strconv.Itoa(n)},
		{Key: "notify_url", Value: "http://127.0.0.1:9/notify"},
		{Key: "out_trade_no", Value: outTradeNo},
		{Key: "product_id", Value: "P1"},
		{Key: "spbill_create_ip", Value: "127.0.0.1"},
		{Key: "total_fee", Value: strconv.Itoa(1 + n%1000)},
		{Key: "trade_type", Value: "NATIVE"},
	}
	sig, _ := sign.WeChatSign(p, wechat.DemoKey, sign.WeChatMD5)
	w.WriteString("<xml>")
	for _, kv := range p {
		w.WriteString("<" + kv.Key + "><![CDATA[" + kv.Value + "]]></" + kv.Key + ">")
	}
	w.WriteString("<sign>" + sig + "</sign></xml>")
}

func (r *loadResult) print(w io.Writer, dur time.Duration, workers int) {
	total := r.ok + r.bad + r.errs
	secs := r.elapsed.Seconds()
	fmt.Fprintf(w, "requests: %d in %.2fs with %d connections: %.0f req/s (%d ok, %d bad answers, %d transport errors)\n",
		total, secs, workers, float64(r.ok+r.bad)/secs, r.ok, r.bad, r.errs)
	if r.firstErr != "" {
		fmt.Fprintf(w, "first problem: %s\n", r.firstErr)
	}
	if n := len(r.lat); n > 0 {
		q := func(p float64) time.Duration { return r.lat[min(n-1, int(float64(n)*p))] }
		fmt.Fprintf(w, "latency: p50 %v  p90 %v  p99 %v  max %v\n", q(0.50), q(0.90), q(0.99), r.lat[n-1])
	}
	fmt.Fprintf(w, "load generator CPU: %.2fs (%.0f%% of one core)\n", r.selfCPU.Seconds(), 100*r.selfCPU.Seconds()/secs)
	if r.havePID {
		fmt.Fprintf(w, "simulator CPU: %.2fs (%.0f%% of one core); RSS %d MiB, peak RSS %d MiB\n",
			r.srvCPU.Seconds(), 100*r.srvCPU.Seconds()/secs, r.srvRSS/1024, r.srvHWM/1024)
	}
}

// procCPU returns utime+stime of a process from /proc/PID/stat (clock ticks of 10 ms).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("--pid: %w", err)
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("--pid: unreadable /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("--pid: short /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// procMem returns VmRSS and VmHWM in KiB.
func procMem(pid int) (rss, hwm int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v
		case "VmHWM:":
			hwm = v
		}
	}
	return rss, hwm
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// simLoadInProcess creates n WeChat unified orders in a simulator built in this process
// (the protocols and defaults of `sim serve`), each a signed request through the
// simulator's HTTP handler, then reports the Go heap in use and the process RSS after a
// full GC — the measure of "1,000,000 orders held in ≤ 512 MiB" (docs/benchmarks/simulator.md).
func simLoadInProcess(stdout, stderr io.Writer, n, maxRecords int, prefix, memProfile string) int {
	protos, err := simProtocols()
	if err != nil {
		fmt.Fprintf(stderr, "tongdao sim load: %v\n", err)
		return 1
	}
	srv, err := simulator.New(simulator.Config{Protocols: protos, Seed: 1, MaxRecords: maxRecords})
	if err != nil {
		fmt.Fprintf(stderr, "tongdao sim load: %v\n", err)
		return 1
	}
	var body bytes.Buffer
	w := &discardWriter{h: http.Header{}}
	start := time.Now()
	for i := 0; i < n; i++ {
		body.Reset()
		unifiedOrderXML(&body, prefix+"m"+strconv.Itoa(i), i)
		req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/pay/unifiedorder", bytes.NewReader(body.Bytes()))
		if err != nil {
			fmt.Fprintf(stderr, "tongdao sim load: %v\n", err)
			return 1
		}
		req.Header.Set("Content-Type", "text/xml")
		w.reset()
		srv.ServeHTTP(w, req)
		if w.status != http.StatusOK || !bytes.Contains(w.buf.Bytes(), []byte("<result_code><![CDATA[SUCCESS]]></result_code>")) {
			fmt.Fprintf(stderr, "tongdao sim load: order %d: status %d: %.200s\n", i, w.status, w.buf.Bytes())
			return 1
		}
	}
	elapsed := time.Since(start)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, hwm := procMem(os.Getpid())
	fmt.Fprintf(stdout, "orders: %d in %.1fs through the handler (%.0f/s); max records %d\n", n, elapsed.Seconds(), float64(n)/elapsed.Seconds(), maxRecords)
	fmt.Fprintf(stdout, "after GC: heap in use %d MiB (live objects %d MiB), RSS %d MiB, peak RSS %d MiB\n",
		ms.HeapInuse>>20, ms.HeapAlloc>>20, rss/1024, hwm/1024)
	if memProfile != "" {
		f, err := os.Create(memProfile)
		if err == nil {
			err = pprof.WriteHeapProfile(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "tongdao sim load: --memprofile: %v\n", err)
			return 1
		}
	}
	debug.FreeOSMemory()
	rss, _ = procMem(os.Getpid())
	fmt.Fprintf(stdout, "after returning free memory to the OS: RSS %d MiB\n", rss/1024)
	runtime.KeepAlive(srv)
	return 0
}

// discardWriter is a reusable http.ResponseWriter that keeps the status and body.
type discardWriter struct {
	h      http.Header
	status int
	buf    bytes.Buffer
}

func (w *discardWriter) reset() {
	clear(w.h)
	w.status = 0
	w.buf.Reset()
}

func (w *discardWriter) Header() http.Header { return w.h }

func (w *discardWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.buf.Write(b)
}

func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
