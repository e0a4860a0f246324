package sign

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
)

// UnionPayEncryptRSA encrypts a sensitive field (accNo, encryptedInfo, PIN block) for
// UnionPay's RSA encryption certificate: base64(RSAES-PKCS1-v1_5(pub, plaintext))
// (unionpay.md §6). The request must also carry encryptCertId = CertID of that
// certificate. Randomised: two calls give different outputs.
func UnionPayEncryptRSA(pub *rsa.PublicKey, plaintext []byte) (string, error) {
	if pub == nil {
		return "", fmt.Errorf("unionpay encrypt: nil key: %w", ErrKeyFormat)
	}
	//lint:ignore SA1019 UnionPay's wire format is PKCS#1 v1.5 encryption (unionpay.md §6).
	ct, err := rsa.EncryptPKCS1v15(rand.Reader, pub, plaintext)
	if err != nil {
		return "", fmt.Errorf("unionpay encrypt: %v: %w", err, ErrEncrypt)
	}
	return base64.StdEncoding.EncodeToString(ct), nil
}

// UnionPayDecryptRSA decrypts a field made by UnionPayEncryptRSA (the simulator with its
// encryption key; a merchant with its signing key for accNo returned in responses,
// unionpay.md §6). Any failure is ErrDecrypt with no detail about the padding. PKCS#1
// v1.5 decryption is a padding oracle if an attacker can submit many ciphertexts and
// observe failures (Bleichenbacher): do not expose the success/failure of this call to
// untrusted parties at high rate.
func UnionPayDecryptRSA(priv *rsa.PrivateKey, ciphertext string) ([]byte, error) {
	if priv == nil {
		return nil, fmt.Errorf("unionpay decrypt: nil key: %w", ErrKeyFormat)
	}
	ct, ok := decodeBase64Loose([]byte(ciphertext))
	if !ok {
		return nil, fmt.Errorf("unionpay decrypt: not base64: %w", ErrDecrypt)
	}
	//lint:ignore SA1019 UnionPay's wire format is PKCS#1 v1.5 encryption (unionpay.md §6).
	pt, err := rsa.DecryptPKCS1v15(nil, priv, ct)
	if err != nil {
		return nil, fmt.Errorf("unionpay decrypt: %w", ErrDecrypt)
	}
	return pt, nil
}

// UnionPayEncryptSM2 is the GM variant (signMethod 21 merchants, unionpay.md §5.4):
// base64(SM2 C1C3C2 with the 04 prefix).
func UnionPayEncryptSM2(pub *SM2PublicKey, plaintext []byte) (string, error) {
	ct, err := EncryptSM2(pub, plaintext, SM2CipherOptions{Layout: SM2C1C3C2})
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(ct), nil
}

// UnionPayDecryptSM2 decrypts a field made by UnionPayEncryptSM2; failures are ErrDecrypt.
func UnionPayDecryptSM2(priv *SM2PrivateKey, ciphertext string) ([]byte, error) {
	ct, ok := decodeBase64Loose([]byte(ciphertext))
	if !ok {
		return nil, fmt.Errorf("unionpay decrypt: not base64: %w", ErrDecrypt)
	}
	return DecryptSM2(priv, ct, SM2CipherOptions{Layout: SM2C1C3C2})
}
