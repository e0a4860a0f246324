package balance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/balance"
	"github.com/tongdao/tongdao/core/balance/balancetest"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

const (
	merchantID = "PLATFORM"
	secret     = "platform-secret-0123456789"
	fullPAN    = "6216261234567890018"
)

var start = time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)

// noRouter satisfies the gateway's config; these tests make no payments.
type noRouter struct{}

func (noRouter) Route(context.Context, gateway.RouteRequest) (gateway.RouteDecision, error) {
	return gateway.RouteDecision{}, nil
}

// syncBuf is a log sink tests read after the fact.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is a gateway with the balance routes on a real SQLite or PostgreSQL store,
// served over HTTP on loopback, on a virtual clock.
type harness struct {
	t      *testing.T
	clk    *clock.Virtual
	db     *store.DB
	src    *balancetest.Source
	svc    *balance.Service
	log    *audit.Log
	srv    *httptest.Server
	client *gateway.Client
	logs   *syncBuf
}

func newHarness(t *testing.T, dsn string, edit func(*balance.Config)) *harness {
	t.Helper()
	h := &harness{t: t, clk: clock.NewVirtual(start), src: balancetest.New(), logs: &syncBuf{}}
	h.db = storetest.Open(t, dsn)
	var err error
	if h.log, err = audit.New(context.Background(), audit.Config{Store: h.db}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.log.Close() })
	logger := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := balance.Config{Source: h.src, Audit: h.log, TokenKey: bytes.Repeat([]byte("k"), 32), Clock: h.clk, Logger: logger,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	if edit != nil {
		edit(&cfg)
	}
	if h.svc, err = balance.New(cfg); err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(gateway.Config{Store: h.db, Clock: h.clk, Logger: logger, PublicURL: "http://127.0.0.1:1", Router: noRouter{},
		Merchants: []gateway.Merchant{{ID: merchantID, HMACSecret: secret}}})
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(h.svc.Mount(gw))
	t.Cleanup(h.srv.Close)
	h.client = &gateway.Client{BaseURL: h.srv.URL, MerchantID: merchantID, Secret: secret, Clock: h.clk}
	h.src.Put("u-alice", balance.View{AccountID: "w-alice", Available: money.Fen(1234567), Frozen: money.Fen(5000),
		CustomerName: "张三丰", State: "active", Cards: []balance.Card{{Number: fullPAN, Bank: "ICBC"}}})
	h.src.Put("u-bob", balance.View{AccountID: "w-bob", Available: money.Fen(1), CustomerName: "Bob Lee", State: "frozen"})
	return h
}

// token asks for a token with a signed merchant call.
func (h *harness) token(user, account string) balance.TokenResponse {
	h.t.Helper()
	var out balance.TokenResponse
	if _, err := h.client.Do(context.Background(), http.MethodPost, balance.TokenPath, balance.TokenRequest{UserID: user, AccountID: account}, "", &out); err != nil {
		h.t.Fatalf("issue token for %s/%s: %v", user, account, err)
	}
	return out
}

// answer is a customer's query's outcome as the client sees it.
type answer struct {
	status     int
	retryAfter string
	code       string
	balance    *balance.Balance
	raw        string
}

// query is the customer's GET, from client IP ip (sent through the trusted loopback proxy).
func (h *harness) query(account, authorization, ip string) answer {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.srv.URL+"/v1/customer/accounts/"+account+"/balance", nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), raw: string(body)}
	if resp.StatusCode == http.StatusOK {
		a.balance = &balance.Balance{}
		if err := json.Unmarshal(body, a.balance); err != nil {
			h.t.Fatalf("decode %s: %v", body, err)
		}
	} else {
		var e struct {
			Error gateway.APIError `json:"error"`
		}
		if err := json.Unmarshal(body, &e); err != nil {
			h.t.Fatalf("decode %s: %v", body, err)
		}
		a.code = e.Error.Code
	}
	return a
}

// records returns the audit log's records after seq after.
func (h *harness) records(after int64) []*audit.Record {
	h.t.Helper()
	var out []*audit.Record
	if err := h.db.AuditRecords(context.Background(), audit.Filter{After: after}, func(r *audit.Record) error {
		out = append(out, r)
		return nil
	}); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *harness) head() int64 {
	hd, err := h.db.AuditHead(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return hd.Seq
}
