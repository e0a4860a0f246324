package unionpay

import (
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/tongdao/tongdao/adapters/sign"
)

// Sign methods (unionpay.md §5).
const (
	methodRSA    = sign.UnionPaySignMethodRSA       // 01
	methodSHA256 = sign.UnionPaySignMethodSHA256Key // 11
	methodSM3    = sign.UnionPaySignMethodSM3Key    // 12
	methodSM2    = sign.UnionPaySignMethodSM2       // 21
)

// credentials sign the merchant's requests with one signMethod.
type credentials struct {
	method    string
	certID    string // 01, 21: decimal serial of the signing certificate
	rsaKey    *rsa.PrivateKey
	sm2Key    *sign.SM2PrivateKey
	secureKey string
}

// rsaCredentials loads the merchant's PKCS#12 signing file (the .pfx UnionPay issues;
// unionpay.md §5.2): certId is the certificate's serial in decimal.
func rsaCredentials(pfx []byte, password string) (*credentials, error) {
	c, err := sign.ParsePKCS12(pfx, password)
	if err != nil {
		return nil, fmt.Errorf("unionpay: field SignCertPFX: %w", err)
	}
	k, err := c.RSAKey()
	if err != nil {
		return nil, fmt.Errorf("unionpay: field SignCertPFX: %w", err)
	}
	return &credentials{method: methodRSA, certID: sign.CertID(c.Certificate), rsaKey: k}, nil
}

// sm2Credentials takes the merchant's SM2 key and certificate (PEM; a CFCA .sm2 file is
// read with sign.ParseCFCASM2 by the caller) for signMethod 21 (unionpay.md §5.4).
func sm2Credentials(key *sign.SM2PrivateKey, cert *sign.SM2Certificate) (*credentials, error) {
	if key == nil || cert == nil {
		return nil, errors.New("unionpay: fields SM2Key and SM2Cert: both required for signMethod 21")
	}
	if !key.Public().Equal(cert.PublicKey) {
		return nil, errors.New("unionpay: field SM2Cert: does not hold the public key of SM2Key")
	}
	return &credentials{method: methodSM2, certID: cert.CertID(), sm2Key: key}, nil
}

// secureKeyCredentials signs with the shared secret, method 11 (SHA-256) or 12 (SM3)
// (unionpay.md §5.3).
func secureKeyCredentials(method, key string) (*credentials, error) {
	if method != methodSHA256 && method != methodSM3 {
		return nil, fmt.Errorf("unionpay: field SignMethod %q: a secure key signs with 11 or 12", method)
	}
	if key == "" {
		return nil, errors.New("unionpay: field SecureKey: required for signMethod 11/12")
	}
	return &credentials{method: method, secureKey: key}, nil
}

// signRequest completes a request: blank values dropped, signMethod and certId set, the
// signature over the canonical string of everything else (unionpay.md §5.1). p is not
// modified; the result is sorted and ready for encodeForm.
func (c *credentials) signRequest(p sign.Params) (sign.Params, error) {
	out := make(sign.Params, 0, len(p)+3)
	for _, kv := range p {
		if kv.Value != "" && kv.Key != "signature" && kv.Key != "certId" && kv.Key != "signMethod" {
			out = append(out, kv)
		}
	}
	out = append(out, sign.Param{Key: "signMethod", Value: c.method})
	if c.certID != "" {
		out = append(out, sign.Param{Key: "certId", Value: c.certID})
	}
	out.Sort()
	var buf [1024]byte
	canonical := sign.AppendCanonical(buf[:0], out, sign.UnionPayCanonical())
	var sig string
	var err error
	switch c.method {
	case methodRSA:
		sig, err = sign.UnionPaySignRSA(c.rsaKey, canonical)
	case methodSM2:
		sig, err = sign.UnionPaySignSM2(c.sm2Key, c.certID, canonical)
	default:
		sig, err = sign.UnionPaySecureKeySign(c.method, canonical, c.secureKey)
	}
	if err != nil {
		return nil, fmt.Errorf("unionpay: signing the request: %w", err)
	}
	return append(out, sign.Param{Key: "signature", Value: sig}), nil
}
