package gateway

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/gorilla/mux"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/order"
)

// Gateway is the merchant-facing payment API and the payment flow behind it. It is safe
// for concurrent use, and several Gateways (processes) may share one Store.
type Gateway struct {
	cfg       Config
	clk       clock.Clock
	log       *slog.Logger
	store     Store
	merchants map[string]*Merchant
	accounts  map[string]*Account
	limits    limiter
	router    *mux.Router // the API's routes; Handle adds more
	stats     Stats
	metrics   *metrics           // nil until RegisterMetrics
	payouts   PayoutStore        // nil when the store keeps no payouts
	bindings  order.BindingStore // nil when the store keeps no bindings
}

// Stats are counters of what the gateway did since it started (for metrics).
type Stats struct {
	Requests         atomic.Int64 // API requests answered
	PaymentsCreated  atomic.Int64
	ChannelUnknown   atomic.Int64 // channel calls whose outcome was unknown
	Notifications    atomic.Int64 // channel notifications applied
	NotificationsBad atomic.Int64 // refused: unverifiable, undecodable or not matching the order
	QueriesResolved  atomic.Int64 // unknown outcomes resolved by the query-back worker
	PaymentsExpired  atomic.Int64
	LateSuccesses    atomic.Int64
	Failovers        atomic.Int64 // payments moved to the next candidate after an attempt that surely did not reach its channel
	RateLimited      atomic.Int64
	AuthFailures     atomic.Int64
	PayoutsCreated   atomic.Int64
	PayoutsReturned  atomic.Int64 // succeeded payouts returned by the receiving bank
	BindingsBound    atomic.Int64
}

// New validates cfg and returns a Gateway. It does no I/O.
func New(cfg Config) (*Gateway, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	g := &Gateway{cfg: cfg, clk: cfg.Clock, log: cfg.Logger, store: cfg.Store,
		merchants: map[string]*Merchant{}, accounts: map[string]*Account{}}
	g.payouts, _ = cfg.Store.(PayoutStore)
	g.bindings, _ = cfg.Store.(order.BindingStore)
	for i := range g.cfg.Merchants {
		g.merchants[g.cfg.Merchants[i].ID] = &g.cfg.Merchants[i]
	}
	for i := range g.cfg.Accounts {
		g.accounts[g.cfg.Accounts[i].ID] = &g.cfg.Accounts[i]
	}
	r := mux.NewRouter()
	route := func(method, path string, h http.Handler) {
		r.Handle(path, g.instrument(method+" "+path, h)).Methods(method)
	}
	route(http.MethodGet, "/v1/openapi.json", http.HandlerFunc(g.openAPI))
	route(http.MethodPost, "/v1/payments", g.authed(g.createPayment, true))
	route(http.MethodGet, "/v1/payments/{order_no}", g.authed(g.getPayment, false))
	route(http.MethodPost, "/v1/payments/{order_no}/close", g.authed(g.closePayment, true))
	route(http.MethodPost, "/v1/refunds", g.authed(g.createRefund, true))
	route(http.MethodGet, "/v1/refunds/{refund_no}", g.authed(g.getRefund, false))
	route(http.MethodPost, "/v1/events/{event_id}/redeliver", g.authed(g.redeliverEvent, true))
	route(http.MethodPost, "/v1/bindings", g.authed(g.createBinding, true))
	route(http.MethodGet, "/v1/bindings/{bind_no}", g.authed(g.getBinding, false))
	route(http.MethodPost, "/v1/bindings/{bind_no}/confirm", g.authed(g.confirmBinding, true))
	route(http.MethodPost, "/v1/bindings/{bind_no}/resend", g.authed(g.resendBinding, true))
	route(http.MethodPost, "/v1/bindings/{bind_no}/unbind", g.authed(g.unbindBinding, true))
	route(http.MethodPost, "/v1/payouts", g.authed(g.createPayout, true))
	route(http.MethodGet, "/v1/payouts/{payout_no}", g.authed(g.getPayout, false))
	route(http.MethodPost, "/notify/{channel}/{account}", http.HandlerFunc(g.notify))
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint; see /v1/openapi.json", "")
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed on this endpoint", "")
	})
	g.router = r
	return g, nil
}

// ServeHTTP serves the merchant API (/v1/…) and channel callbacks (/notify/{channel}/{account}).
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.router.ServeHTTP(w, r) }

// Stats returns the gateway's counters.
func (g *Gateway) Stats() *Stats { return &g.stats }

// Accounts returns the configured channel accounts by id.
func (g *Gateway) Accounts() map[string]channel.Channel {
	out := make(map[string]channel.Channel, len(g.accounts))
	for id, a := range g.accounts {
		out[id] = a.Channel
	}
	return out
}

// NotifyURL returns where channel account a's callbacks are sent.
func (g *Gateway) NotifyURL(a *Account) string {
	return fmt.Sprintf("%s/notify/%s/%s", g.cfg.PublicURL, a.Channel.Name(), a.ID)
}

// newID returns prefix + 24 hex digits, later ids sorting later (order.NewID).
func newID(prefix string) string { return order.NewID(prefix) }
