//go:build ignore

// gen.go generated the demo key material in this directory once (go run gen.go). It is
// kept for reference and to regenerate after expiry (2049). TEST KEYS ONLY.
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
)

var (
	notBefore = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter  = time.Date(2049, 12, 31, 0, 0, 0, 0, time.UTC)
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func write(name string, data []byte) {
	if err := os.WriteFile(name, data, 0o644); err != nil {
		panic(err)
	}
	fmt.Println("wrote", name)
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func rsaKey(name string) *rsa.PrivateKey {
	k := must(rsa.GenerateKey(rand.Reader, 2048))
	write(name+"_private.pem", pemBlock("PRIVATE KEY", must(x509.MarshalPKCS8PrivateKey(k))))
	write(name+"_public.pem", pemBlock("PUBLIC KEY", must(x509.MarshalPKIXPublicKey(&k.PublicKey))))
	return k
}

func rsaCert(name string, serial int64, subj pkix.Name, key *rsa.PrivateKey, parent *x509.Certificate, parentKey *rsa.PrivateKey, ca bool) *x509.Certificate {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: subj, NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, SignatureAlgorithm: x509.SHA256WithRSA}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der := must(x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey))
	write(name+"_cert.pem", pemBlock("CERTIFICATE", der))
	return must(x509.ParseCertificate(der))
}

func sm2Key(name string) *sign.SM2PrivateKey {
	k := must(sign.GenerateSM2Key(nil))
	write(name+"_private.pem", must(k.MarshalPKCS8PEM()))
	write(name+"_public.pem", must(k.Public().MarshalPEM()))
	return k
}

func sm2Cert(name string, serial int64, subj pkix.Name, key *sign.SM2PrivateKey, parent *sign.SM2Certificate, parentKey *sign.SM2PrivateKey, ca bool) *sign.SM2Certificate {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: subj, NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	if parentKey == nil {
		parentKey = key
	}
	der := must(sign.CreateSM2Certificate(tmpl, parent, key.Public(), parentKey))
	c := must(sign.ParseSM2Certificate(der))
	write(name+"_cert.pem", c.PEM())
	return c
}

func org(cn string) pkix.Name {
	return pkix.Name{CommonName: cn, Organization: []string{"tongdao simulator TEST ONLY"}, Country: []string{"CN"}}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "unionpay" {
		// go run gen.go unionpay: regenerate only the UnionPay material (keeps the others).
		unionpay()
		return
	}
	// Alipay (alipay.md §4, §5): the merchant's app key, the simulator's "Alipay" key, and
	// the certificate-mode trio (root, app cert, Alipay cert).
	app := rsaKey("alipay_app")
	plat := rsaKey("alipay_platform")
	rootKey := must(rsa.GenerateKey(rand.Reader, 2048))
	root := rsaCert("alipay_root", 1, org("tongdao TEST Alipay Root CA"), rootKey, nil, nil, true)
	rsaCert("alipay_app", 1001, org("2021000000000001"), app, root, rootKey, false)
	rsaCert("alipay_platform", 1002, org("tongdao TEST Alipay signing"), plat, root, rootKey, false)

	unionpay()

	// Bank direct-connect (bank-direct.md §4.4): bank signing and encryption keys, merchant
	// signing key; registered by certSerial (see README.md). The certificates (added later
	// for the same keys) carry those serials; the protocol itself only needs the keys.
	bkRootKey := must(sign.GenerateSM2Key(nil))
	bkRoot := sm2Cert("bank_root", 1, org("tongdao TEST Bank SM2 Root CA"), bkRootKey, nil, nil, true)
	sm2Cert("bank_sign", 90000000001, org("tongdao TEST bank signing"), sm2Key("bank_sign"), bkRoot, bkRootKey, false)
	sm2Cert("bank_enc", 90000000002, org("tongdao TEST bank encryption"), sm2Key("bank_enc"), bkRoot, bkRootKey, false)
	sm2Cert("bank_merchant", 68759663125, org("M0000001"), sm2Key("bank_merchant"), bkRoot, bkRootKey, false)
}

// unionpay writes the UnionPay material (unionpay.md §5.2, §5.4): for RSA (signMethod 01)
// and SM2 (signMethod 21) each a root -> middle chain, UnionPay's signing certificate and
// a second one for rotation (CN third @-field 中国银联股份有限公司), UnionPay's encryption
// certificate and the demo merchant's signing certificate, plus the merchant's PKCS#12
// (.pfx, password 000000, legacy PBE-SHA1-3DES so every SDK reads it) made with openssl.
func unionpay() {
	upRootKey := must(rsa.GenerateKey(rand.Reader, 2048))
	upRoot := rsaCert("unionpay_root", 1, org("tongdao TEST CS CA"), upRootKey, nil, nil, true)
	upMidKey := must(rsa.GenerateKey(rand.Reader, 2048))
	upMid := rsaCert("unionpay_middle", 2, org("tongdao TEST OCA1"), upMidKey, upRoot, upRootKey, true)
	rsaCert("unionpay_sign", 68759663125, pkix.Name{CommonName: "041@Z2024-01-01@中国银联股份有限公司@00000001", Country: []string{"CN"}},
		rsaKey("unionpay_sign"), upMid, upMidKey, false)
	rsaCert("unionpay_sign2", 68759663126, pkix.Name{CommonName: "041@Z2025-01-01@中国银联股份有限公司@00000004", Country: []string{"CN"}},
		rsaKey("unionpay_sign2"), upMid, upMidKey, false)
	rsaCert("unionpay_enc", 68759622183, pkix.Name{CommonName: "041@Z2024-01-01@中国银联股份有限公司@00000002", Country: []string{"CN"}},
		rsaKey("unionpay_enc"), upMid, upMidKey, false)
	rsaCert("unionpay_merchant", 69629715588, org("041@Z2024-01-01@777290058110048@00000003"),
		rsaKey("unionpay_merchant"), upMid, upMidKey, false)

	smRootKey := must(sign.GenerateSM2Key(nil))
	smRoot := sm2Cert("unionpay_sm2_root", 1, org("tongdao TEST SM2 Root CA"), smRootKey, nil, nil, true)
	smMidKey := must(sign.GenerateSM2Key(nil))
	smMid := sm2Cert("unionpay_sm2_middle", 2, org("tongdao TEST SM2 OCA1"), smMidKey, smRoot, smRootKey, true)
	sm2Cert("unionpay_sm2_sign", 73002000001, pkix.Name{CommonName: "041@Z2024-01-01@中国银联股份有限公司@00000011", Country: []string{"CN"}},
		sm2Key("unionpay_sm2_sign"), smMid, smMidKey, false)
	sm2Cert("unionpay_sm2_sign2", 73002000004, pkix.Name{CommonName: "041@Z2025-01-01@中国银联股份有限公司@00000014", Country: []string{"CN"}},
		sm2Key("unionpay_sm2_sign2"), smMid, smMidKey, false)
	sm2Cert("unionpay_sm2_enc", 73002000002, pkix.Name{CommonName: "041@Z2024-01-01@中国银联股份有限公司@00000012", Country: []string{"CN"}},
		sm2Key("unionpay_sm2_enc"), smMid, smMidKey, false)
	sm2Cert("unionpay_sm2_merchant", 73002000003, org("041@Z2024-01-01@777290058110048@00000013"),
		sm2Key("unionpay_sm2_merchant"), smMid, smMidKey, false)

	cmd := exec.Command("openssl", "pkcs12", "-export", "-legacy", "-inkey", "unionpay_merchant_private.pem",
		"-in", "unionpay_merchant_cert.pem", "-name", "tongdao demo merchant 777290058110048",
		"-out", "unionpay_merchant_sign.pfx", "-passout", "pass:000000")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		panic(err)
	}
	fmt.Println("wrote unionpay_merchant_sign.pfx")
}
