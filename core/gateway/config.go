package gateway

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/tjfoc/gmsm/sm2"
	gmx509 "github.com/tjfoc/gmsm/x509"

	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// ErrConfig is wrapped by every error New returns for a bad Config.
var ErrConfig = errors.New("gateway: invalid config")

// Config configures a Gateway.
type Config struct {
	// Store keeps orders, events, nonces and Idempotency-Key records (core/store).
	Store Store
	// Merchants are the merchants allowed to call the API.
	Merchants []Merchant
	// Accounts are the channel accounts payments can be routed to: an adapter configured
	// with one set of channel credentials each.
	Accounts []Account
	// Routes is the static route table used when Router is nil: merchant and method to
	// channel account.
	Routes []Route
	// Router chooses the channel account of a payment; nil = the static Routes.
	Router Router
	// Risk decides whether a payment may proceed; nil = allow everything.
	Risk Risk
	// PublicURL is the base URL at which channels reach this gateway (scheme and host,
	// e.g. https://pay.example.com): channel callbacks go to PublicURL +
	// "/notify/{channel}/{account}".
	PublicURL string
	// Clock reads time; default clock.Real().
	Clock clock.Clock
	// Logger receives structured logs (never secrets or card data); default discards.
	Logger *slog.Logger
	// MaxBodyBytes bounds a request body; default 64 KiB.
	MaxBodyBytes int64
	// ClockSkew is how far a request's timestamp may be from the gateway's clock; default
	// 5 minutes. Nonces are remembered for twice as long.
	ClockSkew time.Duration
	// IdempotencyTTL is how long an Idempotency-Key is remembered; default 24 hours.
	IdempotencyTTL time.Duration
	// DefaultExpiry is how long an unpaid payment stays open when the request names no
	// expiry; default 2 hours.
	DefaultExpiry time.Duration
	// CallTimeout bounds one call to a channel; default 30 seconds. A call that times out
	// has an unknown outcome and is queried.
	CallTimeout time.Duration
	// Keyring seals the card elements a binding keeps while it waits for its SMS code
	// (SM4-GCM, core/card). Without it the binding routes answer 501.
	Keyring *card.Keyring
	// PayoutReturnWindow is how long after a payout succeeded the gateway keeps querying
	// whether the receiving bank returned it; default 5 days.
	PayoutReturnWindow time.Duration
}

// Merchant is a merchant of the API and its credentials. At least one key must be set.
type Merchant struct {
	ID   string // sent in the Tongdao-Merchant header
	Name string
	// HMACSecret signs requests with HMAC-SHA256 (Tongdao-Signature: HMAC-SHA256 <hex>).
	HMACSecret string
	// RSAPublicKeyPEM verifies RSA2 (SHA256withRSA) signatures (Tongdao-Signature: RSA2
	// <base64>); PEM "PUBLIC KEY" or "RSA PUBLIC KEY".
	RSAPublicKeyPEM string
	// SM2PublicKeyPEM verifies SM2 signatures with SM3 and the default user id
	// (Tongdao-Signature: SM2 <base64 DER>); PEM "PUBLIC KEY".
	SM2PublicKeyPEM string
	// RatePerSecond and Burst bound the merchant's requests (a token bucket); defaults 100
	// and 200.
	RatePerSecond float64
	Burst         int

	rsaKey *rsa.PublicKey
	sm2Key *sm2.PublicKey
}

// Account is one channel account: an adapter with one set of credentials.
type Account struct {
	ID      string          // the account's name in routes and in /notify/{channel}/{account}
	Channel channel.Channel // the adapter
	// ChannelMerchantID and AppID are what the channel reports in notifications for this
	// account (WeChat mch_id and appid, Alipay seller_id and app_id); when set, a
	// notification claiming another is refused.
	ChannelMerchantID string
	AppID             string

	info channel.Info
}

// Route sends a merchant's payments of one method to an account. Merchant "*" matches
// every merchant; Method "" every method. The first matching route wins.
type Route struct {
	Merchant string
	Method   channel.Method
	Account  string
}

// RouteRequest is what a Router decides on.
type RouteRequest struct {
	MerchantID string
	Method     channel.Method
	Amount     money.Amount
	At         time.Time
	// CardBIN is the first 6–8 digits of the payer's card for card payments ("" = no
	// card), for rules over card type and issuer.
	CardBIN string
	PayerID string
}

// RouteDecision names the chosen account and why.
type RouteDecision struct {
	Account string
	Reason  string
	// Candidates, when set, are the accounts to try in order, Account first. The flow moves
	// to the next only when an attempt surely did not reach its channel
	// (channel.KindUnavailable, or refused by the Router's AttemptObserver before sending),
	// never after an unknown outcome.
	Candidates []string
}

// Router chooses a channel account for a payment.
type Router interface {
	Route(ctx context.Context, req RouteRequest) (RouteDecision, error)
}

// Verdict is a risk decision.
type Verdict string

// Risk verdicts.
const (
	Allow     Verdict = "allow"
	Challenge Verdict = "challenge" // e.g. require the SMS step
	Block     Verdict = "block"
)

// RiskRequest is what Risk decides on.
type RiskRequest struct {
	MerchantID string
	OrderNo    string
	Method     channel.Method
	Amount     money.Amount
	PayerID    string
	ClientIP   string
	Account    string
	At         time.Time
	// CardBIN, CardFingerprint and DeviceID are the merchant's optional hints about the
	// payer's card (never the full number) and device, for lists and velocity rules.
	CardBIN         string
	CardFingerprint string
	DeviceID        string
	// SMSVerified reports that the request carried the SMS code a challenge asks for.
	SMSVerified bool
}

// RiskDecision is a verdict and the rule that fired.
type RiskDecision struct {
	Verdict Verdict
	Rule    string
}

// Risk decides whether a payment may proceed. A blocked payment never reaches a channel.
type Risk interface {
	Assess(ctx context.Context, req RiskRequest) (RiskDecision, error)
}

// AllowAll is the Risk that allows every payment.
type AllowAll struct{}

// Assess implements Risk.
func (AllowAll) Assess(context.Context, RiskRequest) (RiskDecision, error) {
	return RiskDecision{Verdict: Allow, Rule: "allow-all"}, nil
}

// StaticRouter routes by a fixed table.
type StaticRouter []Route

// Route implements Router: the first route matching the merchant and the method.
func (rt StaticRouter) Route(_ context.Context, req RouteRequest) (RouteDecision, error) {
	for i, r := range rt {
		if (r.Merchant == "*" || r.Merchant == req.MerchantID) && (r.Method == "" || r.Method == req.Method) {
			return RouteDecision{Account: r.Account, Reason: fmt.Sprintf("route %d (merchant %s, method %s)", i+1, r.Merchant, orAny(string(r.Method)))}, nil
		}
	}
	return RouteDecision{}, fmt.Errorf("no route for merchant %s and method %s", req.MerchantID, req.Method)
}

func orAny(s string) string {
	if s == "" {
		return "any"
	}
	return s
}

func (c *Config) validate() error {
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if c.Store == nil {
		bad("Store is nil")
	}
	if c.Clock == nil {
		c.Clock = clock.Real()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 64 << 10
	}
	if c.ClockSkew <= 0 {
		c.ClockSkew = 5 * time.Minute
	}
	if c.IdempotencyTTL <= 0 {
		c.IdempotencyTTL = 24 * time.Hour
	}
	if c.DefaultExpiry <= 0 {
		c.DefaultExpiry = 2 * time.Hour
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = 30 * time.Second
	}
	if c.PayoutReturnWindow <= 0 {
		c.PayoutReturnWindow = DefaultPayoutReturnWindow
	}
	if c.Risk == nil {
		c.Risk = AllowAll{}
	}
	if c.PublicURL == "" || !(strings.HasPrefix(c.PublicURL, "http://") || strings.HasPrefix(c.PublicURL, "https://")) {
		bad("PublicURL %q must be an http(s) URL (channels send callbacks there)", c.PublicURL)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	seen := map[string]bool{}
	for i := range c.Merchants {
		m := &c.Merchants[i]
		if m.ID == "" {
			bad("Merchants[%d].ID is empty", i)
			continue
		}
		if seen["m:"+m.ID] {
			bad("merchant %s is listed twice", m.ID)
		}
		seen["m:"+m.ID] = true
		if m.HMACSecret == "" && m.RSAPublicKeyPEM == "" && m.SM2PublicKeyPEM == "" {
			bad("merchant %s has no key (HMACSecret, RSAPublicKeyPEM or SM2PublicKeyPEM)", m.ID)
		}
		if m.HMACSecret != "" && len(m.HMACSecret) < 16 {
			bad("merchant %s: HMACSecret must be at least 16 characters", m.ID)
		}
		if m.RSAPublicKeyPEM != "" {
			k, err := parseRSAPublic([]byte(m.RSAPublicKeyPEM))
			if err != nil {
				bad("merchant %s: RSAPublicKeyPEM: %v", m.ID, err)
			}
			m.rsaKey = k
		}
		if m.SM2PublicKeyPEM != "" {
			k, err := gmx509.ReadPublicKeyFromPem([]byte(m.SM2PublicKeyPEM))
			if err != nil {
				bad("merchant %s: SM2PublicKeyPEM: %v", m.ID, err)
			}
			m.sm2Key = k
		}
		if m.RatePerSecond <= 0 {
			m.RatePerSecond = 100
		}
		if m.Burst <= 0 {
			m.Burst = 200
		}
	}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		switch {
		case a.ID == "":
			bad("Accounts[%d].ID is empty", i)
			continue
		case a.Channel == nil:
			bad("account %s has no Channel", a.ID)
			continue
		case seen["a:"+a.ID]:
			bad("account %s is listed twice", a.ID)
		}
		seen["a:"+a.ID] = true
		a.info = a.Channel.Info()
	}
	if c.Router == nil {
		if len(c.Routes) == 0 {
			bad("no Routes and no Router: payments could go nowhere")
		}
		for i, r := range c.Routes {
			if !seen["a:"+r.Account] {
				bad("Routes[%d] names unknown account %q", i, r.Account)
			}
			if r.Method != "" && !r.Method.Valid() {
				bad("Routes[%d] names unknown method %q", i, r.Method)
			}
		}
		c.Router = StaticRouter(c.Routes)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrConfig, strings.Join(errs, "; "))
	}
	return nil
}

func parseRSAPublic(data []byte) (*rsa.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("no PEM block")
	}
	switch b.Type {
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(b.Bytes)
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("PUBLIC KEY is a %T, not RSA", k)
		}
		return rk, nil
	}
	return nil, fmt.Errorf("PEM block %q: want PUBLIC KEY or RSA PUBLIC KEY", b.Type)
}
