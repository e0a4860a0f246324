// Package monitor is the gateway's channel monitoring (通道监控): a channel.Channel
// decorator that counts and times every call per channel account and operation, and
// Prometheus collectors for the router's health and breakers and the query-back queue.
// docs/alerts.yaml holds the alert rules written against these metrics.
package monitor

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

// Metrics are the channel metrics, registered once; Wrap instruments channels with them.
//
//	tongdao_channel_requests_total{account,channel,op}
//	tongdao_channel_request_seconds{account,channel,op}           histogram
//	tongdao_channel_outcomes_total{account,channel,op,outcome}     outcome: ok or the error Kind
//	tongdao_channel_unknown_outcomes_total{account,channel,op}     unknown-outcome errors and Unknown/Processing answers
//	tongdao_channel_notification_lag_seconds{account,channel}     from the channel's pay time to its callback
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	outcomes *prometheus.CounterVec
	unknown  *prometheus.CounterVec
	lag      *prometheus.HistogramVec
	clk      clock.Clock
}

// New registers the channel metrics in reg. clk times the calls (default clock.Real()).
func New(reg prometheus.Registerer, clk clock.Clock) (*Metrics, error) {
	if clk == nil {
		clk = clock.Real()
	}
	labels := []string{"account", "channel", "op"}
	m := &Metrics{
		clk: clk,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tongdao_channel_requests_total",
			Help: "Calls to a channel account, by operation."}, labels),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tongdao_channel_request_seconds",
			Help:    "Latency of calls to a channel account, by operation.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, labels),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tongdao_channel_outcomes_total",
			Help: "Calls to a channel account by outcome: ok, or the error kind (unknown, unavailable, declined, …)."}, append(labels, "outcome")),
		unknown: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tongdao_channel_unknown_outcomes_total",
			Help: "Calls whose outcome is unknown (timeouts, 5xx, garbled answers, Unknown or Processing results): each is queried afterwards."}, labels),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tongdao_channel_notification_lag_seconds",
			Help:    "Time from a payment's success on the channel to its notification reaching the gateway.",
			Buckets: []float64{.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600}}, []string{"account", "channel"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.outcomes, m.unknown, m.lag} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Wrap returns ch instrumented as account. The result implements exactly the optional
// interfaces ch implements (channel.Closer, Binder, …), each instrumented, so callers'
// type assertions see the same capabilities.
func (m *Metrics) Wrap(account string, ch channel.Channel) channel.Channel {
	b := &base{ch: ch, m: m, account: account, name: ch.Name()}
	return wrapCaps(b, capMask(ch))
}

// Unwrap returns the channel a Wrap result instruments (ch itself otherwise).
func Unwrap(ch channel.Channel) channel.Channel {
	if u, ok := ch.(interface{ Unwrap() channel.Channel }); ok {
		return u.Unwrap()
	}
	return ch
}

// base instruments the required Channel methods.
type base struct {
	ch      channel.Channel
	m       *Metrics
	account string
	name    string
}

func (b *base) start() time.Time { return b.m.clk.Now() }

var outcomeNames = map[channel.Kind]string{
	channel.KindUnknown: "unknown", channel.KindInvalidRequest: "invalid_request", channel.KindSignature: "signature",
	channel.KindNotFound: "not_found", channel.KindAlreadyDone: "already_done", channel.KindDeclined: "declined",
	channel.KindInsufficientFunds: "insufficient_funds", channel.KindRateLimited: "rate_limited", channel.KindUnavailable: "unavailable",
}

func (b *base) done(op string, start time.Time, err error) {
	m := b.m
	m.requests.WithLabelValues(b.account, b.name, op).Inc()
	m.latency.WithLabelValues(b.account, b.name, op).Observe(m.clk.Now().Sub(start).Seconds())
	outcome := "ok"
	if err != nil {
		k := channel.KindOf(err)
		outcome = outcomeNames[k]
		if k == channel.KindUnknown {
			m.unknown.WithLabelValues(b.account, b.name, op).Inc()
		}
	}
	m.outcomes.WithLabelValues(b.account, b.name, op, outcome).Inc()
}

func (b *base) result(op string, res *channel.PaymentResult, err error) {
	if err == nil && res != nil && (res.Status == channel.StatusUnknown || res.Status == channel.StatusProcessing) {
		b.m.unknown.WithLabelValues(b.account, b.name, op).Inc()
	}
}

// Unwrap returns the instrumented channel.
func (b *base) Unwrap() channel.Channel { return b.ch }

func (b *base) Name() string              { return b.ch.Name() }
func (b *base) Info() channel.Info        { return b.ch.Info() }
func (b *base) Methods() []channel.Method { return b.ch.Methods() }

func (b *base) Pay(ctx context.Context, req *channel.PayRequest) (*channel.PaymentResult, error) {
	s := b.start()
	r, err := b.ch.Pay(ctx, req)
	b.done("pay", s, err)
	b.result("pay", r, err)
	return r, err
}

func (b *base) Query(ctx context.Context, req *channel.QueryRequest) (*channel.PaymentResult, error) {
	s := b.start()
	r, err := b.ch.Query(ctx, req)
	b.done("query", s, err)
	return r, err
}

func (b *base) Refund(ctx context.Context, req *channel.RefundRequest) (*channel.RefundResult, error) {
	s := b.start()
	r, err := b.ch.Refund(ctx, req)
	b.done("refund", s, err)
	return r, err
}

func (b *base) QueryRefund(ctx context.Context, req *channel.RefundQueryRequest) (*channel.RefundResult, error) {
	s := b.start()
	r, err := b.ch.QueryRefund(ctx, req)
	b.done("query_refund", s, err)
	return r, err
}

// ParseNotification is counted as op "notification"; a verified payment notification with
// a pay time also feeds the notification lag.
func (b *base) ParseNotification(ctx context.Context, header http.Header, body []byte) (*channel.Notification, error) {
	s := b.start()
	n, err := b.ch.ParseNotification(ctx, header, body)
	b.done("notification", s, err)
	if err == nil && n != nil && n.Payment != nil && !n.Payment.PaidAt.IsZero() {
		lag := s.Sub(n.Payment.PaidAt)
		if lag < 0 {
			lag = 0
		}
		b.m.lag.WithLabelValues(b.account, b.name).Observe(lag.Seconds())
	}
	return n, err
}

func (b *base) DownloadStatement(ctx context.Context, req *channel.StatementRequest) (channel.StatementReader, error) {
	s := b.start()
	r, err := b.ch.DownloadStatement(ctx, req)
	b.done("statement", s, err)
	return r, err
}

// HealthSource is what the router exposes about its accounts (core/router.Router).
type HealthSource interface {
	Accounts() []string
	// Breaker returns the account's breaker state (0 closed, 1 half-open, 2 open), its
	// calls and channel faults over the health window ending at now.
	BreakerState(account string, now time.Time) (state int, calls, faults int64)
}

// QueueDepther reports the query-back queue's length (core/store.DB).
type QueueDepther interface {
	QueryQueueDepth(ctx context.Context) (int64, error)
}

var (
	descBreaker = prometheus.NewDesc("tongdao_channel_breaker_state", "Circuit breaker of a channel account: 0 closed, 1 half-open, 2 open.", []string{"account"}, nil)
	descCalls   = prometheus.NewDesc("tongdao_channel_window_calls", "Calls to a channel account within the router's health window.", []string{"account"}, nil)
	descFaults  = prometheus.NewDesc("tongdao_channel_window_faults", "Channel faults (unknown outcomes, unavailability) within the router's health window.", []string{"account"}, nil)
	descQueue   = prometheus.NewDesc("tongdao_gateway_query_queue_depth", "Orders with an unknown outcome waiting to be queried back.", nil, nil)
)

type healthCollector struct {
	src HealthSource
	clk clock.Clock
}

func (c healthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descBreaker
	ch <- descCalls
	ch <- descFaults
}

func (c healthCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.clk.Now()
	for _, a := range c.src.Accounts() {
		state, calls, faults := c.src.BreakerState(a, now)
		ch <- prometheus.MustNewConstMetric(descBreaker, prometheus.GaugeValue, float64(state), a)
		ch <- prometheus.MustNewConstMetric(descCalls, prometheus.GaugeValue, float64(calls), a)
		ch <- prometheus.MustNewConstMetric(descFaults, prometheus.GaugeValue, float64(faults), a)
	}
}

// RegisterHealth registers breaker state and window counts of src's accounts, read at
// scrape time.
func (m *Metrics) RegisterHealth(reg prometheus.Registerer, src HealthSource) error {
	return reg.Register(healthCollector{src: src, clk: m.clk})
}

type queueCollector struct{ q QueueDepther }

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descQueue }

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if n, err := c.q.QueryQueueDepth(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(n))
	}
}

// RegisterQueue registers the query-back queue depth, read from q at scrape time.
func (m *Metrics) RegisterQueue(reg prometheus.Registerer, q QueueDepther) error {
	return reg.Register(queueCollector{q: q})
}
