package bank

import (
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

// Name is the adapter's channel name, used in errors and statement records.
const Name = "bank"

// DefaultBaseURL is where requests go when Config.BaseURL is empty. There is no single
// production host for a bank direct-connect: every bank gives its merchants its own, so
// production configurations always set BaseURL; the default is the simulator's address.
const DefaultBaseURL = "http://127.0.0.1:8080"

// Paths under the base URL (§3).
const (
	gatewayPath = "/bdc/gateway"
	filesPath   = "/bdc/files/"
)

// Defaults applied by New when the corresponding Config field is zero.
const (
	DefaultMaxResponseBytes  int64 = 1 << 20   // 1 MiB: answers are a few KB
	DefaultMaxStatementBytes int64 = 256 << 20 // gzip bytes of one day's statement
)

// Config configures a Client. Key material is read once by New and never logged.
type Config struct {
	// MerchantID is the merchant number the bank issued: 1 to 32 letters or digits.
	MerchantID string
	// CertSerial is the serial of the merchant's signing key registered with the bank.
	CertSerial string
	// MerchantKey is the merchant's SM2 private key (PEM PKCS#8/SEC1 or 64 hex digits).
	MerchantKey []byte
	// DecryptKey is the SM2 private key the bank wraps answer session keys for, when it is
	// not MerchantKey (a separate encryption pair); optional.
	DecryptKey []byte
	// BankSignKey verifies the bank's answers and notifications (SM2 public key, PEM or
	// hex); BankEncKey wraps the session keys of card data for the bank. Both required.
	BankSignKey, BankEncKey []byte
	// BankCertSerial, when set, must equal the certSerial of every answer and
	// notification.
	BankCertSerial string
	// BaseURL is scheme://host[:port][/prefix] of the bank's gateway (a trailing slash is
	// ignored), the same way as wechat.Config.BaseURL; the adapter appends /bdc/gateway
	// and /bdc/files/. Default DefaultBaseURL.
	BaseURL string
	// HTTPClient performs every call; default a client with a 30 s timeout.
	HTTPClient *http.Client
	// Clock supplies reqTime and statement times; default clock.Real().
	Clock clock.Clock
	// Logger receives debug and warning records; default discards. Card data, keys and
	// bodies are never logged.
	Logger *slog.Logger
	// NotifyURL is the default notifyUrl of PAY, REFUND and PAYOUT (the bank requires one
	// for PAY and PAYOUT).
	NotifyURL string
	// MaxResponseBytes caps an answer body (default DefaultMaxResponseBytes); a longer
	// body is an unknown outcome.
	MaxResponseBytes int64
	// MaxStatementBytes caps the downloaded gzip file (default DefaultMaxStatementBytes),
	// which is held in memory while its records are streamed (its SM3 is checked first).
	MaxStatementBytes int64
	// SkipLuhn accepts card numbers whose check digit is wrong (digits and length are still
	// checked), for bank test environments whose test cards are not Luhn-valid (§13).
	SkipLuhn bool

	// Variant knobs for banks that differ from the defaults (§5.4); zero values are the
	// defaults: SM2 user ID 1234567812345678, DER signatures, base64 text, C1C3C2 key
	// wrap with 04, SM4-CBC with a prefixed IV, expiry YYMM, times yyyyMMddHHmmss.
	SM2ID      string
	Signature  sign.SM2SigEncoding
	Text       sign.TextEncoding
	KeyWrap    sign.SM2CipherOptions
	SM4Mode    sign.SM4Mode
	SM4FixedIV []byte
	ExpiryMMYY bool
	TimeFormat string
}

// ErrConfig is the sentinel every New error wraps (match with errors.Is).
var ErrConfig = errors.New("bank: invalid config")

func configErr(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s %s", ErrConfig, field, fmt.Sprintf(format, args...))
}

// New validates cfg and returns a Client. Errors wrap ErrConfig and name the field.
func New(cfg Config) (*Client, error) {
	mk, err := sign.ParseSM2PrivateKey(cfg.MerchantKey, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: MerchantKey: %v", ErrConfig, err)
	}
	wc := wireConfig{MerchantID: cfg.MerchantID, CertSerial: cfg.CertSerial, MerchantKey: mk,
		BankCertSerial: cfg.BankCertSerial, SM2ID: cfg.SM2ID, Signature: cfg.Signature, Text: cfg.Text,
		KeyWrap: cfg.KeyWrap, SM4Mode: cfg.SM4Mode, SM4FixedIV: cfg.SM4FixedIV, ExpiryMMYY: cfg.ExpiryMMYY, TimeFormat: cfg.TimeFormat}
	if len(cfg.DecryptKey) > 0 {
		if wc.DecryptKey, err = sign.ParseSM2PrivateKey(cfg.DecryptKey, nil); err != nil {
			return nil, fmt.Errorf("%w: DecryptKey: %v", ErrConfig, err)
		}
	}
	if wc.BankSignKey, err = sign.ParseSM2PublicKey(cfg.BankSignKey); err != nil {
		return nil, fmt.Errorf("%w: BankSignKey: %v", ErrConfig, err)
	}
	if wc.BankEncKey, err = sign.ParseSM2PublicKey(cfg.BankEncKey); err != nil {
		return nil, fmt.Errorf("%w: BankEncKey: %v", ErrConfig, err)
	}
	w, err := newWire(wc)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrConfig, strings.TrimPrefix(err.Error(), "bank config: "))
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, configErr("BaseURL", "must be an absolute http(s) URL without query, got %q", base)
	}
	if cfg.NotifyURL != "" {
		if err := checkNotifyURL(cfg.NotifyURL); err != nil {
			return nil, configErr("NotifyURL", "%v", err)
		}
	}
	c := &Client{w: w, serials: newSerials(cfg.MerchantID, mk), base: strings.TrimRight(base, "/"),
		hc: cfg.HTTPClient, clk: cfg.Clock, log: cfg.Logger, notifyURL: cfg.NotifyURL,
		maxResp: cfg.MaxResponseBytes, maxStmt: cfg.MaxStatementBytes, merchantID: cfg.MerchantID, skipLuhn: cfg.SkipLuhn}
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
	if c.maxStmt <= 0 {
		c.maxStmt = DefaultMaxStatementBytes
	}
	return c, nil
}

// checkNotifyURL is §6: http(s), absolute, at most 256 characters.
func checkNotifyURL(s string) error {
	u, err := url.Parse(s)
	if len(s) > 256 || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http(s) URL of at most 256 characters")
	}
	return nil
}
