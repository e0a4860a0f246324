package simulator_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
)

// endpoint is a loopback merchant notify endpoint that counts requests in flight.
type endpoint struct {
	*httptest.Server
	mu            sync.Mutex
	inFlight, max int
	got           int
}

func newEndpoint(t testing.TB, h func(w http.ResponseWriter, r *http.Request)) *endpoint {
	e := &endpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.inFlight++
		e.got++
		e.max = max(e.max, e.inFlight)
		e.mu.Unlock()
		defer func() {
			e.mu.Lock()
			e.inFlight--
			e.mu.Unlock()
		}()
		h(w, r)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) stats() (got, max int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.got, e.max
}

// hang reads the request and never answers; the request's context ends when the client
// gives up (net/http notices a closed connection only once the body has been read).
func hang(_ http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	<-r.Context().Done()
}

func ack(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("OK")) }

// virtualRun pays n orders whose payments complete at one instant (just after midnight),
// every other order notified at a hanging endpoint, then advances through the schedule.
func virtualRun(t *testing.T, hanging, good *endpoint, n int) []byte {
	t.Helper()
	fp := newFake()
	s, err := simulator.New(simulator.Config{Protocols: []simulator.Protocol{fp}, Seed: 9, CallbackTimeout: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetTime(time.Date(2024, 6, 3, 23, 59, 0, 0, clock.Beijing())); err != nil {
		t.Fatal(err)
	}
	addFault(t, s, simulator.FaultPlan{Kind: simulator.FaultCompleteAfterMidnight})
	for i := 0; i < n; i++ {
		url := hanging.URL
		if i%2 == 1 {
			url = good.URL
		}
		no := fmt.Sprintf("V%02d", i)
		body := fmt.Sprintf(`{"merchant":"M1","out_trade_no":%q,"amount":100,"notify_url":"%s/n/%s"}`, no, url, no)
		if st, b, err := post(t, s.Transport(), "/fake/pay", body); err != nil || st != 200 {
			t.Fatalf("pay %s: %d %s %v", no, st, b, err)
		}
		if _, err := s.Pay(t.Context(), simulator.PayerAction{Channel: "fake", OutTradeNo: no}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Advance(3 * time.Minute); err != nil {
		t.Fatal(err)
	}
	if p := s.PendingCallbacks(); p != 0 {
		t.Fatalf("%d callbacks pending after the schedule", p)
	}
	var buf bytes.Buffer
	if err := s.WriteTranscript(&buf, simulator.RecordFilter{}); err != nil {
		t.Fatal(err)
	}
	// Each instant's attempts are recorded in due order (order number order here).
	var prev string
	for _, r := range s.Records(simulator.RecordFilter{Kind: simulator.RecordCallback}) {
		if r.Attempt == 1 && prev != "" && r.OutTradeNo < prev {
			t.Errorf("first attempts recorded out of due order: %s after %s", r.OutTradeNo, prev)
		}
		if r.Attempt == 1 {
			prev = r.OutTradeNo
		}
	}
	return buf.Bytes()
}

// Before: the virtual clock delivered every attempt inline, one after another, so an
// advance over N hanging endpoints took N callback timeouts per instant. Now the attempts
// of one instant go out together and are recorded in due order.
func TestCallbacks_VirtualAdvanceSendsOneInstantConcurrentlyAndRecordsInOrder(t *testing.T) {
	const n = 16 // 8 hanging, 8 good, on two hosts
	hanging, good := newEndpoint(t, hang), newEndpoint(t, ack)
	first := virtualRun(t, hanging, good, n)
	got, maxHang := hanging.stats()
	if want := n / 2 * (len(fakeSchedule) + 1); got != want {
		t.Errorf("hanging endpoint got %d attempts, want %d", got, want)
	}
	// All n/2 of an instant go out together; one at a time was the old behaviour. (On a
	// starved machine some may time out before the others arrive, so only "more than
	// one" is asserted; the server may also still count the previous instant's.)
	t.Logf("at most %d of %d hanging attempts at once", maxHang, n/2)
	if maxHang < 2 {
		t.Errorf("at most %d attempt hung at once, want the %d of an instant together", maxHang, n/2)
	}
	if g, _ := good.stats(); g != n/2 {
		t.Errorf("good endpoint got %d attempts, want %d", g, n/2)
	}
	second := virtualRun(t, hanging, good, n)
	if !bytes.Equal(first, second) {
		t.Errorf("transcripts differ between two runs with the same seed:\n%s\n---\n%s", first, second)
	}
	if !bytes.Contains(first, []byte("context deadline exceeded")) {
		t.Errorf("no timed-out attempt in the transcript")
	}
}
