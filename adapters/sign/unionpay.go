package sign

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// UnionPay signMethod values (unionpay.md §5).
const (
	UnionPaySignMethodRSA       = "01" // SHA256WithRSA over lower-hex SHA-256 of the string
	UnionPaySignMethodSHA256Key = "11" // secure key, SHA-256
	UnionPaySignMethodSM3Key    = "12" // secure key, SM3
	UnionPaySignMethodSM2       = "21" // SM2 over lower-hex SM3 of the string, uid = certId, raw r‖s
)

// UnionPayCompanyCN is the third "@"-separated element of the subject CN of UnionPay's
// production signing certificate (unionpay.md §5.2 step 3).
const UnionPayCompanyCN = "中国银联股份有限公司"

// appendSHA256Hex appends the lower-case hex SHA-256 of msg (64 bytes).
func appendSHA256Hex(dst, msg []byte) []byte {
	h := sha256.Sum256(msg)
	return appendHex(dst, h[:], hexLowerDigits)
}

// UnionPaySignRSA returns the signMethod 01 signature of a canonical string
// (unionpay.md §5.2): base64(SHA256WithRSA(lower-hex(SHA-256(canonical)))). The caller
// puts certId (CertID of its signing certificate) into the fields before building the
// string.
func UnionPaySignRSA(priv *rsa.PrivateKey, canonical []byte) (string, error) {
	var d [64]byte
	return SignRSA2Base64(priv, appendSHA256Hex(d[:0], canonical))
}

// UnionPayVerifyRSA checks a signMethod 01 signature (base64) over a canonical string;
// the error wraps ErrBadSignature.
func UnionPayVerifyRSA(pub *rsa.PublicKey, canonical []byte, signature string) error {
	var d [64]byte
	return VerifyRSA2Base64(pub, appendSHA256Hex(d[:0], canonical), signature)
}

// UnionPaySecureKeySign returns the signMethod 11 or 12 signature (unionpay.md §5.3):
// lower-hex(H(canonical + "&" + lower-hex(H(secureKey)))), H = SHA-256 for "11" and SM3
// for "12". Any other method is ErrInput.
func UnionPaySecureKeySign(method string, canonical []byte, secureKey string) (string, error) {
	var h func([]byte) []byte
	switch method {
	case UnionPaySignMethodSHA256Key:
		h = func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
	case UnionPaySignMethodSM3Key:
		h = func(b []byte) []byte { s := SM3(b); return s[:] }
	default:
		return "", fmt.Errorf("unionpay secure-key signMethod %q, want 11 or 12: %w", method, ErrInput)
	}
	msg := make([]byte, 0, len(canonical)+65)
	msg = append(msg, canonical...)
	msg = append(msg, '&')
	msg = appendHex(msg, h([]byte(secureKey)), hexLowerDigits)
	return hex.EncodeToString(h(msg)), nil
}

// UnionPaySecureKeyVerify checks a signMethod 11/12 signature in constant time
// (lower- or upper-case hex accepted); the error wraps ErrBadSignature or ErrInput.
func UnionPaySecureKeyVerify(method string, canonical []byte, secureKey, signature string) error {
	want, err := UnionPaySecureKeySign(method, canonical, secureKey)
	if err != nil {
		return err
	}
	if !EqualString(want, strings.ToLower(signature)) {
		return fmt.Errorf("unionpay signMethod %s: %w", method, ErrBadSignature)
	}
	return nil
}

// UnionPaySignSM2 returns the signMethod 21 signature (unionpay.md §5.4):
// base64(raw r‖s SM2 signature over the 64 ASCII bytes of lower-hex(SM3(canonical))),
// with the SM2 user ID = certID (the decimal serial of the signing certificate).
func UnionPaySignSM2(priv *SM2PrivateKey, certID string, canonical []byte) (string, error) {
	if certID == "" {
		return "", fmt.Errorf("unionpay signMethod 21: empty certId: %w", ErrInput)
	}
	d := SM3(canonical)
	var msg [64]byte
	sig, err := SignSM2(priv, appendHex(msg[:0], d[:], hexLowerDigits), SM2SignOptions{UID: []byte(certID), Encoding: SM2SigRaw})
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// UnionPayVerifySM2 checks a signMethod 21 signature; certID is the decimal serial of
// the signer's certificate (SM2Certificate.CertID). The error wraps ErrBadSignature.
func UnionPayVerifySM2(pub *SM2PublicKey, certID string, canonical []byte, signature string) error {
	sig, ok := decodeBase64Loose([]byte(signature))
	if !ok {
		return fmt.Errorf("unionpay signMethod 21: signature is not base64: %w", ErrBadSignature)
	}
	d := SM3(canonical)
	var msg [64]byte
	return VerifySM2(pub, appendHex(msg[:0], d[:], hexLowerDigits), sig, SM2SignOptions{UID: []byte(certID), Encoding: SM2SigRaw})
}

// CertID returns the UnionPay certId of a certificate: its serial number in decimal
// (unionpay.md §5.2 step 1).
func CertID(cert *x509.Certificate) string { return cert.SerialNumber.String() }

// UnionPayCertOptions configures UnionPayCheckSignerCert.
type UnionPayCertOptions struct {
	// Roots holds the configured root certificate(s) (acp_prod_root.cer / acp_test_root.cer).
	Roots []*x509.Certificate
	// Intermediates holds the middle certificate(s) (acp_prod_middle.cer).
	Intermediates []*x509.Certificate
	// SkipCNCheck relaxes the identity check as the SDK's ifValidateCNName=false does:
	// the test identity "00040000:SIGN" is accepted besides UnionPayCompanyCN.
	SkipCNCheck bool
}

// UnionPayCheckSignerCert validates a signPubKeyCert at time now (unionpay.md §5.2
// steps 2–3): validity dates, chain to a root via the middle certificates, and the
// subject CN's third "@" element. The error wraps ErrCertExpired or ErrCertificate.
func UnionPayCheckSignerCert(cert *x509.Certificate, opts UnionPayCertOptions, now time.Time) error {
	if cert == nil {
		return fmt.Errorf("unionpay signer cert: nil: %w", ErrCertificate)
	}
	if err := VerifyCertChain(cert, opts.Roots, opts.Intermediates, now); err != nil {
		return err
	}
	return checkUnionPayCN(cert.Subject.CommonName, opts.SkipCNCheck, "00040000:SIGN")
}

func checkUnionPayCN(cn string, relaxed bool, testID string) error {
	parts := strings.Split(cn, "@")
	if len(parts) >= 3 {
		if parts[2] == UnionPayCompanyCN || relaxed && parts[2] == testID {
			return nil
		}
	}
	return fmt.Errorf("unionpay signer cert: CN %q is not UnionPay's signing identity: %w", cn, ErrCertificate)
}
