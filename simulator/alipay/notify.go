package alipay

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// Notification kinds, the op of callback fault plans.
const (
	KindPayment = "payment"
	KindRefund  = "refund"
	KindClose   = "close"
)

const contentTypeForm = "application/x-www-form-urlencoded; charset=utf-8"

// notice is one notification event, fixed when it happens; notify_time, sign_type and
// sign are added per attempt (§10.5).
type notice struct {
	kind, appID, outTradeNo, url string
	params                       sign.Params // without notify_time, sign_type, sign
	key                          *rsa.PrivateKey
}

// fundBillNotify is fund_bill_list in notifications: camelCase keys, as a JSON string
// (§10.2).
type fundBillNotify struct {
	Amount      string `json:"amount"`
	FundChannel string `json:"fundChannel"`
}

// baseNotice holds the fields every notification of t carries (§10.2). Caller holds
// s.mu.
func (s *Server) baseNotice(t *trade, kind, url string) notice {
	m := s.st.merchants[t.appID]
	key, _ := s.signer(t.certMode)
	notifyID := s.eng.Rand().Hex(32)
	s.st.notifyIDs[notifyID] = true // notify_verify answers true for it
	p := sign.Params{
		{Key: "notify_type", Value: "trade_status_sync"},
		{Key: "notify_id", Value: notifyID}, // one id per event, kept across re-sends (§10.1)
		{Key: "app_id", Value: t.appID},
		{Key: "auth_app_id", Value: t.appID},
		{Key: "charset", Value: "utf-8"},
		{Key: "version", Value: "1.0"},
		{Key: "trade_no", Value: t.tradeNo},
		{Key: "out_trade_no", Value: t.outTradeNo},
		{Key: "buyer_id", Value: t.buyerID},
		{Key: "buyer_logon_id", Value: t.buyerLogon},
		{Key: "trade_status", Value: t.status},
		{Key: "total_amount", Value: yuan(t.total)},
		{Key: "subject", Value: t.subject},
		{Key: "body", Value: t.body},
		{Key: "gmt_create", Value: wireTime(t.created)},
		{Key: "passback_params", Value: t.passback},
	}
	if m != nil {
		p = append(p, sign.Param{Key: "seller_id", Value: m.PID}, sign.Param{Key: "seller_email", Value: m.SellerEmail})
	}
	if !t.paid.IsZero() {
		fb, _ := json.Marshal([]fundBillNotify{{Amount: yuan(t.total), FundChannel: t.fund}})
		p = append(p,
			sign.Param{Key: "gmt_payment", Value: wireTime(t.paid)},
			sign.Param{Key: "receipt_amount", Value: yuan(t.total)},
			sign.Param{Key: "invoice_amount", Value: yuan(t.total)},
			sign.Param{Key: "buyer_pay_amount", Value: yuan(t.total)},
			sign.Param{Key: "point_amount", Value: "0.00"},
			sign.Param{Key: "fund_bill_list", Value: string(fb)},
		)
	}
	return notice{kind: kind, appID: t.appID, outTradeNo: t.outTradeNo, url: url, params: p, key: key}
}

// paymentNotice is TRADE_SUCCESS on payment (§10.3), when the trade has a notify URL.
func (s *Server) paymentNotice(t *trade) []notice {
	if t.notifyURL == "" {
		return nil
	}
	return []notice{s.baseNotice(t, KindPayment, t.notifyURL)}
}

// closeNotice is TRADE_CLOSED with gmt_close for an unpaid trade closed (§10.3).
func (s *Server) closeNotice(t *trade, url string) []notice {
	if url == "" {
		return nil
	}
	n := s.baseNotice(t, KindClose, url)
	n.params = append(n.params, sign.Param{Key: "gmt_close", Value: wireTime(t.closed)})
	return []notice{n}
}

// refundNotice: partial refund → TRADE_SUCCESS, full → TRADE_CLOSED with gmt_close;
// both with the cumulative refund_fee, gmt_refund (with milliseconds) and out_biz_no
// (the refund's out_request_no, or out_trade_no for a full refund sent without one),
// §10.2–§10.3.
func (s *Server) refundNotice(t *trade, rf *refund) []notice {
	if t.notifyURL == "" {
		return nil
	}
	n := s.baseNotice(t, KindRefund, t.notifyURL)
	n.params = append(n.params,
		sign.Param{Key: "refund_fee", Value: yuan(t.refunded)},
		sign.Param{Key: "gmt_refund", Value: wireTimeMillis(rf.at)},
		sign.Param{Key: "out_biz_no", Value: rf.queryNo},
	)
	if t.status == StatusTradeClosed {
		n.params = append(n.params, sign.Param{Key: "gmt_close", Value: wireTime(t.closed)})
	}
	return []notice{n}
}

// build makes one attempt's form body: a fresh notify_time, sign_type sent but not
// signed, empty values never sent (§10.4, §10.5). A forged attempt's signature covers
// other bytes.
func (n notice) build(a simulator.Attempt) []byte {
	p := make(sign.Params, 0, len(n.params)+3)
	for _, kv := range n.params {
		if kv.Value != "" {
			p = append(p, n.tamper(a, kv))
		}
	}
	p = append(p, sign.Param{Key: "notify_time", Value: wireTime(a.Time)}, sign.Param{Key: "sign_type", Value: "RSA2"})
	p.Sort()
	msg := sign.Canonical(p, sign.AlipayNotifyCanonical())
	if a.Forged {
		msg += "&forged=true"
	}
	sig, _ := sign.SignRSA2Base64(n.key, []byte(msg))
	v := make(url.Values, len(p)+1)
	for _, kv := range p {
		v.Set(kv.Key, kv.Value)
	}
	v.Set("sign", sig)
	return []byte(v.Encode())
}

// tamper returns kv as a tampered_callback attempt carries it: the order number, or every
// amount that states what was paid (or refunded), changed; other fields as they are.
func (n notice) tamper(a simulator.Attempt, kv sign.Param) sign.Param {
	switch {
	case a.Tamper == simulator.TamperOrder && kv.Key == "out_trade_no":
		kv.Value = a.TamperedOrder(kv.Value)
	case a.Tamper == simulator.TamperAmount:
		switch kv.Key {
		case "total_amount", "receipt_amount", "invoice_amount", "buyer_pay_amount", "refund_fee":
			if v, err := money.Parse(kv.Value, money.CNY); err == nil {
				kv.Value = yuan(a.TamperedAmount(v))
			}
		case "fund_bill_list":
			var fb []fundBillNotify
			if json.Unmarshal([]byte(kv.Value), &fb) == nil {
				for i := range fb {
					if v, err := money.Parse(fb[i].Amount, money.CNY); err == nil {
						fb[i].Amount = yuan(a.TamperedAmount(v))
					}
				}
				b, _ := json.Marshal(fb)
				kv.Value = string(b)
			}
		}
	}
	return kv
}

// Acked is Alipay's acknowledgement rule (§10.1): HTTP 200 and the body "success"
// (surrounding white space tolerated).
func Acked(status int, body []byte) bool {
	return status == http.StatusOK && string(bytes.TrimSpace(body)) == "success"
}

// flush hands notifications to the engine (outside s.mu).
func (s *Server) flush(ns []notice) {
	for _, n := range ns {
		n := n
		_, err := s.eng.Notify(simulator.Callback{
			Kind: n.kind, Merchant: n.appID, OutTradeNo: n.outTradeNo, URL: n.url, Schedule: s.schedule,
			Build: func(a simulator.Attempt) (simulator.Message, error) {
				return simulator.Message{ContentType: contentTypeForm, Body: n.build(a)}, nil
			},
			Acked: Acked,
		})
		if err != nil {
			s.eng.Logger().Error("alipay notification not scheduled", "kind", n.kind, "out_trade_no", n.outTradeNo, "err", err)
		}
	}
}
