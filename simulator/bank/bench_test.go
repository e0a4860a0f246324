package bank_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator/bank"
	"github.com/tongdao/tongdao/simulator/demo"
)

// BenchmarkGatewayBindApply is one BIND_APPLY through the in-process simulator (HTTP
// handler, fault matching, recording, SM2 verify, envelope open, element checks, SM2
// signed answer); BenchmarkBareBindApply is only the cryptography the bank needs for it.
// Requests are built with the timer stopped. Figures in docs/benchmarks/bank.md.
func BenchmarkGatewayBindApply(b *testing.B) {
	e := newEnv(b, bank.Config{})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		body, _ := json.Marshal(e.c.envelope(bank.TxBindApply, fmt.Sprintf("S%d", i), bindData(fmt.Sprintf("B%d", i), fmt.Sprintf("U%d", i), g1Card)))
		b.StartTimer()
		a := e.c.post(body, "application/json")
		if a.status != http.StatusOK || a.f["respCode"] != "0000" {
			b.Fatalf("%d %s", a.status, a.raw)
		}
	}
}

func BenchmarkBareBindApply(b *testing.B) {
	e := newEnv(b, bank.Config{})
	bankEnc := mustPriv(b, demo.MustFile(demo.BankEncPrivate))
	bankSign := mustPriv(b, demo.MustFile(demo.BankSignPrivate))
	f := e.c.envelope(bank.TxBindApply, "S1", bindData("B1", "U1", g1Card))
	msg := canonicalOf(f)
	sig, _ := sign.DecodeText(f["sign"], sign.TextBase64)
	var data map[string]string
	_ = json.Unmarshal([]byte(f["data"]), &data)
	answer := []byte(`certSerial=90000000001&data={"bankCode":"BDC","bindNo":"B1","cardType":"DC","smsExpireSeconds":"300","smsSent":"Y"}&merchantId=M0000001&reqSerial=S1&respCode=0000&respMsg=success&respTime=20240603100000&signType=SM2&txCode=BIND_APPLY&version=1.0`)
	b.ReportAllocs()
	for b.Loop() {
		if err := sign.VerifySM2(e.c.key.Public(), msg, sig, sign.SM2SignOptions{}); err != nil {
			b.Fatal(err)
		}
		ev, err := sign.OpenEnvelope(bankEnc, f["encKey"], sign.EnvelopeOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range []string{"cardNo", "holderName", "idNo", "mobile"} {
			if _, err := ev.OpenField(data[k]); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := sign.SignSM2(bankSign, answer, sign.SM2SignOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
