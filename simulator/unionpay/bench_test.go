package unionpay_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator/demo"
	"github.com/tongdao/tongdao/simulator/unionpay"
)

// BenchmarkBackTransReqPaired measures, in process and on one locked OS thread, the CPU
// the simulator spends on one backTransReq (a consume SMS, 77/02: form decoding, the
// merchant lookup, signature verification, the token lookup, the answer, its signature,
// the transcript record) against the bare CPU of that request's verification and the
// answer's signing with the same keys, alternated in one loop. RSA (signMethod 01) and
// SM2 (21).
func BenchmarkBackTransReqPaired(b *testing.B) {
	for _, method := range []string{"01", "21"} {
		b.Run("method="+method, func(b *testing.B) {
			e := newEnv(b, unionpay.Config{}, method)
			up := e.sim.Server
			token := openTokenB(b, e)
			f := e.fields("77", "02", "000902", map[string]string{"tokenPayData": "{trId=" + trID + "&token=" + token + "}", "txnAmt": "100", "currencyCode": "156"})
			body := e.signReq(f).Encode()
			canonical := []byte(sign.CanonicalMap(f, sign.UnionPayCanonical()))
			sigText := e.signReq(f).Get("signature")
			sig, _ := base64.StdEncoding.DecodeString(sigText)
			ansCanonical := canonical // an answer signs a string of about the same length
			var bare func()
			if method == "01" {
				pub := &e.merRSA.PublicKey
				upKey, _ := sign.ParseRSAPrivateKey(demo.MustFile(demo.UnionPaySignPrivate))
				bare = func() {
					h := sha256.Sum256(canonical)
					d := sha256.Sum256([]byte(hex.EncodeToString(h[:])))
					if rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig) != nil {
						b.Fatal("bare verify")
					}
					h = sha256.Sum256(ansCanonical)
					d = sha256.Sum256([]byte(hex.EncodeToString(h[:])))
					if _, err := rsa.SignPKCS1v15(rand.Reader, upKey, crypto.SHA256, d[:]); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				upKey, _ := sign.ParseSM2PrivateKey(demo.MustFile(demo.UnionPaySM2SignPrivate), nil)
				bare = func() {
					if sign.UnionPayVerifySM2(e.merSM2.Public(), e.merSM2ID, canonical, sigText) != nil {
						b.Fatal("bare verify")
					}
					if _, err := sign.UnionPaySignSM2(upKey, "73002000001", ansCanonical); err != nil {
						b.Fatal(err)
					}
				}
			}
			serve := func() {
				req := httptest.NewRequest("POST", unionpay.PathBack, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				w := httptest.NewRecorder()
				up.ServeHTTP(w, req)
				if !strings.Contains(w.Body.String(), "respCode=00") {
					b.Fatalf("answer: %s", w.Body.String())
				}
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var tBare, tSim time.Duration
			for b.Loop() {
				t0 := threadCPU()
				bare()
				t1 := threadCPU()
				serve()
				t2 := threadCPU()
				tBare += t1 - t0
				tSim += t2 - t1
			}
			n := float64(b.N)
			b.ReportMetric(float64(tBare.Nanoseconds())/n, "bare-cpu-ns/op")
			b.ReportMetric(float64(tSim.Nanoseconds())/n, "sim-cpu-ns/op")
			b.ReportMetric(float64(tSim)/float64(tBare), "ratio")
		})
	}
}

// openTokenB is openToken for benchmarks.
func openTokenB(b *testing.B, e *env) string {
	f := e.fields("79", "00", "000902", map[string]string{"tokenPayData": "{trId=" + trID + "&tokenType=01}"})
	f["accNo"] = e.encrypt(f, unionpay.DemoCreditCard)
	f["customerInfo"] = e.customerInfo(f, nil, "phoneNo="+unionpay.DemoPhone+"&cvn2=123&expired=2311")
	m := e.call(unionpay.PathBack, f)
	tpd, err := parseLine(strings.Trim(m["tokenPayData"], "{}"))
	if err != nil || tpd["token"] == "" {
		b.Fatalf("open: %v %v", m, err)
	}
	return tpd["token"]
}
