package wechat

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/tongdao/tongdao/simulator"
)

// Name is the channel name of this protocol in the simulator: "wechat".
const Name = "wechat"

// Interface checks: the server plugs into the engine with payer actions and statements.
var (
	_ simulator.Protocol          = (*Server)(nil)
	_ simulator.Payer             = (*Server)(nil)
	_ simulator.StatementSource   = (*Server)(nil)
	_ simulator.StatementRenderer = (*Server)(nil)
)

// Name returns "wechat".
func (s *Server) Name() string { return Name }

// Register adds every route at its real path (§1) — POST for the calls and GET too, so
// that a GET gets WeChat's own "use POST" answer instead of a bare 405 — and takes the
// engine's clock, random source and notifier.
func (s *Server) Register(e *simulator.Engine) error {
	s.mu.Lock()
	s.eng = e
	s.mu.Unlock()
	s.bind(e.Clock(), e.Rand().Uint64, func(o outbound) { s.notify(e, o) })
	s.mu.Lock()
	s.ids.rnd = e.Rand() // the same values as Uint64 calls, one lock per id
	s.mu.Unlock()
	for _, p := range Paths() {
		rt, _, _ := lookupRoute(p)
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			r := simulator.Route{Method: method, Path: p, Op: rt.op, ClientCert: rt.cert}
			if err := e.Handle(r, s.serveCall); err != nil {
				return fmt.Errorf("wechat: register %s %s: %w", method, p, err)
			}
		}
	}
	return nil
}

// serveCall is the engine handler of every route.
func (s *Server) serveCall(c *simulator.Call) *simulator.Reply {
	r := s.handle(c.Context(), engineCall{c}, c.Request.Method, c.Request.URL.Path, c.Body)
	if r.status == 0 {
		return nil // a fault plan stopped the call in Identify
	}
	return &simulator.Reply{Status: r.status, ContentType: r.contentType, Body: r.body}
}

// notify hands one notification to the engine's notifier with WeChat's ack rule (§8).
func (s *Server) notify(e *simulator.Engine, o outbound) {
	body, forged, tampered := o.body, o.forged, o.tampered
	_, err := e.Notify(simulator.Callback{
		Kind: o.kind, Merchant: o.mchID, OutTradeNo: o.orderNo, URL: o.url,
		Schedule: o.schedule,
		Build: func(a simulator.Attempt) (simulator.Message, error) {
			b := body
			switch {
			case a.Forged:
				b = forged
			case a.Tamper != "" && tampered != nil:
				b = tampered(a)
			}
			return simulator.Message{ContentType: contentTypeXML, Body: b}, nil
		},
		Acked: Acked,
	})
	if err != nil {
		e.Logger().Error("wechat notification not scheduled", "kind", o.kind, "out_trade_no", o.orderNo, "err", err)
	}
}

// engineCall adapts the engine's Call to the server's call interface.
type engineCall struct{ c *simulator.Call }

func (ec engineCall) identify(op, mchID, orderNo string) bool {
	return ec.c.Identify(op, mchID, orderNo)
}

func (ec engineCall) businessFault() (businessFault, bool) {
	bf, ok := ec.c.BusinessFault()
	if !ok {
		return businessFault{}, false
	}
	return businessFault{code: bf.Code, message: bf.Message, process: bf.Process}, true
}

func (ec engineCall) corruptSignature() bool { return ec.c.CorruptSignature() }

func (ec engineCall) bodyTooLarge() bool { return ec.c.BodyTooLarge() }

func (ec engineCall) negativeTest() string {
	if !strings.HasPrefix(ec.c.Request.URL.Path, newSandboxPrefix) {
		return ""
	}
	return ec.c.Request.Header.Get("Wechatpay-Negative-Test")
}

// Reset forgets every order, refund, sandbox key and merchant added since start, and
// restores the demo and configured merchants.
func (s *Server) Reset() {
	s.mu.Lock()
	s.st = newStore()
	s.mu.Unlock()
	if !s.cfg.NoDemoMerchant {
		_ = s.addMerchant(DemoMerchant()) // validated in New
	}
	for _, m := range s.cfg.Merchants {
		_ = s.addMerchant(m) // validated in New
	}
}

// AddMerchant registers a merchant from the control API's JSON (a Merchant; the
// "channel" member is ignored) and returns its mch_id. Errors wrap simulator.ErrInvalid.
func (s *Server) AddMerchant(raw json.RawMessage) (string, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return "", fmt.Errorf("wechat merchant: %v: %w", err, simulator.ErrInvalid)
	}
	delete(probe, "channel")
	clean, _ := json.Marshal(probe)
	m, err := ParseMerchant(clean)
	if err != nil {
		return "", fmt.Errorf("%v: %w", err, simulator.ErrInvalid)
	}
	if err := s.addMerchant(m); err != nil {
		return "", fmt.Errorf("%v: %w", err, simulator.ErrInvalid)
	}
	return m.MchID, nil
}

// Merchants lists the merchants in registration order. API keys are shown: they are
// simulator test keys.
func (s *Server) Merchants() []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]any, 0, len(s.st.merchantIDs))
	for _, id := range s.st.merchantIDs {
		m := *s.st.merchants[id]
		if m.FeeRate == "" {
			m.FeeRate = formatPercentPPM(m.feePPM)
		}
		out = append(out, m)
	}
	return out
}

// CallOps implements simulator.Operations: every route carries its op (§6, §9), so there
// is nothing to add.
func (s *Server) CallOps() []string { return nil }

// CallbackKinds implements simulator.Operations.
func (s *Server) CallbackKinds() []string { return []string{KindPayment, KindRefund} }
