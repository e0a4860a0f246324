package sign

import (
	"bytes"
	"encoding/base64"
	"math/big"
	"os"
	"slices"
	"strings"
	"testing"
)

// refCanonical is a deliberately naive reference for the differential fuzz test.
func refCanonical(p Params, opts CanonicalOptions) string {
	q := slices.Clone(p)
	slices.SortStableFunc(q, func(a, b Param) int { return strings.Compare(a.Key, b.Key) })
	var parts []string
	for _, kv := range q {
		if kv.Value == "" && !opts.KeepEmpty || slices.Contains(opts.Exclude, kv.Key) {
			continue
		}
		parts = append(parts, kv.Key+"="+kv.Value)
	}
	return strings.Join(parts, "&") + opts.Suffix
}

// FuzzCanonical checks AppendCanonical against the naive reference for arbitrary pairs
// ("k=v" lines), with and without KeepEmpty, and that the input is never reordered.
func FuzzCanonical(f *testing.F) {
	f.Add("b=2\na=1\nsign=x\ne=", false)
	f.Add("sign_type=RSA2\nz=\nA=\xff\n=empty key", true)
	f.Fuzz(func(t *testing.T, lines string, keepEmpty bool) {
		var p Params
		for _, l := range strings.Split(lines, "\n") {
			k, v, _ := strings.Cut(l, "=")
			p = append(p, Param{Key: k, Value: v})
		}
		before := slices.Clone(p)
		opts := CanonicalOptions{Exclude: []string{"sign", "sign_type"}, KeepEmpty: keepEmpty, Suffix: "&key=K"}
		got := string(AppendCanonical(nil, p, opts))
		if want := refCanonical(p, opts); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		if !slices.Equal(before, p) {
			t.Fatal("AppendCanonical modified its input")
		}
	})
}

// FuzzParseKeys feeds arbitrary bytes to every key and certificate parser: they must
// return an error or a usable value, never panic.
func FuzzParseKeys(f *testing.F) {
	for _, name := range []string{"sm2.pem", "sm2pub.pem", "rsa_pkcs1.pem", "rsa_pkcs8.b64", "rsa_pub.pem", "up_sign.pem", "p256.pem"} {
		b, err := readFileForFuzz(name)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(sm2VecD))
	f.Add([]byte(sm2VecP))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if k, err := ParseSM2PrivateKey(data, nil); err == nil && len(k.Bytes()) != 32 {
			t.Fatal("bad SM2 private key accepted")
		}
		if k, err := ParseSM2PrivateKey(data, []byte("pw")); err == nil && k == nil {
			t.Fatal("nil key without error")
		}
		if k, err := ParseSM2PublicKey(data); err == nil && len(k.Bytes()) != 65 {
			t.Fatal("bad SM2 public key accepted")
		}
		if k, err := ParseRSAPrivateKey(data); err == nil && k == nil {
			t.Fatal("nil RSA key without error")
		}
		if k, err := ParseRSAPublicKey(data); err == nil && k == nil {
			t.Fatal("nil RSA public key without error")
		}
		if c, err := ParseCertificate(data); err == nil && c == nil {
			t.Fatal("nil certificate without error")
		}
		if c, err := ParseSM2Certificate(data); err == nil && c.PublicKey == nil {
			t.Fatal("SM2 certificate without key")
		}
		if k, c, err := ParseCFCASM2(data, []byte("cfca1234")); err == nil && (k == nil || c == nil) {
			t.Fatal("CFCA file without key or certificate")
		}
		_, _ = AlipayRootCertSN(data)
		_, _ = ParsePKCS12(data, "10000100")
	})
}

// FuzzSM2Decrypt: arbitrary ciphertexts in every layout never panic and never return
// plaintext with an error; a success must re-verify (C3 checked).
func FuzzSM2Decrypt(f *testing.F) {
	f.Add(unhex(f, sm2VecC1+sm2VecC3+sm2VecC2), uint8(0))
	f.Add(unhex(f, sm2VecC1+sm2VecC2+sm2VecC3), uint8(1))
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x01}, uint8(2))
	f.Add(unhex(f, sm2VecC1[2:]+sm2VecC3+sm2VecC2), uint8(3))
	priv := sm2VecKey(f)
	f.Fuzz(func(t *testing.T, ct []byte, mode uint8) {
		opts := SM2CipherOptions{Layout: SM2CipherLayout(mode % 4), No04: mode&4 != 0}
		pt, err := DecryptSM2(priv, ct, opts)
		if err != nil && pt != nil {
			t.Fatal("plaintext returned with an error")
		}
	})
}

// FuzzSM2Verify: arbitrary signatures in both encodings never panic and never verify
// unless they are the known-good one.
func FuzzSM2Verify(f *testing.F) {
	raw := unhex(f, sm2VecR+sm2VecS)
	der, _ := SM2SigToDER(raw)
	f.Add(raw, false)
	f.Add(der, true)
	f.Add(append(bytes.Clone(der), 0), true)
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00}, true)
	pub := sm2VecKey(f).Public()
	msg := []byte("message digest")
	f.Fuzz(func(t *testing.T, sig []byte, isDER bool) {
		enc := SM2SigRaw
		if isDER {
			enc = SM2SigDER
		}
		if err := VerifySM2(pub, msg, sig, SM2SignOptions{Encoding: enc}); err == nil {
			r, s := decodeSM2Sig(sig, enc)
			if r.Cmp(decodeBig(raw[:32])) != 0 || s.Cmp(decodeBig(raw[32:])) != 0 {
				t.Fatalf("forged signature verified: %x", sig)
			}
		}
	})
}

// FuzzSM4Decrypt: arbitrary ciphertexts never panic; a success re-encrypts to the input.
func FuzzSM4Decrypt(f *testing.F) {
	key := unhex(f, "0123456789abcdeffedcba9876543210")
	iv := unhex(f, "000102030405060708090a0b0c0d0e0f")
	good, _ := SM4CBCEncrypt(key, iv, []byte("seed plaintext"))
	f.Add(good, key, true)
	f.Add([]byte{}, key, false)
	f.Add(bytes.Repeat([]byte{0x10}, 16), key[:15], true)
	f.Fuzz(func(t *testing.T, ct, k []byte, cbc bool) {
		var pt []byte
		var err error
		if cbc {
			pt, err = SM4CBCDecrypt(k, iv, ct)
		} else {
			pt, err = SM4ECBDecrypt(k, ct)
		}
		if err != nil {
			if pt != nil {
				t.Fatal("plaintext with error")
			}
			return
		}
		var back []byte
		if cbc {
			back, _ = SM4CBCEncrypt(k, iv, pt)
		} else {
			back, _ = SM4ECBEncrypt(k, pt)
		}
		if !bytes.Equal(back, ct) {
			t.Fatalf("decrypt/encrypt not inverse: %x vs %x", back, ct)
		}
	})
}

// FuzzWeChatRefundDecrypt: arbitrary req_info never panics; a success round-trips.
func FuzzWeChatRefundDecrypt(f *testing.F) {
	good, _ := EncryptWeChatRefundInfo([]byte("<root></root>"), weChatDocKey)
	f.Add(good)
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, reqInfo string) {
		pt, err := DecryptWeChatRefundInfo(reqInfo, weChatDocKey)
		if err != nil {
			return
		}
		enc, _ := EncryptWeChatRefundInfo(pt, weChatDocKey)
		raw, _ := decodeBase64Loose([]byte(reqInfo))
		if enc != base64.StdEncoding.EncodeToString(raw) {
			t.Fatal("req_info decrypt/encrypt not inverse")
		}
	})
}

// FuzzEnvelopeOpen: arbitrary encKey and field values never panic.
func FuzzEnvelopeOpen(f *testing.F) {
	bank, _ := NewSM2PrivateKey(unhex(f, bdcBankD))
	env, _ := NewEnvelopeWithKey(unhex(f, bdcK), EnvelopeOptions{})
	f.Add(bdcEncKey, bdcCardNo)
	f.Add("", "")
	f.Fuzz(func(t *testing.T, encKey, field string) {
		if e, err := OpenEnvelope(bank, encKey, EnvelopeOptions{}); err == nil && len(e.Key()) != 16 {
			t.Fatal("bad session key accepted")
		}
		if pt, err := env.OpenField(field); err != nil && pt != nil {
			t.Fatal("plaintext with error")
		}
	})
}

func readFileForFuzz(name string) ([]byte, error) { return os.ReadFile("testdata/" + name) }

func decodeBig(b []byte) *big.Int { return new(big.Int).SetBytes(b) }
