package gateway

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tongdao/tongdao/core/order"
)

// metrics are the gateway's Prometheus collectors (RegisterMetrics).
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// RegisterMetrics registers the gateway's metrics in reg: requests and their latency per
// route and status code, payments by state, the outbox's pending deliveries and lag per
// consumer, and the flow's counters (unknown outcomes, notifications applied and refused,
// query-back resolutions, expiries, late successes, rate-limited and unauthenticated
// requests). Call it once, before serving.
func (g *Gateway) RegisterMetrics(reg prometheus.Registerer) error {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tongdao_gateway_requests_total",
			Help: "Requests answered, by route template and HTTP status code."}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tongdao_gateway_request_seconds",
			Help: "Request latency by route template.", Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"route"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, &stateCollector{g: g}} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	counters := []struct {
		name, help string
		v          func() int64
	}{
		{"tongdao_gateway_payments_created_total", "Payments created.", g.stats.PaymentsCreated.Load},
		{"tongdao_gateway_channel_unknown_total", "Channel calls whose outcome was unknown (queried afterwards).", g.stats.ChannelUnknown.Load},
		{"tongdao_gateway_notifications_total", "Channel notifications applied.", g.stats.Notifications.Load},
		{"tongdao_gateway_notifications_refused_total", "Channel notifications refused: unverifiable, undecodable or not matching their order.", g.stats.NotificationsBad.Load},
		{"tongdao_gateway_queries_resolved_total", "Unknown outcomes resolved by the query-back worker.", g.stats.QueriesResolved.Load},
		{"tongdao_gateway_payments_expired_total", "Unpaid payments closed at their deadline.", g.stats.PaymentsExpired.Load},
		{"tongdao_gateway_late_successes_total", "Payments that succeeded after they were closed or failed (need a refund or manual handling).", g.stats.LateSuccesses.Load},
		{"tongdao_gateway_rate_limited_total", "Requests refused by the per-merchant rate limit.", g.stats.RateLimited.Load},
		{"tongdao_gateway_auth_failures_total", "Requests refused by authentication (signature, timestamp, nonce).", g.stats.AuthFailures.Load},
		{"tongdao_gateway_payouts_created_total", "Payouts created.", g.stats.PayoutsCreated.Load},
		{"tongdao_gateway_payouts_returned_total", "Succeeded payouts the receiving bank returned.", g.stats.PayoutsReturned.Load},
		{"tongdao_gateway_bindings_bound_total", "Card bindings completed.", g.stats.BindingsBound.Load},
	}
	for _, c := range counters {
		v := c.v
		if err := reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help}, func() float64 { return float64(v()) })); err != nil {
			return err
		}
	}
	g.metrics = m
	return nil
}

// instrument wraps h to count and time it under route.
func (g *Gateway) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := g.metrics
		if m == nil {
			h.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
		m.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) { w.code = code; w.ResponseWriter.WriteHeader(code) }

// stateCollector reads payments by state and outbox lag from the store at scrape time.
type stateCollector struct{ g *Gateway }

var (
	descPayments = prometheus.NewDesc("tongdao_gateway_payments", "Payments by state.", []string{"state"}, nil)
	descPending  = prometheus.NewDesc("tongdao_outbox_pending", "Outbox deliveries not yet done, by consumer.", []string{"consumer"}, nil)
	descDead     = prometheus.NewDesc("tongdao_outbox_dead", "Outbox deliveries given up (dead letters), by consumer.", []string{"consumer"}, nil)
	descLag      = prometheus.NewDesc("tongdao_outbox_lag_seconds", "Age of the oldest pending outbox delivery, by consumer.", []string{"consumer"}, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descPayments
	ch <- descPending
	ch <- descDead
	ch <- descLag
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if counts, err := c.g.store.CountPayments(ctx); err == nil {
		for _, s := range []order.State{order.Created, order.Pending, order.Succeeded, order.Failed, order.Closed, order.PartiallyRefunded, order.Refunded} {
			ch <- prometheus.MustNewConstMetric(descPayments, prometheus.GaugeValue, float64(counts[s]), string(s))
		}
	}
	now := c.g.clk.Now()
	for _, consumer := range []string{"ledger", "webhook"} {
		st, err := c.g.store.OutboxStats(ctx, consumer)
		if err != nil {
			continue
		}
		lag := 0.0
		if !st.OldestPending.IsZero() {
			lag = now.Sub(st.OldestPending).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(st.Pending), consumer)
		ch <- prometheus.MustNewConstMetric(descDead, prometheus.GaugeValue, float64(st.Dead), consumer)
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, lag, consumer)
	}
}
