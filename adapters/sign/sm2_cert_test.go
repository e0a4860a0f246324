package sign

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"
)

func mintSM2PKI(t *testing.T) (root, middle, leaf *SM2Certificate, leafKey *SM2PrivateKey) {
	t.Helper()
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(serial int64, cn string, ca bool, years int, parent *SM2Certificate, pub *SM2PublicKey, signer *SM2PrivateKey) *SM2Certificate {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn, Country: []string{"CN"}},
			NotBefore: start, NotAfter: start.AddDate(years, 0, 0),
			BasicConstraintsValid: true, IsCA: ca,
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		}
		der, err := CreateSM2Certificate(tmpl, parent, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := ParseSM2Certificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	rootKey, _ := GenerateSM2Key(nil)
	midKey, _ := GenerateSM2Key(nil)
	leafKey, _ = GenerateSM2Key(nil)
	root = mk(1, "tongdao SM2 Root", true, 20, nil, rootKey.Public(), rootKey)
	middle = mk(2, "tongdao SM2 Middle", true, 15, root, midKey.Public(), rootKey)
	leaf = mk(76543210987, "041@Z2024@中国银联股份有限公司@00000001", false, 5, middle, leafKey.Public(), midKey)
	return root, middle, leaf, leafKey
}

func TestSM2Certificate_MintParseAndChain(t *testing.T) {
	root, middle, leaf, leafKey := mintSM2PKI(t)
	if leaf.CertID() != "76543210987" || !leaf.PublicKey.Equal(leafKey.Public()) {
		t.Fatal("leaf fields")
	}
	again, err := ParseSM2Certificate(leaf.PEM())
	if err != nil || again.CertID() != leaf.CertID() {
		t.Fatalf("PEM round trip: %v", err)
	}
	inside := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	roots, mids := []*SM2Certificate{root}, []*SM2Certificate{middle}
	if err := UnionPayCheckSM2SignerCert(leaf, roots, mids, false, inside); err != nil {
		t.Fatal(err)
	}
	if err := UnionPayCheckSM2SignerCert(leaf, roots, mids, false, time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)); !errors.Is(err, ErrCertExpired) {
		t.Fatalf("expired: %v", err)
	}
	if err := UnionPayCheckSM2SignerCert(leaf, roots, nil, false, inside); !errors.Is(err, ErrCertificate) {
		t.Fatalf("missing middle: %v", err)
	}
	otherRoot, _, _, _ := mintSM2PKI(t)
	if err := VerifySM2CertChain(leaf, []*SM2Certificate{otherRoot}, mids, inside); !errors.Is(err, ErrCertificate) {
		t.Fatalf("foreign root: %v", err)
	}
	if err := UnionPayCheckSM2SignerCert(middle, roots, nil, true, inside); !errors.Is(err, ErrCertificate) {
		t.Fatalf("middle's CN is not a UnionPay identity: %v", err)
	}
	// signMethod 21 end to end with the certificate's certId as the SM2 user ID.
	canon := []byte("a=1&signMethod=21")
	sig, err := UnionPaySignSM2(leafKey, leaf.CertID(), canon)
	if err != nil {
		t.Fatal(err)
	}
	if err := UnionPayVerifySM2(leaf.PublicKey, leaf.CertID(), canon, sig); err != nil {
		t.Fatal(err)
	}
}

func TestParseSM2Certificate_RejectsRSACertificate(t *testing.T) {
	if _, err := ParseSM2Certificate(readTestdata(t, "up_sign.pem")); !errors.Is(err, ErrCertificate) {
		t.Fatalf("RSA cert: %v", err)
	}
	if _, err := ParseSM2Certificate([]byte("garbage")); !errors.Is(err, ErrCertificate) {
		t.Fatalf("garbage: %v", err)
	}
}
