package sign

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"
)

// unionpay.md §5.3 vectors (secure key 88888888), verified there with sha256sum / SM3.
const upCanonical11 = "accessType=0&bizType=000000&channelType=07&encoding=UTF-8&merId=777290058110048&orderId=20240101000001&signMethod=11&txnSubType=00&txnTime=20240101120000&txnType=00&version=5.1.0"

func TestUnionPaySecureKey_SpecVectors(t *testing.T) {
	canon12 := strings.Replace(upCanonical11, "signMethod=11", "signMethod=12", 1)
	tests := []struct {
		method, canonical, want string
	}{
		{"11", upCanonical11, "97aaf740c28e34b72e32428c7162428efd618cd7503f797f8186febfa22754ea"},
		{"12", canon12, "0743529aed48bf0082ea43272bfdb77cccf2362af233a1da7e64b754ec5046ae"},
	}
	for _, tt := range tests {
		t.Run("signMethod "+tt.method, func(t *testing.T) {
			got, err := UnionPaySecureKeySign(tt.method, []byte(tt.canonical), "88888888")
			if err != nil || got != tt.want {
				t.Fatalf("got %s, %v; want %s", got, err, tt.want)
			}
			if err := UnionPaySecureKeyVerify(tt.method, []byte(tt.canonical), "88888888", strings.ToUpper(got)); err != nil {
				t.Fatalf("verify: %v", err)
			}
			if err := UnionPaySecureKeyVerify(tt.method, []byte(tt.canonical), "12345678", got); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("wrong key: %v", err)
			}
		})
	}
	// The intermediate key digests quoted in §5.3.
	if h := SM3Hex([]byte("88888888")); h != "ce63bbc0642e6805e0bf2be526df8fce7f29ae8cd7162ebafc826c8130810a30" {
		t.Fatalf("SM3hex(key) = %s", h)
	}
	if _, err := UnionPaySecureKeySign("01", nil, "k"); !errors.Is(err, ErrInput) {
		t.Fatalf("method 01 as secure key: %v", err)
	}
}

// unionpay.md §5.2 (01) and §5.4 (21) digest vectors of the worked canonical string.
func TestUnionPayDigests_SpecVectors(t *testing.T) {
	canon01 := readTestdata(t, "up01_canonical.txt")
	var d [64]byte
	if got := string(appendSHA256Hex(d[:0], canon01)); got != "8a06741aabc1f858bf9b01efeeebcbca01fdd4ba3a09c0062ddb8dd1279322eb" {
		t.Fatalf("01 digest = %s", got)
	}
	canon21 := strings.Replace(string(canon01), "signMethod=01", "signMethod=21", 1)
	if got := SM3Hex([]byte(canon21)); got != "64fce3f7bc2e36e6b8302043c9da2827168a29f104f88f9375882a7f1609c793" {
		t.Fatalf("21 digest = %s", got)
	}
}

// signMethod 01 signature generated with openssl over the hex digest (testdata/README.md).
func TestUnionPayRSA_MatchesOpenSSLVector(t *testing.T) {
	priv := rsaTestKey(t)
	canon := readTestdata(t, "up01_canonical.txt")
	want := strings.TrimSpace(string(readTestdata(t, "up01.sig.b64")))
	got, err := UnionPaySignRSA(priv, canon)
	if err != nil || got != want {
		t.Fatalf("got %s, %v\nwant %s", got, err, want)
	}
	cert, err := ParseCertificate(readTestdata(t, "up_sign.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if CertID(cert) != "68759663125" {
		t.Fatalf("certId = %s", CertID(cert))
	}
	if pub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&priv.PublicKey) {
		t.Fatal("fixture cert does not hold the fixture key")
	}
	if err := UnionPayVerifyRSA(&priv.PublicKey, canon, want); err != nil {
		t.Fatal(err)
	}
	if err := UnionPayVerifyRSA(&priv.PublicKey, append(canon, '&'), want); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("changed string: %v", err)
	}
}

func TestUnionPaySM2_RoundTripUsesCertIDAsUID(t *testing.T) {
	priv := sm2VecKey(t)
	canon := []byte(strings.Replace(upCanonical11, "signMethod=11", "signMethod=21", 1))
	sig, err := UnionPaySignSM2(priv, "68759663125", canon)
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := decodeBase64Loose([]byte(sig)); len(raw) != 64 {
		t.Fatalf("signature is %d bytes, want raw 64", len(raw))
	}
	if err := UnionPayVerifySM2(priv.Public(), "68759663125", canon, sig); err != nil {
		t.Fatal(err)
	}
	if err := UnionPayVerifySM2(priv.Public(), "68759663126", canon, sig); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("other certId: %v", err)
	}
	// The message signed is the 64 hex characters, with uid = certId.
	d := SM3Hex(canon)
	rawSig, _ := decodeBase64Loose([]byte(sig))
	if err := VerifySM2(priv.Public(), []byte(d), rawSig, SM2SignOptions{UID: []byte("68759663125"), Encoding: SM2SigRaw}); err != nil {
		t.Fatalf("not a signature over the hex digest: %v", err)
	}
}

func unionPayPKI(t *testing.T) (leaf, middle, root *x509.Certificate) {
	t.Helper()
	var err error
	if leaf, err = ParseCertificate(readTestdata(t, "up_sign.pem")); err != nil {
		t.Fatal(err)
	}
	if middle, err = ParseCertificate(readTestdata(t, "ca_middle.pem")); err != nil {
		t.Fatal(err)
	}
	if root, err = ParseCertificate(readTestdata(t, "ca_root.pem")); err != nil {
		t.Fatal(err)
	}
	return leaf, middle, root
}

func TestUnionPayCheckSignerCert(t *testing.T) {
	leaf, middle, root := unionPayPKI(t)
	inside := leaf.NotBefore.Add(24 * time.Hour)
	other, err := ParseCertificate(readTestdata(t, "ec_root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cert    *x509.Certificate
		opts    UnionPayCertOptions
		now     time.Time
		wantErr error
	}{
		{"valid chain through SHA-1 links", leaf, UnionPayCertOptions{Roots: []*x509.Certificate{root}, Intermediates: []*x509.Certificate{middle}}, inside, nil},
		{"expired", leaf, UnionPayCertOptions{Roots: []*x509.Certificate{root}, Intermediates: []*x509.Certificate{middle}}, leaf.NotAfter.Add(time.Second), ErrCertExpired},
		{"not yet valid", leaf, UnionPayCertOptions{Roots: []*x509.Certificate{root}, Intermediates: []*x509.Certificate{middle}}, leaf.NotBefore.Add(-time.Second), ErrCertExpired},
		{"missing middle", leaf, UnionPayCertOptions{Roots: []*x509.Certificate{root}}, inside, ErrCertificate},
		{"wrong root", leaf, UnionPayCertOptions{Roots: []*x509.Certificate{other}, Intermediates: []*x509.Certificate{middle}}, inside, ErrCertificate},
		{"no root", leaf, UnionPayCertOptions{}, inside, ErrCertificate},
		{"CA cert has no UnionPay CN", middle, UnionPayCertOptions{Roots: []*x509.Certificate{root}}, inside, ErrCertificate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := UnionPayCheckSignerCert(tt.cert, tt.opts, tt.now)
			if tt.wantErr == nil && err != nil || !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestCheckUnionPayCN(t *testing.T) {
	tests := []struct {
		cn      string
		relaxed bool
		ok      bool
	}{
		{"041@Z2024-01-01@中国银联股份有限公司@00000001", false, true},
		{"041@Z2014-11-11@00040000:SIGN@00000005", false, false},
		{"041@Z2014-11-11@00040000:SIGN@00000005", true, true},
		{"中国银联股份有限公司", false, false},
		{"a@b@中国银联股份有限公司X@c", false, false},
	}
	for _, tt := range tests {
		if err := checkUnionPayCN(tt.cn, tt.relaxed, "00040000:SIGN"); (err == nil) != tt.ok {
			t.Errorf("CN %q relaxed=%v: err %v", tt.cn, tt.relaxed, err)
		}
	}
}

// Alipay cert SN (alipay.md §5), pinned against the value computed independently with
// openssl + md5sum by testdata/gen.sh.
func TestAlipayCertSN_MatchesOpenSSLComputation(t *testing.T) {
	for _, name := range []string{"up_sign", "ca_root", "ca_middle"} {
		want := strings.TrimSpace(string(readTestdata(t, name+".alipay_sn.txt")))
		got, err := AlipayCertSNFromPEM(readTestdata(t, name+".pem"))
		if err != nil || got != want {
			t.Fatalf("%s: got %s, %v; want %s", name, got, err, want)
		}
	}
	root := strings.TrimSpace(string(readTestdata(t, "ca_root.alipay_sn.txt")))
	middle := strings.TrimSpace(string(readTestdata(t, "ca_middle.alipay_sn.txt")))
	got, err := AlipayRootCertSN(readTestdata(t, "root_bundle.pem"))
	if err != nil || got != root+"_"+middle {
		t.Fatalf("root SN = %s, %v; want %s_%s (EC root skipped)", got, err, root, middle)
	}
	if _, err := AlipayRootCertSN(readTestdata(t, "ec_root.pem")); !errors.Is(err, ErrCertificate) {
		t.Fatalf("EC-only bundle: %v", err)
	}
}

func TestParseCertificates_Errors(t *testing.T) {
	for name, in := range map[string][]byte{
		"empty":        nil,
		"key not cert": readTestdata(t, "rsa_pkcs1.pem"),
		"garbage":      []byte("hello"),
	} {
		if _, err := ParseCertificate(in); !errors.Is(err, ErrCertificate) {
			t.Errorf("%s: %v", name, err)
		}
	}
	certs, err := ParseCertificates(readTestdata(t, "root_bundle.pem"))
	if err != nil || len(certs) != 3 {
		t.Fatalf("bundle: %d certs, %v", len(certs), err)
	}
}

func TestUnionPaySensitiveFields_RoundTripAndRejectTampering(t *testing.T) {
	priv := rsaTestKey(t)
	ct, err := UnionPayEncryptRSA(&priv.PublicKey, []byte("6216261000000000018"))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := UnionPayDecryptRSA(priv, ct); err != nil || string(pt) != "6216261000000000018" {
		t.Fatalf("rsa round trip: %q, %v", pt, err)
	}
	if _, err := UnionPayDecryptRSA(priv, "AAAA"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("rsa garbage: %v", err)
	}
	sm2k := sm2VecKey(t)
	ct2, err := UnionPayEncryptSM2(sm2k.Public(), []byte("6216261000000000018"))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := UnionPayDecryptSM2(sm2k, ct2); err != nil || string(pt) != "6216261000000000018" {
		t.Fatalf("sm2 round trip: %q, %v", pt, err)
	}
	if _, err := UnionPayDecryptSM2(sm2k, "!!"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("sm2 garbage: %v", err)
	}
}
