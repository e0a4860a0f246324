package unionpay

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/simulator"
	"github.com/tongdao/tongdao/simulator/demo"
	simunionpay "github.com/tongdao/tongdao/simulator/unionpay"
)

// The integration tests run the wire layer against the simulator's UnionPay (written
// independently from the same description) with the demo merchant's PKCS#12.

const demoMerID = "777290058110048"

func mustCert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	c, err := sign.ParseCertificate(demo.MustFile(name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustSM2Cert(t testing.TB, name string) *sign.SM2Certificate {
	t.Helper()
	c, err := sign.ParseSM2Certificate(demo.MustFile(name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func demoTrust(t testing.TB) *trust {
	t.Helper()
	tr, err := newTrust(trustConfig{
		roots: []*x509.Certificate{mustCert(t, demo.UnionPayRootCert)}, middles: []*x509.Certificate{mustCert(t, demo.UnionPayMiddleCert)},
		sm2Roots: []*sign.SM2Certificate{mustSM2Cert(t, demo.UnionPaySM2RootCert)}, sm2Middles: []*sign.SM2Certificate{mustSM2Cert(t, demo.UnionPaySM2MiddleCert)},
		secureKey: simunionpay.DemoSecureKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func demoRSACreds(t testing.TB) *credentials {
	t.Helper()
	c, err := rsaCredentials(demo.MustFile(demo.UnionPayMerchantPFX), demo.UnionPayPFXPassword)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func demoSM2Creds(t testing.TB) *credentials {
	t.Helper()
	k, err := sign.ParseSM2PrivateKey(demo.MustFile(demo.UnionPaySM2MerchantPrivate), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := sm2Credentials(k, mustSM2Cert(t, demo.UnionPaySM2MerchantCert))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type wireEnv struct {
	t      *testing.T
	sim    *simulator.TestServer
	up     *simunionpay.Server
	tr     *trust
	bodies [][]byte // notifications received
	seq    int
}

func newWireEnv(t *testing.T) *wireEnv {
	up, err := simunionpay.New(simunionpay.Config{})
	if err != nil {
		t.Fatal(err)
	}
	w := &wireEnv{t: t, up: up, tr: demoTrust(t)}
	w.sim = simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{up}, Seed: 3,
		CallbackTransport: simulator.HandlerTransport(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.bodies = append(w.bodies, b)
		}))})
	return w
}

func (w *wireEnv) now() time.Time { return w.sim.Clock().Now() }

func (w *wireEnv) txnTime() string { return w.now().In(clock.Beijing()).Format("20060102150405") }

// send signs fields with c, posts them to path and verifies the answer.
func (w *wireEnv) send(c *credentials, path string, p sign.Params) (*verified, error) {
	w.t.Helper()
	w.seq++
	base := sign.Params{{Key: "version", Value: "5.1.0"}, {Key: "encoding", Value: "UTF-8"}, {Key: "accessType", Value: "0"},
		{Key: "channelType", Value: "07"}, {Key: "merId", Value: demoMerID}, {Key: "txnTime", Value: w.txnTime()},
		{Key: "orderId", Value: "W" + w.txnTime() + itoa(1000+w.seq)}}
	for _, kv := range p {
		base.Set(kv.Key, kv.Value)
	}
	signed, err := c.signRequest(base)
	if err != nil {
		w.t.Fatal(err)
	}
	res, err := w.sim.Client().Post(w.sim.URL+path, "application/x-www-form-urlencoded;charset=UTF-8", strings.NewReader(string(encodeForm(signed))))
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		w.t.Fatalf("status %d", res.StatusCode)
	}
	return w.tr.decodeAnswer(b, w.now())
}

func TestWire_QueryInEverySignMethod(t *testing.T) {
	w := newWireEnv(t)
	sk11, _ := secureKeyCredentials(methodSHA256, simunionpay.DemoSecureKey)
	sk12, _ := secureKeyCredentials(methodSM3, simunionpay.DemoSecureKey)
	for name, c := range map[string]*credentials{"01": demoRSACreds(t), "21": demoSM2Creds(t), "11": sk11, "12": sk12} {
		v, err := w.send(c, "/gateway/api/queryTrans.do", sign.Params{{Key: "txnType", Value: "00"}, {Key: "txnSubType", Value: "00"}, {Key: "bizType", Value: "000000"}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if v.get("respCode") != "34" || v.get("signMethod") != name {
			t.Errorf("%s: respCode %s signMethod %s", name, v.get("respCode"), v.get("signMethod"))
		}
	}
}

// TestWire_TokenOpenConsumeNotify: back open with encrypted card data, consume SMS, consume,
// and the back notification verified after removing backUrl's query parameters.
func TestWire_TokenOpenConsumeNotify(t *testing.T) {
	for _, method := range []string{"01", "21"} {
		t.Run(method, func(t *testing.T) {
			w := newWireEnv(t)
			c, enc := demoRSACreds(t), mustEnc(t, demo.UnionPayEncCert)
			if method == "21" {
				c, enc = demoSM2Creds(t), mustEnc(t, demo.UnionPaySM2EncCert)
			}
			accNo, encID, err := enc.encryptAccNo(simunionpay.DemoCreditCard)
			if err != nil {
				t.Fatal(err)
			}
			ci, err := customerInfo(enc, []string{"certifTp", "01"}, []string{"phoneNo", simunionpay.DemoPhone, "cvn2", "123", "expired", "2311"})
			if err != nil {
				t.Fatal(err)
			}
			tpd := braced("trId", "62000000001", "tokenType", "01")
			v, err := w.send(c, "/gateway/api/backTransReq.do", sign.Params{{Key: "txnType", Value: "79"}, {Key: "txnSubType", Value: "00"},
				{Key: "bizType", Value: "000902"}, {Key: "accNo", Value: accNo}, {Key: "encryptCertId", Value: encID},
				{Key: "customerInfo", Value: ci}, {Key: "tokenPayData", Value: tpd}})
			if err != nil || v.get("respCode") != "00" {
				t.Fatalf("open: %v %s", err, v.get("respMsg"))
			}
			tok, err := parseBraced("tokenPayData", v.get("tokenPayData"))
			if err != nil || tok["token"] == "" {
				t.Fatalf("tokenPayData %q: %v", v.get("tokenPayData"), err)
			}
			txn := sign.Params{{Key: "bizType", Value: "000902"}, {Key: "tokenPayData", Value: braced("trId", "62000000001", "token", tok["token"])},
				{Key: "txnAmt", Value: "2500"}, {Key: "currencyCode", Value: "156"}, {Key: "orderId", Value: "WCONSUME" + method + "01"}}
			sms := append(txn.Clone(), sign.Param{Key: "txnType", Value: "77"}, sign.Param{Key: "txnSubType", Value: "02"})
			if v, err = w.send(c, "/gateway/api/backTransReq.do", sms); err != nil || v.get("respCode") != "00" {
				t.Fatalf("sms: %v", err)
			}
			smsCI, _ := customerInfo(nil, []string{"smsCode", simunionpay.DemoSMSCode}, nil)
			consume := append(txn.Clone(), sign.Param{Key: "txnType", Value: "01"}, sign.Param{Key: "txnSubType", Value: "01"},
				sign.Param{Key: "customerInfo", Value: smsCI}, sign.Param{Key: "backUrl", Value: "http://m.test/notify?shop=7"})
			v, err = w.send(c, "/gateway/api/backTransReq.do", consume)
			if err != nil {
				t.Fatal(err)
			}
			if r := classify(v.get("respCode"), opMoney); r.outcome != outProcessing {
				t.Fatalf("consume: respCode %s -> %v", v.get("respCode"), r.outcome)
			}
			if err := w.sim.Advance(0); err != nil {
				t.Fatal(err)
			}
			if len(w.bodies) != 1 {
				t.Fatalf("%d notifications", len(w.bodies))
			}
			body := string(w.bodies[0]) + "&shop=7" // as UnionPay posts backUrl's query back
			strip, _ := backURLKeys("http://m.test/notify?shop=7")
			if _, err := w.tr.decodeNotification([]byte(body), nil, w.now()); !errors.Is(err, errSignature) {
				t.Errorf("unstripped notification: %v, want errSignature", err)
			}
			n, err := w.tr.decodeNotification([]byte(body), strip, w.now())
			if err != nil {
				t.Fatal(err)
			}
			if n.get("queryId") != v.get("queryId") || n.get("txnAmt") != "2500" || n.get("accNo") != "622155******0000" {
				t.Errorf("notification: queryId %s txnAmt %s accNo %s", n.get("queryId"), n.get("txnAmt"), n.get("accNo"))
			}
			tampered := strings.Replace(string(w.bodies[0]), "txnAmt=2500", "txnAmt=1", 1)
			if _, err := w.tr.decodeNotification([]byte(tampered), nil, w.now()); !errors.Is(err, errSignature) {
				t.Errorf("tampered amount: %v, want errSignature", err)
			}
		})
	}
}

func mustEnc(t testing.TB, name string) *encCert {
	t.Helper()
	e, err := parseEncCert(demo.MustFile(name))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestWire_RotationPicksUpTheNewCertificate(t *testing.T) {
	w := newWireEnv(t)
	c := demoRSACreds(t)
	q := sign.Params{{Key: "txnType", Value: "00"}, {Key: "txnSubType", Value: "00"}, {Key: "bizType", Value: "000000"}}
	if _, err := w.send(c, "/gateway/api/queryTrans.do", q); err != nil {
		t.Fatal(err)
	}
	w.up.RotateCert(true)
	if _, err := w.send(c, "/gateway/api/queryTrans.do", q); err != nil {
		t.Fatal(err)
	}
	first, rotated := w.up.SignCertIDs()
	for _, id := range []string{first, rotated} {
		if w.tr.byCertID[methodRSA+id] == nil {
			t.Errorf("certId %s not cached", id)
		}
	}
	// A message that names a cached certId without carrying the certificate verifies.
	f := map[string]string{"respCode": "00", "signMethod": "01", "certId": rotated}
	key, _ := sign.ParseRSAPrivateKey(demo.MustFile(demo.UnionPaySign2Private))
	f["signature"], _ = sign.UnionPaySignRSA(key, []byte(sign.CanonicalMap(f, sign.UnionPayCanonical())))
	if _, err := w.tr.verify(fieldsOf(f), w.now()); err != nil {
		t.Errorf("by certId: %v", err)
	}
	f["certId"] = "12345"
	if _, err := w.tr.verify(fieldsOf(f), w.now()); !errors.Is(err, errSignature) {
		t.Errorf("unknown certId: %v", err)
	}
}

func TestWire_EncryptionCertUpdate(t *testing.T) {
	w := newWireEnv(t)
	v, err := w.send(demoRSACreds(t), "/gateway/api/backTransReq.do", sign.Params{{Key: "txnType", Value: "95"}, {Key: "txnSubType", Value: "00"}, {Key: "bizType", Value: "000000"}, {Key: "certType", Value: "01"}})
	if err != nil {
		t.Fatal(err)
	}
	cur := mustEnc(t, demo.UnionPayEncCert)
	if got, changed, err := updateEncCert(cur, v); err != nil || changed || got != cur {
		t.Errorf("same serial: changed %v err %v", changed, err)
	}
	old := &encCert{certID: "68759622180", rsa: cur.rsa}
	got, changed, err := updateEncCert(old, v)
	if err != nil || !changed || got.certID != "68759622183" {
		t.Errorf("new serial: %v %v %v", got, changed, err)
	}
}

// TestTrust_RejectsBadCertificates: a signPubKeyCert that does not chain to the root, has
// the wrong CN, or is expired is refused although its signature matches.
func TestTrust_RejectsBadCertificates(t *testing.T) {
	rootKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	midKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	leafKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	from := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(serial int64, cn string, key *rsa.PrivateKey, parent *x509.Certificate, parentKey *rsa.PrivateKey, ca bool, until time.Time) *x509.Certificate {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, NotBefore: from, NotAfter: until,
			IsCA: ca, BasicConstraintsValid: ca, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c
	}
	far := time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
	root := mk(1, "test root", rootKey, nil, nil, true, far)
	mid := mk(2, "test middle", midKey, root, rootKey, true, far)
	good := mk(10, "041@Z@中国银联股份有限公司@1", leafKey, mid, midKey, false, far)
	wrongCN := mk(11, "041@Z@某某公司@1", leafKey, mid, midKey, false, far)
	expired := mk(12, "041@Z@中国银联股份有限公司@2", leafKey, mid, midKey, false, time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC))
	selfSigned := mk(13, "041@Z@中国银联股份有限公司@3", leafKey, nil, nil, false, far)
	testCN := mk(14, "041@Z@00040000:SIGN@1", leafKey, mid, midKey, false, far)
	now := time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)
	msg := func(c *x509.Certificate) map[string]string {
		f := map[string]string{"respCode": "00", "signMethod": "01", "signPubKeyCert": string(pemOf(c))}
		f["signature"], _ = sign.UnionPaySignRSA(leafKey, []byte(sign.CanonicalMap(f, sign.UnionPayCanonical())))
		return f
	}
	for _, tc := range []struct {
		name    string
		cert    *x509.Certificate
		relaxCN bool
		ok      bool
	}{
		{"good", good, false, true},
		{"wrong CN", wrongCN, false, false},
		{"expired", expired, false, false},
		{"not chained", selfSigned, false, false},
		{"test CN strict", testCN, false, false},
		{"test CN relaxed", testCN, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, _ := newTrust(trustConfig{roots: []*x509.Certificate{root}, middles: []*x509.Certificate{mid}, relaxCN: tc.relaxCN})
			_, err := tr.verify(fieldsOf(msg(tc.cert)), now)
			if tc.ok != (err == nil) {
				t.Errorf("err %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, errSignature) {
				t.Errorf("err %v does not wrap errSignature", err)
			}
		})
	}
	t.Run("tampered field", func(t *testing.T) {
		tr, _ := newTrust(trustConfig{roots: []*x509.Certificate{root}, middles: []*x509.Certificate{mid}})
		f := msg(good)
		f["respCode"] = "01"
		if _, err := tr.verify(fieldsOf(f), now); !errors.Is(err, errSignature) {
			t.Errorf("err %v", err)
		}
	})
}

func pemOf(c *x509.Certificate) []byte {
	return []byte("-----BEGIN CERTIFICATE-----\n" + base64.StdEncoding.EncodeToString(c.Raw) + "\n-----END CERTIFICATE-----\n")
}

// TestSignRequest_SecureKeyVectors pins signMethods 11 and 12 to the worked examples
// (unionpay.md §5.3, secure key 88888888).
func TestSignRequest_SecureKeyVectors(t *testing.T) {
	fields := sign.Params{{Key: "accessType", Value: "0"}, {Key: "bizType", Value: "000000"}, {Key: "channelType", Value: "07"},
		{Key: "encoding", Value: "UTF-8"}, {Key: "merId", Value: "777290058110048"}, {Key: "orderId", Value: "20240101000001"},
		{Key: "txnSubType", Value: "00"}, {Key: "txnTime", Value: "20240101120000"}, {Key: "txnType", Value: "00"},
		{Key: "version", Value: "5.1.0"}, {Key: "reqReserved", Value: ""}}
	for method, want := range map[string]string{
		"11": "97aaf740c28e34b72e32428c7162428efd618cd7503f797f8186febfa22754ea",
		"12": "0743529aed48bf0082ea43272bfdb77cccf2362af233a1da7e64b754ec5046ae",
	} {
		c, err := secureKeyCredentials(method, "88888888")
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.signRequest(fields)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Value("signature"); got != want {
			t.Errorf("%s: signature %s, want %s", method, got, want)
		}
		if _, blank := p.Get("reqReserved"); blank {
			t.Errorf("%s: blank field sent", method)
		}
	}
}

func TestCredentials_ConfigErrorsNameTheField(t *testing.T) {
	if _, err := rsaCredentials(demo.MustFile(demo.UnionPayMerchantPFX), "wrong"); err == nil || !strings.Contains(err.Error(), "SignCertPFX") {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := secureKeyCredentials("01", "k"); err == nil || !strings.Contains(err.Error(), "SignMethod") {
		t.Errorf("method 01 with a key: %v", err)
	}
	other, _ := sign.GenerateSM2Key(nil)
	if _, err := sm2Credentials(other, mustSM2Cert(t, demo.UnionPaySM2MerchantCert)); err == nil || !strings.Contains(err.Error(), "SM2Cert") {
		t.Errorf("mismatched SM2 key: %v", err)
	}
	if _, err := newTrust(trustConfig{}); err == nil || !strings.Contains(err.Error(), "RootCert") {
		t.Errorf("no roots: %v", err)
	}
}

func TestDecrypt_ReturnedFieldsWithTheMerchantKey(t *testing.T) {
	c := demoRSACreds(t)
	ct, _ := sign.UnionPayEncryptRSA(&c.rsaKey.PublicKey, []byte("6221558812340000"))
	if pt, err := c.decrypt(ct); err != nil || string(pt) != "6221558812340000" {
		t.Errorf("decrypt: %v", err)
	}
	if _, err := c.decrypt("bm90IGEgY2lwaGVydGV4dA=="); !errors.Is(err, errCrypt) || strings.Contains(err.Error(), "6221") {
		t.Errorf("bad ciphertext: %v", err)
	}
}
