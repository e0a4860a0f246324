package notify

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/order"
)

// Consumer is the outbox consumer name of merchant webhooks.
const Consumer = "webhook"

// DefaultSchedule is the back-off between tries of one webhook: a failed first try is retried
// after 15 s, then 1 min, 5 min, 30 min, 2 h, 6 h, 12 h and 24 h — nine tries over about 45 h;
// after the ninth fails the delivery is dead-lettered.
var DefaultSchedule = []time.Duration{15 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// Defaults of Config.
const (
	DefaultTimeout       = 10 * time.Second
	DefaultWorkers       = 16
	DefaultPerHost       = 4
	DefaultPoll          = time.Second
	DefaultHostBusyDelay = 2 * time.Second
	DefaultMaxResponse   = 64 << 10
)

// Endpoint is where a merchant's webhooks go and the secret they are signed with.
type Endpoint struct {
	URL    string // http or https; "" = the merchant takes no webhooks
	Secret string // the HMAC-SHA256 key; never logged
}

// Directory finds a merchant's webhook endpoint. The Notifier calls it for every delivery,
// so a changed URL or secret takes effect on the next try. ok is false for an unknown merchant
// (treated as one without a webhook URL).
type Directory interface {
	Merchant(id string) (ep Endpoint, ok bool)
}

// StaticDirectory is a Directory from a map of merchant id to endpoint.
type StaticDirectory map[string]Endpoint

// Merchant implements Directory.
func (s StaticDirectory) Merchant(id string) (Endpoint, bool) {
	ep, ok := s[id]
	return ep, ok
}

// DirectoryFunc adapts a function to Directory (e.g. a look-up in the gateway's merchant
// config).
type DirectoryFunc func(id string) (Endpoint, bool)

// Merchant implements Directory.
func (f DirectoryFunc) Merchant(id string) (Endpoint, bool) { return f(id) }

// Config configures a Notifier. Outbox, Orders and Directory are required; the rest have
// defaults.
type Config struct {
	Outbox    order.Outbox // claims "webhook" deliveries (core/store's *DB)
	Orders    Orders       // the payments and refunds the payloads are built from
	Directory Directory    // merchant id -> webhook URL and secret
	Clock     clock.Clock  // default clock.Real()
	Logger    *slog.Logger // default: discard
	// Client sends the requests. Default: a client that follows no redirect (a redirect is a
	// failed try) and keeps at most PerHost connections per host.
	Client *http.Client
	// Consumer is the outbox consumer claimed; default "webhook".
	Consumer string
	// Types are the event types sent; others are completed without sending. nil sends every
	// payment.*, refund.* and payout.* event except payment.created, payment.pending,
	// refund.created, payout.created and payout.processing (the merchant caused those itself
	// with an API call and has the answer already). "*" in the list sends every type.
	Types []string
	// Timeout bounds one try, from connecting to reading the answer; default 10 s. Measured
	// on Clock.
	Timeout time.Duration
	// Schedule is the wait after each failed try; after len(Schedule)+1 failed tries the
	// delivery is dead-lettered. Default DefaultSchedule.
	Schedule []time.Duration
	// Workers bounds the requests in flight; PerHost bounds them per merchant host (so one
	// slow merchant holds at most PerHost workers). Defaults 16 and 4.
	Workers, PerHost int
	// Lease is how long a claimed delivery is hidden from other notifiers; it must exceed
	// Timeout (default Timeout + 1 min), or a slow try could be claimed and sent twice.
	Lease time.Duration
	// Poll is how often Run looks for due deliveries when idle; default 1 s.
	Poll time.Duration
	// HostBusyDelay is how long a claimed delivery whose host is at its PerHost limit is put
	// back for (no attempt is counted); default 2 s.
	HostBusyDelay time.Duration
	// MaxResponse bounds how much of an answer is read; default 64 KiB.
	MaxResponse int64
}

func (c *Config) validate() error {
	var errs []error
	if c.Outbox == nil {
		errs = append(errs, errors.New("config.Outbox is required"))
	}
	if c.Orders == nil {
		errs = append(errs, errors.New("Orders is required"))
	}
	if c.Directory == nil {
		errs = append(errs, errors.New("Directory is required"))
	}
	if c.Clock == nil {
		c.Clock = clock.Real()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Consumer == "" {
		c.Consumer = Consumer
	}
	for _, t := range c.Types {
		if t != "*" && !strings.HasPrefix(t, "payment.") && !strings.HasPrefix(t, "refund.") && !strings.HasPrefix(t, "payout.") {
			errs = append(errs, fmt.Errorf("config.Types: %q is not \"*\" or a payment.*, refund.* or payout.* event type", t))
		}
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("config.Timeout %s is negative", c.Timeout))
	} else if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Schedule == nil {
		c.Schedule = DefaultSchedule
	}
	for i, d := range c.Schedule {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("config.Schedule[%d] = %s is not positive", i, d))
		}
	}
	if c.Workers < 0 || c.PerHost < 0 {
		errs = append(errs, fmt.Errorf("config.Workers %d and PerHost %d must not be negative", c.Workers, c.PerHost))
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.PerHost == 0 {
		c.PerHost = min(DefaultPerHost, c.Workers)
	}
	if c.PerHost > c.Workers {
		errs = append(errs, fmt.Errorf("PerHost %d exceeds Workers %d", c.PerHost, c.Workers))
	}
	if c.Lease == 0 {
		c.Lease = c.Timeout + time.Minute
	}
	if c.Lease <= c.Timeout {
		errs = append(errs, fmt.Errorf("config.Lease %s must exceed Timeout %s, or a slow try could be sent twice", c.Lease, c.Timeout))
	}
	if c.Poll < 0 || c.HostBusyDelay < 0 || c.MaxResponse < 0 {
		errs = append(errs, errors.New("config.Poll, HostBusyDelay and MaxResponse must not be negative"))
	}
	if c.Poll == 0 {
		c.Poll = DefaultPoll
	}
	if c.HostBusyDelay == 0 {
		c.HostBusyDelay = DefaultHostBusyDelay
	}
	if c.MaxResponse == 0 {
		c.MaxResponse = DefaultMaxResponse
	}
	if c.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxConnsPerHost = c.PerHost
		tr.MaxIdleConnsPerHost = c.PerHost
		c.Client = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if len(errs) > 0 {
		return fmt.Errorf("notify: config: %w", errors.Join(errs...))
	}
	return nil
}

// sends reports whether events of type t go out under c.Types.
func (c *Config) sends(t string) bool {
	if c.Types == nil {
		if !strings.HasPrefix(t, "payment.") && !strings.HasPrefix(t, "refund.") && !strings.HasPrefix(t, "payout.") {
			return false
		}
		return t != "payment.created" && t != "payment.pending" && t != "refund.created" && t != "payout.created" && t != "payout.processing"
	}
	for _, x := range c.Types {
		if x == "*" || x == t {
			return true
		}
	}
	return false
}
