package wechat

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
)

// DefaultBaseURL is WeChat Pay's production API base URL (wechat-v2.md §1).
const DefaultBaseURL = "https://api.mch.weixin.qq.com"

// DefaultMaxResponseBytes bounds an XML response or notification body (1 MiB); a larger
// one is refused (KindUnknown for calls, KindInvalidRequest for notifications).
const DefaultMaxResponseBytes = 1 << 20

// DefaultMaxBillLineBytes bounds one line of a downloaded bill (64 KiB).
const DefaultMaxBillLineBytes = 64 << 10

// Config configures a Client. AppID, MchID and Key are required; everything else has a
// default.
type Config struct {
	AppID string // the appid the orders are placed under (wx…)
	MchID string // merchant number
	// Key is the 32-character API key (API密钥). It signs every request and verifies every
	// response and notification; it is never logged.
	Key string
	// SignType is sign.WeChatMD5 (the default when empty) or sign.WeChatHMACSHA256. It
	// signs requests, JSAPI/APP parameters and verifies responses (wechat-v2.md §3.2).
	SignType sign.WeChatSignType
	// BaseURL is the API base URL, scheme://host[:port][/prefix] (a trailing slash is
	// ignored), the same way as alipay.Config.BaseURL; the adapter appends the
	// operation paths (/pay/unifiedorder, …). Default DefaultBaseURL. Point it at the
	// simulator in tests.
	BaseURL string
	// HTTPClient sends the calls without a client certificate; default a client with a
	// 30 s timeout.
	HTTPClient *http.Client
	// TLSClient sends the calls that need the merchant certificate (/secapi/…: refund and
	// reverse, wechat-v2.md §1); it must present the certificate itself. When nil and
	// Certificate is set, one is built from HTTPClient (its timeout, jar and redirect
	// policy) around a clone of its *http.Transport (http.DefaultTransport when it has
	// none) with Certificate added, so proxy, dialer and TLS settings carry over. A
	// transport that is not an *http.Transport (a tracing or proxy wrapper, a mock, an
	// http.DefaultTransport replaced by a test library) cannot be given a certificate
	// from outside without bypassing it, so New then fails with ErrConfig: build the
	// client yourself, e.g. your wrapper around ClientCertTransport(yourTransport, cert).
	// When both are nil, Refund and Cancel fail with KindInvalidRequest before sending
	// anything.
	TLSClient *http.Client
	// Certificate is the merchant API certificate (apiclient_cert.pem + apiclient_key.pem,
	// see LoadPEMCertificate) presented on /secapi calls.
	Certificate *tls.Certificate
	// Clock supplies timestamps (JSAPI/APP parameters, time_start); default clock.Real().
	Clock clock.Clock
	// Logger receives one debug record per call (operation, path, HTTP status, return and
	// result codes, duration); never keys, signatures or bodies. Default: discard.
	Logger *slog.Logger
	// MaxResponseBytes bounds XML bodies; default DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// MaxBillLineBytes bounds one bill line; default DefaultMaxBillLineBytes.
	MaxBillLineBytes int
	// NotifyURL is the default notify_url for Pay and Refund when the request has none.
	NotifyURL string
	// Sandbox switches to WeChat's classic sandbox (wechat-v2.md §12): the sign key is
	// fetched once from /sandboxnew/pay/getsignkey and every path gets the /sandboxnew
	// prefix. The sandbox signs with MD5 only.
	Sandbox bool
	// BillPlainText asks for bills as plain text instead of gzip (tar_type=GZIP is sent by
	// default). Either form is read.
	BillPlainText bool
}

// Client is the WeChat Pay v2 adapter. It implements channel.Channel and
// channel.Canceller and is safe for concurrent use.
type Client struct {
	appID, mchID string
	key          string
	signType     sign.WeChatSignType
	base         string
	http         *http.Client
	tls          *http.Client
	clk          clock.Clock
	log          *slog.Logger
	maxResp      int64
	maxLine      int
	notifyURL    string
	sandbox      bool
	billGzip     bool

	sandboxMu  sync.Mutex
	sandboxKey string // fetched on first use when sandbox
}

var (
	_ channel.Channel   = (*Client)(nil)
	_ channel.Canceller = (*Client)(nil)
	_ channel.Closer    = (*Client)(nil)
)

// ErrConfig is the sentinel every New error wraps (match with errors.Is).
var ErrConfig = errors.New("wechat: invalid config")

// New validates cfg and returns a Client. It does no I/O (the sandbox key is fetched on
// the first call). Every error wraps ErrConfig and names the offending fields.
func New(cfg Config) (*Client, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if cfg.AppID == "" {
		bad("AppID is empty")
	}
	if cfg.MchID == "" {
		bad("MchID is empty")
	}
	if len(cfg.Key) != 32 {
		bad("Key must be the 32-character API key, got %d characters", len(cfg.Key))
	}
	st, err := sign.ParseWeChatSignType(string(cfg.SignType))
	if err != nil {
		bad("SignType %q: want MD5 or HMAC-SHA256", string(cfg.SignType))
	}
	if cfg.Sandbox && st != sign.WeChatMD5 {
		bad("SignType %s: the sandbox signs with MD5 only (wechat-v2.md §12)", st)
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		bad("BaseURL %q is not an absolute http(s) URL without query or fragment", cfg.BaseURL)
	}
	if cfg.MaxResponseBytes < 0 || cfg.MaxBillLineBytes < 0 {
		bad("MaxResponseBytes and MaxBillLineBytes must not be negative")
	}
	if cfg.NotifyURL != "" {
		if u, err := url.Parse(cfg.NotifyURL); err != nil || !u.IsAbs() {
			bad("NotifyURL %q is not an absolute URL", cfg.NotifyURL)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	c := &Client{
		appID: cfg.AppID, mchID: cfg.MchID, key: cfg.Key, signType: st, base: base,
		http: cfg.HTTPClient, tls: cfg.TLSClient, clk: cfg.Clock, log: cfg.Logger,
		maxResp: cfg.MaxResponseBytes, maxLine: cfg.MaxBillLineBytes,
		notifyURL: cfg.NotifyURL, sandbox: cfg.Sandbox, billGzip: !cfg.BillPlainText,
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	if c.tls == nil && cfg.Certificate != nil {
		if c.tls, err = tlsClient(c.http, *cfg.Certificate); err != nil {
			return nil, err
		}
	}
	if c.clk == nil {
		c.clk = clock.Real()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.maxResp == 0 {
		c.maxResp = DefaultMaxResponseBytes
	}
	if c.maxLine == 0 {
		c.maxLine = DefaultMaxBillLineBytes
	}
	return c, nil
}

// tlsClient returns a copy of base whose transport presents cert (see Config.TLSClient):
// base's *http.Transport (http.DefaultTransport when it has none) cloned with cert
// added; any other RoundTripper is an ErrConfig error, never replaced behind the
// caller's back.
func tlsClient(base *http.Client, cert tls.Certificate) (*http.Client, error) {
	rt, field := base.Transport, "HTTPClient.Transport"
	if rt == nil {
		rt, field = http.DefaultTransport, "http.DefaultTransport"
	}
	tr, ok := rt.(*http.Transport)
	if !ok || tr == nil {
		return nil, fmt.Errorf("%w: Certificate: %s is a %T, not an *http.Transport, so the client certificate "+
			"cannot be added to it without bypassing it; set TLSClient to a client that presents the certificate "+
			"(e.g. your wrapper around ClientCertTransport(yourTransport, cert))", ErrConfig, field, rt)
	}
	return &http.Client{Transport: ClientCertTransport(tr, cert), Timeout: base.Timeout, Jar: base.Jar,
		CheckRedirect: base.CheckRedirect}, nil
}

// ClientCertTransport returns a clone of t (proxy, dialer, connection-pool settings and TLS
// configuration kept; t itself is not changed) that presents cert as the TLS client
// certificate, with TLS 1.2 as the minimum when t sets none. Use it to build
// Config.TLSClient when HTTPClient's transport is a wrapper: wrap the result the same
// way.
func ClientCertTransport(t *http.Transport, cert tls.Certificate) *http.Transport {
	tr := t.Clone()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if tr.TLSClientConfig != nil {
		cfg = tr.TLSClientConfig.Clone()
	}
	cfg.Certificates = []tls.Certificate{cert}
	tr.TLSClientConfig = cfg
	return tr
}

// LoadPEMCertificate builds the client certificate for Config.Certificate from
// apiclient_cert.pem and apiclient_key.pem (wechat-v2.md §1).
func LoadPEMCertificate(certPEM, keyPEM []byte) (*tls.Certificate, error) {
	cert, err := sign.LoadTLSCertificate(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("wechat: client certificate: %w", err)
	}
	return &cert, nil
}

// LoadPKCS12Certificate builds the client certificate for Config.Certificate from
// apiclient_cert.p12, whose password WeChat sets to the mch_id (wechat-v2.md §1).
func LoadPKCS12Certificate(p12 []byte, password string) (*tls.Certificate, error) {
	cert, err := sign.LoadTLSCertificatePKCS12(p12, password)
	if err != nil {
		return nil, fmt.Errorf("wechat: client certificate (PKCS#12): %w", err)
	}
	return &cert, nil
}

// Name returns "wechat".
func (c *Client) Name() string { return channelName }

const channelName = "wechat"

// Methods returns QR (NATIVE), App (APP), JSAPI, H5 (MWEB) and Barcode (micropay).
func (c *Client) Methods() []channel.Method {
	return []channel.Method{channel.MethodQR, channel.MethodApp, channel.MethodJSAPI, channel.MethodH5, channel.MethodBarcode}
}
