package alipay

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator/demo"
)

// Demo app identity (test values chosen for the simulator; the app certificate in
// simulator/demo is issued to CN=2021000000000001).
const (
	DemoAppID       = "2021000000000001" // 16-digit app_id (§3)
	DemoPID         = "2088102000000001" // the merchant's partner id (seller_id, bill account)
	DemoSellerEmail = "demo-seller@tongdao.test"
)

// Merchant is one app registered with the simulated Alipay, as posted to POST
// /_sim/merchants (with "channel":"alipay"). An app answers in key mode to requests
// without app_cert_sn and in certificate mode to requests with one (when AppCert is set).
type Merchant struct {
	AppID       string `json:"app_id"`
	PID         string `json:"pid"`
	SellerEmail string `json:"seller_email,omitempty"`
	// AppPublicKey is the app's RSA public key (PEM, or bare base64 SPKI as Alipay's key
	// tool writes it) for key mode.
	AppPublicKey string `json:"app_public_key,omitempty"`
	// AppCert is the app certificate (PEM) for certificate mode; its SN is the
	// app_cert_sn requests must carry (§5).
	AppCert string `json:"app_cert,omitempty"`
	// NotifyURL is the app's default notification URL, used when a request carries no
	// notify_url ("" = no notification then).
	NotifyURL string `json:"notify_url,omitempty"`
	// FeeRate is the service fee rate of the bill's 服务费 column ("0.6%" default; any
	// form money.ParseRate reads); rounded half up to fen.
	FeeRate string `json:"fee_rate,omitempty"`

	pub    *rsa.PublicKey
	cert   *rsa.PublicKey
	certSN string
	fee    func(money.Amount) money.Amount
}

// DemoMerchant returns the demo app: DemoAppID, the app key pair and app certificate of
// simulator/demo, a 0.6% fee.
func DemoMerchant() Merchant {
	return Merchant{
		AppID: DemoAppID, PID: DemoPID, SellerEmail: DemoSellerEmail,
		AppPublicKey: string(demo.MustFile(demo.AlipayAppPublic)),
		AppCert:      string(demo.MustFile(demo.AlipayAppCert)),
	}
}

// prepare validates m and parses its keys.
func (m *Merchant) prepare() error {
	switch {
	case len(m.AppID) != 16 || !allDigits(m.AppID):
		return fmt.Errorf("alipay merchant: field app_id %q: want 16 digits", m.AppID)
	case len(m.PID) != 16 || !strings.HasPrefix(m.PID, "2088") || !allDigits(m.PID):
		return fmt.Errorf("alipay merchant: field pid %q: want 16 digits starting 2088", m.PID)
	case m.AppPublicKey == "" && m.AppCert == "":
		return errors.New("alipay merchant: field app_public_key: required (or app_cert)")
	case m.NotifyURL != "" && !validNotifyURL(m.NotifyURL):
		return fmt.Errorf("alipay merchant: field notify_url %q: want an absolute http(s) URL", m.NotifyURL)
	}
	if m.AppPublicKey != "" {
		pub, err := sign.ParseRSAPublicKey([]byte(m.AppPublicKey))
		if err != nil {
			return fmt.Errorf("alipay merchant: field app_public_key: %w", err)
		}
		m.pub = pub
	}
	if m.AppCert != "" {
		c, err := sign.ParseCertificate([]byte(m.AppCert))
		if err != nil {
			return fmt.Errorf("alipay merchant: field app_cert: %w", err)
		}
		pub, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok {
			return errors.New("alipay merchant: field app_cert: not an RSA certificate")
		}
		sn, err := sign.AlipayCertSN(c)
		if err != nil {
			return fmt.Errorf("alipay merchant: field app_cert: %w", err)
		}
		m.cert, m.certSN = pub, sn
	}
	rate := m.FeeRate
	if rate == "" {
		rate = "0.6%"
	}
	r, err := money.ParseRate(rate)
	if err != nil {
		return fmt.Errorf("alipay merchant: field fee_rate: %w", err)
	}
	m.fee = func(a money.Amount) money.Amount {
		f, err := a.MulRate(r, money.HalfUp)
		if err != nil {
			return money.Fen(0)
		}
		return f
	}
	return nil
}

// parseMerchant reads a control-API document (the "channel" member ignored).
func parseMerchant(raw []byte) (Merchant, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return Merchant{}, fmt.Errorf("alipay merchant: %w", err)
	}
	delete(probe, "channel")
	clean, _ := json.Marshal(probe)
	dec := json.NewDecoder(strings.NewReader(string(clean)))
	dec.DisallowUnknownFields()
	var m Merchant
	if err := dec.Decode(&m); err != nil {
		return Merchant{}, fmt.Errorf("alipay merchant: %w", err)
	}
	return m, nil
}

func (s *Server) addMerchant(m Merchant) error {
	if err := m.prepare(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.st.merchants[m.AppID]; !dup {
		s.st.merchantIDs = append(s.st.merchantIDs, m.AppID)
	}
	s.st.merchants[m.AppID] = &m
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
