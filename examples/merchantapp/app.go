package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/money"
)

// Config configures the service.
type Config struct {
	Addr      string
	WeChatURL string // WeChat Pay's base URL: the simulator's
	PublicURL string // this service's base URL as WeChat reaches it
	MchID     string
	AppID     string
	Key       string
	Bugs      Bugs
	// HTTPClient reaches WeChat; nil = a client with a 10 s timeout.
	HTTPClient *http.Client
	// Log receives what the shop notes (refused notifications, channel errors); nil =
	// log.Default().
	Log *log.Logger
}

// Order is one shop order.
type Order struct {
	OrderID    string `json:"order_id"`
	OutTradeNo string `json:"out_trade_no"`
	AmountFen  int64  `json:"amount_fen"`
	PaidFen    int64  `json:"paid_fen"`
	Status     string `json:"status"` // pending, paid, unknown, failed
	CodeURL    string `json:"code_url,omitempty"`
	attempts   int
}

// App is the shop's payment service.
type App struct {
	cfg Config
	wx  *wechat.Client
	mux *http.ServeMux

	mu     sync.Mutex
	orders map[string]*Order // by order id
	byOut  map[string]*Order // by WeChat out_trade_no
}

// New builds the service.
func New(cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = log.Default()
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	wx, err := wechat.New(wechat.Config{AppID: cfg.AppID, MchID: cfg.MchID, Key: cfg.Key, BaseURL: strings.TrimRight(cfg.WeChatURL, "/"),
		HTTPClient: hc, TLSClient: hc, NotifyURL: strings.TrimRight(cfg.PublicURL, "/") + "/notify/wechat"})
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, wx: wx, mux: http.NewServeMux(), orders: map[string]*Order{}, byOut: map[string]*Order{}}
	a.mux.HandleFunc("POST /orders", a.createOrder)
	a.mux.HandleFunc("GET /orders/{id}", a.getOrder)
	a.mux.HandleFunc("POST /notify/wechat", a.notify)
	return a, nil
}

func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (a *App) createOrder(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OrderID     string `json:"order_id"`
		AmountFen   int64  `json:"amount_fen"`
		Description string `json:"description"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil || req.OrderID == "" || len(req.OrderID) > 24 || req.AmountFen <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want order_id (1-24 chars) and amount_fen > 0"})
		return
	}
	if req.Description == "" {
		req.Description = "order " + req.OrderID
	}
	a.mu.Lock()
	o := a.orders[req.OrderID]
	if o != nil && (o.Status == "paid" || !a.cfg.Bugs.DoublePay) {
		// A retried request: the same order, never a second WeChat order.
		cp := *o
		a.mu.Unlock()
		writeJSON(w, http.StatusOK, cp)
		return
	}
	if o == nil {
		o = &Order{OrderID: req.OrderID, AmountFen: req.AmountFen}
		a.orders[req.OrderID] = o
	}
	o.attempts++
	// BUG double-pay: each attempt gets a fresh WeChat order number, so a payer who scans
	// both QR codes pays twice.
	o.OutTradeNo = req.OrderID
	if o.attempts > 1 {
		o.OutTradeNo = fmt.Sprintf("%sR%d", req.OrderID, o.attempts)
	}
	a.byOut[o.OutTradeNo] = o
	out, amount := o.OutTradeNo, o.AmountFen
	a.mu.Unlock()

	ctx := r.Context()
	res, err := a.wx.Pay(ctx, &channel.PayRequest{OrderNo: out, Amount: money.New(amount, money.CNY), Method: channel.MethodQR,
		Subject: req.Description, ClientIP: "127.0.0.1", Attach: req.OrderID})
	status, code := "pending", ""
	switch {
	case err == nil && res.Action != nil:
		code = res.Action.QRCode
	case errors.Is(err, channel.ErrUnknownOutcome):
		if a.cfg.Bugs.NoQuery {
			// BUG no-query: a lost answer is taken as a failure. WeChat may well have the
			// order; the payer can still pay it and the shop never knows.
			status = "failed"
			break
		}
		// The order may exist at WeChat: ask, never guess.
		status = a.settle(ctx, out)
	case err != nil:
		a.cfg.Log.Printf("merchantapp: order %s: %v", req.OrderID, err)
		status = "failed"
	}
	a.mu.Lock()
	if o.Status != "paid" {
		o.Status, o.CodeURL = status, code
	}
	cp := *o
	a.mu.Unlock()
	httpStatus := http.StatusCreated
	if cp.Status == "failed" {
		httpStatus = http.StatusBadGateway
	}
	writeJSON(w, httpStatus, cp)
}

// settle queries WeChat about an order and returns the status to keep.
func (a *App) settle(ctx context.Context, out string) string {
	res, err := a.wx.Query(ctx, &channel.QueryRequest{OrderNo: out})
	switch {
	case err == nil && res.Status == channel.StatusSucceeded:
		a.mu.Lock()
		if o := a.byOut[out]; o != nil {
			o.PaidFen = res.Amount.Minor()
		}
		a.mu.Unlock()
		return "paid"
	case err == nil && (res.Status == channel.StatusPending || res.Status == channel.StatusProcessing):
		return "pending"
	case err == nil:
		return "failed"
	case channel.KindOf(err) == channel.KindNotFound:
		// WeChat surely has no such order: nothing was charged.
		return "failed"
	}
	return "unknown"
}

func (a *App) getOrder(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	a.mu.Lock()
	o := a.orders[id]
	var out, status string
	if o != nil {
		out, status = o.OutTradeNo, o.Status
	}
	a.mu.Unlock()
	if o == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such order"})
		return
	}
	if status == "pending" || status == "unknown" {
		s := a.settle(r.Context(), out)
		a.mu.Lock()
		if o.Status != "paid" {
			o.Status = s
		}
		a.mu.Unlock()
	}
	a.mu.Lock()
	cp := *o
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, cp)
}

// notify handles WeChat's payment notifications: the adapter verifies the signature; the
// shop checks the notification against its own order before trusting it.
func (a *App) notify(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	n, err := a.wx.ParseNotification(r.Context(), r.Header, body)
	if err != nil || n.Payment == nil {
		a.cfg.Log.Printf("merchantapp: notification refused: %v", err)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, wechat.NackBody)
		return
	}
	p := n.Payment
	a.mu.Lock()
	o := a.byOut[p.OrderNo]
	ok := o != nil
	if ok && !a.cfg.Bugs.TrustNotify {
		// BUG trust-notify skips this: a correctly signed notification can still carry an
		// amount that is not the order's (a tampered or misrouted one).
		ok = p.Amount.Minor() == o.AmountFen && p.Amount.Currency() == money.CNY
	}
	if ok && p.Status == channel.StatusSucceeded {
		o.Status, o.PaidFen = "paid", p.Amount.Minor()
	}
	a.mu.Unlock()
	if !ok {
		a.cfg.Log.Printf("merchantapp: notification for %s does not match the order: refused", p.OrderNo)
		w.Header().Set("Content-Type", n.Nack.ContentType)
		_, _ = w.Write(n.Nack.Body)
		return
	}
	w.Header().Set("Content-Type", n.Ack.ContentType)
	_, _ = w.Write(n.Ack.Body)
}
