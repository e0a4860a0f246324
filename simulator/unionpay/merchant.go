package unionpay

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

// DemoMerID is the demo merchant's merId (a test merchant number from UnionPay's own
// demos; its certificates in simulator/demo are the simulator's, not UnionPay's).
const DemoMerID = "777290058110048"

// DemoSecureKey is the demo merchant's secure key for signMethod 11/12 (the value of
// UnionPay's demos, unionpay.md §5.3).
const DemoSecureKey = "88888888"

// Merchant is one merchant registered with the simulated UnionPay, as posted to POST
// /_sim/merchants (with "channel":"unionpay").
type Merchant struct {
	// MerID is the 15-character merId.
	MerID string `json:"mer_id"`
	// SignCert is the merchant's RSA signing certificate (PEM) for signMethod 01; requests
	// carry its serial number in decimal as certId.
	SignCert string `json:"sign_cert,omitempty"`
	// SM2SignCert is the merchant's SM2 signing certificate (PEM) for signMethod 21.
	SM2SignCert string `json:"sm2_sign_cert,omitempty"`
	// SecureKey enables signMethod 11 (SHA-256) and 12 (SM3) with this shared secret.
	SecureKey string `json:"secure_key,omitempty"`
	// PlainAccNo lets the merchant send accNo and customerInfo unencrypted (a merchant
	// without the "encrypt sensitive information" permission, unionpay.md §6). By default
	// they must be encrypted with UnionPay's encryption certificate (encryptCertId).
	PlainAccNo bool `json:"plain_acc_no,omitempty"`
	// ConsumeSMS requires the cardholder's SMS code (customerInfo smsCode, sent by a
	// consume SMS 77/02) on token consumes.
	ConsumeSMS bool `json:"consume_sms,omitempty"`
	// OpenSMS requires the SMS code on back-end token opens (default off, as UnionPay
	// configures most merchants, unionpay.md §4.2).
	OpenSMS bool `json:"open_sms,omitempty"`
	// FeeRate is the merchant discount rate of the reconciliation file ("0.6%" default;
	// any form money.ParseRate reads), rounded half up to fen.
	FeeRate string `json:"fee_rate,omitempty"`

	rsaPub    *rsa.PublicKey
	rsaCertID string
	sm2Pub    *sign.SM2PublicKey
	sm2CertID string
	fee       func(money.Amount) money.Amount
}

// DemoMerchant returns the demo merchant: DemoMerID with the RSA and SM2 signing
// certificates of simulator/demo (certIds 69629715588 and 73002000003), secure key
// DemoSecureKey, encryption required, SMS required on token consume, a 0.6% fee.
func DemoMerchant() Merchant {
	return Merchant{
		MerID: DemoMerID, SignCert: string(demo.MustFile(demo.UnionPayMerchantCert)),
		SM2SignCert: string(demo.MustFile(demo.UnionPaySM2MerchantCert)), SecureKey: DemoSecureKey,
		ConsumeSMS: true,
	}
}

func (m *Merchant) prepare() error {
	switch {
	case len(m.MerID) != 15 || !alnum(m.MerID):
		return fmt.Errorf("unionpay merchant: field mer_id %q: want 15 letters or digits", m.MerID)
	case m.SignCert == "" && m.SM2SignCert == "" && m.SecureKey == "":
		return errors.New("unionpay merchant: field sign_cert: required (or sm2_sign_cert, secure_key)")
	}
	if m.SignCert != "" {
		c, err := sign.ParseCertificate([]byte(m.SignCert))
		if err != nil {
			return fmt.Errorf("unionpay merchant: field sign_cert: %w", err)
		}
		pub, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok {
			return errors.New("unionpay merchant: field sign_cert: not an RSA certificate")
		}
		m.rsaPub, m.rsaCertID = pub, sign.CertID(c)
	}
	if m.SM2SignCert != "" {
		c, err := sign.ParseSM2Certificate([]byte(m.SM2SignCert))
		if err != nil {
			return fmt.Errorf("unionpay merchant: field sm2_sign_cert: %w", err)
		}
		m.sm2Pub, m.sm2CertID = c.PublicKey, c.CertID()
	}
	rate := m.FeeRate
	if rate == "" {
		rate = "0.6%"
	}
	r, err := money.ParseRate(rate)
	if err != nil {
		return fmt.Errorf("unionpay merchant: field fee_rate: %w", err)
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

// parseMerchant reads a control-API document (the "channel" member ignored; unknown
// members are an error naming them).
func parseMerchant(raw []byte) (Merchant, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return Merchant{}, fmt.Errorf("unionpay merchant: %w", err)
	}
	delete(probe, "channel")
	clean, _ := json.Marshal(probe)
	dec := json.NewDecoder(strings.NewReader(string(clean)))
	dec.DisallowUnknownFields()
	var m Merchant
	if err := dec.Decode(&m); err != nil {
		return Merchant{}, fmt.Errorf("unionpay merchant: %w", err)
	}
	return m, nil
}

func (s *Server) addMerchant(m Merchant) error {
	if err := m.prepare(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.st.merchants[m.MerID]; !dup {
		s.st.merchantIDs = append(s.st.merchantIDs, m.MerID)
	}
	s.st.merchants[m.MerID] = &m
	return nil
}

func alnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func digits(s string) bool {
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
