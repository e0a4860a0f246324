package sign

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
)

// Envelope is a digital envelope for sensitive fields (bank-direct.md §5,
// gm-crypto.md §10): one random 16-byte SM4 session key per message, each field sealed
// as base64(IV ‖ SM4-CBC-PKCS#7(key, IV, plaintext)) with a fresh IV, and the key wrapped
// for the recipient with SM2 as encKey. An Envelope is safe for concurrent use when its
// random source is (crypto/rand is). Never log its key or the opened plaintexts.
type Envelope struct {
	key  [SM4KeySize]byte
	rand io.Reader
}

// NewEnvelope draws a fresh session key from random (crypto/rand when nil); IVs are
// drawn from the same source.
func NewEnvelope(random io.Reader) (*Envelope, error) {
	if random == nil {
		random = rand.Reader
	}
	e := &Envelope{rand: random}
	if _, err := io.ReadFull(random, e.key[:]); err != nil {
		return nil, fmt.Errorf("envelope: session key: %v: %w", err, ErrEncrypt)
	}
	return e, nil
}

// NewEnvelopeWithKey builds an Envelope around a known 16-byte session key (tests and
// golden vectors, bank-direct.md §12); IVs come from random (crypto/rand when nil).
func NewEnvelopeWithKey(key []byte, random io.Reader) (*Envelope, error) {
	if len(key) != SM4KeySize {
		return nil, fmt.Errorf("envelope: session key of %d bytes, want 16: %w", len(key), ErrInput)
	}
	if random == nil {
		random = rand.Reader
	}
	e := &Envelope{rand: random}
	copy(e.key[:], key)
	return e, nil
}

// OpenEnvelope unwraps encKey (base64 of an SM2 ciphertext in the given layout) with
// the recipient's private key. The key must decrypt to exactly 16 bytes (bank-direct.md
// §5.3); otherwise ErrDecrypt. The returned Envelope can open fields and, with
// crypto/rand for IVs, seal a reply.
func OpenEnvelope(priv *SM2PrivateKey, encKey string, layout SM2CipherOptions) (*Envelope, error) {
	ct, ok := decodeBase64Loose([]byte(encKey))
	if !ok {
		return nil, fmt.Errorf("envelope encKey: not base64: %w", ErrDecrypt)
	}
	k, err := DecryptSM2(priv, ct, layout)
	if err != nil {
		return nil, fmt.Errorf("envelope encKey: %w", err)
	}
	if len(k) != SM4KeySize {
		clear(k)
		return nil, fmt.Errorf("envelope encKey: session key of %d bytes, want 16: %w", len(k), ErrDecrypt)
	}
	e := &Envelope{rand: rand.Reader}
	copy(e.key[:], k)
	clear(k)
	return e, nil
}

// Key returns a copy of the session key (for tests and interop debugging only).
func (e *Envelope) Key() []byte { return append([]byte(nil), e.key[:]...) }

// WrapKey returns encKey: base64(SM2-Encrypt(recipient, session key)) in the layout of
// opts (bank-direct.md §5.2 step 3 uses the zero value, C1C3C2 with 04: 152 chars).
func (e *Envelope) WrapKey(recipient *SM2PublicKey, opts SM2CipherOptions) (string, error) {
	ct, err := EncryptSM2(recipient, e.key[:], opts)
	if err != nil {
		return "", fmt.Errorf("envelope encKey: %w", err)
	}
	return base64.StdEncoding.EncodeToString(ct), nil
}

// SealField encrypts one field value: base64(IV ‖ SM4-CBC-PKCS#7(key, IV, plaintext))
// with a fresh 16-byte IV (bank-direct.md §5.2 step 2).
func (e *Envelope) SealField(plaintext []byte) (string, error) {
	var iv [SM4BlockSize]byte
	if _, err := io.ReadFull(e.rand, iv[:]); err != nil {
		return "", fmt.Errorf("envelope field IV: %v: %w", err, ErrEncrypt)
	}
	ct, err := SM4CBCEncrypt(e.key[:], iv[:], plaintext)
	if err != nil {
		return "", err
	}
	out := make([]byte, 0, SM4BlockSize+len(ct))
	out = append(out, iv[:]...)
	out = append(out, ct...)
	return base64.StdEncoding.EncodeToString(out), nil
}

// OpenField decrypts a value made by SealField. The part after the IV must be a
// positive multiple of 16 with strict PKCS#7 (bank-direct.md §5.3); otherwise ErrDecrypt.
func (e *Envelope) OpenField(sealed string) ([]byte, error) {
	raw, ok := decodeBase64Loose([]byte(sealed))
	if !ok {
		return nil, fmt.Errorf("envelope field: not base64: %w", ErrDecrypt)
	}
	if len(raw) < 2*SM4BlockSize {
		return nil, fmt.Errorf("envelope field: %d bytes, want IV + at least one block: %w", len(raw), ErrDecrypt)
	}
	return SM4CBCDecrypt(e.key[:], raw[:SM4BlockSize], raw[SM4BlockSize:])
}
