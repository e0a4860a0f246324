package alipay

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
)

// DefaultBaseURL is the production API base URL (alipay.md §1). Point Config.BaseURL at
// the sandbox (https://openapi-sandbox.dl.alipaydev.com) or the tongdao simulator
// instead.
const DefaultBaseURL = "https://openapi.alipay.com"

// gatewayPath is the one endpoint of the open API under the base URL (alipay.md §1).
const gatewayPath = "/gateway.do"

// DefaultGateway is the production gateway URL, DefaultBaseURL + "/gateway.do".
//
// Deprecated: use DefaultBaseURL and Config.BaseURL.
const DefaultGateway = DefaultBaseURL + gatewayPath

// Defaults applied by New when the corresponding Config field is zero.
const (
	DefaultMaxResponseBytes int64 = 1 << 20   // 1 MiB: sync responses are a few KB
	DefaultMaxBillBytes     int64 = 512 << 20 // 512 MiB: a zipped day of a very large merchant
	// DefaultBillReadyAfter: a daily bill for D is built by about 09:00 on D+1 (older docs
	// say 10:00, alipay.md §9.11); before D+1 10:00 Beijing a missing bill means "not yet".
	DefaultBillReadyAfter = 10 * time.Hour
)

// Config configures a Client. Either AlipayPublicKey (public-key mode) or all three of
// AppCert, AlipayCert and AlipayRootCert (certificate mode, alipay.md §5) must be set.
// Key and certificate material is read once by New and never logged.
type Config struct {
	// AppID is the 16-digit open-platform application id (not the 2088… partner id).
	AppID string
	// AppPrivateKey is the application's RSA private key: PEM (PKCS#1 "RSA PRIVATE KEY"
	// or PKCS#8 "PRIVATE KEY") or the bare base64 DER Alipay's key tool emits.
	AppPrivateKey []byte
	// AlipayPublicKey is Alipay's RSA public key for public-key mode (PEM or bare base64
	// SubjectPublicKeyInfo).
	AlipayPublicKey []byte
	// AppCert, AlipayCert and AlipayRootCert are the PEM files of certificate mode:
	// appCertPublicKey_<app_id>.crt, alipayCertPublicKey_RSA2.crt (leaf first, optional
	// intermediates after it) and alipayRootCert.crt (the root bundle).
	AppCert, AlipayCert, AlipayRootCert []byte
	// AppAuthToken is sent as app_auth_token when an ISV acts for a merchant; optional.
	AppAuthToken string
	// BaseURL is the API base URL, scheme://host[:port][/prefix] (a trailing slash is
	// ignored), the same way as wechat.Config.BaseURL; the adapter appends /gateway.do.
	// Default DefaultBaseURL. Point it at the simulator in tests.
	BaseURL string
	// Gateway is the full gateway URL including /gateway.do, used as is.
	//
	// Deprecated: use BaseURL (Gateway = BaseURL + "/gateway.do"). Still honoured when
	// BaseURL is empty; setting both is a config error.
	Gateway string
	// HTTPClient performs every call, including the bill download; default a client with
	// a 30 s timeout (never http.DefaultClient, whose lack of timeout turns a stuck
	// connection into a stuck payment).
	HTTPClient *http.Client
	// Clock supplies request timestamps and certificate validity checks; default
	// clock.Real(). Timestamps are formatted in Beijing time (alipay.md §3).
	Clock clock.Clock
	// Logger receives debug and warning records; default discards. Keys, signatures and
	// raw bodies are never logged.
	Logger *slog.Logger
	// NotifyURL and ReturnURL are the defaults for PayRequest.NotifyURL / ReturnURL.
	NotifyURL, ReturnURL string
	// MaxResponseBytes caps a sync response body; default DefaultMaxResponseBytes. A
	// longer body is an unknown outcome.
	MaxResponseBytes int64
	// MaxBillBytes caps the downloaded bill zip; default DefaultMaxBillBytes.
	MaxBillBytes int64
	// TempDir is where the bill zip is spooled while it is read (it is removed by
	// StatementReader.Close); default os.TempDir().
	TempDir string
	// BillReadyAfter is how long after the end of day D (Beijing) a missing bill for D
	// is taken to mean "no transactions" rather than "not generated yet"; default
	// DefaultBillReadyAfter.
	BillReadyAfter time.Duration
}

// ErrConfig is the sentinel every New error wraps (match with errors.Is).
var ErrConfig = errors.New("alipay: invalid config")

func configErr(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s %s", ErrConfig, field, fmt.Sprintf(format, args...))
}

// New validates cfg and returns a Client. It parses every key and certificate, computes
// app_cert_sn and alipay_root_cert_sn in certificate mode, and fails with an error
// wrapping ErrConfig that names the offending field.
func New(cfg Config) (*Client, error) {
	if cfg.AppID == "" {
		return nil, configErr("AppID", "is empty")
	}
	for _, r := range cfg.AppID {
		if r < '0' || r > '9' {
			return nil, configErr("AppID", "must be digits, got %q", cfg.AppID)
		}
	}
	priv, err := sign.ParseRSAPrivateKey(cfg.AppPrivateKey)
	if err != nil {
		return nil, fmt.Errorf("%w: AppPrivateKey: %w", ErrConfig, err)
	}
	if priv.N.BitLen() < 2048 {
		return nil, configErr("AppPrivateKey", "is %d bits, RSA2 needs at least 2048", priv.N.BitLen())
	}
	c := &Client{
		appID:        cfg.AppID,
		priv:         priv,
		appAuthToken: cfg.AppAuthToken,
		hc:           cfg.HTTPClient,
		clk:          cfg.Clock,
		log:          cfg.Logger,
		notifyURL:    cfg.NotifyURL,
		returnURL:    cfg.ReturnURL,
		maxResp:      cfg.MaxResponseBytes,
		maxBill:      cfg.MaxBillBytes,
		tempDir:      cfg.TempDir,
		billReady:    cfg.BillReadyAfter,
	}
	if c.gateway, err = gatewayURL(cfg.BaseURL, cfg.Gateway); err != nil {
		return nil, err
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 30 * time.Second}
	}
	if c.clk == nil {
		c.clk = clock.Real()
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.maxResp <= 0 {
		c.maxResp = DefaultMaxResponseBytes
	}
	if c.maxBill <= 0 {
		c.maxBill = DefaultMaxBillBytes
	}
	if c.billReady <= 0 {
		c.billReady = DefaultBillReadyAfter
	}
	for _, f := range []struct{ name, v string }{{"NotifyURL", c.notifyURL}, {"ReturnURL", c.returnURL}} {
		if f.v == "" {
			continue
		}
		if u, err := url.Parse(f.v); err != nil || u.Host == "" {
			return nil, configErr(f.name, "must be an absolute URL, got %q", f.v)
		}
	}

	certMode := len(cfg.AppCert) > 0 || len(cfg.AlipayCert) > 0 || len(cfg.AlipayRootCert) > 0
	switch {
	case certMode && len(cfg.AlipayPublicKey) > 0:
		return nil, configErr("AlipayPublicKey", "is set together with certificates; choose public-key mode or certificate mode")
	case certMode:
		if err := c.loadCerts(cfg); err != nil {
			return nil, err
		}
	case len(cfg.AlipayPublicKey) > 0:
		pub, err := sign.ParseRSAPublicKey(cfg.AlipayPublicKey)
		if err != nil {
			return nil, fmt.Errorf("%w: AlipayPublicKey: %w", ErrConfig, err)
		}
		c.keys = newKeyring(pub, "", nil)
	default:
		return nil, configErr("AlipayPublicKey", "is empty and no certificates are set: one of the two modes is required")
	}
	return c, nil
}

// gatewayURL returns the URL every call is posted to, from BaseURL or else the
// deprecated Gateway.
func gatewayURL(base, gateway string) (string, error) {
	field, v := "BaseURL", strings.TrimRight(base, "/")
	switch {
	case base != "" && gateway != "":
		return "", configErr("Gateway", "is deprecated and set together with BaseURL; set BaseURL only")
	case base == "" && gateway != "":
		field, v = "Gateway", gateway
	case base == "":
		v = DefaultBaseURL
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", configErr(field, "must be an absolute http(s) URL, got %q", v)
	}
	if field == "Gateway" {
		return v, nil // as before BaseURL existed
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", configErr(field, "must have no query or fragment, got %q", v)
	}
	if strings.HasSuffix(u.Path, gatewayPath) {
		return "", configErr("BaseURL", "%q ends in %s, which the adapter appends; give the part before it", v, gatewayPath)
	}
	return v + gatewayPath, nil
}

// loadCerts sets up certificate mode (alipay.md §5).
func (c *Client) loadCerts(cfg Config) error {
	for _, f := range []struct {
		name string
		v    []byte
	}{{"AppCert", cfg.AppCert}, {"AlipayCert", cfg.AlipayCert}, {"AlipayRootCert", cfg.AlipayRootCert}} {
		if len(f.v) == 0 {
			return configErr(f.name, "is empty: certificate mode needs AppCert, AlipayCert and AlipayRootCert")
		}
	}
	appCert, err := sign.ParseCertificate(cfg.AppCert)
	if err != nil {
		return fmt.Errorf("%w: AppCert: %w", ErrConfig, err)
	}
	appPub, ok := appCert.PublicKey.(*rsa.PublicKey)
	if !ok || appPub.N.Cmp(c.priv.N) != 0 || appPub.E != c.priv.E {
		return configErr("AppCert", "does not hold the public half of AppPrivateKey")
	}
	if c.appCertSN, err = sign.AlipayCertSN(appCert); err != nil {
		return fmt.Errorf("%w: AppCert: %w", ErrConfig, err)
	}
	if c.rootCertSN, err = sign.AlipayRootCertSN(cfg.AlipayRootCert); err != nil {
		return fmt.Errorf("%w: AlipayRootCert: %w", ErrConfig, err)
	}
	roots, err := sign.ParseAlipayRootBundle(cfg.AlipayRootCert)
	if err != nil {
		return fmt.Errorf("%w: AlipayRootCert: %w", ErrConfig, err)
	}
	chain, err := sign.ParseCertificates(cfg.AlipayCert)
	if err != nil {
		return fmt.Errorf("%w: AlipayCert: %w", ErrConfig, err)
	}
	pub, ok := chain[0].PublicKey.(*rsa.PublicKey)
	if !ok {
		return configErr("AlipayCert", "holds a %T key, want RSA", chain[0].PublicKey)
	}
	sn, err := sign.AlipayCertSN(chain[0])
	if err != nil {
		return fmt.Errorf("%w: AlipayCert: %w", ErrConfig, err)
	}
	c.certMode = true
	c.keys = newKeyring(pub, sn, roots)
	return nil
}

// AppCertSN returns app_cert_sn in certificate mode ("" in public-key mode).
func (c *Client) AppCertSN() string { return c.appCertSN }

// RootCertSN returns alipay_root_cert_sn in certificate mode ("" in public-key mode).
func (c *Client) RootCertSN() string { return c.rootCertSN }
