package bank

import (
	"bytes"
	"encoding/hex"
	"io"
	"math/big"
	"testing"

	"github.com/tongdao/tongdao/adapters/sign"
)

// §12 key material and fixed randomness.
const (
	gMerchantPriv = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
	gBankPriv     = "63349cfb0a2d99d89ccbbb49712b0266d4d07ece62bcf59c9cc91cb06d1a66c3"
	gK            = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"
	gSession      = "0123456789abcdeffedcba9876543210"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func privHex(t testing.TB, h string) *sign.SM2PrivateKey {
	t.Helper()
	k, err := sign.NewSM2PrivateKey(unhex(t, h))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fixedK makes tjfoc draw exactly k: it reads 40 bytes b and uses (b mod (n−1)) + 1, so 8
// zero bytes then k−1 give k (gm-crypto.md §4.5).
func fixedK(t testing.TB) io.Reader {
	k := new(big.Int).SetBytes(unhex(t, gK))
	k.Sub(k, big.NewInt(1))
	buf := make([]byte, 40)
	k.FillBytes(buf[8:])
	return bytes.NewReader(buf)
}

// goldenWire is the §12 setup: merchant M0000001 / 68759663125 with the GB/T key, bank
// keys d_B, the fixed nonce, session key and IVs.
func goldenWire(t testing.TB) *wire {
	t.Helper()
	m, b := privHex(t, gMerchantPriv), privHex(t, gBankPriv)
	w, err := newWire(wireConfig{MerchantID: "M0000001", CertSerial: "68759663125", MerchantKey: m,
		BankSignKey: b.Public(), BankEncKey: b.Public()})
	if err != nil {
		t.Fatal(err)
	}
	w.randEnv = func() io.Reader {
		var buf bytes.Buffer
		buf.Write(unhex(t, gSession))
		for i := 0; i < 4; i++ { // IVs 000102…0f, 101112…1f, 202122…2f, 303132…3f
			for j := 0; j < 16; j++ {
				buf.WriteByte(byte(16*i + j))
			}
		}
		return &buf
	}
	w.randWrap = func() io.Reader { return fixedK(t) }
	w.randSign = func() io.Reader { return fixedK(t) }
	return w
}
