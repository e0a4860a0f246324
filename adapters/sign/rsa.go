package sign

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
)

// ParseRSAPrivateKey reads an RSA private key from PEM ("RSA PRIVATE KEY" PKCS#1 or
// "PRIVATE KEY" PKCS#8), DER of either, or bare base64 of the DER (Alipay's key tool
// output, alipay.md §4). Errors wrap ErrKeyFormat, naming the key type found when it is
// not RSA, or ErrPassword for encrypted keys (decrypt them first: openssl pkey -in k.pem).
func ParseRSAPrivateKey(data []byte) (*rsa.PrivateKey, error) {
	data = trimText(data)
	if len(data) == 0 {
		return nil, fmt.Errorf("rsa private key: empty input: %w", ErrKeyFormat)
	}
	if block, _ := pem.Decode(data); block != nil {
		if block.Headers["Proc-Type"] != "" || block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, fmt.Errorf("rsa private key: PEM %q is encrypted; decrypt it first: %w", block.Type, ErrPassword)
		}
		switch block.Type {
		case "RSA PRIVATE KEY", "PRIVATE KEY":
			return parseRSAPrivateDER(block.Bytes)
		case "EC PRIVATE KEY":
			return nil, fmt.Errorf("rsa private key: PEM holds an EC key, want RSA: %w", ErrKeyFormat)
		default:
			return nil, fmt.Errorf("rsa private key: PEM type %q, want RSA PRIVATE KEY or PRIVATE KEY: %w", block.Type, ErrKeyFormat)
		}
	}
	der := data
	if b, ok := decodeBase64Loose(data); ok {
		der = b
	}
	return parseRSAPrivateDER(der)
}

func parseRSAPrivateDER(der []byte) (*rsa.PrivateKey, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		if _, err2 := ParseSM2PrivateKey(der, nil); err2 == nil {
			return nil, fmt.Errorf("rsa private key: holds an SM2 key, want RSA: %w", ErrKeyFormat)
		}
		return nil, fmt.Errorf("rsa private key: neither PKCS#1 nor PKCS#8 DER: %w", ErrKeyFormat)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("rsa private key: PKCS#8 holds %T, want RSA: %w", k, ErrKeyFormat)
	}
	return rk, nil
}

// ParseRSAPublicKey reads an RSA public key from PEM ("PUBLIC KEY" SPKI, "RSA PUBLIC
// KEY" PKCS#1 or "CERTIFICATE"), DER of those, or bare base64 of the DER (Alipay's
// public key in key mode, alipay.md §4). Errors wrap ErrKeyFormat.
func ParseRSAPublicKey(data []byte) (*rsa.PublicKey, error) {
	data = trimText(data)
	if len(data) == 0 {
		return nil, fmt.Errorf("rsa public key: empty input: %w", ErrKeyFormat)
	}
	if block, _ := pem.Decode(data); block != nil {
		switch block.Type {
		case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
			return parseRSAPublicDER(block.Bytes)
		default:
			return nil, fmt.Errorf("rsa public key: PEM type %q, want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE: %w", block.Type, ErrKeyFormat)
		}
	}
	der := data
	if b, ok := decodeBase64Loose(data); ok {
		der = b
	}
	return parseRSAPublicDER(der)
}

func parseRSAPublicDER(der []byte) (*rsa.PublicKey, error) {
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("rsa public key: holds %T, want RSA: %w", k, ErrKeyFormat)
		}
		return rk, nil
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	if c, err := x509.ParseCertificate(der); err == nil {
		rk, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("rsa public key: certificate holds %T, want RSA: %w", c.PublicKey, ErrKeyFormat)
		}
		return rk, nil
	}
	if _, err := parseSM2SPKI(der); err == nil || isKindError(err) && !bytes.Contains([]byte(err.Error()), []byte("RSA")) {
		return nil, fmt.Errorf("rsa public key: holds an EC/SM2 key, want RSA: %w", ErrKeyFormat)
	}
	return nil, fmt.Errorf("rsa public key: not SPKI, PKCS#1 or certificate DER: %w", ErrKeyFormat)
}

// SignRSA2 returns the SHA256WithRSA (RSASSA-PKCS1-v1_5) signature of msg: Alipay's
// "RSA2" (alipay.md §4 step 5). PKCS#1 v1.5 is deterministic. Safe for concurrent use.
func SignRSA2(priv *rsa.PrivateKey, msg []byte) ([]byte, error) {
	if priv == nil {
		return nil, fmt.Errorf("rsa2 sign: nil key: %w", ErrKeyFormat)
	}
	h := sha256.Sum256(msg)
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, h[:])
	if err != nil {
		return nil, fmt.Errorf("rsa2 sign: %w", err)
	}
	return sig, nil
}

// SignRSA2Base64 is SignRSA2 with standard, padded base64 output (the wire form).
func SignRSA2Base64(priv *rsa.PrivateKey, msg []byte) (string, error) {
	sig, err := SignRSA2(priv, msg)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifyRSA2 checks a SHA256WithRSA signature over msg; the error wraps ErrBadSignature.
// The standard library compares the decoded digest in constant time.
func VerifyRSA2(pub *rsa.PublicKey, msg, sig []byte) error {
	if pub == nil {
		return fmt.Errorf("rsa2 verify: nil key: %w", ErrKeyFormat)
	}
	h := sha256.Sum256(msg)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
		return fmt.Errorf("rsa2 verify: %w", ErrBadSignature)
	}
	return nil
}

// VerifyRSA2Base64 decodes a standard-base64 signature (line breaks tolerated) and
// checks it with VerifyRSA2.
func VerifyRSA2Base64(pub *rsa.PublicKey, msg []byte, sigB64 string) error {
	sig, ok := decodeBase64Loose([]byte(sigB64))
	if !ok {
		return fmt.Errorf("rsa2 verify: signature is not base64: %w", ErrBadSignature)
	}
	return VerifyRSA2(pub, msg, sig)
}
