package unionpay

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tongdao/tongdao/core/money"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
)

// Notification kinds, the op of callback fault plans.
const (
	KindPayment  = "payment"  // consume (01), pre-auth completion (03)
	KindRefund   = "refund"   // refund (04)
	KindReversal = "reversal" // consume undo (31), completion undo (33)
	KindPreAuth  = "preauth"  // pre-auth (02), pre-auth undo (32)
	KindToken    = "token"    // front-end token open (79)
)

// notifyTimeout is how long UnionPay waits for the merchant's 200 (unionpay.md §8).
const notifyTimeout = 10 * time.Second

// notice is one back notification, fixed when the transaction completes.
type notice struct {
	kind, merID, orderID, url, method string
	m                                 *Merchant
	params                            sign.Params // without signPubKeyCert and signature
}

// notices returns the back notification of a succeeded t (failed transactions get none,
// unionpay.md §8). Caller holds s.mu.
func (s *Server) notices(t *txn) []notice {
	if t.state != "00" || t.backURL == "" {
		return nil
	}
	kind := map[string]string{
		ttConsume: KindPayment, ttComplete: KindPayment, ttRefund: KindRefund, ttUndo: KindReversal,
		ttCompleteUndo: KindReversal, ttPreAuth: KindPreAuth, ttPreAuthUndo: KindPreAuth, ttOpen: KindToken,
	}[t.txnType]
	p := sign.Params{
		{Key: "version", Value: version5_1}, {Key: "encoding", Value: "UTF-8"}, {Key: "accessType", Value: "0"},
		{Key: "bizType", Value: t.biz}, {Key: "txnType", Value: t.txnType}, {Key: "txnSubType", Value: t.txnSubType},
		{Key: "merId", Value: t.key.merID}, {Key: "orderId", Value: t.key.orderID}, {Key: "txnTime", Value: t.key.txnTime},
		{Key: "respCode", Value: t.state}, {Key: "respMsg", Value: msgOf(t.state)}, {Key: "reqReserved", Value: t.reqReserved},
		{Key: "signMethod", Value: t.signMethod},
	}
	if t.amount > 0 {
		p = append(p, sign.Param{Key: "txnAmt", Value: strconv.FormatInt(t.amount, 10)}, sign.Param{Key: "currencyCode", Value: "156"})
	}
	p = append(p, s.txnFields(t)...)
	return []notice{{kind: kind, merID: t.key.merID, orderID: t.key.orderID, url: t.backURL, method: t.signMethod,
		m: s.st.merchants[t.key.merID], params: p}}
}

// build makes one attempt's form body (URL-encoded, unionpay.md §8), signed as the
// merchant's request was. A forged attempt's signature covers other bytes; a tampered one
// (tampered_callback) is signed correctly over a changed txnAmt or orderId.
func (s *Server) build(n notice, a simulator.Attempt) []byte {
	p := make(sign.Params, 0, len(n.params)+2)
	for _, kv := range n.params {
		if kv.Value == "" {
			continue
		}
		switch {
		case a.Tamper == simulator.TamperAmount && kv.Key == "txnAmt":
			if minor, err := strconv.ParseInt(kv.Value, 10, 64); err == nil {
				kv.Value = strconv.FormatInt(a.TamperedAmount(money.Fen(minor)).Minor(), 10)
			}
		case a.Tamper == simulator.TamperOrder && kv.Key == "orderId":
			kv.Value = a.TamperedOrder(kv.Value)
		}
		p = append(p, kv)
	}
	p = s.sign(p, n.method, n.m, a.Forged)
	v := make(url.Values, len(p))
	for _, kv := range p {
		v.Set(kv.Key, kv.Value)
	}
	return []byte(v.Encode())
}

// Acked is UnionPay's acknowledgement rule (unionpay.md §8): HTTP 200 (or 302) within
// 10 s; the body is ignored.
func Acked(status int, _ []byte) bool { return status == http.StatusOK || status == http.StatusFound }

// flush hands notifications to the engine (outside s.mu).
func (s *Server) flush(ns []notice) {
	for _, n := range ns {
		n := n
		_, err := s.eng.Notify(simulator.Callback{
			Kind: n.kind, Merchant: n.merID, OutTradeNo: n.orderID, URL: n.url, Schedule: s.schedule, Timeout: notifyTimeout,
			Build: func(a simulator.Attempt) (simulator.Message, error) {
				return simulator.Message{ContentType: contentForm, Body: s.build(n, a)}, nil
			},
			Acked: Acked,
		})
		if err != nil {
			s.eng.Logger().Error("unionpay notification not scheduled", "kind", n.kind, "orderId", n.orderID, "err", err)
		}
	}
}
