package sign

import (
	"crypto/hmac"
	"encoding/hex"
	"hash"

	"github.com/tjfoc/gmsm/sm3"
)

// SM3Size is the size of an SM3 digest in bytes.
const SM3Size = 32

// SM3 returns the SM3 digest of msg (GB/T 32905, gm-crypto.md §2).
func SM3(msg []byte) [SM3Size]byte {
	h := NewSM3()
	h.Write(msg)
	var out [SM3Size]byte
	h.Sum(out[:0])
	return out
}

// SM3Hex returns the lower-case hex SM3 digest of msg (64 characters), the form UnionPay
// signMethod 12/21 and file digests use (gm-crypto.md §2.3).
func SM3Hex(msg []byte) string {
	d := SM3(msg)
	return hex.EncodeToString(d[:])
}

// NewSM3 returns a new SM3 hash.Hash that honours the hash.Hash contract: Sum(b)
// appends the digest to b and leaves the state unchanged. (tjfoc's Sum(b) hashes b
// instead, gm-crypto.md §8.10; this wrapper only ever calls Sum(nil).) Each instance is
// for one goroutine at a time, like every hash.Hash.
func NewSM3() hash.Hash { return sm3Hash{sm3.New()} }

type sm3Hash struct{ h hash.Hash }

// Write adds p to the running hash; it never fails.
func (s sm3Hash) Write(p []byte) (int, error) { return s.h.Write(p) }

// Sum appends the digest to b without changing the state.
func (s sm3Hash) Sum(b []byte) []byte { return append(b, s.h.Sum(nil)...) }

// Reset restores the initial state.
func (s sm3Hash) Reset() { s.h.Reset() }

// Size is 32.
func (s sm3Hash) Size() int { return SM3Size }

// BlockSize is 64.
func (s sm3Hash) BlockSize() int { return 64 }

// HMACSM3 returns HMAC-SM3(key, msg) (32 bytes). It is correct for any caller because
// NewSM3 has a standard Sum; see gm-crypto.md §8.10 for the pitfall it avoids.
func HMACSM3(key, msg []byte) []byte {
	mac := hmac.New(NewSM3, key)
	mac.Write(msg)
	return mac.Sum(nil)
}

// VerifyHMACSM3 checks mac against HMAC-SM3(key, msg) in constant time; the error wraps
// ErrBadSignature.
func VerifyHMACSM3(key, msg, mac []byte) error {
	if !hmac.Equal(HMACSM3(key, msg), mac) {
		return errorf("hmac-sm3", ErrBadSignature)
	}
	return nil
}
