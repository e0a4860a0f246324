package unionpay

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
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

// Name is the adapter's short name.
const Name = "unionpay"

// Production hosts (unionpay.md §1).
const (
	DefaultBaseURL = "https://gateway.95516.com"
	DefaultFileURL = "https://filedownload.95516.com/"
)

// DefaultTrID is the token requestor id of UnionPay's test environment (the .NET token
// demo's); production merchants are assigned their own.
const DefaultTrID = "62000000001"

// DefaultPayTimeout is how long a Web, H5 or App order can be paid when the request sets
// no ExpiresAt (UnionPay's demos use 15 minutes).
const DefaultPayTimeout = 15 * time.Minute

// Sign methods for Config.SignMethod.
const (
	SignRSA       = "01" // the merchant's PKCS#12 signing certificate (RSA-2048, SHA-256)
	SignSM2       = "21" // SM2 with SM3 (国密)
	SignSHA256Key = "11" // secure key, SHA-256
	SignSM3Key    = "12" // secure key, SM3
)

// Config configures a Client. MerID, the signing material of SignMethod and the
// certificates that verify UnionPay's answers are required; everything else has a default.
type Config struct {
	// MerID is the 15-character merchant number (merId).
	MerID string
	// SignMethod is SignRSA (the default when empty), SignSM2, SignSHA256Key or
	// SignSM3Key.
	SignMethod string
	// SignCertPFX and SignCertPassword are the merchant's PKCS#12 signing file (the .pfx
	// UnionPay issues) for SignRSA. Never logged.
	SignCertPFX      []byte
	SignCertPassword string
	// SM2Key (PEM, PKCS#8 or SEC1) and SM2Cert (PEM) are the merchant's SM2 key and
	// certificate for SignSM2.
	SM2Key, SM2Cert []byte
	// SecureKey is the shared secret for SignSHA256Key/SignSM3Key; it also verifies answers
	// signed with it. Never logged.
	SecureKey string
	// RootCert and MiddleCert (PEM) are UnionPay's RSA root and middle certificates: every
	// answer and notification signed with 01 must chain to them. SM2RootCert and
	// SM2MiddleCert are the same for 21. At least the root of the sign method in use is
	// required (or SecureKey for 11/12).
	RootCert, MiddleCert       []byte
	SM2RootCert, SM2MiddleCert []byte
	// TestIdentities accepts UnionPay's test signing identities (00040000:SIGN) besides
	// 中国银联股份有限公司 in the signing certificate's CN, as the SDK's
	// ifValidateCNName=false does. Leave it false in production.
	TestIdentities bool
	// EncryptCert (PEM) is UnionPay's encryption certificate: card numbers and cardholder
	// data are encrypted with it. Required for the token product (binding).
	EncryptCert []byte
	// TrID is the token requestor id (trId); default DefaultTrID.
	TrID string
	// BaseURL is the gateway base URL, scheme://host[:port][/prefix] (a trailing slash is
	// ignored), like wechat.Config.BaseURL; the adapter appends /gateway/api/…. Default
	// DefaultBaseURL. Point it at the simulator in tests.
	BaseURL string
	// FileURL is the file-transfer URL for statements; default DefaultFileURL, or
	// BaseURL + "/filedownload" when BaseURL is set (the simulator's file host).
	FileURL string
	// NotifyURL is the default backUrl when a request has none. UnionPay posts the query
	// parameters of a backUrl back as unsigned form fields; ParseNotification removes
	// those of NotifyURL and of NotifyQueryKeys before verifying.
	NotifyURL string
	// NotifyQueryKeys names further query parameters used in notify URLs of requests.
	NotifyQueryKeys []string
	// FrontURL is the default frontUrl (where the payer's browser returns) for Web and H5
	// payments whose request has no ReturnURL.
	FrontURL string
	// PayTimeout is the default payment window of Web, H5 and App orders; default
	// DefaultPayTimeout.
	PayTimeout time.Duration
	// HTTPClient sends the calls; default a client with a 30 s timeout.
	HTTPClient *http.Client
	// Clock supplies the time for file requests, certificate validity and the clearing-day
	// rule; default clock.Real().
	Clock clock.Clock
	// Logger receives one debug record per call (operation, transaction type, duration);
	// never card data, keys, signatures or bodies. Default: discard.
	Logger *slog.Logger
}

// Client is the UnionPay adapter. It implements channel.Channel, channel.Canceller,
// channel.Binder, channel.PaySMSSender and channel.Authorizer, and is safe for
// concurrent use.
type Client struct {
	w          *wire
	merID      string
	trID       string
	notifyURL  string
	frontURL   string
	payTimeout time.Duration
	strip      []string
	clk        clock.Clock
	log        *slog.Logger

	mu      sync.Mutex
	enc     *encCert
	actions map[string]appAction // App orders created by this client: the tn to hand out again
	order   []string
}

var (
	_ channel.Channel      = (*Client)(nil)
	_ channel.Canceller    = (*Client)(nil)
	_ channel.Binder       = (*Client)(nil)
	_ channel.PaySMSSender = (*Client)(nil)
	_ channel.Authorizer   = (*Client)(nil)
)

// ErrConfig is the sentinel every New error wraps (match with errors.Is).
var ErrConfig = errors.New("unionpay: invalid config")

// New validates cfg and returns a Client. It does no I/O. Every error wraps ErrConfig and
// names the offending fields.
func New(cfg Config) (*Client, error) {
	var errs []error
	bad := func(err error) { errs = append(errs, err) }
	if len(cfg.MerID) != 15 || !alnum(cfg.MerID) {
		bad(fmt.Errorf("MerID %q: want 15 letters or digits", cfg.MerID))
	}
	method := cfg.SignMethod
	if method == "" {
		method = SignRSA
	}
	var creds *credentials
	var err error
	switch method {
	case SignRSA:
		if len(cfg.SignCertPFX) == 0 {
			bad(errors.New("SignCertPFX: required for SignMethod 01"))
		} else if creds, err = rsaCredentials(cfg.SignCertPFX, cfg.SignCertPassword); err != nil {
			bad(err)
		}
	case SignSM2:
		key, kerr := sign.ParseSM2PrivateKey(cfg.SM2Key, nil)
		cert, cerr := sign.ParseSM2Certificate(cfg.SM2Cert)
		switch {
		case kerr != nil:
			bad(fmt.Errorf("SM2Key: %v", kerr))
		case cerr != nil:
			bad(fmt.Errorf("SM2Cert: %v", cerr))
		default:
			if creds, err = sm2Credentials(key, cert); err != nil {
				bad(err)
			}
		}
	case SignSHA256Key, SignSM3Key:
		if creds, err = secureKeyCredentials(method, cfg.SecureKey); err != nil {
			bad(err)
		}
	default:
		bad(fmt.Errorf("SignMethod %q: want 01, 11, 12 or 21", cfg.SignMethod))
	}
	tc := trustConfig{relaxCN: cfg.TestIdentities, secureKey: cfg.SecureKey}
	certs := func(field string, pem []byte) []*x509.Certificate {
		if len(pem) == 0 {
			return nil
		}
		cs, err := sign.ParseCertificates(pem)
		if err != nil {
			bad(fmt.Errorf("%s: %v", field, err))
		}
		return cs
	}
	sm2certs := func(field string, pem []byte) []*sign.SM2Certificate {
		if len(pem) == 0 {
			return nil
		}
		c, err := sign.ParseSM2Certificate(pem)
		if err != nil {
			bad(fmt.Errorf("%s: %v", field, err))
			return nil
		}
		return []*sign.SM2Certificate{c}
	}
	tc.roots, tc.middles = certs("RootCert", cfg.RootCert), certs("MiddleCert", cfg.MiddleCert)
	tc.sm2Roots, tc.sm2Middles = sm2certs("SM2RootCert", cfg.SM2RootCert), sm2certs("SM2MiddleCert", cfg.SM2MiddleCert)
	switch {
	case method == SignRSA && len(tc.roots) == 0:
		bad(errors.New("RootCert: required to verify answers signed with 01"))
	case method == SignSM2 && len(tc.sm2Roots) == 0:
		bad(errors.New("SM2RootCert: required to verify answers signed with 21"))
	}
	tr, err := newTrust(tc)
	if err != nil {
		bad(err)
	}
	var enc *encCert
	if len(cfg.EncryptCert) > 0 {
		if enc, err = parseEncCert(cfg.EncryptCert); err != nil {
			bad(err)
		} else if (method == SignSM2) != (enc.sm2 != nil) {
			bad(errors.New("EncryptCert: an SM2 certificate goes with SignMethod 21, an RSA one with 01, 11 and 12"))
		}
	}
	base := cfg.BaseURL
	fileURL := cfg.FileURL
	if base == "" {
		base = DefaultBaseURL
		if fileURL == "" {
			fileURL = DefaultFileURL
		}
	} else if fileURL == "" {
		fileURL = strings.TrimRight(base, "/") + "/filedownload"
	}
	if p, err := url.Parse(base); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		bad(fmt.Errorf("BaseURL %q: want an absolute http(s) URL", base))
	}
	var strip []string
	for _, u := range []string{cfg.NotifyURL, cfg.FrontURL} {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			bad(fmt.Errorf("NotifyURL/FrontURL %q: want an absolute http(s) URL", u))
			continue
		}
		for k := range p.Query() {
			strip = append(strip, k)
		}
	}
	strip = append(strip, cfg.NotifyQueryKeys...)
	trID := cfg.TrID
	if trID == "" {
		trID = DefaultTrID
	}
	if !alnum(trID) {
		bad(fmt.Errorf("TrID %q: want letters and digits", trID))
	}
	if cfg.PayTimeout < 0 {
		bad(fmt.Errorf("PayTimeout %v: must not be negative", cfg.PayTimeout))
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	clk := cfg.Clock
	if clk == nil {
		clk = clock.Real()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var w *wire
	if len(errs) == 0 {
		w, err = newWire(wireConfig{baseURL: base, fileURL: fileURL, merID: cfg.MerID, client: hc, clock: clk, creds: creds, trust: tr, enc: enc, log: log})
		if err != nil {
			bad(err)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	pt := cfg.PayTimeout
	if pt == 0 {
		pt = DefaultPayTimeout
	}
	return &Client{w: w, merID: cfg.MerID, trID: trID, notifyURL: cfg.NotifyURL, frontURL: cfg.FrontURL,
		payTimeout: pt, strip: strip, clk: clk, log: log, enc: enc, actions: map[string]appAction{}}, nil
}

// Name returns "unionpay".
func (c *Client) Name() string { return Name }

// Methods lists MethodToken (token consume), MethodWeb and MethodH5 (the gateway's
// front transaction, as an auto-submitting form) and MethodApp (appTransReq, the tn for
// UnionPay's app SDK).
func (c *Client) Methods() []channel.Method {
	return []channel.Method{channel.MethodToken, channel.MethodWeb, channel.MethodH5, channel.MethodApp}
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return s != ""
}

// encCert returns the current encryption certificate (nil: none configured).
func (c *Client) encryption() *encCert {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.enc
}
