package sign

import (
	"crypto/rand"
	"fmt"
	"io"
)

// SM4Mode selects how Envelope fields are encrypted (bank-direct.md §5.4 sm4Mode).
type SM4Mode int

const (
	// SM4CBCPrefixedIV is SM4-CBC-PKCS#7 with a fresh random IV sent as the first 16
	// bytes of the value (the default; bank-direct.md §5.2).
	SM4CBCPrefixedIV SM4Mode = iota
	// SM4CBCFixedIV is SM4-CBC-PKCS#7 with an IV agreed out of band (EnvelopeOptions.FixedIV).
	SM4CBCFixedIV
	// SM4ECB is SM4-ECB-PKCS#7 (no IV).
	SM4ECB
)

// EnvelopeOptions configures an Envelope. The zero value is the bank-direct default
// (bank-direct.md §5): random IV prefixed, base64, encKey in C1C3C2 with 04, crypto/rand.
type EnvelopeOptions struct {
	// Mode of the field encryption.
	Mode SM4Mode
	// FixedIV is the 16-byte IV for SM4CBCFixedIV; ignored otherwise.
	FixedIV []byte
	// Text encodes both encKey and the field values.
	Text TextEncoding
	// KeyWrap is the SM2 layout of encKey; its Rand draws the SM2 ephemeral k.
	KeyWrap SM2CipherOptions
	// Rand draws the session key and the IVs; nil means crypto/rand.
	Rand io.Reader
}

func (o *EnvelopeOptions) check() error {
	switch o.Mode {
	case SM4CBCPrefixedIV, SM4ECB:
	case SM4CBCFixedIV:
		if len(o.FixedIV) != SM4BlockSize {
			return fmt.Errorf("envelope: fixed IV of %d bytes, want 16: %w", len(o.FixedIV), ErrInput)
		}
	default:
		return fmt.Errorf("envelope: SM4 mode %d: %w", o.Mode, ErrInput)
	}
	if o.Text < TextBase64 || o.Text > TextHexUpper {
		return fmt.Errorf("envelope: text encoding %d: %w", o.Text, ErrInput)
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return nil
}

// Envelope is a digital envelope for sensitive fields (bank-direct.md §5,
// gm-crypto.md §10): one random 16-byte SM4 session key per message, each field sealed
// with it (by default base64(IV ‖ SM4-CBC-PKCS#7(key, IV, plaintext)) with a fresh IV),
// and the key wrapped for the recipient with SM2 as encKey. An Envelope is safe for
// concurrent use when its random source is (crypto/rand is). Never log its key or the
// opened plaintexts.
type Envelope struct {
	key  [SM4KeySize]byte
	opts EnvelopeOptions
}

// NewEnvelope draws a fresh session key from opts.Rand.
func NewEnvelope(opts EnvelopeOptions) (*Envelope, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	e := &Envelope{opts: opts}
	if _, err := io.ReadFull(opts.Rand, e.key[:]); err != nil {
		return nil, fmt.Errorf("envelope: session key: %v: %w", err, ErrEncrypt)
	}
	return e, nil
}

// NewEnvelopeWithKey builds an Envelope around a known 16-byte session key (tests and
// golden vectors, bank-direct.md §12).
func NewEnvelopeWithKey(key []byte, opts EnvelopeOptions) (*Envelope, error) {
	if len(key) != SM4KeySize {
		return nil, fmt.Errorf("envelope: session key of %d bytes, want 16: %w", len(key), ErrInput)
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	e := &Envelope{opts: opts}
	copy(e.key[:], key)
	return e, nil
}

// OpenEnvelope unwraps encKey with the recipient's private key. The key must decrypt to
// exactly 16 bytes (bank-direct.md §5.3); otherwise ErrDecrypt. The returned Envelope
// opens fields and can seal a reply with the same options.
func OpenEnvelope(priv *SM2PrivateKey, encKey string, opts EnvelopeOptions) (*Envelope, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	ct, err := DecodeText(encKey, opts.Text)
	if err != nil {
		return nil, fmt.Errorf("envelope encKey: %v: %w", err, ErrDecrypt)
	}
	k, err := DecryptSM2(priv, ct, opts.KeyWrap)
	if err != nil {
		return nil, fmt.Errorf("envelope encKey: %w", err)
	}
	defer clear(k)
	if len(k) != SM4KeySize {
		return nil, fmt.Errorf("envelope encKey: session key of %d bytes, want 16: %w", len(k), ErrDecrypt)
	}
	e := &Envelope{opts: opts}
	copy(e.key[:], k)
	return e, nil
}

// Key returns a copy of the session key (for tests and interop debugging only).
func (e *Envelope) Key() []byte { return append([]byte(nil), e.key[:]...) }

// WrapKey returns encKey: the session key SM2-encrypted to recipient in the KeyWrap
// layout, text-encoded (the default gives 152 base64 chars, bank-direct.md §5.2 step 3).
func (e *Envelope) WrapKey(recipient *SM2PublicKey) (string, error) {
	ct, err := EncryptSM2(recipient, e.key[:], e.opts.KeyWrap)
	if err != nil {
		return "", fmt.Errorf("envelope encKey: %w", err)
	}
	return EncodeText(ct, e.opts.Text)
}

// SealField encrypts one field value in the configured mode (bank-direct.md §5.2 step 2).
func (e *Envelope) SealField(plaintext []byte) (string, error) {
	var out []byte
	switch e.opts.Mode {
	case SM4CBCPrefixedIV:
		var iv [SM4BlockSize]byte
		if _, err := io.ReadFull(e.opts.Rand, iv[:]); err != nil {
			return "", fmt.Errorf("envelope field IV: %v: %w", err, ErrEncrypt)
		}
		ct, err := SM4CBCEncrypt(e.key[:], iv[:], plaintext)
		if err != nil {
			return "", err
		}
		out = make([]byte, 0, SM4BlockSize+len(ct))
		out = append(append(out, iv[:]...), ct...)
	case SM4CBCFixedIV:
		ct, err := SM4CBCEncrypt(e.key[:], e.opts.FixedIV, plaintext)
		if err != nil {
			return "", err
		}
		out = ct
	case SM4ECB:
		ct, err := SM4ECBEncrypt(e.key[:], plaintext)
		if err != nil {
			return "", err
		}
		out = ct
	}
	return EncodeText(out, e.opts.Text)
}

// OpenField decrypts a value made by SealField with the same options. The ciphertext
// (after the IV, if prefixed) must be a positive multiple of 16 with strict PKCS#7
// (bank-direct.md §5.3); otherwise ErrDecrypt.
func (e *Envelope) OpenField(sealed string) ([]byte, error) {
	raw, err := DecodeText(sealed, e.opts.Text)
	if err != nil {
		return nil, fmt.Errorf("envelope field: %v: %w", err, ErrDecrypt)
	}
	switch e.opts.Mode {
	case SM4CBCPrefixedIV:
		if len(raw) < 2*SM4BlockSize {
			return nil, fmt.Errorf("envelope field: %d bytes, want IV + at least one block: %w", len(raw), ErrDecrypt)
		}
		return SM4CBCDecrypt(e.key[:], raw[:SM4BlockSize], raw[SM4BlockSize:])
	case SM4CBCFixedIV:
		return SM4CBCDecrypt(e.key[:], e.opts.FixedIV, raw)
	default:
		return SM4ECBDecrypt(e.key[:], raw)
	}
}
