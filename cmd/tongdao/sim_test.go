package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator/wechat"
)

// watchWriter collects output and closes found once want has been written.
type watchWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	want  string
	found chan struct{}
}

func newWatch(want string) *watchWriter { return &watchWriter{want: want, found: make(chan struct{})} }

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := strings.Contains(w.buf.String(), w.want)
	w.buf.Write(p)
	if !had && strings.Contains(w.buf.String(), w.want) {
		close(w.found)
	}
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// startServe runs `tongdao sim serve ARGS` on a free loopback port until the test ends and
// returns its base URL and stderr.
func startServe(t *testing.T, stderrWant string, args ...string) (string, *watchWriter) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := newWatch(stderrWant)
	done := make(chan int, 1)
	go func() {
		done <- simMain(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), pw, stderr)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("sim serve exited %d; stderr:\n%s", code, stderr.String())
		}
	})
	br := bufio.NewReader(pr)
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("banner: %v (stderr %s)", err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, br) }()
	const prefix = "tongdao simulator listening on "
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("banner %q", line)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, prefix)), stderr
}

func TestSimServe_SlowRequestBodyIsCutOffByTheReadTimeout(t *testing.T) {
	base, _ := startServe(t, "", "--read-timeout", "300ms")
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Announce 1 MiB, send 10 bytes, then nothing.
	fmt.Fprintf(conn, "POST /pay/unifiedorder HTTP/1.1\r\nHost: sim\r\nContent-Length: %d\r\n\r\n<xml><a>1<", 1<<20)
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a watchdog, far above the timeout
	_, err = io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server still holds the connection after %v", time.Since(start))
	}
}

func TestSimServe_DeliveryErrorsAreLoggedToStderrByDefault(t *testing.T) {
	base, stderr := startServe(t, "callback delivery failed", "--clock", "wall")
	// A closed port: the notification cannot be delivered.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	notify := "http://" + ln.Addr().String() + "/notify"
	ln.Close()
	p := sign.Params{{Key: "appid", Value: wechat.DemoAppID}, {Key: "body", Value: "x"}, {Key: "mch_id", Value: wechat.DemoMchID},
		{Key: "nonce_str", Value: "n1"}, {Key: "notify_url", Value: notify}, {Key: "out_trade_no", Value: "LOG1"},
		{Key: "spbill_create_ip", Value: "203.0.113.7"}, {Key: "total_fee", Value: "1"}, {Key: "trade_type", Value: "NATIVE"},
		{Key: "product_id", Value: "P1"}}
	sig, err := sign.WeChatSign(p, wechat.DemoKey, sign.WeChatMD5)
	if err != nil {
		t.Fatal(err)
	}
	var xml strings.Builder
	xml.WriteString("<xml>")
	for _, kv := range p {
		fmt.Fprintf(&xml, "<%s>%s</%s>", kv.Key, kv.Value, kv.Key)
	}
	fmt.Fprintf(&xml, "<sign>%s</sign></xml>", sig)
	for _, step := range []struct{ path, ct, body string }{
		{"/pay/unifiedorder", "text/xml", xml.String()},
		{"/_sim/payer/pay", "application/json", `{"channel":"wechat","out_trade_no":"LOG1"}`},
	} {
		res, err := http.Post(base+step.path, step.ct, strings.NewReader(step.body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || strings.Contains(string(b), "FAIL") {
			t.Fatalf("%s: %d %s", step.path, res.StatusCode, b)
		}
	}
	select {
	case <-stderr.found:
	case <-time.After(10 * time.Second): // a watchdog: the failure is immediate (connection refused)
		t.Fatalf("no delivery error on stderr:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "out_trade_no=LOG1") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

func TestSimServe_BadServeFlagsAreRefused(t *testing.T) {
	for _, args := range [][]string{{"--log-level", "loud"}, {"--read-timeout", "0s"}, {"--max-conns", "-1"}} {
		var out, errb strings.Builder
		if code := simMain(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), &out, &errb); code != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
}

func TestLimitListener_HoldsConnectionsPastTheCap(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := limitListener(inner, 2)
	defer ln.Close()
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	var clients []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	first, second := <-accepted, <-accepted
	select {
	case <-accepted:
		t.Fatal("a third connection was accepted past the cap of 2")
	case <-time.After(200 * time.Millisecond): // wall time is the subject here
	}
	first.Close()
	first.Close() // a second Close must not free a second slot
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("closing a connection did not free its slot")
	}
	second.Close()
	_ = clients
}
