package unionpay

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/tjfoc/gmsm/sm2"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator/demo"
)

// The benchmarks pair each wire operation with the bare library calls it wraps, in the
// same run: RSA with crypto/rsa, SM2 with tjfoc/gmsm. The bare side is what any
// implementation of signMethod 01/21 must compute over the already-built signed string:
// SHA-256 (SM3) of it, its lower-hex form, and the one sign/verify call (as
// SHA256withRSA/SM2 needs them); decryption is the bare decrypt call over the decoded
// ciphertext. The wire side adds everything the adapter does: parsing the answer or the
// form, sorting, building the signed string, base64, the cached certificate lookup.

var benchNow = time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)

// consumeFields is a typical token consume request (15 fields before signing).
func consumeFields() sign.Params {
	return sign.Params{
		{Key: "version", Value: "5.1.0"}, {Key: "encoding", Value: "UTF-8"}, {Key: "txnType", Value: "01"}, {Key: "txnSubType", Value: "01"},
		{Key: "bizType", Value: "000902"}, {Key: "accessType", Value: "0"}, {Key: "channelType", Value: "07"}, {Key: "merId", Value: demoMerID},
		{Key: "orderId", Value: "B20240603100000001"}, {Key: "txnTime", Value: "20240603100000"}, {Key: "txnAmt", Value: "2500"},
		{Key: "currencyCode", Value: "156"}, {Key: "backUrl", Value: "https://merchant.example/unionpay/notify"},
		{Key: "tokenPayData", Value: "{trId=62000000001&token=6235240000021325245}"}, {Key: "customerInfo", Value: "e3Ntc0NvZGU9MTExMTExfQ=="},
	}
}

// answerFields is a typical consume answer signed by the demo UnionPay key.
func answerFields(b testing.TB, method string) map[string]string {
	f := map[string]string{
		"version": "5.1.0", "encoding": "UTF-8", "txnType": "01", "txnSubType": "01", "bizType": "000902", "accessType": "0",
		"merId": demoMerID, "orderId": "B20240603100000001", "txnTime": "20240603100000", "txnAmt": "2500", "currencyCode": "156",
		"respCode": "00", "respMsg": "成功[0000000]", "queryId": "240603100000123456789", "traceNo": "123456", "traceTime": "0603100000",
		"settleDate": "0603", "settleAmt": "2500", "settleCurrencyCode": "156", "accNo": "622155******0000", "payCardType": "02",
		"signMethod": method,
	}
	if method == methodRSA {
		f["signPubKeyCert"] = string(demo.MustFile(demo.UnionPaySignCert))
		key, err := sign.ParseRSAPrivateKey(demo.MustFile(demo.UnionPaySignPrivate))
		if err != nil {
			b.Fatal(err)
		}
		f["signature"], _ = sign.UnionPaySignRSA(key, []byte(sign.CanonicalMap(f, sign.UnionPayCanonical())))
	} else {
		c := mustSM2Cert(b, demo.UnionPaySM2SignCert)
		f["signPubKeyCert"] = string(c.PEM())
		key, err := sign.ParseSM2PrivateKey(demo.MustFile(demo.UnionPaySM2SignPrivate), nil)
		if err != nil {
			b.Fatal(err)
		}
		f["signature"], _ = sign.UnionPaySignSM2(key, c.CertID(), []byte(sign.CanonicalMap(f, sign.UnionPayCanonical())))
	}
	return f
}

func answerBody(f map[string]string) []byte {
	p := sign.ParamsFromMap(f)
	var b []byte
	for i, kv := range p {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, kv.Key...)
		b = append(b, '=')
		b = append(b, kv.Value...)
	}
	return b
}

func hexDigest(canonical []byte) []byte {
	h := sha256.Sum256(canonical)
	return []byte(hex.EncodeToString(h[:]))
}

func BenchmarkSignRequestRSA(b *testing.B) {
	c := demoRSACreds(b)
	p := consumeFields()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.signRequest(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareRSASignPKCS1v15(b *testing.B) {
	c := demoRSACreds(b)
	d := sha256.Sum256(hexDigest([]byte(sign.Canonical(consumeFields(), sign.UnionPayCanonical()))))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rsa.SignPKCS1v15(nil, c.rsaKey, crypto.SHA256, d[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyAnswerRSA(b *testing.B) {
	tr := demoTrust(b)
	body := answerBody(answerFields(b, methodRSA))
	if _, err := tr.decodeAnswer(body, benchNow); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.decodeOwnedAnswer(body, benchNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareRSAVerifyPKCS1v15(b *testing.B) {
	f := answerFields(b, methodRSA)
	pub := mustCert(b, demo.UnionPaySignCert).PublicKey.(*rsa.PublicKey)
	d := sha256.Sum256(hexDigest([]byte(sign.CanonicalMap(f, sign.UnionPayCanonical()))))
	sig, _ := base64.StdEncoding.DecodeString(f["signature"])
	b.ReportAllocs()
	for b.Loop() {
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeNotificationRSA: a back notification, form-decoded and verified.
func BenchmarkDecodeNotificationRSA(b *testing.B) {
	tr := demoTrust(b)
	v := url.Values{}
	for k, x := range answerFields(b, methodRSA) {
		v.Set(k, x)
	}
	body := []byte(v.Encode())
	if _, err := tr.decodeNotification(body, nil, benchNow); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.decodeNotification(body, nil, benchNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecryptRSA(b *testing.B) {
	c := demoRSACreds(b)
	ct, _ := sign.UnionPayEncryptRSA(&c.rsaKey.PublicKey, []byte("6221558812340000"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.decrypt(ct); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareRSADecryptPKCS1v15(b *testing.B) {
	c := demoRSACreds(b)
	//lint:ignore SA1019 UnionPay's field encryption is PKCS#1 v1.5 (the baseline must match)
	ct, _ := rsa.EncryptPKCS1v15(rand.Reader, &c.rsaKey.PublicKey, []byte("6221558812340000"))
	b.ReportAllocs()
	for b.Loop() {
		//lint:ignore SA1019 the baseline of UnionPay's PKCS#1 v1.5 field encryption
		if _, err := rsa.DecryptPKCS1v15(nil, c.rsaKey, ct); err != nil {
			b.Fatal(err)
		}
	}
}

// gmsmKey rebuilds a tjfoc/gmsm key from an adapters/sign one, for the bare baselines.
func gmsmKey(k *sign.SM2PrivateKey) *sm2.PrivateKey {
	curve := sm2.P256Sm2()
	d := new(big.Int).SetBytes(k.Bytes())
	//lint:ignore SA1019 tjfoc/gmsm keys carry the point; its curve API is the elliptic one
	x, y := curve.ScalarBaseMult(k.Bytes())
	return &sm2.PrivateKey{PublicKey: sm2.PublicKey{Curve: curve, X: x, Y: y}, D: d}
}

func sm3HexDigest(canonical []byte) []byte {
	h := sign.SM3(canonical)
	return []byte(hex.EncodeToString(h[:]))
}

func BenchmarkSignRequestSM2(b *testing.B) {
	c := demoSM2Creds(b)
	p := consumeFields()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.signRequest(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareGmsmSm2Sign(b *testing.B) {
	c := demoSM2Creds(b)
	k := gmsmKey(c.sm2Key)
	msg := sm3HexDigest([]byte(sign.Canonical(consumeFields(), sign.UnionPayCanonical())))
	uid := []byte(c.certID)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := sm2.Sm2Sign(k, msg, uid, rand.Reader); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyAnswerSM2(b *testing.B) {
	tr := demoTrust(b)
	body := answerBody(answerFields(b, methodSM2))
	if _, err := tr.decodeAnswer(body, benchNow); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.decodeOwnedAnswer(body, benchNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareGmsmSm2Verify(b *testing.B) {
	f := answerFields(b, methodSM2)
	c := mustSM2Cert(b, demo.UnionPaySM2SignCert)
	key, _ := sign.ParseSM2PrivateKey(demo.MustFile(demo.UnionPaySM2SignPrivate), nil)
	pub := &gmsmKey(key).PublicKey
	msg := sm3HexDigest([]byte(sign.CanonicalMap(f, sign.UnionPayCanonical())))
	raw, _ := base64.StdEncoding.DecodeString(f["signature"])
	r, s := new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])
	uid := []byte(c.CertID())
	b.ReportAllocs()
	for b.Loop() {
		if !sm2.Sm2Verify(pub, msg, uid, r, s) {
			b.Fatal("verify")
		}
	}
}

func BenchmarkDecryptSM2(b *testing.B) {
	c := demoSM2Creds(b)
	ct, _ := sign.UnionPayEncryptSM2(c.sm2Key.Public(), []byte("6221558812340000"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.decrypt(ct); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareGmsmSm2Decrypt(b *testing.B) {
	c := demoSM2Creds(b)
	k := gmsmKey(c.sm2Key)
	ct, err := sm2.Encrypt(&k.PublicKey, []byte("6221558812340000"), rand.Reader, sm2.C1C3C2)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sm2.Decrypt(k, ct, sm2.C1C3C2); err != nil {
			b.Fatal(err)
		}
	}
}

// pairedOverhead alternates the bare call and the wire path in one loop on one locked OS
// thread, timing each with the thread's CPU clock: both see the same machine, and the
// ratio holds on a shared one. It reports both costs and the wire path's extra cost.
func pairedOverhead(b *testing.B, bare, wire func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var tBare, tWire time.Duration
	for b.Loop() {
		t0 := threadCPU()
		bare()
		t1 := threadCPU()
		wire()
		t2 := threadCPU()
		tBare += t1 - t0
		tWire += t2 - t1
	}
	n := float64(b.N)
	b.ReportMetric(float64(tBare.Nanoseconds())/n, "bare-cpu-ns/op")
	b.ReportMetric(float64(tWire.Nanoseconds())/n, "wire-cpu-ns/op")
	b.ReportMetric(100*(float64(tWire)-float64(tBare))/float64(tBare), "overhead-%")
}

func must(b *testing.B, err error) {
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOverheadPaired: each wire operation against the bare library call it wraps.
func BenchmarkOverheadPaired(b *testing.B) {
	rc, sc := demoRSACreds(b), demoSM2Creds(b)
	tr := demoTrust(b)
	req := consumeFields()

	signed, _ := rc.signRequest(req)
	reqCanonical := []byte(sign.Canonical(signed, sign.UnionPayCanonical()))
	b.Run("sign_rsa", func(b *testing.B) {
		pairedOverhead(b, func() {
			d := sha256.Sum256(hexDigest(reqCanonical))
			_, err := rsa.SignPKCS1v15(nil, rc.rsaKey, crypto.SHA256, d[:])
			must(b, err)
		}, func() {
			_, err := rc.signRequest(req)
			must(b, err)
		})
	})

	for _, m := range []string{methodRSA, methodSM2} {
		f := answerFields(b, m)
		body := answerBody(f)
		v := url.Values{}
		for k, x := range f {
			v.Set(k, x)
		}
		nbody := []byte(v.Encode())
		raw, _ := base64.StdEncoding.DecodeString(f["signature"])
		var bare func()
		if m == methodRSA {
			pub := mustCert(b, demo.UnionPaySignCert).PublicKey.(*rsa.PublicKey)
			canonical := []byte(sign.CanonicalMap(f, sign.UnionPayCanonical()))
			bare = func() {
				d := sha256.Sum256(hexDigest(canonical))
				must(b, rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], raw))
			}
		} else {
			key, _ := sign.ParseSM2PrivateKey(demo.MustFile(demo.UnionPaySM2SignPrivate), nil)
			pub := &gmsmKey(key).PublicKey
			canonical := []byte(sign.CanonicalMap(f, sign.UnionPayCanonical()))
			r, s := new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])
			uid := []byte(mustSM2Cert(b, demo.UnionPaySM2SignCert).CertID())
			bare = func() {
				if !sm2.Sm2Verify(pub, sm3HexDigest(canonical), uid, r, s) {
					b.Fatal("bare verify")
				}
			}
		}
		name := map[string]string{methodRSA: "rsa", methodSM2: "sm2"}[m]
		b.Run("verify_answer_"+name, func(b *testing.B) {
			pairedOverhead(b, bare, func() {
				// What call runs on the body it has just read (it hands the body over).
				_, err := tr.decodeOwnedAnswer(body, benchNow)
				must(b, err)
			})
		})
		b.Run("notification_"+name, func(b *testing.B) {
			pairedOverhead(b, bare, func() {
				_, err := tr.decodeNotification(nbody, nil, benchNow)
				must(b, err)
			})
		})
	}

	ct, _ := sign.UnionPayEncryptRSA(&rc.rsaKey.PublicKey, []byte("6221558812340000"))
	ctRaw, _ := base64.StdEncoding.DecodeString(ct)
	b.Run("decrypt_rsa", func(b *testing.B) {
		pairedOverhead(b, func() {
			//lint:ignore SA1019 the baseline of UnionPay's PKCS#1 v1.5 field encryption
			_, err := rsa.DecryptPKCS1v15(nil, rc.rsaKey, ctRaw)
			must(b, err)
		}, func() {
			_, err := rc.decrypt(ct)
			must(b, err)
		})
	})

	gk := gmsmKey(sc.sm2Key)
	sm2Signed, _ := sc.signRequest(req)
	sm2Canonical := []byte(sign.Canonical(sm2Signed, sign.UnionPayCanonical()))
	uid := []byte(sc.certID)
	b.Run("sign_sm2", func(b *testing.B) {
		pairedOverhead(b, func() {
			r, s, err := sm2.Sm2Sign(gk, sm3HexDigest(sm2Canonical), uid, rand.Reader)
			must(b, err)
			_ = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
		}, func() {
			_, err := sc.signRequest(req)
			must(b, err)
		})
	})
	sct, _ := sign.UnionPayEncryptSM2(sc.sm2Key.Public(), []byte("6221558812340000"))
	sctRaw, _ := base64.StdEncoding.DecodeString(sct)
	b.Run("decrypt_sm2", func(b *testing.B) {
		pairedOverhead(b, func() {
			_, err := sm2.Decrypt(gk, sctRaw, sm2.C1C3C2)
			must(b, err)
		}, func() {
			_, err := sc.decrypt(sct)
			must(b, err)
		})
	})
}
