package balance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/tongdao/tongdao/core/audit"
	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// Audit actions.
const (
	ActionQuery = "balance.query" // a customer's balance query
	ActionToken = "balance.token" // a token issued to a merchant for a customer
)

// Result codes: the audit record's result and the JSON error code of a refusal.
const (
	ResultOK           = "ok"
	ResultMissingToken = "missing_token" // 401: no Authorization: Bearer header
	ResultBadToken     = "bad_token"     // 401: malformed or not signed by us
	ResultExpired      = "expired_token" // 401
	ResultWrongAccount = "wrong_account" // 403: the token is for another account
	ResultRateLimited  = "rate_limited"  // 429, with Retry-After
	ResultNotFound     = "not_found"     // 404: no such account
	ResultNotOwner     = "not_owner"     // 403: the user does not own the account
	ResultBadRequest   = "bad_request"   // 400: the account id is not an id
	ResultUnavailable  = "unavailable"   // 503: the source or the audit log failed
)

// Anonymous is the audit actor of a query whose token names nobody.
const Anonymous = "anonymous"

// Config configures a Service.
type Config struct {
	Source Source     // balances (required)
	Audit  *audit.Log // where every query is recorded (required)
	// TokenKey signs tokens (HMAC-SHA256); at least 32 bytes, kept secret, the same in
	// every process that serves queries.
	TokenKey []byte
	// TokenTTL is how long a token lives by default; default 5 minutes. MaxTokenTTL bounds
	// what an issuer may ask for; default 15 minutes.
	TokenTTL, MaxTokenTTL time.Duration
	// PerUser and PerIP limit queries; defaults one a second with bursts of 5 per user,
	// 20 a second with bursts of 40 per IP.
	PerUser, PerIP Limit
	// TrustedProxies are the addresses of reverse proxies whose X-Forwarded-For is
	// believed: the client's IP is the rightmost address in it that is not a trusted proxy.
	// Empty: the TCP peer is the client.
	TrustedProxies []netip.Prefix
	Clock          clock.Clock  // default clock.Real()
	Logger         *slog.Logger // default discards; never given tokens or card numbers
}

// Service answers balance queries. It is safe for concurrent use.
type Service struct {
	cfg     Config
	clk     clock.Clock
	log     *slog.Logger
	tok     tokens
	perUser *limiter
	perIP   *limiter
}

// New validates cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Source == nil:
		return nil, errors.New("balance: config: Source is required")
	case cfg.Audit == nil:
		return nil, errors.New("balance: config: Audit is required")
	case len(cfg.TokenKey) < 32:
		return nil, fmt.Errorf("balance: config: TokenKey is %d bytes, want at least 32", len(cfg.TokenKey))
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 5 * time.Minute
	}
	if cfg.MaxTokenTTL == 0 {
		cfg.MaxTokenTTL = 15 * time.Minute
	}
	if cfg.TokenTTL < 0 || cfg.MaxTokenTTL < cfg.TokenTTL {
		return nil, fmt.Errorf("balance: config: TokenTTL %s must be positive and at most MaxTokenTTL %s", cfg.TokenTTL, cfg.MaxTokenTTL)
	}
	if cfg.PerUser == (Limit{}) {
		cfg.PerUser = Limit{Every: time.Second, Burst: 5}
	}
	if cfg.PerIP == (Limit{}) {
		cfg.PerIP = Limit{Every: 50 * time.Millisecond, Burst: 40}
	}
	for name, l := range map[string]Limit{"PerUser": cfg.PerUser, "PerIP": cfg.PerIP} {
		if l.Every <= 0 || l.Burst < 1 {
			return nil, fmt.Errorf("balance: config: %s needs Every > 0 and Burst ≥ 1, got %s and %d", name, l.Every, l.Burst)
		}
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, clk: cfg.Clock, log: cfg.Logger, tok: tokens{key: append([]byte(nil), cfg.TokenKey...)},
		perUser: newLimiter(cfg.PerUser), perIP: newLimiter(cfg.PerIP)}, nil
}

// Balance is the masked answer to a balance query.
type Balance struct {
	AccountID string       `json:"account_id"`
	Available money.Amount `json:"available"`
	Frozen    money.Amount `json:"frozen"`
	Name      string       `json:"name"`  // masked, see MaskName
	State     string       `json:"state"` // active, frozen or closed
	Cards     []MaskedCard `json:"cards"`
	AsOf      time.Time    `json:"as_of"`     // when the query was answered (UTC)
	AuditSeq  int64        `json:"audit_seq"` // the audit record of this query
}

// MaskedCard is a bound card as shown: first 6 and last 4 digits.
type MaskedCard struct {
	Number string `json:"number"`
	Bank   string `json:"bank,omitempty"`
}

// Query is one balance query as it arrived.
type Query struct {
	AccountID     string // from the path
	Authorization string // the Authorization header's value
	IP            string // the client's address
}

// Answer is the outcome of a query: Balance when Result is ResultOK, otherwise the refusal.
type Answer struct {
	Status     int
	Result     string
	Message    string
	RetryAfter time.Duration // for ResultRateLimited
	Balance    *Balance
	Actor      string // who the audit record names
}

// Query answers q and audits it, whatever the outcome. The audit record is durable before
// Query returns; if it cannot be written, a balance is not disclosed (503).
func (s *Service) Query(ctx context.Context, q Query) Answer {
	now := s.clk.Now()
	a := s.decide(ctx, q, now)
	// A client that hangs up must not escape the audit: the record is written regardless.
	rec, err := s.cfg.Audit.Append(context.WithoutCancel(ctx), audit.Record{At: now, Actor: a.Actor, Action: ActionQuery, Account: auditable(q.AccountID), IP: auditable(q.IP), Result: a.Result})
	if err != nil {
		s.log.Error("balance: audit append failed", "result", a.Result, "account", auditable(q.AccountID), "err", err)
		if a.Result == ResultOK {
			return Answer{Status: http.StatusServiceUnavailable, Result: ResultUnavailable, Message: "the query could not be audited; try again", Actor: a.Actor}
		}
		return a
	}
	if a.Balance != nil {
		a.Balance.AuditSeq = rec.Seq
	}
	if a.Result != ResultOK {
		s.log.Info("balance: query refused", "result", a.Result, "user", a.Actor, "account", auditable(q.AccountID), "ip", auditable(q.IP), "audit_seq", rec.Seq)
	}
	return a
}

// auditable returns s if the audit log would accept it as a field, otherwise a marker: an
// account id from a URL or an IP from a header is outside input.
func auditable(s string) string {
	if validID(s) || s == "" {
		return s
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return s
	}
	return "(invalid)"
}

func (s *Service) decide(ctx context.Context, q Query, now time.Time) Answer {
	refuse := func(status int, result, msg, actor string) Answer {
		return Answer{Status: status, Result: result, Message: msg, Actor: actor}
	}
	// The token is read first (without trusting it yet) so that every refusal below can
	// name the user a validly signed token names.
	raw := bearer(q.Authorization)
	actor := Anonymous
	var claims Claims
	var terr error
	if raw == "" {
		terr = errMissing
	} else if claims, terr = s.tok.check(raw, now); !errors.Is(terr, ErrTokenMalformed) && !errors.Is(terr, ErrTokenSignature) {
		actor = claims.User
	}
	if ok, wait := s.perIP.allow(q.IP, now); !ok {
		return Answer{Status: http.StatusTooManyRequests, Result: ResultRateLimited, Message: "too many balance queries from this address", RetryAfter: wait, Actor: actor}
	}
	switch {
	case errors.Is(terr, errMissing):
		return refuse(http.StatusUnauthorized, ResultMissingToken, "send the balance token as Authorization: Bearer <token>", actor)
	case errors.Is(terr, ErrTokenExpired):
		return refuse(http.StatusUnauthorized, ResultExpired, "the token has expired; ask for a new one", actor)
	case terr != nil:
		return refuse(http.StatusUnauthorized, ResultBadToken, "the token is not valid", actor)
	}
	if !validID(q.AccountID) {
		return refuse(http.StatusBadRequest, ResultBadRequest, "account_id must be 1–64 characters of A–Z a–z 0–9 _ - . :", actor)
	}
	if claims.Account != q.AccountID {
		return refuse(http.StatusForbidden, ResultWrongAccount, "the token is not for this account", actor)
	}
	if ok, wait := s.perUser.allow(claims.User, now); !ok {
		return Answer{Status: http.StatusTooManyRequests, Result: ResultRateLimited, Message: "too many balance queries for this user", RetryAfter: wait, Actor: actor}
	}
	v, err := s.cfg.Source.Balance(ctx, claims.User, q.AccountID)
	switch {
	case errors.Is(err, ErrNotFound):
		return refuse(http.StatusNotFound, ResultNotFound, "no such account", actor)
	case errors.Is(err, ErrNotOwner):
		return refuse(http.StatusForbidden, ResultNotOwner, "the account does not belong to this user", actor)
	case err != nil:
		s.log.Error("balance: source failed", "account", q.AccountID, "err", err)
		return refuse(http.StatusServiceUnavailable, ResultUnavailable, "the balance is unavailable; try again", actor)
	}
	return Answer{Status: http.StatusOK, Result: ResultOK, Balance: mask(v, q.AccountID, now), Actor: actor}
}

var errMissing = errors.New("balance: no token")

// mask turns a source's view into what the customer is shown.
func mask(v View, account string, now time.Time) *Balance {
	b := &Balance{AccountID: account, Available: v.Available, Frozen: v.Frozen, Name: MaskName(v.CustomerName),
		State: v.State, Cards: make([]MaskedCard, 0, len(v.Cards)), AsOf: now.UTC()}
	for _, c := range v.Cards {
		b.Cards = append(b.Cards, MaskedCard{Number: card.Mask(c.Number), Bank: c.Bank})
	}
	return b
}

// validID reports whether s is an identifier: 1–64 of A–Z a–z 0–9 _ - . :
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// IssueToken issues a token for user to read account, valid for ttl (0 = the default),
// after checking with the Source that the user owns the account, and audits the issue
// (actor "merchant:ID"). It returns the token and its expiry.
func (s *Service) IssueToken(ctx context.Context, merchant, user, account string, ttl time.Duration, ip string) (string, time.Time, error) {
	now := s.clk.Now()
	result := ResultOK
	defer func() {
		if _, err := s.cfg.Audit.Append(context.WithoutCancel(ctx), audit.Record{At: now, Actor: "merchant:" + merchant, Action: ActionToken, Account: auditable(account), IP: auditable(ip), Result: result}); err != nil {
			s.log.Error("balance: audit append failed", "action", ActionToken, "err", err)
		}
	}()
	if ttl == 0 {
		ttl = s.cfg.TokenTTL
	}
	switch {
	case !validID(user):
		result = ResultBadRequest
		return "", time.Time{}, &FieldError{Field: "user_id", Msg: "must be 1–64 characters of A–Z a–z 0–9 _ - . :"}
	case !validID(account):
		result = ResultBadRequest
		return "", time.Time{}, &FieldError{Field: "account_id", Msg: "must be 1–64 characters of A–Z a–z 0–9 _ - . :"}
	case ttl < time.Second || ttl > s.cfg.MaxTokenTTL || ttl%time.Second != 0:
		result = ResultBadRequest
		return "", time.Time{}, &FieldError{Field: "ttl_seconds", Msg: fmt.Sprintf("must be between 1 and %d", int(s.cfg.MaxTokenTTL/time.Second))}
	}
	if _, err := s.cfg.Source.Balance(ctx, user, account); err != nil {
		switch {
		case errors.Is(err, ErrNotFound):
			result = ResultNotFound
		case errors.Is(err, ErrNotOwner):
			result = ResultNotOwner
		default:
			result = ResultUnavailable
		}
		return "", time.Time{}, err
	}
	exp := now.Add(ttl).Truncate(time.Millisecond)
	t, err := s.tok.sign(Claims{User: user, Account: account, Merchant: merchant, Expires: exp})
	if err != nil {
		result = ResultUnavailable
		return "", time.Time{}, err
	}
	return t, exp.UTC(), nil
}

// FieldError is a request field IssueToken refuses.
type FieldError struct{ Field, Msg string }

func (e *FieldError) Error() string { return "balance: " + e.Field + " " + e.Msg }
