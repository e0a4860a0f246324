package sign

import (
	"bytes"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"

	"github.com/tjfoc/gmsm/sm2"
	gmx509 "github.com/tjfoc/gmsm/x509"
)

// Object identifiers used to recognise key material (gm-crypto.md §1).
var (
	oidECPublicKey  = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSM2Curve     = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301}
	oidRSAEncrypted = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
)

// SM2PrivateKey is an SM2 private key on curve sm2p256v1. It is immutable after
// creation and safe for concurrent use. Callers never see the backend type.
type SM2PrivateKey struct {
	k   *sm2.PrivateKey
	pub SM2PublicKey
}

// SM2PublicKey is an SM2 public key, always a valid point on sm2p256v1. Immutable and
// safe for concurrent use.
type SM2PublicKey struct {
	k *sm2.PublicKey
}

// GenerateSM2Key draws a new SM2 key pair from random (crypto/rand when nil).
func GenerateSM2Key(random io.Reader) (*SM2PrivateKey, error) {
	if random == nil {
		random = rand.Reader
	}
	k, err := sm2.GenerateKey(random)
	if err != nil {
		return nil, fmt.Errorf("sm2 generate key: %w", err)
	}
	return wrapSM2Private(k), nil
}

func wrapSM2Private(k *sm2.PrivateKey) *SM2PrivateKey {
	return &SM2PrivateKey{k: k, pub: SM2PublicKey{k: &k.PublicKey}}
}

// NewSM2PrivateKey builds a key from the 32-byte big-endian scalar d (shorter input is
// left-padded). d must be in [1, n−2] (gm-crypto.md §4.1).
func NewSM2PrivateKey(d []byte) (*SM2PrivateKey, error) {
	if len(d) == 0 || len(d) > 32 {
		return nil, fmt.Errorf("sm2 private scalar: %d bytes, want 1..32: %w", len(d), ErrKeyFormat)
	}
	curve := sm2.P256Sm2()
	n := curve.Params().N
	k := new(big.Int).SetBytes(d)
	if k.Sign() <= 0 || k.Cmp(new(big.Int).Sub(n, big.NewInt(1))) >= 0 {
		return nil, fmt.Errorf("sm2 private scalar out of range [1, n-2]: %w", ErrKeyFormat)
	}
	var buf [32]byte
	k.FillBytes(buf[:])
	priv := new(sm2.PrivateKey)
	priv.Curve = curve
	priv.D = k
	//lint:ignore SA1019 the backend's curve is an elliptic.Curve (no crypto/ecdh support for sm2p256v1).
	priv.X, priv.Y = curve.ScalarBaseMult(buf[:])
	return wrapSM2Private(priv), nil
}

// NewSM2PublicKey builds a public key from an uncompressed point: 65 bytes 04‖X‖Y or 64
// bytes X‖Y (the no-04 form some channels ship, gm-crypto.md §4.2). The point must lie on
// the curve; otherwise ErrKeyFormat.
func NewSM2PublicKey(point []byte) (*SM2PublicKey, error) {
	switch {
	case len(point) == 65 && point[0] == 0x04:
		point = point[1:]
	case len(point) == 64:
	default:
		return nil, fmt.Errorf("sm2 public point: %d bytes, want 65 (04XY) or 64 (XY): %w", len(point), ErrKeyFormat)
	}
	curve := sm2.P256Sm2()
	p := curve.Params().P
	x := new(big.Int).SetBytes(point[:32])
	y := new(big.Int).SetBytes(point[32:])
	//lint:ignore SA1019 the backend's curve is an elliptic.Curve; IsOnCurve is its only point check.
	if x.Cmp(p) >= 0 || y.Cmp(p) >= 0 || !curve.IsOnCurve(x, y) {
		return nil, fmt.Errorf("sm2 public point is not on curve sm2p256v1: %w", ErrKeyFormat)
	}
	return &SM2PublicKey{k: &sm2.PublicKey{Curve: curve, X: x, Y: y}}, nil
}

// Public returns the public half of k.
func (k *SM2PrivateKey) Public() *SM2PublicKey { return &k.pub }

// Bytes returns d as 32 big-endian bytes (zero-padded; tjfoc's hex writer is not,
// gm-crypto.md §8.9). Treat the result as secret.
func (k *SM2PrivateKey) Bytes() []byte {
	out := make([]byte, 32)
	k.k.D.FillBytes(out)
	return out
}

// Hex returns d as 64 lower-case hex characters. Treat the result as secret.
func (k *SM2PrivateKey) Hex() string { return hex.EncodeToString(k.Bytes()) }

// MarshalPKCS8 returns the unencrypted PKCS#8 DER of k (id-ecPublicKey + sm2p256v1, SEC1
// inner key with the public point), readable by OpenSSL 3 and tjfoc.
func (k *SM2PrivateKey) MarshalPKCS8() ([]byte, error) {
	inner, err := asn1.Marshal(sec1Key{
		Version:    1,
		PrivateKey: k.Bytes(),
		Curve:      oidSM2Curve,
		PublicKey:  asn1.BitString{Bytes: k.pub.Bytes(), BitLength: 65 * 8},
	})
	if err != nil {
		return nil, fmt.Errorf("sm2 marshal sec1: %w", err)
	}
	params, _ := asn1.Marshal(oidSM2Curve)
	return asn1.Marshal(pkcs8Key{
		Algo:       pkix.AlgorithmIdentifier{Algorithm: oidECPublicKey, Parameters: asn1.RawValue{FullBytes: params}},
		PrivateKey: inner,
	})
}

// MarshalPKCS8PEM returns k as a PEM "PRIVATE KEY" block.
func (k *SM2PrivateKey) MarshalPKCS8PEM() ([]byte, error) {
	der, err := k.MarshalPKCS8()
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// Bytes returns the uncompressed point 04‖X‖Y (65 bytes).
func (k *SM2PublicKey) Bytes() []byte {
	out := make([]byte, 65)
	out[0] = 0x04
	k.k.X.FillBytes(out[1:33])
	k.k.Y.FillBytes(out[33:])
	return out
}

// Hex returns the uncompressed point as 130 lower-case hex characters (04‖X‖Y).
func (k *SM2PublicKey) Hex() string { return hex.EncodeToString(k.Bytes()) }

// Equal reports whether k and o are the same point.
func (k *SM2PublicKey) Equal(o *SM2PublicKey) bool {
	return o != nil && k.k.X.Cmp(o.k.X) == 0 && k.k.Y.Cmp(o.k.Y) == 0
}

// MarshalPKIX returns the SubjectPublicKeyInfo DER (91 bytes, gm-crypto.md §4.2).
func (k *SM2PublicKey) MarshalPKIX() ([]byte, error) {
	params, _ := asn1.Marshal(oidSM2Curve)
	return asn1.Marshal(spki{
		Algo:      pkix.AlgorithmIdentifier{Algorithm: oidECPublicKey, Parameters: asn1.RawValue{FullBytes: params}},
		PublicKey: asn1.BitString{Bytes: k.Bytes(), BitLength: 65 * 8},
	})
}

// MarshalPEM returns k as a PEM "PUBLIC KEY" block.
func (k *SM2PublicKey) MarshalPEM() ([]byte, error) {
	der, err := k.MarshalPKIX()
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

type spki struct {
	Algo      pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

type pkcs8Key struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
}

type sec1Key struct {
	Version    int
	PrivateKey []byte
	Curve      asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey  asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

// ParseSM2PrivateKey reads an SM2 private key from PEM ("PRIVATE KEY" PKCS#8, "EC
// PRIVATE KEY" SEC1, "ENCRYPTED PRIVATE KEY" PBES2 with password), DER of those, bare
// base64 of the DER, or 64 hex characters of d. Errors wrap ErrKeyFormat (saying e.g.
// "RSA key, want SM2" or "curve P-256, want sm2p256v1") or ErrPassword.
func ParseSM2PrivateKey(data, password []byte) (*SM2PrivateKey, error) {
	data = trimText(data)
	if len(data) == 0 {
		return nil, fmt.Errorf("sm2 private key: empty input: %w", ErrKeyFormat)
	}
	if block, _ := pem.Decode(data); block != nil {
		switch block.Type {
		case "PRIVATE KEY":
			return parseSM2PKCS8(block.Bytes)
		case "EC PRIVATE KEY":
			if block.Headers["Proc-Type"] != "" {
				return nil, fmt.Errorf("sm2 private key: legacy encrypted PEM is not supported: %w", ErrPassword)
			}
			return parseSM2SEC1(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return parseSM2EncryptedPKCS8(block.Bytes, password)
		case "RSA PRIVATE KEY":
			return nil, fmt.Errorf("sm2 private key: PEM holds an RSA key, want SM2: %w", ErrKeyFormat)
		default:
			return nil, fmt.Errorf("sm2 private key: PEM type %q, want PRIVATE KEY or EC PRIVATE KEY: %w", block.Type, ErrKeyFormat)
		}
	}
	if len(data) == 64 && isHex(data) {
		d, _ := hex.DecodeString(string(data))
		return NewSM2PrivateKey(d)
	}
	der := data
	if b, ok := decodeBase64Loose(data); ok {
		der = b
	}
	k, err := parseSM2PKCS8(der)
	if err == nil || isKindError(err) {
		return k, err
	}
	k, err = parseSM2SEC1(der)
	if err == nil || isKindError(err) {
		return k, err
	}
	if isHex(data) {
		return nil, fmt.Errorf("sm2 private key: %d hex characters, want 64: %w", len(data), ErrKeyFormat)
	}
	return nil, fmt.Errorf("sm2 private key: not PEM, PKCS#8, SEC1, base64 or 64-hex: %w", ErrKeyFormat)
}

// keyKindError marks a parse that understood the structure but found the wrong kind of
// key, so that the message is kept instead of a generic one.
type keyKindError struct{ msg string }

// Error returns the specific message.
func (e *keyKindError) Error() string { return e.msg + ": " + ErrKeyFormat.Error() }

// Unwrap returns ErrKeyFormat.
func (e *keyKindError) Unwrap() error { return ErrKeyFormat }

func isKindError(err error) bool {
	_, ok := err.(*keyKindError)
	return ok
}

func parseSM2PKCS8(der []byte) (*SM2PrivateKey, error) {
	var p pkcs8Key
	rest, err := asn1.Unmarshal(der, &p)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("sm2 private key: not PKCS#8 DER: %w", ErrKeyFormat)
	}
	if err := checkSM2Algo(p.Algo); err != nil {
		return nil, err
	}
	return parseSM2SEC1(p.PrivateKey)
}

func checkSM2Algo(a pkix.AlgorithmIdentifier) error {
	switch {
	case a.Algorithm.Equal(oidRSAEncrypted):
		return &keyKindError{"sm2 key: holds an RSA key, want SM2"}
	case !a.Algorithm.Equal(oidECPublicKey):
		return &keyKindError{fmt.Sprintf("sm2 key: algorithm %v, want id-ecPublicKey (SM2)", a.Algorithm)}
	}
	var curve asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(a.Parameters.FullBytes, &curve); err != nil {
		return &keyKindError{"sm2 key: EC key without a named curve"}
	}
	if !curve.Equal(oidSM2Curve) {
		return &keyKindError{fmt.Sprintf("sm2 key: curve %s, want sm2p256v1", curveName(curve))}
	}
	return nil
}

func curveName(oid asn1.ObjectIdentifier) string {
	switch oid.String() {
	case "1.2.840.10045.3.1.7":
		return "P-256"
	case "1.3.132.0.34":
		return "P-384"
	case "1.3.132.0.35":
		return "P-521"
	case "1.3.132.0.10":
		return "secp256k1"
	}
	return oid.String()
}

func parseSM2SEC1(der []byte) (*SM2PrivateKey, error) {
	var k sec1Key
	rest, err := asn1.Unmarshal(der, &k)
	if err != nil || len(rest) != 0 || k.Version != 1 {
		return nil, fmt.Errorf("sm2 private key: not SEC1 ECPrivateKey DER: %w", ErrKeyFormat)
	}
	if len(k.Curve) != 0 && !k.Curve.Equal(oidSM2Curve) {
		return nil, &keyKindError{fmt.Sprintf("sm2 private key: curve %s, want sm2p256v1", curveName(k.Curve))}
	}
	priv, err := NewSM2PrivateKey(k.PrivateKey)
	if err != nil {
		return nil, err
	}
	if len(k.PublicKey.Bytes) > 0 && !bytes.Equal(k.PublicKey.Bytes, priv.pub.Bytes()) {
		return nil, &keyKindError{"sm2 private key: embedded public key does not match d"}
	}
	return priv, nil
}

func parseSM2EncryptedPKCS8(der, password []byte) (k *SM2PrivateKey, err error) {
	if len(password) == 0 {
		return nil, fmt.Errorf("sm2 private key: encrypted PKCS#8 and no password given: %w", ErrPassword)
	}
	defer func() {
		if recover() != nil {
			k, err = nil, fmt.Errorf("sm2 private key: malformed encrypted PKCS#8: %w", ErrKeyFormat)
		}
	}()
	// tjfoc decrypts PBES2/PBKDF2 + AES-CBC (gm-crypto.md §7.4); it mutates its input.
	buf := bytes.Clone(der)
	raw, err := gmx509.ParsePKCS8EcryptedPrivateKey(buf, password)
	if err != nil {
		if bytes.Contains([]byte(err.Error()), []byte("password")) {
			return nil, fmt.Errorf("sm2 private key: %w", ErrPassword)
		}
		return nil, fmt.Errorf("sm2 private key: encrypted PKCS#8: %v: %w", err, ErrKeyFormat)
	}
	var d [32]byte
	raw.D.FillBytes(d[:])
	return NewSM2PrivateKey(d[:])
}

// ParseSM2PublicKey reads an SM2 public key from PEM "PUBLIC KEY" (SPKI), SPKI DER, bare
// base64 of SPKI DER, hex of 04‖X‖Y (130 chars) or X‖Y (128 chars), or the raw 65/64
// bytes. The point is checked to lie on sm2p256v1. Errors wrap ErrKeyFormat.
func ParseSM2PublicKey(data []byte) (*SM2PublicKey, error) {
	data = trimText(data)
	if len(data) == 0 {
		return nil, fmt.Errorf("sm2 public key: empty input: %w", ErrKeyFormat)
	}
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("sm2 public key: PEM type %q, want PUBLIC KEY (use ParseSM2Certificate for certificates): %w", block.Type, ErrKeyFormat)
		}
		return parseSM2SPKI(block.Bytes)
	}
	if (len(data) == 130 || len(data) == 128) && isHex(data) {
		p, _ := hex.DecodeString(string(data))
		return NewSM2PublicKey(p)
	}
	if len(data) == 65 && data[0] == 0x04 || len(data) == 64 && !isBase64Text(data) {
		return NewSM2PublicKey(data)
	}
	der := data
	if b, ok := decodeBase64Loose(data); ok {
		der = b
	}
	return parseSM2SPKI(der)
}

func parseSM2SPKI(der []byte) (*SM2PublicKey, error) {
	var s spki
	rest, err := asn1.Unmarshal(der, &s)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("sm2 public key: not SubjectPublicKeyInfo DER: %w", ErrKeyFormat)
	}
	if err := checkSM2Algo(s.Algo); err != nil {
		return nil, err
	}
	return NewSM2PublicKey(s.PublicKey.RightAlign())
}
