package scenarios

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

// rejectStatus is what the collector answers to a callback the adapter refused; the
// runner finds rejections in the simulator's records by it.
const rejectStatus = http.StatusBadRequest

// delivery is one callback that reached the scenario's notify endpoint.
type delivery struct {
	Time     time.Time // simulator time at arrival
	Channel  string
	Merchant string // merchant key from the notify URL
	Note     *channel.Notification
	Err      error
}

// orderNo returns the merchant order number the notification concerns.
func (d *delivery) orderNo() string {
	switch {
	case d.Note == nil:
		return ""
	case d.Note.Payment != nil:
		return d.Note.Payment.OrderNo
	case d.Note.Refund != nil:
		return d.Note.Refund.OrderNo
	case d.Note.Payout != nil:
		return d.Note.Payout.PayoutNo
	case d.Note.Cancel != nil:
		return d.Note.Cancel.OrderNo
	case d.Note.Auth != nil:
		return d.Note.Auth.OpNo
	case d.Note.Binding != nil:
		return d.Note.Binding.BindNo
	}
	return ""
}

// status returns the state the notification carries.
func (d *delivery) status() (channel.Status, bool) {
	switch {
	case d.Note == nil:
		return 0, false
	case d.Note.Payment != nil:
		return d.Note.Payment.Status, true
	case d.Note.Refund != nil:
		return d.Note.Refund.Status, true
	case d.Note.Payout != nil:
		return d.Note.Payout.Status, true
	case d.Note.Cancel != nil:
		return d.Note.Cancel.Status, true
	case d.Note.Auth != nil:
		return d.Note.Auth.Status, true
	case d.Note.Binding != nil:
		return d.Note.Binding.Status, true
	}
	return 0, false
}

// collector is the merchant's notify endpoint in a scenario: callbacks arrive at
// /notify/{channel}/{merchant key}, are parsed by that merchant's adapter, and answered with
// the adapter's Ack, or with 400 when parsing fails — as a careful merchant would.
type collector struct {
	clk clock.Clock

	// mis makes the endpoint misbehave on command (a misbehave step).
	mis misbehaviour

	mu         sync.Mutex
	chans      map[string]channel.Channel // channel + "/" + merchant key
	deliveries []delivery
}

func newCollector(clk clock.Clock) *collector {
	return &collector{clk: clk, chans: map[string]channel.Channel{}}
}

func (c *collector) register(chName, merchant string, ch channel.Channel) {
	c.mu.Lock()
	c.chans[chName+"/"+merchant] = ch
	c.mu.Unlock()
}

// notifyPath is the path of a merchant's notify URL.
func notifyPath(chName, merchant string) string {
	return "/notify/" + url.PathEscape(chName) + "/" + url.PathEscape(merchant)
}

func (c *collector) all() []delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]delivery(nil), c.deliveries...)
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/notify/")
	chEsc, mEsc, ok2 := strings.Cut(rest, "/")
	chName, err1 := url.PathUnescape(chEsc)
	merchant, err2 := url.PathUnescape(mEsc)
	if !ok || !ok2 || err1 != nil || err2 != nil {
		http.Error(w, "no such notify URL", http.StatusNotFound)
		return
	}
	c.mu.Lock()
	ch := c.chans[chName+"/"+merchant]
	c.mu.Unlock()
	if ch == nil {
		http.Error(w, "no such merchant", http.StatusNotFound)
		return
	}
	mis := c.mis.take()
	if mis.before(w) {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read error", rejectStatus)
		return
	}
	n, perr := ch.ParseNotification(context.WithoutCancel(r.Context()), r.Header.Clone(), body)
	d := delivery{Time: c.clk.Now(), Channel: chName, Merchant: merchant, Note: n, Err: perr}
	if perr != nil {
		d.Note = nil
	}
	c.mu.Lock()
	c.deliveries = append(c.deliveries, d)
	c.mu.Unlock()
	if perr != nil || n == nil {
		http.Error(w, "rejected", rejectStatus)
		return
	}
	if mis.after(w) {
		return
	}
	resp := n.Ack
	if resp.ContentType != "" {
		w.Header().Set("Content-Type", resp.ContentType)
	}
	code := resp.StatusCode
	if code == 0 {
		code = http.StatusOK
	}
	w.WriteHeader(code)
	_, _ = w.Write(resp.Body)
}
