package conformance

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/tongdao/tongdao/core/channel"
)

// Delivery is one callback the channel's simulator delivered to the collector.
type Delivery struct {
	Header       http.Header
	Body         []byte
	Notification *channel.Notification // nil when ParseNotification failed
	Err          error                 // ParseNotification's error
}

// Collector is a merchant notify endpoint for tests: it parses every callback with the
// channel under test and answers with the channel's Ack, or with Nack (or 400) when parsing
// fails, exactly as a careful merchant would. Safe for concurrent use.
type Collector struct {
	ch  channel.Channel
	srv *httptest.Server

	mu         sync.Mutex
	deliveries []Delivery
	// FailNext makes the collector answer Nack to the next n successfully parsed callbacks,
	// to exercise the channel's retries.
	failNext int
}

// NewCollector starts a collector on a loopback port. Close it when done.
func NewCollector(ch channel.Channel) *Collector {
	c := &Collector{ch: ch}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	return c
}

// URL is the notify URL to put in requests.
func (c *Collector) URL() string { return c.srv.URL + "/notify" }

// Close stops the server.
func (c *Collector) Close() { c.srv.Close() }

// FailNext makes the next n well-formed callbacks get a Nack.
func (c *Collector) FailNext(n int) {
	c.mu.Lock()
	c.failNext = n
	c.mu.Unlock()
}

// Deliveries returns a copy of what arrived so far, in arrival order.
func (c *Collector) Deliveries() []Delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Delivery(nil), c.deliveries...)
}

// For returns the deliveries whose parsed notification concerns orderNo (payment or
// refund; for payouts, the payout number), plus every delivery that failed to parse.
func (c *Collector) For(orderNo string) (parsed []Delivery, failed []Delivery) {
	for _, d := range c.Deliveries() {
		switch {
		case d.Err != nil:
			failed = append(failed, d)
		case d.Notification.Payment != nil && d.Notification.Payment.OrderNo == orderNo,
			d.Notification.Refund != nil && d.Notification.Refund.OrderNo == orderNo,
			d.Notification.Payout != nil && d.Notification.Payout.PayoutNo == orderNo:
			parsed = append(parsed, d)
		}
	}
	return parsed, failed
}

func (c *Collector) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	n, perr := c.ch.ParseNotification(context.Background(), r.Header.Clone(), body)
	c.mu.Lock()
	c.deliveries = append(c.deliveries, Delivery{Header: r.Header.Clone(), Body: body, Notification: n, Err: perr})
	nack := false
	if perr == nil && c.failNext > 0 {
		c.failNext--
		nack = true
	}
	c.mu.Unlock()
	switch {
	case perr != nil:
		http.Error(w, "rejected", http.StatusBadRequest)
	case nack:
		writeResponse(w, n.Nack)
	default:
		writeResponse(w, n.Ack)
	}
}

func writeResponse(w http.ResponseWriter, r channel.Response) {
	if r.ContentType != "" {
		w.Header().Set("Content-Type", r.ContentType)
	}
	code := r.StatusCode
	if code == 0 {
		code = http.StatusOK
	}
	w.WriteHeader(code)
	_, _ = w.Write(r.Body)
}
