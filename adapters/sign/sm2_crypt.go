package sign

import (
	"crypto/rand"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"

	"github.com/tjfoc/gmsm/sm2"
)

// SM2CipherLayout selects the byte layout of an SM2 ciphertext (gm-crypto.md §4.4). The
// layout is configuration, never detected from the data.
type SM2CipherLayout int

const (
	// SM2C1C3C2 is 04‖X1‖Y1‖C3‖C2 (GB/T 32918.4-2016; UnionPay, bank-direct). The default.
	SM2C1C3C2 SM2CipherLayout = iota
	// SM2C1C2C3 is 04‖X1‖Y1‖C2‖C3 (2010/2012 drafts; BouncyCastle, hutool defaults).
	SM2C1C2C3
	// SM2ASN1 is SEQUENCE{INTEGER x1, INTEGER y1, OCTET STRING C3, OCTET STRING C2}
	// (GM/T 0009 §7.2; OpenSSL pkeyutl).
	SM2ASN1
)

// SM2CipherOptions configures EncryptSM2 and DecryptSM2. The zero value is C1C3C2 with
// the 04 prefix and crypto/rand.
type SM2CipherOptions struct {
	// Layout of the ciphertext.
	Layout SM2CipherLayout
	// No04 drops (on encrypt) and expects absent (on decrypt) the leading 04 byte of the
	// raw layouts (JS sm-crypto style). Ignored for SM2ASN1.
	No04 bool
	// Rand is the source of the ephemeral k; nil means crypto/rand.
	Rand io.Reader
}

const sm2C1Len = 65 // 04‖X1‖Y1

// EncryptSM2 encrypts pt (at least one byte) to pub. Safe for concurrent use.
func EncryptSM2(pub *SM2PublicKey, pt []byte, opts SM2CipherOptions) (ct []byte, err error) {
	if pub == nil {
		return nil, fmt.Errorf("sm2 encrypt: nil key: %w", ErrKeyFormat)
	}
	if len(pt) == 0 {
		// tjfoc loops forever on empty input (its KDF output is "all zero").
		return nil, fmt.Errorf("sm2 encrypt: empty plaintext: %w", ErrEncrypt)
	}
	if opts.Layout < SM2C1C3C2 || opts.Layout > SM2ASN1 {
		return nil, fmt.Errorf("sm2 cipher layout %d: %w", opts.Layout, ErrInput)
	}
	random := opts.Rand
	if random == nil {
		random = rand.Reader
	}
	defer func() {
		if p := recover(); p != nil {
			ct, err = nil, fmt.Errorf("sm2 encrypt: backend panic: %v: %w", p, ErrEncrypt)
		}
	}()
	// Mode 0 is C1C3C2; the backend's mode variables are not relied on (§10).
	raw, err := sm2.Encrypt(pub.k, pt, random, 0)
	if err != nil {
		return nil, fmt.Errorf("sm2 encrypt: %v: %w", err, ErrEncrypt)
	}
	switch opts.Layout {
	case SM2ASN1:
		return asn1.Marshal(sm2Cipher{
			X:          new(big.Int).SetBytes(raw[1:33]),
			Y:          new(big.Int).SetBytes(raw[33:65]),
			Hash:       raw[65:97],
			CipherText: raw[97:],
		})
	case SM2C1C2C3:
		out := make([]byte, 0, len(raw))
		out = append(out, raw[:sm2C1Len]...)
		out = append(out, raw[97:]...)
		out = append(out, raw[65:97]...)
		raw = out
	}
	if opts.No04 {
		raw = raw[1:]
	}
	return raw, nil
}

type sm2Cipher struct {
	X          *big.Int
	Y          *big.Int
	Hash       []byte
	CipherText []byte
}

// DecryptSM2 decrypts ct with priv. Malformed input (too short, missing 04, C1 not on
// the curve, bad ASN.1, trailing bytes) and a failed C3 integrity check all return an
// error wrapping ErrDecrypt and no plaintext; it never panics. Safe for concurrent use.
func DecryptSM2(priv *SM2PrivateKey, ct []byte, opts SM2CipherOptions) (pt []byte, err error) {
	if priv == nil {
		return nil, fmt.Errorf("sm2 decrypt: nil key: %w", ErrKeyFormat)
	}
	raw, err := toC1C3C2(ct, opts)
	if err != nil {
		return nil, err
	}
	curve := sm2.P256Sm2()
	p := curve.Params().P
	x := new(big.Int).SetBytes(raw[1:33])
	y := new(big.Int).SetBytes(raw[33:65])
	//lint:ignore SA1019 the backend's curve is an elliptic.Curve; IsOnCurve is its only point check.
	if x.Cmp(p) >= 0 || y.Cmp(p) >= 0 || !curve.IsOnCurve(x, y) {
		return nil, fmt.Errorf("sm2 decrypt: C1 is not on the curve: %w", ErrDecrypt)
	}
	defer func() {
		if r := recover(); r != nil {
			pt, err = nil, fmt.Errorf("sm2 decrypt: backend panic: %v: %w", r, ErrDecrypt)
		}
	}()
	// gm-crypto.md §4.4 step 4, done here rather than by the backend's Decrypt so that
	// C3 is compared in constant time and no plaintext escapes on failure (§8.5).
	var d [32]byte
	priv.k.D.FillBytes(d[:])
	//lint:ignore SA1019 the backend's curve is an elliptic.Curve (no crypto/ecdh support for sm2p256v1).
	x2, y2 := curve.ScalarMult(x, y, d[:])
	clear(d[:])
	var xy [64]byte
	x2.FillBytes(xy[:32])
	y2.FillBytes(xy[32:])
	c2 := raw[97:]
	out := sm3KDF(xy[:], len(c2))
	var nonZero byte
	for i := range out {
		nonZero |= out[i]
		out[i] ^= c2[i]
	}
	h := NewSM3()
	h.Write(xy[:32])
	h.Write(out)
	h.Write(xy[32:])
	var c3 [SM3Size]byte
	h.Sum(c3[:0])
	clear(xy[:])
	if nonZero == 0 || !Equal(c3[:], raw[65:97]) {
		clear(out)
		return nil, fmt.Errorf("sm2 decrypt: integrity check failed: %w", ErrDecrypt)
	}
	return out, nil
}

// toC1C3C2 converts any supported layout to a fresh 04‖C1‖C3‖C2 buffer with a non-empty C2.
func toC1C3C2(ct []byte, opts SM2CipherOptions) ([]byte, error) {
	switch opts.Layout {
	case SM2ASN1:
		var c sm2Cipher
		rest, err := asn1.Unmarshal(ct, &c)
		if err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("sm2 decrypt: not an ASN.1 SM2 ciphertext: %w", ErrDecrypt)
		}
		if c.X.Sign() < 0 || c.Y.Sign() < 0 || c.X.BitLen() > 256 || c.Y.BitLen() > 256 ||
			len(c.Hash) != 32 || len(c.CipherText) == 0 {
			return nil, fmt.Errorf("sm2 decrypt: ASN.1 ciphertext fields out of range: %w", ErrDecrypt)
		}
		out := make([]byte, 97+len(c.CipherText))
		out[0] = 0x04
		c.X.FillBytes(out[1:33])
		c.Y.FillBytes(out[33:65])
		copy(out[65:97], c.Hash)
		copy(out[97:], c.CipherText)
		return out, nil
	case SM2C1C3C2, SM2C1C2C3:
	default:
		return nil, fmt.Errorf("sm2 cipher layout %d: %w", opts.Layout, ErrInput)
	}
	var body []byte // X1‖Y1‖(C3‖C2 | C2‖C3)
	if opts.No04 {
		body = ct
	} else {
		if len(ct) == 0 || ct[0] != 0x04 {
			return nil, fmt.Errorf("sm2 decrypt: ciphertext does not start with 04: %w", ErrDecrypt)
		}
		body = ct[1:]
	}
	if len(body) < 64+32+1 {
		return nil, fmt.Errorf("sm2 decrypt: ciphertext of %d bytes is too short: %w", len(ct), ErrDecrypt)
	}
	out := make([]byte, 1+len(body))
	out[0] = 0x04
	copy(out[1:65], body[:64])
	if opts.Layout == SM2C1C3C2 {
		copy(out[65:], body[64:])
	} else {
		c2 := body[64 : len(body)-32]
		copy(out[65:97], body[len(body)-32:])
		copy(out[97:], c2)
	}
	return out, nil
}
