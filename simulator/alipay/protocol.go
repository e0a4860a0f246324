package alipay

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

// BillPath is where bill_download_url points (§9.11: the real host serves
// /downloadBillFile.resource).
const BillPath = "/downloadBillFile.resource"

// Name returns "alipay".
func (s *Server) Name() string { return Name }

// Register serves GET and POST /gateway.do (§1), the bill file path and the cashier
// pages, and keeps the engine for the clock, randomness, notifications and statements.
func (s *Server) Register(e *simulator.Engine) error {
	s.mu.Lock()
	s.eng = e
	s.mu.Unlock()
	routes := []struct {
		r simulator.Route
		h simulator.Handler
	}{
		{simulator.Route{Method: http.MethodPost, Path: "/gateway.do"}, s.serveGateway},
		{simulator.Route{Method: http.MethodGet, Path: "/gateway.do"}, s.serveGateway},
		{simulator.Route{Method: http.MethodGet, Path: BillPath, Op: "bill.download"}, s.serveBill},
		{simulator.Route{Method: http.MethodGet, Path: CashierPrefix, Prefix: true, Op: "cashier"}, s.serveCashier},
		{simulator.Route{Method: http.MethodPost, Path: CashierPrefix, Prefix: true, Op: "cashier"}, s.serveCashier},
	}
	for _, rt := range routes {
		if err := e.Handle(rt.r, rt.h); err != nil {
			return fmt.Errorf("alipay: register %s %s: %w", rt.r.Method, rt.r.Path, err)
		}
	}
	return nil
}

// Reset forgets every trade, refund, bill URL and app added since start, restores the
// demo and configured apps, and the first Alipay certificate (unless Config.RotatedCert).
func (s *Server) Reset() {
	s.mu.Lock()
	s.st = newStore()
	s.rotated.Store(s.cfg.RotatedCert)
	s.mu.Unlock()
	_ = s.loadMerchants() // validated in New
}

// AddMerchant registers an app from the control API's JSON (a Merchant; "channel" is
// ignored) and returns its app_id. Errors wrap simulator.ErrInvalid.
func (s *Server) AddMerchant(raw json.RawMessage) (string, error) {
	m, err := parseMerchant(raw)
	if err != nil {
		return "", fmt.Errorf("%v: %w", err, simulator.ErrInvalid)
	}
	if err := s.addMerchant(m); err != nil {
		return "", fmt.Errorf("%v: %w", err, simulator.ErrInvalid)
	}
	return m.AppID, nil
}

// merchantView is what GET /_sim/merchants shows of an app (test keys only).
type merchantView struct {
	Merchant
	AppCertSN string `json:"app_cert_sn,omitempty"`
}

// Merchants lists the apps in registration order with their app certificate SN.
func (s *Server) Merchants() []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]any, 0, len(s.st.merchantIDs))
	for _, id := range s.st.merchantIDs {
		m := s.st.merchants[id]
		out = append(out, merchantView{Merchant: *m, AppCertSN: m.certSN})
	}
	return out
}

// CallOps implements simulator.Operations: the gateway methods (§9) and the cashier's
// own operations, the op names of call fault plans.
func (s *Server) CallOps() []string {
	ops := []string{"alipay.trade.create", "bill.download", "cashier", "cashier.pay", "cashier.cancel"}
	for m := range apiHandlers {
		ops = append(ops, m)
	}
	return append(ops, methodPagePay, methodWapPay, methodAppPay)
}

// CallbackKinds implements simulator.Operations.
func (s *Server) CallbackKinds() []string { return []string{KindPayment, KindRefund, KindClose} }
