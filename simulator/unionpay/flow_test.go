package unionpay_test

import (
	"strings"
	"testing"

	"github.com/tongdao/tongdao/simulator/unionpay"
)

const trID = "62000000001"

func TestTokenConsume_EverySignMethod(t *testing.T) {
	for _, method := range []string{"01", "21", "11", "12"} {
		t.Run(method, func(t *testing.T) {
			e := newEnv(t, unionpay.Config{}, method)
			token := e.openToken(t, trID)
			m, orderID, txnTime := e.consume(t, trID, token, "1000")
			want(t, m, "respCode", "00", "signMethod", method)
			if len(m["queryId"]) != 21 {
				t.Errorf("queryId %q: want 21 characters", m["queryId"])
			}
			if method == "01" || method == "21" {
				if !strings.HasPrefix(m["signPubKeyCert"], "-----BEGIN CERTIFICATE-----") {
					t.Errorf("signPubKeyCert missing: %q", m["signPubKeyCert"])
				}
			}
			q := e.query(orderID, txnTime)
			want(t, q, "respCode", "00", "origRespCode", "00", "queryId", m["queryId"], "txnAmt", "1000", "settleDate", "0603")
			e.deliver(0)
			ns := e.sink.all()
			if len(ns) != 1 {
				t.Fatalf("%d notifications, want 1", len(ns))
			}
			if err := e.verifyNotify(ns[0]); err != nil {
				t.Errorf("notification does not verify: %v", err)
			}
			n := ns[0]
			if n.Get("orderId") != orderID || n.Get("respCode") != "00" || n.Get("txnAmt") != "1000" || n.Get("accNo") != "622155******0000" {
				t.Errorf("notification fields: %v", n)
			}
		})
	}
}
