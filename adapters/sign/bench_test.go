package sign

import (
	"crypto"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"

	"github.com/tjfoc/gmsm/sm2"
	"github.com/tjfoc/gmsm/sm4"
)

// weChat12 is a typical 12-field unifiedorder request (wechat-v2.md §6.1), unsorted as
// an adapter would build it.
func weChat12() Params {
	return Params{
		{"appid", "wxd930ea5d5a258f4f"}, {"mch_id", "10000100"}, {"nonce_str", "ibuaiVcKdpRxkhJA"},
		{"sign_type", "MD5"}, {"body", "tongdao test order"}, {"out_trade_no", "P20240101000001"},
		{"total_fee", "100"}, {"spbill_create_ip", "127.0.0.1"}, {"notify_url", "https://merchant.example/notify/wechat"},
		{"trade_type", "NATIVE"}, {"product_id", "SKU-0001"}, {"time_expire", "20240101123000"},
	}
}

func BenchmarkWeChatSignMD5_12Fields(b *testing.B) {
	p := weChat12()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := WeChatSign(p, weChatDocKey, WeChatMD5); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWeChatSignMD5_12FieldsSorted(b *testing.B) {
	p := weChat12()
	p.Sort()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := WeChatSign(p, weChatDocKey, WeChatMD5); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWeChatSignHMACSHA256_12Fields(b *testing.B) {
	p := weChat12()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := WeChatSign(p, weChatDocKey, WeChatHMACSHA256); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWeChatVerifyMD5_12Fields(b *testing.B) {
	p := weChat12()
	s, _ := WeChatSign(p, weChatDocKey, WeChatMD5)
	p.Set("sign", s)
	b.ReportAllocs()
	for b.Loop() {
		if err := WeChatVerify(p, weChatDocKey, WeChatMD5, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendCanonical_12Fields(b *testing.B) {
	p := weChat12()
	buf := make([]byte, 0, 512)
	opts := WeChatCanonical()
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendCanonical(buf[:0], p, opts)
	}
}

func BenchmarkCanonicalString_12Fields(b *testing.B) {
	p := weChat12()
	opts := WeChatCanonical()
	b.ReportAllocs()
	for b.Loop() {
		_ = Canonical(p, opts)
	}
}

// --- RSA2 vs the bare standard-library call -------------------------------------

func benchRSAKey(b *testing.B) *rsa.PrivateKey {
	k, err := ParseRSAPrivateKey(readTestdata(b, "rsa_pkcs1.pem"))
	if err != nil {
		b.Fatal(err)
	}
	return k
}

var benchMsg = []byte(alipayDocSignContent)

func BenchmarkRSA2Sign(b *testing.B) {
	k := benchRSAKey(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SignRSA2(k, benchMsg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareRSASignPKCS1v15(b *testing.B) {
	k := benchRSAKey(b)
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256(benchMsg)
		if _, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRSA2Verify(b *testing.B) {
	k := benchRSAKey(b)
	sig, _ := SignRSA2(k, benchMsg)
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyRSA2(&k.PublicKey, benchMsg, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareRSAVerifyPKCS1v15(b *testing.B) {
	k := benchRSAKey(b)
	sig, _ := SignRSA2(k, benchMsg)
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256(benchMsg)
		if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnionPaySignRSA(b *testing.B) {
	k := benchRSAKey(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnionPaySignRSA(k, benchMsg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnionPayVerifyRSA(b *testing.B) {
	k := benchRSAKey(b)
	sig, _ := UnionPaySignRSA(k, benchMsg)
	b.ReportAllocs()
	for b.Loop() {
		if err := UnionPayVerifyRSA(&k.PublicKey, benchMsg, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnionPaySecureKey11(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnionPaySecureKeySign("11", []byte(upCanonical11), "88888888"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnionPaySecureKey12(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnionPaySecureKeySign("12", []byte(upCanonical11), "88888888"); err != nil {
			b.Fatal(err)
		}
	}
}

// --- SM2 vs bare tjfoc -------------------------------------------------------------

func BenchmarkSM2Sign(b *testing.B) {
	k := sm2VecKey(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SignSM2(k, benchMsg, SM2SignOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareSM2Sign(b *testing.B) {
	k := sm2VecKey(b)
	uid := []byte(DefaultSM2UID)
	b.ReportAllocs()
	for b.Loop() {
		r, s, err := sm2.Sm2Sign(k.k, benchMsg, uid, rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sm2.SignDigitToSignData(r, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSM2Verify(b *testing.B) {
	k := sm2VecKey(b)
	sig, _ := SignSM2(k, benchMsg, SM2SignOptions{})
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifySM2(k.Public(), benchMsg, sig, SM2SignOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareSM2Verify(b *testing.B) {
	k := sm2VecKey(b)
	sig, _ := SignSM2(k, benchMsg, SM2SignOptions{})
	uid := []byte(DefaultSM2UID)
	b.ReportAllocs()
	for b.Loop() {
		r, s, err := sm2.SignDataToSignDigit(sig)
		if err != nil {
			b.Fatal(err)
		}
		if !sm2.Sm2Verify(&k.k.PublicKey, benchMsg, uid, r, s) {
			b.Fatal("verify")
		}
	}
}

func BenchmarkSM2Encrypt16(b *testing.B) {
	k := sm2VecKey(b)
	pt := make([]byte, 16)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncryptSM2(k.Public(), pt, SM2CipherOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareSM2Encrypt16(b *testing.B) {
	k := sm2VecKey(b)
	pt := make([]byte, 16)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sm2.Encrypt(&k.k.PublicKey, pt, rand.Reader, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSM2Decrypt16(b *testing.B) {
	k := sm2VecKey(b)
	ct, _ := EncryptSM2(k.Public(), make([]byte, 16), SM2CipherOptions{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecryptSM2(k, ct, SM2CipherOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareSM2Decrypt16(b *testing.B) {
	k := sm2VecKey(b)
	ct, _ := EncryptSM2(k.Public(), make([]byte, 16), SM2CipherOptions{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sm2.Decrypt(k.k, ct, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// --- SM4 vs bare tjfoc block + crypto/cipher -----------------------------------

var sm4Key = []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}
var sm4IV = make([]byte, 16)
var kib = make([]byte, 1024)

func BenchmarkSM4CBCEncrypt1KiB(b *testing.B) {
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SM4CBCEncrypt(sm4Key, sm4IV, kib); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareSM4CBCEncrypt1KiB does the same work by hand: new cipher, PKCS#7 copy,
// standard CBC.
func BenchmarkBareSM4CBCEncrypt1KiB(b *testing.B) {
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		blk, err := sm4.NewCipher(sm4Key)
		if err != nil {
			b.Fatal(err)
		}
		out := make([]byte, 1024+16)
		copy(out, kib)
		for i := 1024; i < len(out); i++ {
			out[i] = 16
		}
		cipher.NewCBCEncrypter(blk, sm4IV).CryptBlocks(out, out)
	}
}

func BenchmarkSM4CBCDecrypt1KiB(b *testing.B) {
	ct, _ := SM4CBCEncrypt(sm4Key, sm4IV, kib)
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SM4CBCDecrypt(sm4Key, sm4IV, ct); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareSM4CBCDecrypt1KiB(b *testing.B) {
	ct, _ := SM4CBCEncrypt(sm4Key, sm4IV, kib)
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		blk, err := sm4.NewCipher(sm4Key)
		if err != nil {
			b.Fatal(err)
		}
		out := make([]byte, len(ct))
		cipher.NewCBCDecrypter(blk, sm4IV).CryptBlocks(out, ct)
		_ = out[:len(out)-int(out[len(out)-1])]
	}
}

func BenchmarkSM4ECBEncrypt1KiB(b *testing.B) {
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SM4ECBEncrypt(sm4Key, kib); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSM3_1KiB(b *testing.B) {
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		_ = SM3(kib)
	}
}

func BenchmarkHMACSM3_1KiB(b *testing.B) {
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		_ = HMACSM3(sm4Key, kib)
	}
}

// --- composites ---------------------------------------------------------------------

func BenchmarkEnvelopeSealField(b *testing.B) {
	env, _ := NewEnvelope(EnvelopeOptions{})
	pt := []byte("6216261000000000018")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.SealField(pt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEnvelopeOpenField(b *testing.B) {
	env, _ := NewEnvelope(EnvelopeOptions{})
	sealed, _ := env.SealField([]byte("6216261000000000018"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.OpenField(sealed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWeChatRefundDecrypt(b *testing.B) {
	enc, _ := EncryptWeChatRefundInfo(make([]byte, 600), weChatDocKey)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecryptWeChatRefundInfo(enc, weChatDocKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAlipayCertSN(b *testing.B) {
	c, _ := ParseCertificate(readTestdata(b, "up_sign.pem"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := AlipayCertSN(c); err != nil {
			b.Fatal(err)
		}
	}
}
