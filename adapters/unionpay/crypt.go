package unionpay

import (
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/tongdao/tongdao/adapters/sign"
)

// errCrypt is a sensitive field that could not be encrypted or decrypted. Its text never
// carries the field's value.
var errCrypt = errors.New("unionpay: sensitive field")

// encCert is UnionPay's encryption certificate (RSA for signMethods 01/11/12, SM2 for
// 21): the merchant encrypts accNo, customerInfo.encryptedInfo and the PIN block with it
// and sends its serial as encryptCertId (unionpay.md §6).
type encCert struct {
	certID string
	rsa    *rsa.PublicKey
	sm2    *sign.SM2PublicKey
}

// parseEncCert reads an encryption certificate (PEM): RSA first, then SM2.
func parseEncCert(pemText []byte) (*encCert, error) {
	if c, err := sign.ParseCertificate(pemText); err == nil {
		if pub, ok := c.PublicKey.(*rsa.PublicKey); ok {
			return &encCert{certID: sign.CertID(c), rsa: pub}, nil
		}
	}
	c, err := sign.ParseSM2Certificate(pemText)
	if err != nil {
		return nil, fmt.Errorf("unionpay: field EncryptCert: neither an RSA nor an SM2 certificate: %w", err)
	}
	return &encCert{certID: c.CertID(), sm2: c.PublicKey}, nil
}

// encrypt encrypts one sensitive value: base64(RSA PKCS#1 v1.5) or base64(SM2 C1C3C2).
func (e *encCert) encrypt(plain []byte) (string, error) {
	var ct string
	var err error
	if e.sm2 != nil {
		ct, err = sign.UnionPayEncryptSM2(e.sm2, plain)
	} else {
		ct, err = sign.UnionPayEncryptRSA(e.rsa, plain)
	}
	if err != nil {
		return "", fmt.Errorf("%w: encryption failed", errCrypt)
	}
	return ct, nil
}

// encryptAccNo returns the encrypted card number and the encryptCertId to send with it.
func (e *encCert) encryptAccNo(card string) (accNo, encryptCertID string, err error) {
	ct, err := e.encrypt([]byte(card))
	if err != nil {
		return "", "", err
	}
	return ct, e.certID, nil
}

// decrypt opens a field UnionPay returned encrypted with the merchant's key (accNo,
// customerInfo in answers and notifications, unionpay.md §6). Secure-key merchants have no
// key and get errCrypt.
func (c *credentials) decrypt(ct string) ([]byte, error) {
	var pt []byte
	var err error
	switch {
	case c.rsaKey != nil:
		pt, err = sign.UnionPayDecryptRSA(c.rsaKey, ct)
	case c.sm2Key != nil:
		pt, err = sign.UnionPayDecryptSM2(c.sm2Key, ct)
	default:
		return nil, fmt.Errorf("%w: a secure-key merchant has no key to decrypt with", errCrypt)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: decryption failed", errCrypt)
	}
	return pt, nil
}

// updateEncCert reads the answer to the encryption-certificate update query (txnType
// 95): the certificate in encryptPubKeyCert replaces cur when its serial differs
// (unionpay.md §6). It returns the certificate to use and whether it changed. The answer
// must be verified first.
func updateEncCert(cur *encCert, v *verified) (*encCert, bool, error) {
	if code := v.get("respCode"); code != "00" {
		return cur, false, fmt.Errorf("unionpay: encryption certificate query answered respCode %s", code)
	}
	pemText := v.get("encryptPubKeyCert")
	if pemText == "" {
		return cur, false, fmt.Errorf("unionpay: encryption certificate query: field encryptPubKeyCert missing: %w", errFormat)
	}
	next, err := parseEncCert([]byte(pemText))
	if err != nil {
		return cur, false, err
	}
	if cur != nil && cur.certID == next.certID {
		return cur, false, nil
	}
	return next, true, nil
}
