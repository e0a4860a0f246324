package card

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/tjfoc/gmsm/sm3"
	"github.com/tjfoc/gmsm/sm4"
)

// Field names what a sealed value or fingerprint is. It is bound into the ciphertext (as
// GCM additional data) and into the fingerprint, so a sealed phone number cannot be opened
// as a PAN and equal values of different fields have different fingerprints.
type Field string

// The fields tongdao protects at rest.
const (
	FieldPAN   Field = "pan"
	FieldPhone Field = "phone"
	FieldIDNo  Field = "id_no"
)

func (f Field) valid() bool { return f == FieldPAN || f == FieldPhone || f == FieldIDNo }

// Errors of the keyring, for errors.Is.
var (
	// ErrUnknownKey: the sealed value names a key id the keyring does not hold.
	ErrUnknownKey = errors.New("card: unknown key id")
	// ErrOpen: the sealed value was altered, belongs to another field, or the key is wrong.
	ErrOpen = errors.New("card: sealed value does not open")
)

// Key sizes.
const (
	KeySize            = 16 // SM4 key, bytes
	MinFingerprintKey  = 16 // HMAC-SM3 key, bytes (32 recommended)
	nonceSize          = 12 // GCM standard nonce
	tagSize            = 16 // GCM tag
	sealedPrefix       = "v1:"
	maxKeyIDLen        = 32
	maxSealedPlaintext = 256
)

// KeyringConfig is the keyring's configuration, normally read from a secret store by the
// application (never from this package's environment).
type KeyringConfig struct {
	// Keys are the SM4 keys by id. Ids are 1 to 32 of [A-Za-z0-9_-]; keys are 16 bytes.
	// Keep retired keys here as long as values sealed with them exist.
	Keys map[string][]byte
	// Active is the id of the key new values are sealed with.
	Active string
	// FingerprintKey is the HMAC-SM3 key of fingerprints, at least 16 bytes, and must not
	// equal any SM4 key. Changing it changes every fingerprint: rotate it only together
	// with a re-index of stored fingerprints (open each value, fingerprint it again).
	FingerprintKey []byte
	// Rand draws GCM nonces; nil means crypto/rand. (Random 96-bit nonces: rotate the
	// active key well before 2^32 seals under one key.)
	Rand io.Reader
}

// Keyring seals and opens card data with SM4-GCM and computes fingerprints. It is
// immutable after NewKeyring and safe for concurrent use (every operation builds its own
// SM4 cipher: tjfoc's cipher objects are not goroutine-safe).
//
// Why GCM: tjfoc/gmsm's sm4.NewCipher returns a standard cipher.Block, and the standard
// library's cipher.NewGCM accepts any 16-byte block cipher, so SM4-GCM needs no
// hand-written mode and gives authenticated encryption in one primitive (no separate
// HMAC-SM3 over a CBC ciphertext to get right).
type Keyring struct {
	keys   map[string][]byte
	active string
	fpKey  []byte
	rand   io.Reader
}

// NewKeyring validates cfg and copies its keys. Errors name the field, never a key.
func NewKeyring(cfg KeyringConfig) (*Keyring, error) {
	if len(cfg.Keys) == 0 {
		return nil, errors.New("card keyring: field Keys: at least one key is needed")
	}
	k := &Keyring{keys: make(map[string][]byte, len(cfg.Keys)), rand: cfg.Rand}
	for id, key := range cfg.Keys {
		if !validKeyID(id) {
			return nil, fmt.Errorf("card keyring: field Keys: key id %q: want 1 to %d of [A-Za-z0-9_-]", truncate(id, maxKeyIDLen), maxKeyIDLen)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("card keyring: field Keys[%s]: %d bytes, want %d", id, len(key), KeySize)
		}
		k.keys[id] = append([]byte(nil), key...)
	}
	if _, ok := k.keys[cfg.Active]; !ok {
		return nil, fmt.Errorf("card keyring: field Active: key id %q is not in Keys", truncate(cfg.Active, maxKeyIDLen))
	}
	k.active = cfg.Active
	if len(cfg.FingerprintKey) < MinFingerprintKey {
		return nil, fmt.Errorf("card keyring: field FingerprintKey: %d bytes, want at least %d", len(cfg.FingerprintKey), MinFingerprintKey)
	}
	for id, key := range k.keys {
		if subtle.ConstantTimeCompare(key, cfg.FingerprintKey) == 1 {
			return nil, fmt.Errorf("card keyring: field FingerprintKey: equals the SM4 key %s; use a separate key", id)
		}
	}
	k.fpKey = append([]byte(nil), cfg.FingerprintKey...)
	if k.rand == nil {
		k.rand = rand.Reader
	}
	return k, nil
}

// ActiveKeyID returns the id of the key new values are sealed with.
func (k *Keyring) ActiveKeyID() string { return k.active }

// KeyIDs returns the ids of the keys held, sorted.
func (k *Keyring) KeyIDs() []string {
	ids := make([]string, 0, len(k.keys))
	for id := range k.keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func validKeyID(id string) bool {
	if len(id) == 0 || len(id) > maxKeyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Sealed is one field value encrypted at rest: the id of the key, the GCM nonce and the
// ciphertext with its tag. Its text form (String, MarshalText) is
// "v1:<keyID>:<base64url(nonce ‖ ciphertext ‖ tag)>", safe to store in a text column and
// to log (it reveals only the key id and the value's length: GCM does not hide lengths).
type Sealed struct {
	KeyID string
	Nonce []byte // 12 bytes
	Data  []byte // ciphertext ‖ 16-byte tag
}

// IsZero reports whether s holds nothing.
func (s Sealed) IsZero() bool { return s.KeyID == "" && len(s.Nonce) == 0 && len(s.Data) == 0 }

// String returns the text form ("" for the zero value).
func (s Sealed) String() string {
	if s.IsZero() {
		return ""
	}
	raw := make([]byte, 0, len(s.Nonce)+len(s.Data))
	raw = append(append(raw, s.Nonce...), s.Data...)
	return sealedPrefix + s.KeyID + ":" + base64.RawURLEncoding.EncodeToString(raw)
}

// MarshalText implements encoding.TextMarshaler with the text form.
func (s Sealed) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; see ParseSealed.
func (s *Sealed) UnmarshalText(b []byte) error {
	v, err := ParseSealed(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSealed reads the text form. The empty string gives the zero Sealed. It checks the
// shape only; Keyring.Open authenticates.
func ParseSealed(text string) (Sealed, error) {
	if text == "" {
		return Sealed{}, nil
	}
	rest, ok := strings.CutPrefix(text, sealedPrefix)
	if !ok {
		return Sealed{}, fmt.Errorf("sealed value: want the prefix %q: %w", sealedPrefix, ErrInvalid)
	}
	id, b64, ok := strings.Cut(rest, ":")
	if !ok || !validKeyID(id) {
		return Sealed{}, fmt.Errorf("sealed value: key id: want 1 to %d of [A-Za-z0-9_-] then ':': %w", maxKeyIDLen, ErrInvalid)
	}
	if len(b64) > base64.RawURLEncoding.EncodedLen(nonceSize+maxSealedPlaintext+tagSize) {
		return Sealed{}, fmt.Errorf("sealed value: %d characters of data, too long: %w", len(b64), ErrInvalid)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(b64)
	if err != nil || strings.ContainsAny(b64, "\r\n") { // the decoder skips CR and LF
		return Sealed{}, fmt.Errorf("sealed value: data is not unpadded base64url: %w", ErrInvalid)
	}
	if len(raw) < nonceSize+tagSize+1 {
		return Sealed{}, fmt.Errorf("sealed value: %d bytes of data, want at least %d: %w", len(raw), nonceSize+tagSize+1, ErrInvalid)
	}
	return Sealed{KeyID: id, Nonce: raw[:nonceSize:nonceSize], Data: raw[nonceSize:]}, nil
}

func gcmFor(key []byte) (cipher.AEAD, error) {
	b, err := sm4.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// aad binds a ciphertext to its format version, field and key id.
func aad(f Field, keyID string) []byte {
	return []byte(sealedPrefix + string(f) + ":" + keyID)
}

// Seal encrypts value under the active key. value must be 1 to 256 bytes of UTF-8; field
// must be one of the Field constants. The error never contains value.
func (k *Keyring) Seal(f Field, value string) (Sealed, error) {
	if !f.valid() {
		return Sealed{}, fmt.Errorf("card seal: field %q: want pan, phone or id_no: %w", truncate(string(f), 16), ErrInvalid)
	}
	if len(value) == 0 || len(value) > maxSealedPlaintext {
		return Sealed{}, fmt.Errorf("card seal %s: %d bytes, want 1 to %d: %w", f, len(value), maxSealedPlaintext, ErrInvalid)
	}
	aead, err := gcmFor(k.keys[k.active])
	if err != nil {
		return Sealed{}, fmt.Errorf("card seal %s: %v", f, err)
	}
	nonce := make([]byte, nonceSize)
	if _, err := io.ReadFull(k.rand, nonce); err != nil {
		return Sealed{}, fmt.Errorf("card seal %s: nonce: %v", f, err)
	}
	return Sealed{KeyID: k.active, Nonce: nonce, Data: aead.Seal(nil, nonce, []byte(value), aad(f, k.active))}, nil
}

// Open decrypts s, which must have been sealed for field f by a key this keyring holds.
// A value altered in any byte, sealed for another field, or under a different key with the
// same id fails with ErrOpen; an unknown key id with ErrUnknownKey.
func (k *Keyring) Open(f Field, s Sealed) (string, error) {
	if !f.valid() {
		return "", fmt.Errorf("card open: field %q: want pan, phone or id_no: %w", truncate(string(f), 16), ErrInvalid)
	}
	key, ok := k.keys[s.KeyID]
	if !ok {
		return "", fmt.Errorf("card open %s: key id %q: %w", f, truncate(s.KeyID, maxKeyIDLen), ErrUnknownKey)
	}
	if len(s.Nonce) != nonceSize || len(s.Data) < tagSize+1 {
		return "", fmt.Errorf("card open %s: nonce or data of the wrong size: %w", f, ErrOpen)
	}
	aead, err := gcmFor(key)
	if err != nil {
		return "", fmt.Errorf("card open %s: %v", f, err)
	}
	pt, err := aead.Open(nil, s.Nonce, s.Data, aad(f, s.KeyID))
	if err != nil {
		return "", fmt.Errorf("card open %s with key %s: %w", f, s.KeyID, ErrOpen)
	}
	return string(pt), nil
}

// NeedsReseal reports whether s was sealed with a key other than the active one.
func (k *Keyring) NeedsReseal(s Sealed) bool { return !s.IsZero() && s.KeyID != k.active }

// Reseal opens s and seals the value again under the active key (key rotation). A value
// already under the active key is returned unchanged.
func (k *Keyring) Reseal(f Field, s Sealed) (Sealed, error) {
	if !k.NeedsReseal(s) {
		return s, nil
	}
	v, err := k.Open(f, s)
	if err != nil {
		return Sealed{}, err
	}
	return k.Seal(f, v)
}

// Fingerprint is a keyed HMAC-SM3 of a field value: equal values of one field under one
// fingerprint key give equal fingerprints, so a store can index it ("is this card bound
// already?") without holding anything that reveals the value to whoever lacks the key.
type Fingerprint [32]byte

// String returns lower-case hex.
func (f Fingerprint) String() string { return hex.EncodeToString(f[:]) }

// MarshalText implements encoding.TextMarshaler (lower-case hex).
func (f Fingerprint) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText reads 64 hex characters.
func (f *Fingerprint) UnmarshalText(b []byte) error {
	if len(b) != 64 {
		return fmt.Errorf("fingerprint: %d characters, want 64 hex: %w", len(b), ErrInvalid)
	}
	if _, err := hex.Decode(f[:], b); err != nil {
		return fmt.Errorf("fingerprint: not hex: %w", ErrInvalid)
	}
	return nil
}

// Equal compares in constant time.
func (f Fingerprint) Equal(o Fingerprint) bool { return subtle.ConstantTimeCompare(f[:], o[:]) == 1 }

// Fingerprint returns HMAC-SM3(FingerprintKey, field ‖ 0x00 ‖ normalised value). Values are
// normalised first so that formatting does not split one card into two: spaces and '-'
// are removed from PANs and phones, ID numbers are upper-cased (a final 'x' is 'X').
func (k *Keyring) Fingerprint(f Field, value string) Fingerprint {
	m := hmac.New(sm3.New, k.fpKey)
	m.Write([]byte(f))
	m.Write([]byte{0})
	m.Write([]byte(normalise(f, value)))
	var out Fingerprint
	copy(out[:], m.Sum(nil)) // tjfoc's Sum(b) hashes b: only Sum(nil) is correct (gm-crypto §8.10)
	return out
}

func normalise(f Field, v string) string {
	switch f {
	case FieldPAN, FieldPhone:
		return strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' {
				return -1
			}
			return r
		}, v)
	case FieldIDNo:
		return strings.ToUpper(strings.TrimSpace(v))
	}
	return v
}
