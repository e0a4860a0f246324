package unionpay

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/tongdao/tongdao/simulator"
)

// Interface checks: the server plugs into the engine with payer actions and statements.
var (
	_ simulator.Protocol          = (*Server)(nil)
	_ simulator.Payer             = (*Server)(nil)
	_ simulator.StatementSource   = (*Server)(nil)
	_ simulator.StatementRenderer = (*Server)(nil)
)

// Name returns "unionpay".
func (s *Server) Name() string { return Name }

// Register serves the gateway paths, the file host and the cashier pages (unionpay.md §1).
func (s *Server) Register(e *simulator.Engine) error {
	s.mu.Lock()
	s.eng = e
	s.mu.Unlock()
	routes := []struct {
		r simulator.Route
		h simulator.Handler
	}{
		{simulator.Route{Path: PathFront}, s.handler(epFront)},
		{simulator.Route{Path: PathBack}, s.handler(epBack)},
		{simulator.Route{Path: PathApp}, s.handler(epApp)},
		{simulator.Route{Path: PathQuery}, s.handler(epQuery)},
		{simulator.Route{Path: PathCard}, s.handler(epCard)},
		{simulator.Route{Path: PathBatch}, s.handler(epCard)},
		{simulator.Route{Path: "/", Host: FileHostPfx, Op: "file"}, s.handler(epFile)},
		{simulator.Route{Path: PathFile, Op: "file"}, s.handler(epFile)},
		{simulator.Route{Method: http.MethodGet, Path: CashierPrefix, Prefix: true, Op: "cashier"}, s.serveCashier},
		{simulator.Route{Method: http.MethodPost, Path: CashierPrefix, Prefix: true, Op: "cashier"}, s.serveCashier},
	}
	for _, rt := range routes {
		if err := e.Handle(rt.r, rt.h); err != nil {
			return fmt.Errorf("unionpay: register %s %s: %w", rt.r.Method, rt.r.Path, err)
		}
	}
	return nil
}

// Reset forgets every transaction, token, SMS code, card balance and merchant added since
// start, restores the demo and configured merchants and the first signing certificate
// (unless Config.RotatedCert).
func (s *Server) Reset() {
	s.mu.Lock()
	s.st = newStore()
	s.rotated.Store(s.cfg.RotatedCert)
	s.mu.Unlock()
	_ = s.loadMerchants() // validated in New
}

// AddMerchant registers a merchant from the control API's JSON (a Merchant; "channel" is
// ignored) and returns its merId. Errors wrap simulator.ErrInvalid.
func (s *Server) AddMerchant(raw json.RawMessage) (string, error) {
	m, err := parseMerchant(raw)
	if err != nil {
		return "", fmt.Errorf("%v: %w", err, simulator.ErrInvalid)
	}
	if err := s.addMerchant(m); err != nil {
		return "", fmt.Errorf("%v: %w", err, simulator.ErrInvalid)
	}
	return m.MerID, nil
}

// merchantView is what GET /_sim/merchants shows of a merchant (test material only; the
// secure key of the demo merchant is public).
type merchantView struct {
	MerID         string   `json:"mer_id"`
	CertID        string   `json:"cert_id,omitempty"`
	SM2CertID     string   `json:"sm2_cert_id,omitempty"`
	SecureKey     string   `json:"secure_key,omitempty"`
	SignMethods   []string `json:"sign_methods"`
	PlainAccNo    bool     `json:"plain_acc_no"`
	ConsumeSMS    bool     `json:"consume_sms"`
	OpenSMS       bool     `json:"open_sms"`
	FeeRate       string   `json:"fee_rate"`
	EncryptCertID string   `json:"encrypt_cert_id"`
	SM2EncCertID  string   `json:"sm2_encrypt_cert_id"`
	SignCertID    string   `json:"unionpay_sign_cert_id"`
	SM2SignCertID string   `json:"unionpay_sm2_sign_cert_id"`
}

// Merchants lists the merchants in registration order.
func (s *Server) Merchants() []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := 0
	if s.rotated.Load() {
		i = 1
	}
	out := make([]any, 0, len(s.st.merchantIDs))
	for _, id := range s.st.merchantIDs {
		m := s.st.merchants[id]
		v := merchantView{MerID: m.MerID, CertID: m.rsaCertID, SM2CertID: m.sm2CertID, SecureKey: m.SecureKey,
			PlainAccNo: m.PlainAccNo, ConsumeSMS: m.ConsumeSMS, OpenSMS: m.OpenSMS, FeeRate: m.FeeRate,
			EncryptCertID: s.keys.rsaEncID, SM2EncCertID: s.keys.sm2EncID,
			SignCertID: s.keys.rsa[i].certID, SM2SignCertID: s.keys.sm2[i].certID, SignMethods: []string{}}
		if v.FeeRate == "" {
			v.FeeRate = "0.6%"
		}
		if m.rsaPub != nil {
			v.SignMethods = append(v.SignMethods, "01")
		}
		if m.SecureKey != "" {
			v.SignMethods = append(v.SignMethods, "11", "12")
		}
		if m.sm2Pub != nil {
			v.SignMethods = append(v.SignMethods, "21")
		}
		out = append(out, v)
	}
	return out
}
