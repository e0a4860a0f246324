package bank

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
)

var g1Request = request{TxCode: "BIND_APPLY", ReqSerial: "20240101120000000001",
	ReqTime: time.Date(2024, 1, 1, 12, 0, 0, 0, clock.Beijing()),
	Data: map[string]string{"bindNo": "B20240101000001", "userId": "U0001", "idType": "01",
		"cardNo": "6216261000000000018", "holderName": "全渠道", "idNo": "341126197709218366", "mobile": "13552535506"}}

// TestSeal_GoldenG1 rebuilds the §12 G1 request with the fixed session key, IVs and nonce
// and compares every member byte for byte.
func TestSeal_GoldenG1(t *testing.T) {
	w := goldenWire(t)
	body, err := w.seal(g1Request)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]string
	if err := json.Unmarshal(body, &f); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"version": "1.0", "merchantId": "M0000001", "txCode": "BIND_APPLY", "reqSerial": "20240101120000000001",
		"reqTime": "20240101120000", "signType": "SM2", "certSerial": "68759663125",
		"encKey": "BATr/HGOjReYYgQyJo53/rZBXi7eDgc8D09kDs0uFJpz6Fj52B5UMKV7Ntqrj5UKPGTm7mpjCU2ZKDr/dn4STfCWnwHJ1gWMIVzsbTG3kMnXgTlhBMQI0g1ykPBnMjeYWyrUl/1yS437h3DRK3R2iiQ=",
		"data":   `{"bindNo":"B20240101000001","cardNo":"AAECAwQFBgcICQoLDA0OD4nobeyRmKAStwDrMWqVvqbodITt1HjhtqgSMNbXBgGX","holderName":"EBESExQVFhcYGRobHB0eH7G3hxj6XRTlfU8k/NYtNYY=","idNo":"ICEiIyQlJicoKSorLC0uLzgqujRqwiE5x4AXANnZbgThWxCcX2cc1r6LiCh17Qen","idType":"01","mobile":"MDEyMzQ1Njc4OTo7PD0+PyIzo35tDfOiy7rSOe5JP2o=","userId":"U0001"}`,
		"sign":   "MEUCIESkAL/z8I09/5g9B9RVql3nK8NbBynTmfoRtJ2zozKmAiEA1N5Clqiol5qOhBabl5ux/2M6mk2k4DWMEKj4jL59/BA=",
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("G1 %s:\n got %s\nwant %s", k, f[k], v)
		}
	}
	if len(f) != len(want) {
		t.Errorf("G1 members: %d, want %d", len(f), len(want))
	}
	if got := sign.SM3Hex(canonical(f)); got != "4d8b83c5cd69f9be020678cc8b3a1bb740ac79339afb9bf58fe95e6adab25e68" {
		t.Errorf("SM3(canonical) = %s", got)
	}
	for _, secret := range []string{"6216261000000000018", "全渠道", "341126197709218366", "13552535506"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("request carries %q in clear", secret)
		}
	}
	// Raw r‖s variant of the same signature.
	w.cfg.Signature = sign.SM2SigRaw
	body, _ = w.seal(g1Request)
	_ = json.Unmarshal(body, &f)
	if f["sign"] != "RKQAv/PwjT3/mD0H1FWqXecrw1sHKdOZ+hG0nbOjMqbU3kKWqKiXmo6EFpuXm7H/YzqaTaTgNYwQqPiMvn38EA==" {
		t.Errorf("G1 raw sign %s", f["sign"])
	}
}

const g2Data = `{"amount":"100","bankSerial":"B20240101120000000062","finishTime":"20240101120001","orderNo":"P20240101000001","settleDate":"20240101","status":"SUCCESS"}`

func g2Answer(sig string) []byte {
	return encodeJSON(map[string]string{"version": "1.0", "merchantId": "M0000001", "txCode": "PAY",
		"reqSerial": "20240101120000000002", "respTime": "20240101120001", "respCode": "0000", "respMsg": "success",
		"signType": "SM2", "certSerial": "90000000001", "data": g2Data, "sign": sig})
}

var g2Request = request{TxCode: "PAY", ReqSerial: "20240101120000000002", Data: map[string]string{"orderNo": "P20240101000001"}}

// TestOpen_GoldenG2 verifies the §12 G2 answer (r has 31 significant bytes) in DER and in
// raw r‖s, and refuses it after any one-byte change of a signed member.
func TestOpen_GoldenG2(t *testing.T) {
	w := goldenWire(t)
	w.cfg.BankCertSerial = "90000000001"
	r, err := w.open(g2Answer("MEUCIACqT9jC5jYnHr66m9OM02u0ECyFIHMw7q8ZqZ+uiYGRAiEAjzQncKiUeNgpJj4dLQARVsM8vBFXLaXTr6aBJ7uG56g="), g2Request)
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != "0000" || r.str("status") != "SUCCESS" || r.str("bankSerial") != "B20240101120000000062" || r.Time.Format(timeCompact) != "20240101120001" {
		t.Fatalf("G2: %+v", r)
	}
	w.cfg.Signature = sign.SM2SigRaw
	if _, err := w.open(g2Answer("AKpP2MLmNicevrqb04zTa7QQLIUgczDurxmpn66JgZGPNCdwqJR42CkmPh0tABFWwzy8EVctpdOvpoEnu4bnqA=="), g2Request); err != nil {
		t.Fatalf("G2 raw: %v", err)
	}
	w.cfg.Signature = sign.SM2SigDER
	good := string(g2Answer("MEUCIACqT9jC5jYnHr66m9OM02u0ECyFIHMw7q8ZqZ+uiYGRAiEAjzQncKiUeNgpJj4dLQARVsM8vBFXLaXTr6aBJ7uG56g="))
	for _, change := range [][2]string{
		{`"respCode":"0000"`, `"respCode":"0001"`}, {`\"amount\":\"100\"`, `\"amount\":\"101\"`},
		{`"respTime":"20240101120001"`, `"respTime":"20240101120002"`}, {`"respMsg":"success"`, `"respMsg":"Success"`},
	} {
		bad := strings.Replace(good, change[0], change[1], 1)
		if bad == good {
			t.Fatalf("change %v did not apply", change)
		}
		if _, err := w.open([]byte(bad), g2Request); !errors.Is(err, errUnverified) {
			t.Errorf("changed %s: err = %v", change[0], err)
		}
	}
}

func TestOpen_RejectsUntrustworthyAnswers(t *testing.T) {
	w := goldenWire(t)
	bank := privHex(t, gBankPriv)
	signed := func(f map[string]string) []byte {
		sig, _ := sign.SignSM2(bank, canonical(f), sign.SM2SignOptions{})
		f["sign"], _ = sign.EncodeText(sig, sign.TextBase64)
		return encodeJSON(f)
	}
	base := func() map[string]string {
		return map[string]string{"version": "1.0", "merchantId": "M0000001", "txCode": "PAY", "reqSerial": "S1",
			"respTime": "20240101120001", "respCode": "0000", "respMsg": "ok", "signType": "SM2", "certSerial": "90000000001",
			"data": `{"orderNo":"O1","status":"SUCCESS"}`}
	}
	req := request{TxCode: "PAY", ReqSerial: "S1", Data: map[string]string{"orderNo": "O1"}}
	if _, err := w.open(signed(base()), req); err != nil {
		t.Fatalf("good answer: %v", err)
	}
	tests := []struct {
		name string
		body func() []byte
	}{
		{"other reqSerial", func() []byte { f := base(); f["reqSerial"] = "S2"; return signed(f) }},
		{"other txCode", func() []byte { f := base(); f["txCode"] = "REFUND"; return signed(f) }},
		{"other merchant", func() []byte { f := base(); f["merchantId"] = "M2"; return signed(f) }},
		{"success without echo", func() []byte { f := base(); delete(f, "reqSerial"); return signed(f) }},
		{"other orderNo in data", func() []byte { f := base(); f["data"] = `{"orderNo":"O2"}`; return signed(f) }},
		{"unsigned", func() []byte { f := base(); return encodeJSON(f) }},
		{"signed by another key", func() []byte {
			f := base()
			sig, _ := sign.SignSM2(privHex(t, gMerchantPriv), canonical(f), sign.SM2SignOptions{})
			f["sign"], _ = sign.EncodeText(sig, sign.TextBase64)
			return encodeJSON(f)
		}},
		{"number member", func() []byte { return []byte(`{"respCode":0}`) }},
		{"unknown member", func() []byte { f := base(); f["extra"] = "x"; return signed(f) }},
		{"duplicate member", func() []byte { return []byte(`{"respCode":"0000","respCode":"0000"}`) }},
		{"data not object", func() []byte { f := base(); f["data"] = `[1]`; return signed(f) }},
		{"trailing garbage", func() []byte { return append(signed(base()), []byte(" {}")...) }},
		{"html error page", func() []byte { return []byte("<html>502</html>") }},
		{"empty", func() []byte { return nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := w.open(tc.body(), req); !errors.Is(err, errUnverified) {
				t.Fatalf("err = %v, want errUnverified", err)
			}
		})
	}
	// An error answer may omit echoes it could not parse (§4.2).
	f := base()
	delete(f, "reqSerial")
	f["respCode"], f["data"] = "1002", ""
	if r, err := w.open(signed(f), req); err != nil || r.Code != "1002" {
		t.Fatalf("error answer without echo: %v", err)
	}
}

func TestOpenNotification(t *testing.T) {
	w := goldenWire(t)
	bank := privHex(t, gBankPriv)
	f := map[string]string{"version": "1.0", "merchantId": "M0000001", "txCode": "PAY_RESULT", "reqSerial": "N1",
		"respTime": "20240101120005", "respCode": "0000", "respMsg": "success", "signType": "SM2", "certSerial": "90000000001",
		"data": `{"orderNo":"O1","status":"SUCCESS"}`}
	sig, _ := sign.SignSM2(bank, canonical(f), sign.SM2SignOptions{})
	f["sign"], _ = sign.EncodeText(sig, sign.TextBase64)
	if r, err := w.openNotification(encodeJSON(f)); err != nil || r.str("orderNo") != "O1" {
		t.Fatalf("notification: %v", err)
	}
	f["txCode"] = "PAY"
	sig, _ = sign.SignSM2(bank, canonical(f), sign.SM2SignOptions{})
	f["sign"], _ = sign.EncodeText(sig, sign.TextBase64)
	if _, err := w.openNotification(encodeJSON(f)); !errors.Is(err, errUnverified) {
		t.Fatalf("answer accepted as notification: %v", err)
	}
}

func TestSeal_VariantKnobsRoundTripWithBankSide(t *testing.T) {
	// Hex-upper text, raw signatures, C1C2C3 without 04, fixed-IV CBC, MMYY expiry, own
	// SM2 ID, dashed times: the bank side (here: the sign primitives directly) opens it.
	m, b := privHex(t, gMerchantPriv), privHex(t, gBankPriv)
	iv := []byte("0123456789abcdef")
	w, err := newWire(wireConfig{MerchantID: "M1", CertSerial: "C1", MerchantKey: m, BankSignKey: b.Public(), BankEncKey: b.Public(),
		SM2ID: "M1-ID", Signature: sign.SM2SigRaw, Text: sign.TextHexUpper, KeyWrap: sign.SM2CipherOptions{Layout: sign.SM2C1C2C3, No04: true},
		SM4Mode: sign.SM4CBCFixedIV, SM4FixedIV: iv, ExpiryMMYY: true, TimeFormat: "yyyy-MM-dd HH:mm:ss"})
	if err != nil {
		t.Fatal(err)
	}
	body, err := w.seal(request{TxCode: "BIND_APPLY", ReqSerial: "S1", ReqTime: g1Request.ReqTime,
		Data: map[string]string{"bindNo": "B1", "cardNo": "6258100000000004", "cvn2": "123", "expiry": "3012"}})
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]string
	_ = json.Unmarshal(body, &f)
	if f["reqTime"] != "2024-01-01 12:00:00" {
		t.Fatalf("reqTime %s", f["reqTime"])
	}
	sig, _ := sign.DecodeText(f["sign"], sign.TextHexUpper)
	if len(sig) != 64 || sign.VerifySM2(m.Public(), canonical(f), sig, sign.SM2SignOptions{UID: []byte("M1-ID"), Encoding: sign.SM2SigRaw}) != nil {
		t.Fatal("variant signature does not verify")
	}
	ev, err := sign.OpenEnvelope(b, f["encKey"], sign.EnvelopeOptions{Mode: sign.SM4CBCFixedIV, FixedIV: iv, Text: sign.TextHexUpper,
		KeyWrap: sign.SM2CipherOptions{Layout: sign.SM2C1C2C3, No04: true}})
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]string
	_ = json.Unmarshal([]byte(f["data"]), &d)
	for k, want := range map[string]string{"cardNo": "6258100000000004", "cvn2": "123", "expiry": "1230"} {
		pt, err := ev.OpenField(d[k])
		if err != nil || string(pt) != want {
			t.Errorf("%s opens to %q, %v", k, pt, err)
		}
	}
}

func TestNewWire_RejectsBadConfig(t *testing.T) {
	m, b := privHex(t, gMerchantPriv), privHex(t, gBankPriv)
	ok := wireConfig{MerchantID: "M1", CertSerial: "C1", MerchantKey: m, BankSignKey: b.Public(), BankEncKey: b.Public()}
	tests := []struct {
		name   string
		mutate func(*wireConfig)
		want   string
	}{
		{"merchant id", func(c *wireConfig) { c.MerchantID = "M-1" }, "MerchantID"},
		{"cert serial", func(c *wireConfig) { c.CertSerial = "" }, "CertSerial"},
		{"merchant key", func(c *wireConfig) { c.MerchantKey = nil }, "MerchantKey"},
		{"bank sign key", func(c *wireConfig) { c.BankSignKey = nil }, "BankSignKey"},
		{"bank enc key", func(c *wireConfig) { c.BankEncKey = nil }, "BankEncKey"},
		{"time format", func(c *wireConfig) { c.TimeFormat = "unix" }, "TimeFormat"},
		{"fixed iv", func(c *wireConfig) { c.SM4Mode = sign.SM4CBCFixedIV }, "SM4Mode"},
		{"text", func(c *wireConfig) { c.Text = 9 }, "Text"},
	}
	for _, tc := range tests {
		c := ok
		tc.mutate(&c)
		if _, err := newWire(c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	if _, err := newWire(ok); err != nil {
		t.Fatal(err)
	}
}
