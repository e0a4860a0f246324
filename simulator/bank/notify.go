package bank

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/tongdao/tongdao/core/money"

	"github.com/tongdao/tongdao/simulator"
)

// notice is one notification event (§10), fixed when it happens; respTime and the
// signature are made per attempt.
type notice struct {
	kind, merchant, no, url, notifyID string
	data                              []byte
	prof                              profile
}

// txnNotice is the notification of t's current final state. Caller holds s.mu.
func (s *Server) txnNotice(m *mstate, t *txn, kind string) notice {
	return notice{kind: kind, merchant: m.cfg.MerchantID, no: t.no, url: t.notifyURL,
		notifyID: t.notifyID + t.status[:1], data: encodeJSON(txnData(t)), prof: m.cfg.prof}
}

// Acked is the bank's acknowledgement rule (§10): HTTP 200 and a body whose trimmed text
// is OK.
func Acked(status int, body []byte) bool {
	return status == http.StatusOK && string(bytes.TrimSpace(body)) == "OK"
}

// flush hands notifications to the engine (outside s.mu). Events without a notifyUrl
// are not sent (§10).
func (s *Server) flush(ns []notice) {
	for _, n := range ns {
		if n.url == "" {
			continue
		}
		n := n
		_, err := s.eng.Notify(simulator.Callback{
			Kind: n.kind, Merchant: n.merchant, OutTradeNo: n.no, URL: n.url, Schedule: s.schedule,
			Timeout: notifyTimeout,
			Build: func(a simulator.Attempt) (simulator.Message, error) {
				return simulator.Message{ContentType: "application/json; charset=utf-8", Body: s.buildNotice(n, a)}, nil
			},
			Acked: Acked,
		})
		if err != nil {
			s.eng.Logger().Error("bank notification not scheduled", "kind", n.kind, "no", n.no, "err", err)
		}
	}
}

// buildNotice envelopes one attempt (§10): reqSerial = the stable notifyId, respTime =
// the attempt's time, signed by the bank — or by a wrong key when forged. A tampered attempt
// (tampered_callback) is signed correctly over data whose amount or business number was
// changed.
func (s *Server) buildNotice(n notice, a simulator.Attempt) []byte {
	data := n.data
	if a.Tamper != "" {
		data = tamperData(n.data, a)
	}
	f := map[string]string{
		"version": "1.0", "merchantId": n.merchant, "txCode": n.kind, "reqSerial": n.notifyID,
		"respTime": a.Time.In(beijing()).Format(n.prof.timeFmt), "respCode": codeOK, "respMsg": "success",
		"signType": "SM2", "certSerial": BankCertSerial, "data": string(data),
	}
	key := s.signKey
	if a.Forged {
		key = s.forgeKey
	}
	f["sign"] = s.signFields(f, n.prof, false, key)
	return encodeJSON(f)
}

// tamperData changes a notification's data as a tampered attempt asks: the amount (fen
// string) or the business number (orderNo, refundNo or payoutNo, whichever the event has).
func tamperData(data []byte, a simulator.Attempt) []byte {
	var d map[string]any
	if err := json.Unmarshal(data, &d); err != nil {
		return data
	}
	switch a.Tamper {
	case simulator.TamperAmount:
		if v, ok := d["amount"].(string); ok {
			if minor, err := strconv.ParseInt(v, 10, 64); err == nil {
				d["amount"] = fen(a.TamperedAmount(money.Fen(minor)).Minor())
			}
		}
	case simulator.TamperOrder:
		for _, k := range []string{"refundNo", "payoutNo", "orderNo"} {
			if v, ok := d[k].(string); ok {
				d[k] = a.TamperedOrder(v)
				break
			}
		}
	}
	return encodeJSON(d)
}
