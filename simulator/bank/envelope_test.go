package bank_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator/bank"
)

// The §12 G1 golden request, byte for byte (keys: merchant = the GB/T example key,
// bank = SM3("tongdao bank-direct test bank key")).
const (
	g1MerchantPub = "0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13"
	g1BankPriv    = "63349cfb0a2d99d89ccbbb49712b0266d4d07ece62bcf59c9cc91cb06d1a66c3"
	g1EncKey      = "BATr/HGOjReYYgQyJo53/rZBXi7eDgc8D09kDs0uFJpz6Fj52B5UMKV7Ntqrj5UKPGTm7mpjCU2ZKDr/dn4STfCWnwHJ1gWMIVzsbTG3kMnXgTlhBMQI0g1ykPBnMjeYWyrUl/1yS437h3DRK3R2iiQ="
	g1Data        = `{"bindNo":"B20240101000001","cardNo":"AAECAwQFBgcICQoLDA0OD4nobeyRmKAStwDrMWqVvqbodITt1HjhtqgSMNbXBgGX","holderName":"EBESExQVFhcYGRobHB0eH7G3hxj6XRTlfU8k/NYtNYY=","idNo":"ICEiIyQlJicoKSorLC0uLzgqujRqwiE5x4AXANnZbgThWxCcX2cc1r6LiCh17Qen","idType":"01","mobile":"MDEyMzQ1Njc4OTo7PD0+PyIzo35tDfOiy7rSOe5JP2o=","userId":"U0001"}`
	g1Sign        = "MEUCIESkAL/z8I09/5g9B9RVql3nK8NbBynTmfoRtJ2zozKmAiEA1N5Clqiol5qOhBabl5ux/2M6mk2k4DWMEKj4jL59/BA="
)

func g1Envelope() map[string]string {
	return map[string]string{"version": "1.0", "merchantId": "M0000001", "txCode": "BIND_APPLY",
		"reqSerial": "20240101120000000001", "reqTime": "20240101120000", "signType": "SM2",
		"certSerial": "68759663125", "encKey": g1EncKey, "data": g1Data, "sign": g1Sign}
}

func TestGolden_G1RequestIsAcceptedAndItsOneByteChangeIsNot(t *testing.T) {
	start := time.Date(2024, 1, 1, 12, 0, 30, 0, clock.Beijing())
	e := newEnvAt(t, bank.Config{NoDemoMerchant: true, EncKey: []byte(g1BankPriv),
		Merchants: []bank.Merchant{{MerchantID: "M0000001", CertSerial: "68759663125", PublicKey: g1MerchantPub}}}, start)
	b, _ := json.Marshal(g1Envelope())
	a := e.c.post(b, "application/json; charset=utf-8")
	if a.status != 200 || e.c.verify(a.f) != nil {
		t.Fatalf("G1: %d %s", a.status, a.raw)
	}
	if a.code() != "0000" || a.d("bindNo") != "B20240101000001" || a.d("smsSent") != "Y" || a.d("cardType") != "DC" {
		t.Fatalf("G1 answer: %s %s %v", a.code(), a.f["respMsg"], a.data)
	}
	if a.f["certSerial"] != bank.BankCertSerial || a.f["reqSerial"] != "20240101120000000001" {
		t.Fatalf("echo: %v", a.f)
	}
	// Replaying G1 verbatim replays the stored answer (§9.1); changing one byte of the
	// signed data breaks the signature (1001).
	if again := e.c.post(b, "application/json"); again.f["data"] != a.f["data"] || again.code() != "0000" {
		t.Fatalf("G1 replay: %s", again.raw)
	}
	g := g1Envelope()
	g["reqSerial"] = "20240101120000000009"
	b, _ = json.Marshal(g)
	if a := e.c.post(b, "application/json"); a.code() != "1001" {
		t.Fatalf("altered G1: %s %s", a.code(), a.f["respMsg"])
	}
}

func TestGateway_RejectsBadEnvelopes(t *testing.T) {
	e := newEnv(t, bank.Config{})
	good := func() map[string]string { return e.c.envelope(bank.TxBalanceQuery, "S-env", map[string]string{}) }
	post := func(m map[string]any) answer {
		b, _ := json.Marshal(m)
		return e.c.post(b, "application/json")
	}
	asAny := func(f map[string]string) map[string]any {
		out := map[string]any{}
		for k, v := range f {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name   string
		mutate func(m map[string]any)
		code   string
		msg    string
	}{
		{"number value", func(m map[string]any) { m["version"] = 1.0 }, "1002", "field version"},
		{"unknown member", func(m map[string]any) { m["extra"] = "x" }, "1002", "field extra"},
		{"missing sign", func(m map[string]any) { delete(m, "sign") }, "1002", "field sign"},
		{"bad signature", func(m map[string]any) { m["sign"] = strings.Repeat("A", 96) }, "1001", ""},
		{"signed by another merchant key", func(m map[string]any) { m["data"] = `{"x":"1"}` }, "1001", ""},
		{"unknown certSerial", func(m map[string]any) { m["certSerial"] = "999" }, "1001", "certSerial"},
		{"unknown merchant", func(m map[string]any) { m["merchantId"] = "M9" }, "1006", ""},
		{"version", func(m map[string]any) { m["version"] = "2.0" }, "1008", ""},
		{"txCode", func(m map[string]any) { m["txCode"] = "PAY_APPLY" }, "1008", ""},
		{"signType", func(m map[string]any) { m["signType"] = "RSA" }, "1002", "field signType"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := asAny(good())
			tc.mutate(m)
			a := post(m)
			if a.status != 200 || a.code() != tc.code || !strings.Contains(a.f["respMsg"], tc.msg) {
				t.Fatalf("got %d %s %q, want %s %q", a.status, a.code(), a.f["respMsg"], tc.code, tc.msg)
			}
			if e.c.verify(a.f) != nil {
				t.Fatal("error answer not signed by the bank")
			}
		})
	}
	// HTTP-level refusals (§3).
	b, _ := json.Marshal(good())
	if a := e.c.post(b, "text/plain"); a.status != http.StatusUnsupportedMediaType {
		t.Fatalf("content type: %d", a.status)
	}
	for _, body := range []string{"", "[]", `"x"`, "{", `{"a":"b"} {}`} {
		if a := e.c.post([]byte(body), "application/json"); a.status != http.StatusBadRequest {
			t.Fatalf("body %q: %d", body, a.status)
		}
	}
	if a := e.c.post(append([]byte(`{"x":"`), append([]byte(strings.Repeat("a", 1<<20)), '"', '}')...), "application/json"); a.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("1 MiB body: %d", a.status)
	}
}

func TestGateway_TimeWindowAndDecryption(t *testing.T) {
	e := newEnv(t, bank.Config{})
	f := e.c.envelope(bank.TxBalanceQuery, "S-t", map[string]string{})
	e.advance(301 * time.Second)
	b, _ := json.Marshal(f)
	if a := e.c.post(b, "application/json"); a.code() != "1004" {
		t.Fatalf("old reqTime: %s", a.code())
	}
	// encKey wrapped for the wrong key: 1007; a field without encKey: 1002.
	f = e.c.envelope(bank.TxBindApply, "S-d", bindData("B1", "U1", g1Card))
	other, _ := sign.GenerateSM2Key(nil)
	ev, _ := sign.NewEnvelope(sign.EnvelopeOptions{})
	f["encKey"], _ = ev.WrapKey(other.Public())
	resign(e, f)
	b, _ = json.Marshal(f)
	if a := e.c.post(b, "application/json"); a.code() != "1007" {
		t.Fatalf("wrong encKey: %s %s", a.code(), a.f["respMsg"])
	}
	delete(f, "encKey")
	resign(e, f)
	b, _ = json.Marshal(f)
	if a := e.c.post(b, "application/json"); a.code() != "1002" || !strings.Contains(a.f["respMsg"], "encKey") {
		t.Fatalf("missing encKey: %s %s", a.code(), a.f["respMsg"])
	}
}

func resign(e *env, f map[string]string) {
	sig, _ := sign.SignSM2(e.c.key, canonicalOf(f), sign.SM2SignOptions{})
	f["sign"], _ = sign.EncodeText(sig, sign.TextBase64)
}

func TestReqSerial_ReplaySameContentConflictOtherwise(t *testing.T) {
	e := newEnv(t, bank.Config{})
	pno := e.bind("B1", "U1", g1Card)
	first := e.c.callSerial(bank.TxPay, "SER-P1", payData("P1", "U1", pno, "300"))
	e.advance(10 * time.Minute) // a retry may carry a fresh reqTime, key and signature
	again := e.c.callSerial(bank.TxPay, "SER-P1", payData("P1", "U1", pno, "300"))
	if again.f["data"] != first.f["data"] || again.f["respTime"] == first.f["respTime"] {
		t.Fatalf("replay differs:\n%s\n%s", first.raw, again.raw)
	}
	if a := e.c.callSerial(bank.TxPay, "SER-P1", payData("P1", "U1", pno, "301")); a.code() != "1003" {
		t.Fatalf("same serial, other content: %s", a.code())
	}
	if a := e.c.callSerial(bank.TxPay, "SER-P1b", payData("P1", "U1", pno, "300")); a.code() != "1005" {
		t.Fatalf("same orderNo, other serial: %s", a.code())
	}
	if a := e.c.callSerial(bank.TxBindApply, "SER-B1b", bindData("B1", "U9", g1Card)); a.code() != "1005" {
		t.Fatalf("bindNo reuse: %s", a.code())
	}
	// The card was debited once.
	if q := e.c.call(bank.TxPayQuery, map[string]string{"orderNo": "P1"}); q.d("amount") != "300" {
		t.Fatalf("query: %v", q.data)
	}
}

func TestProfile_VariantRoundTrip(t *testing.T) {
	// raw r‖s, upper hex, C1C2C3 without 04, SM4-ECB, dashed times, MMYY expiry, own SM2 ID.
	key, _ := sign.GenerateSM2Key(nil)
	pem, _ := key.Public().MarshalPEM()
	e := newEnv(t, bank.Config{Merchants: []bank.Merchant{{MerchantID: "M2", CertSerial: "7", PublicKey: string(pem),
		PayoutBalance: 1000, Profile: bank.Profile{SM2ID: "M2000000000000000", Signature: "raw", Text: "hex-upper",
			SM2Layout: "c1c2c3", SM2No04: true, SM4Mode: "ecb", ExpiryFormat: "MMYY", TimeFormat: "yyyy-MM-dd HH:mm:ss"}}}})
	c := e.c
	c.merchantID, c.certSerial, c.key = "M2", "7", key
	c.prof = cprof{uid: []byte("M2000000000000000"), sig: sign.SM2SigRaw, text: sign.TextHexUpper, timeFmt: "2006-01-02 15:04:05",
		env: sign.EnvelopeOptions{Mode: sign.SM4ECB, Text: sign.TextHexUpper, KeyWrap: sign.SM2CipherOptions{Layout: sign.SM2C1C2C3, No04: true}}}
	credit := map[string]string{"cardNo": "6258100000000004", "holderName": "全渠道", "idType": "01", "idNo": "341126197709218366",
		"mobile": "13552535506", "cvn2": "123", "expiry": "1230"}
	a := c.call(bank.TxBindApply, bindData("B1", "U1", credit))
	if a.code() != "0000" || a.d("cardType") != "CC" || !strings.Contains(a.f["respTime"], "-") {
		t.Fatalf("variant bind: %s %s %v", a.code(), a.f["respMsg"], a.f)
	}
	if b := c.call(bank.TxBalanceQuery, map[string]string{}); b.d("available") != "1000" {
		t.Fatalf("variant balance: %v", b.data)
	}
}

func TestControl_MerchantsCardsAndSMS(t *testing.T) {
	e := newEnv(t, bank.Config{})
	get := func(path string) (int, string) {
		resp, err := e.c.hc.Get(e.sim.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	if st, body := get("/_sim/merchants"); st != 200 || !contains(body, `"bank"`, `"merchant_id": "M0000001"`, `"bank_cert_serial": "90000000001"`, "BEGIN PUBLIC KEY") {
		t.Fatalf("merchants: %d %s", st, body)
	}
	st, body := get("/_sim/bank/cards")
	if st != 200 || !contains(body, "621626*********0018", "135****5506") || strings.Contains(body, "6216261000000000018") || strings.Contains(body, "341126197709218366") {
		t.Fatalf("cards: %d %s", st, body)
	}
	if st, _ := get("/_sim/bank/sms?bind_no=NOPE"); st != 404 {
		t.Fatalf("sms unknown: %d", st)
	}
	if st, _ := get("/_sim/bank/nothing"); st != 404 {
		t.Fatalf("unknown endpoint: %d", st)
	}
	resp, _ := e.c.hc.Post(e.sim.URL+"/_sim/bank/cards", "application/json", strings.NewReader(`{"card_no":"6216261000000000067","holder_name":"钱七","id_no":"11010519491231002X","mobile":"13500135000","balance":5}`))
	if resp.StatusCode != 200 {
		t.Fatalf("add card: %d", resp.StatusCode)
	}
	resp, _ = e.c.hc.Post(e.sim.URL+"/_sim/bank/cards", "application/json", strings.NewReader(`{"card_no":"6216261000000000067","holder_name":"钱七","id_no":"11010519491231002X","mobile":"23500135000"}`))
	if resp.StatusCode != 400 {
		t.Fatalf("bad card accepted: %d", resp.StatusCode)
	}
	// The new card binds and has 5 fen: a 6 fen payment is declined 2001.
	pno := e.bind("B1", "U1", map[string]string{"cardNo": "6216261000000000067", "holderName": "钱七", "idType": "01", "idNo": "11010519491231002X", "mobile": "13500135000"})
	if a := e.c.call(bank.TxPay, payData("P1", "U1", pno, "6")); a.code() != "2001" || a.d("status") != "FAIL" {
		t.Fatalf("insufficient: %s %v", a.code(), a.data)
	}
	if q := e.c.call(bank.TxPayQuery, map[string]string{"orderNo": "P1"}); q.d("status") != "FAIL" || q.d("failCode") != "2001" {
		t.Fatalf("failed order query: %v", q.data)
	}
}
