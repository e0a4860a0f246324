package bank

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/tongdao/tongdao/simulator"
)

// SMS is what GET /_sim/bank/sms shows of a binding application: the code "sent" to the
// reserved mobile, for tests and QA to type in.
type SMS struct {
	Merchant  string    `json:"merchant"`
	BindNo    string    `json:"bind_no"`
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expires_at"`
	Sends     int       `json:"sends"`
	Status    string    `json:"status"` // APPLIED, BOUND or VOID
}

// Control serves the bank's own control endpoints under /_sim/bank/:
//
//	GET  /_sim/bank/sms?merchant=M&bind_no=B   the current SMS code of an application
//	GET  /_sim/bank/cards                      issuer records (number, ID, mobile masked)
//	POST /_sim/bank/cards                      add or replace an issuer record (a Card)
//	POST /_sim/bank/payouts/return             {"merchant":"M","payout_no":"P"}: bounce a
//	                                           SUCCESS payout now (RETURNED, notified)
func (s *Server) Control(ctx context.Context, method, path string, q url.Values, body []byte) (any, error) {
	switch {
	case method == http.MethodGet && path == "sms":
		return s.sms(q.Get("merchant"), q.Get("bind_no"))
	case method == http.MethodGet && path == "cards":
		s.mu.Lock()
		defer s.mu.Unlock()
		out := make([]cardView, 0, len(s.st.cardOrder))
		for _, n := range s.st.cardOrder {
			out = append(out, s.st.cards[n].view())
		}
		return out, nil
	case method == http.MethodPost && path == "cards":
		var c Card
		if err := strictJSON(body, &c); err != nil {
			return nil, fmt.Errorf("bank card: %v: %w", err, simulator.ErrInvalid)
		}
		if err := s.addCard(c); err != nil {
			return nil, fmt.Errorf("%v: %w", err, simulator.ErrInvalid)
		}
		_ = c.validate()
		return c.view(), nil
	case method == http.MethodPost && path == "payouts/return":
		var a struct {
			Merchant string `json:"merchant"`
			PayoutNo string `json:"payout_no"`
		}
		if err := strictJSON(body, &a); err != nil {
			return nil, fmt.Errorf("bank payout return: %v: %w", err, simulator.ErrInvalid)
		}
		if a.Merchant == "" {
			a.Merchant = DemoMerchantID
		}
		if err := s.returnPayout(a.Merchant, a.PayoutNo); err != nil {
			return nil, err
		}
		return map[string]string{"merchant": a.Merchant, "payout_no": a.PayoutNo, "status": StatusReturned}, nil
	}
	return nil, fmt.Errorf("bank: no control endpoint %s /_sim/bank/%s (sms, cards, payouts/return): %w", method, path, simulator.ErrNotFound)
}

func (s *Server) sms(merchant, bindNo string) (SMS, error) {
	if merchant == "" {
		merchant = DemoMerchantID
	}
	if bindNo == "" {
		return SMS{}, fmt.Errorf("bank sms: query parameter bind_no is required: %w", simulator.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.st.merchants[merchant]
	if m == nil || m.apps[bindNo] == nil {
		return SMS{}, errNotFound("application " + bindNo + " of merchant " + merchant)
	}
	a := m.apps[bindNo]
	st := a.status
	if st == bindApplied && !s.eng.Now().Before(a.expires) {
		st = bindVoid
	}
	return SMS{Merchant: merchant, BindNo: bindNo, Code: a.code, ExpiresAt: a.codeExpires.In(beijing()), Sends: a.sends, Status: st}, nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
