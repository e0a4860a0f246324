package demo

import (
	"crypto/rsa"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/adapters/sign"
)

func TestEveryConstantNamesAFile(t *testing.T) {
	names := []string{AlipayAppPrivate, AlipayAppPublic, AlipayAppCert, AlipayPlatformPrivate, AlipayPlatformPublic,
		AlipayPlatformCert, AlipayRootCert, UnionPayRootCert, UnionPayMiddleCert, UnionPaySignPrivate, UnionPaySignCert,
		UnionPayEncPrivate, UnionPayEncCert, UnionPayMerchantPrivate, UnionPayMerchantCert, UnionPayMerchantPFX, UnionPaySign2Private, UnionPaySign2Cert,
		UnionPaySM2RootCert, UnionPaySM2MiddleCert, UnionPaySM2Sign2Private, UnionPaySM2Sign2Cert,
		UnionPaySM2SignPrivate, UnionPaySM2SignCert, UnionPaySM2EncPrivate, UnionPaySM2EncCert,
		UnionPaySM2MerchantPrivate, UnionPaySM2MerchantCert, BankSignPrivate, BankSignPublic, BankEncPrivate,
		BankEncPublic, BankMerchantPrivate, BankMerchantPublic, BankRootCert, BankSignCert, BankEncCert, BankMerchantCert}
	for _, n := range names {
		if _, err := File(n); err != nil {
			t.Error(err)
		}
	}
	if len(Names()) < len(names) {
		t.Errorf("Names() = %d files, fewer than the %d constants", len(Names()), len(names))
	}
}

func TestRSAKeysMatchTheirCertificates(t *testing.T) {
	pairs := [][2]string{
		{AlipayAppPrivate, AlipayAppCert}, {AlipayPlatformPrivate, AlipayPlatformCert},
		{UnionPaySignPrivate, UnionPaySignCert}, {UnionPayEncPrivate, UnionPayEncCert},
		{UnionPayMerchantPrivate, UnionPayMerchantCert}, {UnionPaySign2Private, UnionPaySign2Cert},
	}
	for _, p := range pairs {
		k, err := sign.ParseRSAPrivateKey(MustFile(p[0]))
		if err != nil {
			t.Fatalf("%s: %v", p[0], err)
		}
		c, err := sign.ParseCertificate(MustFile(p[1]))
		if err != nil {
			t.Fatalf("%s: %v", p[1], err)
		}
		if !k.PublicKey.Equal(c.PublicKey.(*rsa.PublicKey)) {
			t.Errorf("%s does not hold the key of %s", p[1], p[0])
		}
	}
	c, _ := sign.ParseCertificate(MustFile(UnionPaySignCert))
	if c.SerialNumber.String() != "68759663125" || strings.Split(c.Subject.CommonName, "@")[2] != "中国银联股份有限公司" {
		t.Errorf("UnionPay signing cert: serial %s CN %s", c.SerialNumber, c.Subject.CommonName)
	}
	root, _ := sign.ParseCertificate(MustFile(UnionPayRootCert))
	mid, _ := sign.ParseCertificate(MustFile(UnionPayMiddleCert))
	now := c.NotBefore.AddDate(5, 0, 0)
	if err := sign.VerifyCertChain(c, []*x509.Certificate{root}, []*x509.Certificate{mid}, now); err != nil {
		t.Errorf("UnionPay chain: %v", err)
	}
}

func TestSM2KeysMatchTheirCertificates(t *testing.T) {
	pairs := [][2]string{
		{UnionPaySM2SignPrivate, UnionPaySM2SignCert}, {UnionPaySM2EncPrivate, UnionPaySM2EncCert},
		{UnionPaySM2MerchantPrivate, UnionPaySM2MerchantCert}, {UnionPaySM2Sign2Private, UnionPaySM2Sign2Cert},
	}
	root, err := sign.ParseSM2Certificate(MustFile(UnionPaySM2RootCert))
	if err != nil {
		t.Fatal(err)
	}
	mid, err := sign.ParseSM2Certificate(MustFile(UnionPaySM2MiddleCert))
	if err != nil {
		t.Fatal(err)
	}
	if err := mid.CheckSignatureFrom(root); err != nil {
		t.Errorf("SM2 middle: %v", err)
	}
	for _, p := range pairs {
		k, err := sign.ParseSM2PrivateKey(MustFile(p[0]), nil)
		if err != nil {
			t.Fatalf("%s: %v", p[0], err)
		}
		c, err := sign.ParseSM2Certificate(MustFile(p[1]))
		if err != nil {
			t.Fatalf("%s: %v", p[1], err)
		}
		if err := c.CheckSignatureFrom(mid); err != nil {
			t.Errorf("%s: %v", p[1], err)
		}
		msg := []byte("tongdao")
		sig, err := sign.SignSM2(k, msg, sign.SM2SignOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := sign.VerifySM2(c.PublicKey, msg, sig, sign.SM2SignOptions{}); err != nil {
			t.Errorf("%s key does not match %s: %v", p[0], p[1], err)
		}
	}
	bankRoot, err := sign.ParseSM2Certificate(MustFile(BankRootCert))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][3]string{{BankSignPrivate, BankSignCert, "90000000001"}, {BankEncPrivate, BankEncCert, "90000000002"},
		{BankMerchantPrivate, BankMerchantCert, "68759663125"}} {
		k, err := sign.ParseSM2PrivateKey(MustFile(p[0]), nil)
		if err != nil {
			t.Fatalf("%s: %v", p[0], err)
		}
		c, err := sign.ParseSM2Certificate(MustFile(p[1]))
		if err != nil {
			t.Fatalf("%s: %v", p[1], err)
		}
		if err := c.CheckSignatureFrom(bankRoot); err != nil {
			t.Errorf("%s: %v", p[1], err)
		}
		if !k.Public().Equal(c.PublicKey) {
			t.Errorf("%s does not certify %s", p[1], p[0])
		}
		if got := c.SerialNumber.String(); got != p[2] {
			t.Errorf("%s serial %s, want %s", p[1], got, p[2])
		}
	}
	for _, p := range [][2]string{{BankSignPrivate, BankSignPublic}, {BankEncPrivate, BankEncPublic}, {BankMerchantPrivate, BankMerchantPublic}} {
		k, err := sign.ParseSM2PrivateKey(MustFile(p[0]), nil)
		if err != nil {
			t.Fatalf("%s: %v", p[0], err)
		}
		pub, err := sign.ParseSM2PublicKey(MustFile(p[1]))
		if err != nil {
			t.Fatalf("%s: %v", p[1], err)
		}
		if !k.Public().Equal(pub) {
			t.Errorf("%s and %s are not a pair", p[0], p[1])
		}
	}
}

func TestUnionPayPFXHoldsTheMerchantKey(t *testing.T) {
	p, err := sign.ParsePKCS12(MustFile(UnionPayMerchantPFX), UnionPayPFXPassword)
	if err != nil {
		t.Fatal(err)
	}
	if got := sign.CertID(p.Certificate); got != "69629715588" {
		t.Errorf("pfx certId = %s, want 69629715588", got)
	}
	k, err := sign.ParseRSAPrivateKey(MustFile(UnionPayMerchantPrivate))
	if err != nil {
		t.Fatal(err)
	}
	pk, err := p.RSAKey()
	if err != nil {
		t.Fatal(err)
	}
	if !k.Equal(pk) {
		t.Error("pfx key differs from unionpay_merchant_private.pem")
	}
}
