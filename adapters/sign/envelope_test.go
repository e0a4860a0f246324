package sign

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// bank-direct.md §12 golden vectors (computed with tjfoc and cross-checked with
// emmansun there).
const (
	bdcBankD  = "63349cfb0a2d99d89ccbbb49712b0266d4d07ece62bcf59c9cc91cb06d1a66c3"
	bdcBankP  = "04c52b32b089ddaedb85bb6dc47f2ff91743608f2b7430d713405618a216de5cdb6d8f4260753944cf18161c0d322a4dd79e9fad707198c8358a9fa631705d66c9"
	bdcK      = "0123456789abcdeffedcba9876543210"
	bdcCardNo = "AAECAwQFBgcICQoLDA0OD4nobeyRmKAStwDrMWqVvqbodITt1HjhtqgSMNbXBgGX"
	bdcHolder = "EBESExQVFhcYGRobHB0eH7G3hxj6XRTlfU8k/NYtNYY="
	bdcIDNo   = "ICEiIyQlJicoKSorLC0uLzgqujRqwiE5x4AXANnZbgThWxCcX2cc1r6LiCh17Qen"
	bdcMobile = "MDEyMzQ1Njc4OTo7PD0+PyIzo35tDfOiy7rSOe5JP2o="
	bdcEncKey = "BATr/HGOjReYYgQyJo53/rZBXi7eDgc8D09kDs0uFJpz6Fj52B5UMKV7Ntqrj5UKPGTm7mpjCU2ZKDr/dn4STfCWnwHJ1gWMIVzsbTG3kMnXgTlhBMQI0g1ykPBnMjeYWyrUl/1yS437h3DRK3R2iiQ="
	bdcG1DER  = "MEUCIESkAL/z8I09/5g9B9RVql3nK8NbBynTmfoRtJ2zozKmAiEA1N5Clqiol5qOhBabl5ux/2M6mk2k4DWMEKj4jL59/BA="
	bdcG1Raw  = "RKQAv/PwjT3/mD0H1FWqXecrw1sHKdOZ+hG0nbOjMqbU3kKWqKiXmo6EFpuXm7H/YzqaTaTgNYwQqPiMvn38EA=="
	bdcG2DER  = "MEUCIACqT9jC5jYnHr66m9OM02u0ECyFIHMw7q8ZqZ+uiYGRAiEAjzQncKiUeNgpJj4dLQARVsM8vBFXLaXTr6aBJ7uG56g="
	bdcG2Raw  = "AKpP2MLmNicevrqb04zTa7QQLIUgczDurxmpn66JgZGPNCdwqJR42CkmPh0tABFWwzy8EVctpdOvpoEnu4bnqA=="
	bdcG2Data = `{"amount":"100","bankSerial":"B20240101120000000062","finishTime":"20240101120001","orderNo":"P20240101000001","settleDate":"20240101","status":"SUCCESS"}`
	bdcG1SM3  = "4d8b83c5cd69f9be020678cc8b3a1bb740ac79339afb9bf58fe95e6adab25e68"
	bdcG2SM3  = "530dbef196187f1653080a97aa51c1e92bd65904343742296f0ffedde2282b19"
)

func bdcG1Params() Params {
	data := `{"bindNo":"B20240101000001","cardNo":"` + bdcCardNo + `","holderName":"` + bdcHolder +
		`","idNo":"` + bdcIDNo + `","idType":"01","mobile":"` + bdcMobile + `","userId":"U0001"}`
	return Params{
		{"version", "1.0"}, {"merchantId", "M0000001"}, {"txCode", "BIND_APPLY"},
		{"reqSerial", "20240101120000000001"}, {"reqTime", "20240101120000"}, {"signType", "SM2"},
		{"certSerial", "68759663125"}, {"encKey", bdcEncKey}, {"data", data},
	}
}

func TestEnvelope_BankDirectG1Golden(t *testing.T) {
	ivs := unhex(t, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f")
	env, err := NewEnvelopeWithKey(unhex(t, bdcK), EnvelopeOptions{Rand: bytes.NewReader(ivs), KeyWrap: SM2CipherOptions{Rand: fixedK(t, sm2VecK)}})
	if err != nil {
		t.Fatal(err)
	}
	fields := []struct{ plain, want string }{
		{"6216261000000000018", bdcCardNo}, {"全渠道", bdcHolder}, {"341126197709218366", bdcIDNo}, {"13552535506", bdcMobile},
	}
	for _, f := range fields {
		got, err := env.SealField([]byte(f.plain))
		if err != nil || got != f.want {
			t.Fatalf("seal %q = %s, %v; want %s", f.plain, got, err, f.want)
		}
	}
	bank, err := NewSM2PrivateKey(unhex(t, bdcBankD))
	if err != nil {
		t.Fatal(err)
	}
	if bank.Public().Hex() != bdcBankP {
		t.Fatalf("P_B = %s", bank.Public().Hex())
	}
	encKey, err := env.WrapKey(bank.Public())
	if err != nil || encKey != bdcEncKey {
		t.Fatalf("encKey = %s, %v", encKey, err)
	}
	// Receiver side: unwrap, open every field.
	opened, err := OpenEnvelope(bank, bdcEncKey, EnvelopeOptions{})
	if err != nil || !bytes.Equal(opened.Key(), unhex(t, bdcK)) {
		t.Fatalf("OpenEnvelope: %x, %v", opened.Key(), err)
	}
	for _, f := range fields {
		got, err := opened.OpenField(f.want)
		if err != nil || string(got) != f.plain {
			t.Fatalf("open %s = %q, %v", f.want, got, err)
		}
	}
	// Signature over the canonical string with the merchant key (the GB/T example key).
	canon := []byte(Canonical(bdcG1Params(), BankDirectCanonical()))
	if SM3Hex(canon) != bdcG1SM3 {
		t.Fatalf("SM3(canonical) = %s", SM3Hex(canon))
	}
	merchant := sm2VecKey(t)
	for _, tc := range []struct {
		enc  SM2SigEncoding
		want string
	}{{SM2SigDER, bdcG1DER}, {SM2SigRaw, bdcG1Raw}} {
		sig, err := SignSM2(merchant, canon, SM2SignOptions{Encoding: tc.enc, Rand: fixedK(t, sm2VecK)})
		if err != nil || base64.StdEncoding.EncodeToString(sig) != tc.want {
			t.Fatalf("G1 sign enc %d = %s, %v", tc.enc, base64.StdEncoding.EncodeToString(sig), err)
		}
		if err := VerifySM2(merchant.Public(), canon, sig, SM2SignOptions{Encoding: tc.enc}); err != nil {
			t.Fatal(err)
		}
		canon[10] ^= 1
		if err := VerifySM2(merchant.Public(), canon, sig, SM2SignOptions{Encoding: tc.enc}); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("flipped canonical byte: %v", err)
		}
		canon[10] ^= 1
	}
}

// G2: r has only 31 significant bytes, the raw-padding regression vector.
func TestSM2Sign_BankDirectG2ShortR(t *testing.T) {
	bank, _ := NewSM2PrivateKey(unhex(t, bdcBankD))
	p := Params{
		{"version", "1.0"}, {"merchantId", "M0000001"}, {"txCode", "PAY"}, {"reqSerial", "20240101120000000002"},
		{"respTime", "20240101120001"}, {"respCode", "0000"}, {"respMsg", "success"}, {"signType", "SM2"},
		{"certSerial", "90000000001"}, {"data", bdcG2Data}, {"sign", "ignored"},
	}
	canon := []byte(Canonical(p, BankDirectCanonical()))
	if SM3Hex(canon) != bdcG2SM3 {
		t.Fatalf("SM3(canonical) = %s", SM3Hex(canon))
	}
	for _, tc := range []struct {
		enc  SM2SigEncoding
		want string
	}{{SM2SigDER, bdcG2DER}, {SM2SigRaw, bdcG2Raw}} {
		sig, err := SignSM2(bank, canon, SM2SignOptions{Encoding: tc.enc, Rand: fixedK(t, sm2VecK)})
		if err != nil || base64.StdEncoding.EncodeToString(sig) != tc.want {
			t.Fatalf("G2 enc %d = %s, %v", tc.enc, base64.StdEncoding.EncodeToString(sig), err)
		}
	}
}

func TestEnvelope_RejectsBadInput(t *testing.T) {
	bank, _ := NewSM2PrivateKey(unhex(t, bdcBankD))
	// A fixed wrong key: with a random one, garbage ends in valid padding ~1 time in 200.
	env, _ := NewEnvelopeWithKey(unhex(t, "00112233445566778899aabbccddeeff"), EnvelopeOptions{})
	wrong17, _ := EncryptSM2(bank.Public(), make([]byte, 17), SM2CipherOptions{})
	tests := []struct {
		name string
		run  func() error
	}{
		{"encKey not base64", func() error { _, err := OpenEnvelope(bank, "%%%", EnvelopeOptions{}); return err }},
		{"encKey of 17 bytes", func() error {
			_, err := OpenEnvelope(bank, base64.StdEncoding.EncodeToString(wrong17), EnvelopeOptions{})
			return err
		}},
		{"encKey for another key", func() error { _, err := OpenEnvelope(sm2VecKey(t), bdcEncKey, EnvelopeOptions{}); return err }},
		{"field too short", func() error { _, err := env.OpenField(base64.StdEncoding.EncodeToString(make([]byte, 16))); return err }},
		{"field under another key", func() error { _, err := env.OpenField(bdcCardNo); return err }},
		{"field not base64", func() error { _, err := env.OpenField("***"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("err = %v, want ErrDecrypt", err)
			}
		})
	}
	if _, err := NewEnvelopeWithKey(make([]byte, 15), EnvelopeOptions{}); !errors.Is(err, ErrInput) {
		t.Fatalf("short key: %v", err)
	}
	sealed, _ := env.SealField([]byte("x"))
	sealed2, _ := env.SealField([]byte("x"))
	if sealed == sealed2 {
		t.Fatal("two seals of the same value must differ (fresh IV)")
	}
	if got, err := env.OpenField(sealed); err != nil || string(got) != "x" {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	if !strings.HasPrefix(bdcEncKey, "BA") {
		t.Fatal("encKey must start with the 04 byte")
	}
}

// wechat-v2.md §10 req_info vector (computed there with the official example key).
func TestWeChatRefundInfo_SpecVector(t *testing.T) {
	const reqInfo = "WBzGpzQuNpcFxIlFjUUD9BZv+lpBMzd2SHiKCkwfALWid5G8ZvfOussfMIHLbKJmcnxPKdb1ZJEqTAp8ysQv+xa1fj+Eorgndx3fNxf3KAYa3LPgsjvZgxaeYyrhV05Kbjkj6ywg27cEyTTaPZFYNg=="
	const plain = "<root><out_refund_no><![CDATA[R1]]></out_refund_no><refund_status><![CDATA[SUCCESS]]></refund_status></root>"
	if k := weChatRefundKey(weChatDocKey); string(k[:]) != "d96eb16afdd491fa1e705096edbc2205" {
		t.Fatalf("aes key = %s", k[:])
	}
	got, err := DecryptWeChatRefundInfo(reqInfo, weChatDocKey)
	if err != nil || string(got) != plain {
		t.Fatalf("decrypt = %q, %v", got, err)
	}
	enc, err := EncryptWeChatRefundInfo([]byte(plain), weChatDocKey)
	if err != nil || enc != reqInfo {
		t.Fatalf("encrypt = %s, %v", enc, err)
	}
	for name, in := range map[string]string{
		"wrong key":  "", // filled below
		"not base64": "***",
		"truncated":  reqInfo[:20],
		"empty":      "",
	} {
		key := weChatDocKey
		if name == "wrong key" {
			in, key = reqInfo, "00000000000000000000000000000000"
		}
		if out, err := DecryptWeChatRefundInfo(in, key); !errors.Is(err, ErrDecrypt) || out != nil {
			t.Errorf("%s: %q, %v", name, out, err)
		}
	}
}

func TestEnvelope_VariantKnobsRoundTrip(t *testing.T) {
	bank, _ := NewSM2PrivateKey(unhex(t, bdcBankD))
	variants := map[string]EnvelopeOptions{
		"default":             {},
		"hex lower, ECB":      {Text: TextHexLower, Mode: SM4ECB},
		"hex upper, fixed IV": {Text: TextHexUpper, Mode: SM4CBCFixedIV, FixedIV: unhex(t, "303132333435363738393a3b3c3d3e3f")},
		"C1C2C3 without 04":   {KeyWrap: SM2CipherOptions{Layout: SM2C1C2C3, No04: true}},
		"ASN.1 key, base64":   {KeyWrap: SM2CipherOptions{Layout: SM2ASN1}},
	}
	for name, opts := range variants {
		t.Run(name, func(t *testing.T) {
			env, err := NewEnvelope(opts)
			if err != nil {
				t.Fatal(err)
			}
			encKey, err := env.WrapKey(bank.Public())
			if err != nil {
				t.Fatal(err)
			}
			sealed, err := env.SealField([]byte("341126197709218366"))
			if err != nil {
				t.Fatal(err)
			}
			rx, err := OpenEnvelope(bank, encKey, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := rx.OpenField(sealed); err != nil || string(got) != "341126197709218366" {
				t.Fatalf("open: %q, %v", got, err)
			}
		})
	}
	if _, err := NewEnvelope(EnvelopeOptions{Mode: SM4CBCFixedIV}); !errors.Is(err, ErrInput) {
		t.Fatalf("fixed IV missing: %v", err)
	}
	if _, err := NewEnvelope(EnvelopeOptions{Text: 9}); !errors.Is(err, ErrInput) {
		t.Fatalf("bad text encoding: %v", err)
	}
	up, _ := EncodeText([]byte{0xab, 0x01}, TextHexUpper)
	if up != "AB01" {
		t.Fatalf("hex upper = %s", up)
	}
}
