package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shopspring/decimal"
	"github.com/tongdao/tongdao/adapters/alipay"
	"github.com/tongdao/tongdao/adapters/bank"
	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/adapters/unionpay"
	"github.com/tongdao/tongdao/adapters/wechat"
	"github.com/tongdao/tongdao/core/card"
	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clearing"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/risk"
	"github.com/tongdao/tongdao/core/router"
)

// gatewayFile is the gateway's YAML config (docs/GATEWAY.md): merchants with their keys,
// channel accounts with their credentials, and routes.
type gatewayFile struct {
	PublicURL string            `yaml:"public_url"`
	Merchants []merchantFile    `yaml:"merchants"`
	Accounts  []accountFile     `yaml:"accounts"`
	Routes    []gateway.Route   `yaml:"-"`
	RawRoutes []routeFile       `yaml:"routes"`
	Options   gatewayOptionFile `yaml:"options"`
	// Routing and Risk replace the static routes and allow-all risk when present
	// (docs/ROUTING.md); they are reloaded on SIGHUP (gatewayrouting.go).
	Routing *router.File `yaml:"routing"`
	Risk    *risk.File   `yaml:"risk"`
	// Clearing: T+n, the bank account channel funds arrive in, receivable age limits per
	// channel (docs/CLEARING.md; settleconfig.go).
	Clearing clearingFile `yaml:"clearing"`
	// Wallet mounts the wallet routes (/v1/wallet/…) when enabled (gatewaywallet.go).
	Wallet *walletFile `yaml:"wallet"`

	dir  string // the config file's folder: relative *_file paths are read from there
	path string
}

type merchantFile struct {
	ID            string  `yaml:"id"`
	Name          string  `yaml:"name"`
	HMACSecret    string  `yaml:"hmac_secret"`
	RSAPublicKey  string  `yaml:"rsa_public_key_file"`
	SM2PublicKey  string  `yaml:"sm2_public_key_file"`
	WebhookURL    string  `yaml:"webhook_url"`
	WebhookSecret string  `yaml:"webhook_secret"`
	RatePerSecond float64 `yaml:"rate_per_second"`
	Burst         int     `yaml:"burst"`
	line          int
}

type accountFile struct {
	ID      string `yaml:"id"`
	Channel string `yaml:"channel"` // wechat | alipay
	BaseURL string `yaml:"base_url"`
	// FeeRate is the channel's fee on a payment as a decimal fraction ("0.006" = 0.6%),
	// rounded half up: the simple form of a fee contract.
	FeeRate string `yaml:"fee_rate"`
	// Fees is the full fee contract (tiers, fixed, min/max, rounding; docs/CLEARING.md);
	// instead of fee_rate.
	Fees *clearing.FeeConfig `yaml:"fees"`
	// WeChat Pay v2.
	AppID    string `yaml:"app_id"`
	MchID    string `yaml:"mch_id"`
	Key      string `yaml:"key"`
	SignType string `yaml:"sign_type"`
	CertFile string `yaml:"cert_file"` // apiclient_cert.pem (refunds, reverse)
	KeyFile  string `yaml:"key_file"`  // apiclient_key.pem
	// Alipay.
	AppPrivateKeyFile   string `yaml:"app_private_key_file"`
	AlipayPublicKeyFile string `yaml:"alipay_public_key_file"`
	SellerID            string `yaml:"seller_id"`
	// UnionPay (ACP 5.1.0): merchant number, sign method 01 (PKCS#12) or 21 (SM2), UnionPay's
	// root, middle and encryption certificates.
	MerID            string `yaml:"mer_id"`
	SignMethod       string `yaml:"sign_method"`
	SignCertPFXFile  string `yaml:"sign_cert_pfx_file"`
	SignCertPassword string `yaml:"sign_cert_password"`
	SM2KeyFile       string `yaml:"sm2_key_file"`
	SM2CertFile      string `yaml:"sm2_cert_file"`
	RootCertFile     string `yaml:"root_cert_file"`
	MiddleCertFile   string `yaml:"middle_cert_file"`
	EncryptCertFile  string `yaml:"encrypt_cert_file"`
	TestIdentities   bool   `yaml:"test_identities"`
	// Bank direct-connect: merchant number, the merchant's SM2 key and its registered serial,
	// the bank's signing and encryption keys.
	MerchantID      string `yaml:"merchant_id"`
	CertSerial      string `yaml:"cert_serial"`
	MerchantKeyFile string `yaml:"merchant_key_file"`
	BankSignKeyFile string `yaml:"bank_sign_key_file"`
	BankEncKeyFile  string `yaml:"bank_enc_key_file"`
	line            int
}

type routeFile struct {
	Merchant string `yaml:"merchant"`
	Method   string `yaml:"method"`
	Account  string `yaml:"account"`
	line     int
}

type gatewayOptionFile struct {
	DefaultExpiry string `yaml:"default_expiry"` // Go duration, e.g. 2h
	CallTimeout   string `yaml:"call_timeout"`
	MaxBodyBytes  int64  `yaml:"max_body_bytes"`
	// CardKeys seal the card elements a binding keeps while it waits for its SMS code;
	// without them /v1/bindings answers 501.
	CardKeys *cardKeysFile `yaml:"card_keys"`
}

// cardKeysFile is the card keyring: SM4 keys (32 hex digits each) by id, the active id,
// and the HMAC key of card fingerprints (at least 32 hex digits).
type cardKeysFile struct {
	Active         string            `yaml:"active"`
	Keys           map[string]string `yaml:"keys"`
	FingerprintKey string            `yaml:"fingerprint_key"`
}

func (k *cardKeysFile) keyring() (*card.Keyring, error) {
	cfg := card.KeyringConfig{Active: k.Active, Keys: map[string][]byte{}}
	for id, h := range k.Keys {
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("options.card_keys.keys.%s is not hex", id)
		}
		cfg.Keys[id] = b
	}
	fp, err := hex.DecodeString(k.FingerprintKey)
	if err != nil {
		return nil, errors.New("options.card_keys.fingerprint_key is not hex")
	}
	cfg.FingerprintKey = fp
	kr, err := card.NewKeyring(cfg)
	if err != nil {
		return nil, fmt.Errorf("options.card_keys: %w", err)
	}
	return kr, nil
}

// loadGatewayFile reads and checks path strictly: unknown keys, missing fields and bad
// values are errors naming the file and line.
func loadGatewayFile(path string) (*gatewayFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f gatewayFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// A second pass for line numbers of list items.
	if err := yaml.Unmarshal(data, &root); err == nil && len(root.Content) == 1 {
		lines := func(key string) []int {
			m := root.Content[0]
			for i := 0; i+1 < len(m.Content); i += 2 {
				if m.Content[i].Value == key {
					var out []int
					for _, it := range m.Content[i+1].Content {
						out = append(out, it.Line)
					}
					return out
				}
			}
			return nil
		}
		for i, l := range lines("merchants") {
			if i < len(f.Merchants) {
				f.Merchants[i].line = l
			}
		}
		for i, l := range lines("accounts") {
			if i < len(f.Accounts) {
				f.Accounts[i].line = l
			}
		}
		for i, l := range lines("routes") {
			if i < len(f.RawRoutes) {
				f.RawRoutes[i].line = l
			}
		}
	}
	f.dir, f.path = filepath.Dir(path), path
	var errs []string
	at := func(line int, format string, a ...any) {
		errs = append(errs, fmt.Sprintf("%s:%d: %s", path, line, fmt.Sprintf(format, a...)))
	}
	if f.PublicURL == "" {
		at(1, "public_url is required (where channels send callbacks, e.g. http://127.0.0.1:8090)")
	}
	for _, m := range f.Merchants {
		if m.ID == "" {
			at(m.line, "merchant: id is required")
		}
		if m.HMACSecret == "" && m.RSAPublicKey == "" && m.SM2PublicKey == "" {
			at(m.line, "merchant %s: one of hmac_secret, rsa_public_key_file, sm2_public_key_file is required", m.ID)
		}
		if m.WebhookURL != "" {
			if !strings.HasPrefix(m.WebhookURL, "http://") && !strings.HasPrefix(m.WebhookURL, "https://") {
				at(m.line, "merchant %s: webhook_url %q must be an http(s) URL", m.ID, m.WebhookURL)
			}
			if len(m.WebhookSecret) < 16 {
				at(m.line, "merchant %s: webhook_secret must be at least 16 characters when webhook_url is set", m.ID)
			}
		}
	}
	for _, a := range f.Accounts {
		switch a.Channel {
		case "wechat":
			if a.AppID == "" || a.MchID == "" || a.Key == "" {
				at(a.line, "account %s: wechat needs app_id, mch_id and key", a.ID)
			}
		case "alipay":
			if a.AppID == "" || a.AppPrivateKeyFile == "" || a.AlipayPublicKeyFile == "" {
				at(a.line, "account %s: alipay needs app_id, app_private_key_file and alipay_public_key_file", a.ID)
			}
		case "unionpay":
			if a.MerID == "" || a.RootCertFile == "" || (a.SignCertPFXFile == "" && a.SM2KeyFile == "") {
				at(a.line, "account %s: unionpay needs mer_id, root_cert_file and sign_cert_pfx_file (sign_method 01) or sm2_key_file and sm2_cert_file (21)", a.ID)
			}
		case "bank":
			if a.MerchantID == "" || a.CertSerial == "" || a.MerchantKeyFile == "" || a.BankSignKeyFile == "" || a.BankEncKeyFile == "" {
				at(a.line, "account %s: bank needs merchant_id, cert_serial, merchant_key_file, bank_sign_key_file and bank_enc_key_file", a.ID)
			}
		default:
			at(a.line, "account %s: channel %q is not one of wechat, alipay, unionpay, bank", a.ID, a.Channel)
		}
		if a.FeeRate != "" {
			if _, err := money.ParseRate(a.FeeRate); err != nil {
				at(a.line, "account %s: fee_rate %q: %v", a.ID, a.FeeRate, err)
			}
		}
		if a.Fees != nil {
			if a.FeeRate != "" {
				at(a.line, "account %s: fee_rate and fees both set: fees is the full contract, fee_rate its simple form", a.ID)
			}
			// The refund policy comes from the channel when the adapter is built; any will do
			// to check the rest here.
			if _, err := a.Fees.Contract(a.ID, a.Channel, channel.FeeRefundNone); err != nil {
				at(a.line, "account %s: %v", a.ID, err)
			}
		}
	}
	errs = append(errs, f.Clearing.check(path)...)
	for _, r := range f.RawRoutes {
		m := channel.Method(r.Method)
		if r.Method != "" && !m.Valid() {
			at(r.line, "route: method %q is not one of qr, app, jsapi, h5, web, barcode, token", r.Method)
		}
		if r.Account == "" {
			at(r.line, "route: account is required")
		}
		merchant := r.Merchant
		if merchant == "" {
			merchant = "*"
		}
		f.Routes = append(f.Routes, gateway.Route{Merchant: merchant, Method: m, Account: r.Account})
	}
	for _, d := range []struct{ name, v string }{{"default_expiry", f.Options.DefaultExpiry}, {"call_timeout", f.Options.CallTimeout}} {
		if d.v != "" {
			if _, err := time.ParseDuration(d.v); err != nil {
				at(1, "options.%s %q: %v", d.name, d.v, err)
			}
		}
	}
	if f.Options.CardKeys != nil {
		if _, err := f.Options.CardKeys.keyring(); err != nil {
			at(1, "%v", err)
		}
	}
	f.checkWallet(at)
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	return &f, nil
}

func (f *gatewayFile) read(name string) ([]byte, error) {
	if !filepath.IsAbs(name) {
		name = filepath.Join(f.dir, name)
	}
	return os.ReadFile(name)
}

// build makes the adapters and the gateway config.
func (f *gatewayFile) build(st gateway.Store, clk clock.Clock, log *slog.Logger, hc *http.Client) (gateway.Config, error) {
	cfg := gateway.Config{Store: st, Clock: clk, Logger: log, PublicURL: f.PublicURL, Routes: f.Routes}
	if f.Options.DefaultExpiry != "" {
		cfg.DefaultExpiry, _ = time.ParseDuration(f.Options.DefaultExpiry)
	}
	if f.Options.CallTimeout != "" {
		cfg.CallTimeout, _ = time.ParseDuration(f.Options.CallTimeout)
	}
	cfg.MaxBodyBytes = f.Options.MaxBodyBytes
	if f.Options.CardKeys != nil {
		kr, err := f.Options.CardKeys.keyring()
		if err != nil {
			return cfg, fmt.Errorf("%s: %w", f.path, err)
		}
		cfg.Keyring = kr
	}
	for _, m := range f.Merchants {
		gm := gateway.Merchant{ID: m.ID, Name: m.Name, HMACSecret: m.HMACSecret, RatePerSecond: m.RatePerSecond, Burst: m.Burst}
		if m.RSAPublicKey != "" {
			b, err := f.read(m.RSAPublicKey)
			if err != nil {
				return cfg, fmt.Errorf("%s:%d: merchant %s: %w", f.path, m.line, m.ID, err)
			}
			gm.RSAPublicKeyPEM = string(b)
		}
		if m.SM2PublicKey != "" {
			b, err := f.read(m.SM2PublicKey)
			if err != nil {
				return cfg, fmt.Errorf("%s:%d: merchant %s: %w", f.path, m.line, m.ID, err)
			}
			gm.SM2PublicKeyPEM = string(b)
		}
		cfg.Merchants = append(cfg.Merchants, gm)
	}
	for _, a := range f.Accounts {
		where := fmt.Sprintf("%s:%d: account %s", f.path, a.line, a.ID)
		switch a.Channel {
		case "wechat":
			wc := wechat.Config{AppID: a.AppID, MchID: a.MchID, Key: a.Key, SignType: sign.WeChatSignType(a.SignType),
				BaseURL: a.BaseURL, HTTPClient: hc, Clock: clk, Logger: log}
			if a.CertFile != "" || a.KeyFile != "" {
				certPEM, err := f.read(a.CertFile)
				if err != nil {
					return cfg, fmt.Errorf("%s: cert_file: %w", where, err)
				}
				keyPEM, err := f.read(a.KeyFile)
				if err != nil {
					return cfg, fmt.Errorf("%s: key_file: %w", where, err)
				}
				cert, err := wechat.LoadPEMCertificate(certPEM, keyPEM)
				if err != nil {
					return cfg, fmt.Errorf("%s: %w", where, err)
				}
				wc.Certificate = cert
			} else {
				wc.TLSClient = hc // the simulator serves /secapi over plain HTTP; real WeChat needs cert_file
			}
			ch, err := wechat.New(wc)
			if err != nil {
				return cfg, fmt.Errorf("%s: %w", where, err)
			}
			cfg.Accounts = append(cfg.Accounts, gateway.Account{ID: a.ID, Channel: ch, ChannelMerchantID: a.MchID, AppID: a.AppID})
		case "alipay":
			priv, err := f.read(a.AppPrivateKeyFile)
			if err != nil {
				return cfg, fmt.Errorf("%s: app_private_key_file: %w", where, err)
			}
			pub, err := f.read(a.AlipayPublicKeyFile)
			if err != nil {
				return cfg, fmt.Errorf("%s: alipay_public_key_file: %w", where, err)
			}
			ch, err := alipay.New(alipay.Config{AppID: a.AppID, AppPrivateKey: priv, AlipayPublicKey: pub, BaseURL: a.BaseURL,
				HTTPClient: hc, Clock: clk, Logger: log})
			if err != nil {
				return cfg, fmt.Errorf("%s: %w", where, err)
			}
			cfg.Accounts = append(cfg.Accounts, gateway.Account{ID: a.ID, Channel: ch, ChannelMerchantID: a.SellerID, AppID: a.AppID})
		case "unionpay":
			uc := unionpay.Config{MerID: a.MerID, SignMethod: a.SignMethod, SignCertPassword: a.SignCertPassword,
				TestIdentities: a.TestIdentities, BaseURL: a.BaseURL, HTTPClient: hc, Clock: clk, Logger: log}
			files := []struct {
				name string
				dst  *[]byte
				set  bool
			}{
				{"sign_cert_pfx_file", &uc.SignCertPFX, a.SignCertPFXFile != ""}, {"sm2_key_file", &uc.SM2Key, a.SM2KeyFile != ""},
				{"sm2_cert_file", &uc.SM2Cert, a.SM2CertFile != ""}, {"encrypt_cert_file", &uc.EncryptCert, a.EncryptCertFile != ""},
			}
			paths := map[string]string{"sign_cert_pfx_file": a.SignCertPFXFile, "sm2_key_file": a.SM2KeyFile, "sm2_cert_file": a.SM2CertFile, "encrypt_cert_file": a.EncryptCertFile}
			for _, fl := range files {
				if !fl.set {
					continue
				}
				b, err := f.read(paths[fl.name])
				if err != nil {
					return cfg, fmt.Errorf("%s: %s: %w", where, fl.name, err)
				}
				*fl.dst = b
			}
			// The root and middle certificates serve the sign method in use.
			root, err := f.read(a.RootCertFile)
			if err != nil {
				return cfg, fmt.Errorf("%s: root_cert_file: %w", where, err)
			}
			var middle []byte
			if a.MiddleCertFile != "" {
				if middle, err = f.read(a.MiddleCertFile); err != nil {
					return cfg, fmt.Errorf("%s: middle_cert_file: %w", where, err)
				}
			}
			if a.SignMethod == unionpay.SignSM2 {
				uc.SM2RootCert, uc.SM2MiddleCert = root, middle
			} else {
				uc.RootCert, uc.MiddleCert = root, middle
			}
			ch, err := unionpay.New(uc)
			if err != nil {
				return cfg, fmt.Errorf("%s: %w", where, err)
			}
			cfg.Accounts = append(cfg.Accounts, gateway.Account{ID: a.ID, Channel: ch, ChannelMerchantID: a.MerID})
		case "bank":
			key, err := f.read(a.MerchantKeyFile)
			if err != nil {
				return cfg, fmt.Errorf("%s: merchant_key_file: %w", where, err)
			}
			signKey, err := f.read(a.BankSignKeyFile)
			if err != nil {
				return cfg, fmt.Errorf("%s: bank_sign_key_file: %w", where, err)
			}
			encKey, err := f.read(a.BankEncKeyFile)
			if err != nil {
				return cfg, fmt.Errorf("%s: bank_enc_key_file: %w", where, err)
			}
			ch, err := bank.New(bank.Config{MerchantID: a.MerchantID, CertSerial: a.CertSerial, MerchantKey: key, BankSignKey: signKey,
				BankEncKey: encKey, BaseURL: a.BaseURL, HTTPClient: hc, Clock: clk, Logger: log})
			if err != nil {
				return cfg, fmt.Errorf("%s: %w", where, err)
			}
			cfg.Accounts = append(cfg.Accounts, gateway.Account{ID: a.ID, Channel: ch, ChannelMerchantID: a.MerchantID})
		}
	}
	return cfg, nil
}

// feeRates returns each account's fee rate (accounts without fee_rate are left out).
func (f *gatewayFile) feeRates() map[string]decimal.Decimal {
	out := map[string]decimal.Decimal{}
	for _, a := range f.Accounts {
		if a.FeeRate != "" {
			r, _ := money.ParseRate(a.FeeRate) // checked when the file was loaded
			out[a.ID] = r
		}
	}
	return out
}

// webhooks returns the merchants' webhook endpoints.
func (f *gatewayFile) webhooks() notify.StaticDirectory {
	out := notify.StaticDirectory{}
	for _, m := range f.Merchants {
		out[m.ID] = notify.Endpoint{URL: m.WebhookURL, Secret: m.WebhookSecret}
	}
	return out
}
