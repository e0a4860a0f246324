package simulator_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tongdao/tongdao/simulator"
)

// benchPending is the number of pending retries in BenchmarkAdvance24h_100kPendingRetries.
var benchPending = 100_000

// rtFunc is an in-process callback transport that answers without any HTTP machinery.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func ackTransport(ack func() bool) http.RoundTripper {
	return rtFunc(func(r *http.Request) (*http.Response, error) {
		body := "FAIL"
		if ack() {
			body = "OK"
		}
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})
}

// pendingRetriesSpread builds a simulator with n callbacks whose first attempt has failed and
// whose retry is pending; with ackNext the merchant acknowledges every later attempt. With
// spread > 0 the callbacks are created that far apart on the virtual clock, so that no two
// retries fall due at the same instant.
func pendingRetriesSpread(b *testing.B, n int, ackNext bool, spread time.Duration) *simulator.Server {
	b.Helper()
	phase := 0 // 0: first attempts fail; 1: later attempts ack if ackNext
	fp := newFake()
	s, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{fp}, Seed: 1, MaxRecords: 1000,
		CallbackTransport: ackTransport(func() bool { return phase == 1 && ackNext })})
	if err != nil {
		b.Fatal(err)
	}
	// Use the real WeChat schedule shape (15 retries over ~24h) for the benchmark.
	schedule := []time.Duration{15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute, 10 * time.Minute,
		20 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour, 3 * time.Hour,
		3 * time.Hour, 6 * time.Hour, 6 * time.Hour}
	for i := 0; i < n; i++ {
		no := "B" + strconv.Itoa(i)
		// Like simulator/wechat: the signed body is built once and re-sent on every attempt.
		body := []byte(`<xml><return_code><![CDATA[SUCCESS]]></return_code><out_trade_no><![CDATA[` + no +
			`]]></out_trade_no><total_fee>100</total_fee><sign><![CDATA[6AD64129279087C9CC6417C13A1D46C2]]></sign></xml>`)
		cb := simulator.Callback{Kind: "payment", Merchant: "M1", OutTradeNo: no, URL: "http://merchant.test/n", Schedule: schedule,
			Build: func(simulator.Attempt) (simulator.Message, error) {
				return simulator.Message{ContentType: "text/xml", Body: body}, nil
			},
			Acked: func(status int, b []byte) bool { return status == 200 && string(b) == "OK" },
		}
		if _, err := fp.e.Notify(cb); err != nil {
			b.Fatal(err)
		}
		if spread > 0 {
			if err := s.Advance(spread); err != nil { // also makes this callback's first attempt
				b.Fatal(err)
			}
		}
	}
	if err := s.Advance(0); err != nil { // first attempts, all failing
		b.Fatal(err)
	}
	if got := s.PendingCallbacks(); got != n {
		b.Fatalf("pending = %d, want %d", got, n)
	}
	phase = 1
	return s
}

// BenchmarkAdvance24h_100kPendingRetries measures Advance(24h) with 100,000 callbacks
// waiting for their second attempt: the merchant acknowledges that attempt ("acks-next",
// 100k deliveries) or never does ("never-acks", 100k x 15 more attempts until the WeChat
// schedule is exhausted). The callbacks are created at one virtual instant (as a burst in
// virtual mode is), or 1 ms apart ("-spread-1ms": no two retries share a due time).
func BenchmarkAdvance24h_100kPendingRetries(b *testing.B) {
	for _, tc := range []struct {
		name    string
		ackNext bool
		spread  time.Duration
	}{{"acks-next", true, 0}, {"never-acks", false, 0}, {"never-acks-spread-1ms", false, time.Millisecond}} {
		b.Run(tc.name, func(b *testing.B) {
			var cpu time.Duration
			defer func() { b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op") }()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := pendingRetriesSpread(b, benchPending, tc.ackNext, tc.spread)
				c0 := cpuTime()
				b.StartTimer()
				if err := s.Advance(25 * time.Hour); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				cpu += cpuTime() - c0
				if s.PendingCallbacks() != 0 {
					b.Fatalf("pending after 25h: %d", s.PendingCallbacks())
				}
			}
		})
	}
}

// BenchmarkServeHTTP_InProcess measures the engine's per-call overhead around a trivial
// protocol handler (routing, body read, fault check, record, reply), in-process.
func BenchmarkServeHTTP_InProcess(b *testing.B) {
	s, _ := newSim(b, nil)
	rt := s.Transport()
	body := `{"merchant":"M1","out_trade_no":"Q","amount":1}`
	b.ReportAllocs()
	c0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodPost, "http://sim.test/fake/query", strings.NewReader(body))
		resp, err := rt.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user+system CPU time: on a shared machine it shows the work done
// where wall time also counts waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
