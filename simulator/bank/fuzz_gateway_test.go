package bank_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/tongdao/tongdao/simulator/bank"
)

// FuzzGateway posts arbitrary bodies to /bdc/gateway: the answer is always a 400 for a
// body that is not one JSON object, otherwise a bank-signed envelope (never a crash, a
// 500 or an unsigned answer).
func FuzzGateway(f *testing.F) {
	e := newEnv(f, bank.Config{})
	good, _ := json.Marshal(e.c.envelope(bank.TxBalanceQuery, "F1", map[string]string{}))
	bind, _ := json.Marshal(e.c.envelope(bank.TxBindApply, "F2", bindData("B1", "U1", g1Card)))
	f.Add(good)
	f.Add(bind)
	f.Add([]byte(`{"version":"1.0","data":"{\"cardNo\":\"AAAA\"}","encKey":"AAAA"}`))
	f.Add([]byte(`{"":""}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := *e.c // the client reports through t, not f
		c.t = t
		a := c.post(body, "application/json")
		switch a.status {
		case http.StatusBadRequest:
			return
		case http.StatusOK:
			if err := c.verify(a.f); err != nil {
				t.Fatalf("answer not signed by the bank: %v\n%s", err, a.raw)
			}
			if len(a.f["respCode"]) != 4 {
				t.Fatalf("respCode %q", a.f["respCode"])
			}
		default:
			t.Fatalf("status %d for %q", a.status, body)
		}
	})
}
