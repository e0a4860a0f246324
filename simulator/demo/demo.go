// Package demo holds the simulator's demo key material: RSA and SM2 key pairs and
// certificates for the Alipay, UnionPay and bank direct-connect protocols, generated once by
// gen.go and committed, so that every run (and every user's SDK configuration) uses the
// same demo merchants. TEST KEYS ONLY: they are public; never use them for real money.
//
// WeChat Pay v2 needs no key files: its demo merchant signs with the API key from WeChat's
// own documentation (appid wxd930ea5d5a258f4f, mch_id 10000100, key
// 192006250b4c09247ec02edce69f6a2d).
package demo

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
)

//go:embed *.pem *.pfx
var files embed.FS

// Names of the demo files (PEM). Private keys are PKCS#8, public keys SPKI.
const (
	AlipayAppPrivate      = "alipay_app_private.pem"      // the demo merchant's app private key (RSA-2048)
	AlipayAppPublic       = "alipay_app_public.pem"       // its public key, registered with the simulated Alipay
	AlipayAppCert         = "alipay_app_cert.pem"         // certificate mode: app cert issued by AlipayRootCert
	AlipayPlatformPrivate = "alipay_platform_private.pem" // the simulated Alipay's signing key
	AlipayPlatformPublic  = "alipay_platform_public.pem"  // "Alipay public key" for the merchant's SDK
	AlipayPlatformCert    = "alipay_platform_cert.pem"    // certificate mode: alipayCertPublicKey_RSA2
	AlipayRootCert        = "alipay_root_cert.pem"        // certificate mode: alipayRootCert

	UnionPayRootCert        = "unionpay_root_cert.pem"        // acp root (test "CS CA")
	UnionPayMiddleCert      = "unionpay_middle_cert.pem"      // acp middle (test "OCA1")
	UnionPaySignPrivate     = "unionpay_sign_private.pem"     // the simulated UnionPay's signing key (signPubKeyCert)
	UnionPaySignCert        = "unionpay_sign_cert.pem"        // serial 68759663125, CN ...@中国银联股份有限公司@...
	UnionPayEncPrivate      = "unionpay_enc_private.pem"      // decrypts accNo etc. (encryptCertId 68759622183)
	UnionPayEncCert         = "unionpay_enc_cert.pem"         // merchants encrypt sensitive fields with it
	UnionPayMerchantPrivate = "unionpay_merchant_private.pem" // the demo merchant's signing key (merId 777290058110048)
	UnionPayMerchantCert    = "unionpay_merchant_cert.pem"    // its cert; certId 69629715588
	UnionPayMerchantPFX     = "unionpay_merchant_sign.pfx"    // the same key and cert as PKCS#12 (acp_test_sign.pfx), password UnionPayPFXPassword
	UnionPaySign2Private    = "unionpay_sign2_private.pem"    // UnionPay's next signing key (rotation)
	UnionPaySign2Cert       = "unionpay_sign2_cert.pem"       // serial 68759663126

	UnionPaySM2RootCert        = "unionpay_sm2_root_cert.pem"        // signMethod 21 root
	UnionPaySM2MiddleCert      = "unionpay_sm2_middle_cert.pem"      // signMethod 21 middle
	UnionPaySM2Sign2Private    = "unionpay_sm2_sign2_private.pem"    // simulated UnionPay's next SM2 signing key (rotation)
	UnionPaySM2Sign2Cert       = "unionpay_sm2_sign2_cert.pem"       // serial 73002000004
	UnionPaySM2SignPrivate     = "unionpay_sm2_sign_private.pem"     // simulated UnionPay SM2 signing key
	UnionPaySM2SignCert        = "unionpay_sm2_sign_cert.pem"        // serial 73002000001
	UnionPaySM2EncPrivate      = "unionpay_sm2_enc_private.pem"      // SM2 encryption key
	UnionPaySM2EncCert         = "unionpay_sm2_enc_cert.pem"         // serial 73002000002
	UnionPaySM2MerchantPrivate = "unionpay_sm2_merchant_private.pem" // demo merchant SM2 key
	UnionPaySM2MerchantCert    = "unionpay_sm2_merchant_cert.pem"    // certId 73002000003

	BankSignPrivate     = "bank_sign_private.pem"     // the simulated bank's SM2 signing key
	BankSignPublic      = "bank_sign_public.pem"      // given to merchants to verify responses
	BankEncPrivate      = "bank_enc_private.pem"      // the bank's SM2 encryption key (unwraps encKey)
	BankEncPublic       = "bank_enc_public.pem"       // merchants wrap session keys with it
	BankMerchantPrivate = "bank_merchant_private.pem" // the demo merchant's SM2 signing key
	BankMerchantPublic  = "bank_merchant_public.pem"  // registered with the simulated bank
	BankRootCert        = "bank_root_cert.pem"        // test root of the bank certificates
	BankSignCert        = "bank_sign_cert.pem"        // serial 90000000001 (the bank's certSerial)
	BankEncCert         = "bank_enc_cert.pem"         // serial 90000000002
	BankMerchantCert    = "bank_merchant_cert.pem"    // serial 68759663125 (the demo merchant's certSerial), CN M0000001
)

// UnionPayPFXPassword is the password of UnionPayMerchantPFX (the value UnionPay's own test
// .pfx uses).
const UnionPayPFXPassword = "000000"

// File returns the contents of one demo file.
func File(name string) ([]byte, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("simulator/demo: %q: %w", name, err)
	}
	return b, nil
}

// MustFile is File for the constants above; it panics on an unknown name (a programming
// error).
func MustFile(name string) []byte {
	b, err := File(name)
	if err != nil {
		panic(err)
	}
	return b
}

// Names lists every demo file, sorted.
func Names() []string {
	ents, _ := fs.ReadDir(files, ".")
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}
