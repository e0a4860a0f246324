package balance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tongdao/tongdao/core/gateway"
)

// Paths of the two routes.
const (
	TokenPath   = "/v1/balance-tokens"                         // POST, signed merchant route on the gateway
	BalancePath = "/v1/customer/accounts/{account_id}/balance" // GET, Authorization: Bearer <token>
)

// TokenRequest is the body of POST /v1/balance-tokens.
type TokenRequest struct {
	UserID     string `json:"user_id"`
	AccountID  string `json:"account_id"`
	TTLSeconds int64  `json:"ttl_seconds,omitempty"` // 0 = the service's default
}

// TokenResponse is its answer (201).
type TokenResponse struct {
	Token     string    `json:"token"`
	UserID    string    `json:"user_id"`
	AccountID string    `json:"account_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Mount adds POST /v1/balance-tokens to gw (signed, replay-protected and rate-limited like
// every merchant route; not idempotent by Idempotency-Key, which would store the token
// in the gateway's database for a day: a retry gets a fresh token) and returns a handler that
// serves the customer's GET /v1/customer/accounts/{account_id}/balance and passes every
// other request to gw. Call it before serving.
func (s *Service) Mount(gw *gateway.Gateway) http.Handler {
	gw.Handle(http.MethodPost, TokenPath, s.issueHandler, false)
	mux := http.NewServeMux()
	mux.Handle("GET "+BalancePath, http.HandlerFunc(s.ServeBalance))
	mux.Handle("/", gw)
	return mux
}

func (s *Service) issueHandler(ctx context.Context, m *gateway.Merchant, r *http.Request, body []byte) (int, any, error) {
	var req TokenRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return 0, nil, gateway.NewError(http.StatusBadRequest, "invalid_request", "body must be a JSON object with user_id, account_id and optional ttl_seconds: "+err.Error(), "")
	}
	ttl := time.Duration(req.TTLSeconds) * time.Second
	if req.TTLSeconds < 0 || req.TTLSeconds > int64(s.cfg.MaxTokenTTL/time.Second) {
		ttl = -1 // out of range (and safe from overflow): IssueToken refuses and audits it
	}
	tok, exp, err := s.IssueToken(ctx, m.ID, req.UserID, req.AccountID, ttl, s.clientIP(r))
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
		return 0, nil, gateway.NewError(http.StatusBadRequest, "invalid_request", fe.Field+" "+fe.Msg, fe.Field)
	case errors.Is(err, ErrNotFound):
		return 0, nil, gateway.NewError(http.StatusNotFound, ResultNotFound, "no such account", "account_id")
	case errors.Is(err, ErrNotOwner):
		return 0, nil, gateway.NewError(http.StatusForbidden, ResultNotOwner, "the account does not belong to this user", "account_id")
	case err != nil:
		return 0, nil, gateway.NewError(http.StatusServiceUnavailable, ResultUnavailable, "the account could not be checked; try again", "")
	}
	return http.StatusCreated, TokenResponse{Token: tok, UserID: req.UserID, AccountID: req.AccountID, ExpiresAt: exp}, nil
}

// ServeBalance serves GET /v1/customer/accounts/{account_id}/balance (the path value
// account_id must be set by the mux). It answers 200 with a Balance, or an error
// {"error":{"code","message"}} whose code is the Result; a 429 carries Retry-After in whole
// seconds.
func (s *Service) ServeBalance(w http.ResponseWriter, r *http.Request) {
	a := s.Query(r.Context(), Query{AccountID: r.PathValue("account_id"), Authorization: r.Header.Get("Authorization"), IP: s.clientIP(r)})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if a.Status == http.StatusTooManyRequests {
		h.Set("Retry-After", strconv.FormatInt(RetryAfterSeconds(a.RetryAfter), 10))
	}
	if a.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="balance"`)
	}
	w.WriteHeader(a.Status)
	if a.Balance != nil {
		_ = json.NewEncoder(w).Encode(a.Balance)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]gateway.APIError{"error": {Code: a.Result, Message: a.Message}})
}

// RetryAfterSeconds rounds a wait up to whole seconds, at least 1, as Retry-After carries.
func RetryAfterSeconds(d time.Duration) int64 {
	sec := int64((d + time.Second - 1) / time.Second)
	return max(sec, 1)
}

// clientIP is the TCP peer, or, when the peer is a trusted proxy, the rightmost address of
// X-Forwarded-For that is not a trusted proxy.
func (s *Service) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !s.trusted(peer) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: trust nothing left of it
		}
		a = a.Unmap()
		if !s.trusted(a) {
			return a.String()
		}
	}
	return peer.String()
}

func (s *Service) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
