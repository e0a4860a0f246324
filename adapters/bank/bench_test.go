package bank

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"testing"

	"github.com/tongdao/tongdao/adapters/sign"
)

// The wire layer's cost is SM2 (sign, key wrap, verify) and SM4 plus bookkeeping (JSON,
// canonical string, base64). Each Benchmark* has a Bare* twin that makes only the
// cryptographic calls the same message needs, in the same run; the goal is a ratio of at
// most 1.15 (figures in docs/benchmarks/bank.md).

func benchWire(b *testing.B) *wire {
	w := goldenWire(b)
	w.randEnv = func() io.Reader { return rand.Reader }
	w.randWrap = w.randEnv
	w.randSign = w.randEnv
	return w
}

// BenchmarkSealBindApply: a BIND_APPLY with the four encrypted elements (session key,
// four SM4-CBC fields, SM2 key wrap, SM2 signature, JSON).
func BenchmarkSealBindApply(b *testing.B) {
	w := benchWire(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.seal(g1Request); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareSealBindApply: the same cryptography only — SM2-encrypt a 16-byte key,
// SM4-CBC four values with fresh IVs, SM2-sign a message as long as G1's canonical string.
func BenchmarkBareSealBindApply(b *testing.B) {
	w := benchWire(b)
	body, _ := w.seal(g1Request)
	var f map[string]string
	_ = json.Unmarshal(body, &f)
	msg := canonical(f)
	vals := []string{"6216261000000000018", "全渠道", "341126197709218366", "13552535506"}
	b.ReportAllocs()
	for b.Loop() {
		var k, iv [16]byte
		_, _ = rand.Read(k[:])
		for _, v := range vals {
			_, _ = rand.Read(iv[:])
			if _, err := sign.SM4CBCEncrypt(k[:], iv[:], []byte(v)); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := sign.EncryptSM2(w.cfg.BankEncKey, k[:], sign.SM2CipherOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := sign.SignSM2(w.cfg.MerchantKey, msg, sign.SM2SignOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

var g2Body = g2Answer("MEUCIACqT9jC5jYnHr66m9OM02u0ECyFIHMw7q8ZqZ+uiYGRAiEAjzQncKiUeNgpJj4dLQARVsM8vBFXLaXTr6aBJ7uG56g=")

// BenchmarkOpenAnswer: verify and decode the G2 PAY answer.
func BenchmarkOpenAnswer(b *testing.B) {
	w := benchWire(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.open(g2Body, g2Request); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareOpenAnswer: the SM2 verification of the same canonical string only.
func BenchmarkBareOpenAnswer(b *testing.B) {
	w := benchWire(b)
	var f map[string]string
	_ = json.Unmarshal(g2Body, &f)
	msg := canonical(f)
	sig, _ := base64.StdEncoding.DecodeString(f["sign"])
	b.ReportAllocs()
	for b.Loop() {
		if err := sign.VerifySM2(w.cfg.BankSignKey, msg, sig, sign.SM2SignOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
