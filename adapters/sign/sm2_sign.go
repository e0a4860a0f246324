package sign

import (
	"crypto/rand"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"

	"github.com/tjfoc/gmsm/sm2"
)

// DefaultSM2UID is the default SM2 user ID of GM/T 0009-2012 §10 (gm-crypto.md §4.3).
const DefaultSM2UID = "1234567812345678"

// SM2SigEncoding selects how an SM2 signature (r, s) is serialised (gm-crypto.md §4.3).
type SM2SigEncoding int

const (
	// SM2SigDER is SEQUENCE{INTEGER r, INTEGER s} (GM/T 0009), 70–72 bytes. The default.
	SM2SigDER SM2SigEncoding = iota
	// SM2SigRaw is r‖s, each left-padded to 32 bytes: exactly 64 bytes (UnionPay 21, CMB).
	SM2SigRaw
)

// SM2SignOptions configures SignSM2 and VerifySM2. The zero value means the default user
// ID, DER encoding and crypto/rand.
type SM2SignOptions struct {
	// UID is the signer's user ID hashed into ZA. Empty means DefaultSM2UID; an empty ID
	// cannot be expressed (the backend substitutes the default, gm-crypto.md §8.8).
	UID []byte
	// Encoding of the signature bytes.
	Encoding SM2SigEncoding
	// Rand is the nonce source for signing; nil means crypto/rand. Tests inject a fixed
	// k this way (gm-crypto.md §4.5).
	Rand io.Reader
}

func (o *SM2SignOptions) uid() []byte {
	if len(o.UID) == 0 {
		return []byte(DefaultSM2UID)
	}
	return o.UID
}

// SignSM2 signs msg (the message, not a digest: e = SM3(ZA‖msg) is computed inside,
// gm-crypto.md §4.3) with SM2-with-SM3. Safe for concurrent use.
func SignSM2(priv *SM2PrivateKey, msg []byte, opts SM2SignOptions) (sig []byte, err error) {
	if priv == nil {
		return nil, fmt.Errorf("sm2 sign: nil key: %w", ErrKeyFormat)
	}
	if len(opts.UID) >= 8192 {
		return nil, fmt.Errorf("sm2 sign: uid of %d bytes too long: %w", len(opts.UID), ErrInput)
	}
	random := opts.Rand
	if random == nil {
		random = rand.Reader
	}
	defer func() {
		if p := recover(); p != nil {
			sig, err = nil, fmt.Errorf("sm2 sign: backend panic: %v: %w", p, ErrInput)
		}
	}()
	r, s, err := sm2.Sm2Sign(priv.k, msg, opts.uid(), random)
	if err != nil {
		return nil, fmt.Errorf("sm2 sign: %w", err)
	}
	return encodeSM2Sig(r, s, opts.Encoding)
}

func encodeSM2Sig(r, s *big.Int, enc SM2SigEncoding) ([]byte, error) {
	switch enc {
	case SM2SigDER:
		return asn1.Marshal(sm2Sig{R: r, S: s})
	case SM2SigRaw:
		// FillBytes pads: naive r.Bytes()‖s.Bytes() gives 63 bytes 1 time in 128 (§4.3).
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out, nil
	}
	return nil, fmt.Errorf("sm2 signature encoding %d: %w", enc, ErrInput)
}

type sm2Sig struct{ R, S *big.Int }

// decodeSM2Sig parses sig strictly: raw must be exactly 64 bytes; DER must be a
// SEQUENCE of two positive INTEGERs with no trailing bytes. It returns nil on any defect.
func decodeSM2Sig(sig []byte, enc SM2SigEncoding) (r, s *big.Int) {
	switch enc {
	case SM2SigRaw:
		if len(sig) != 64 {
			return nil, nil
		}
		return new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	case SM2SigDER:
		var v sm2Sig
		rest, err := asn1.Unmarshal(sig, &v)
		if err != nil || len(rest) != 0 || v.R == nil || v.S == nil {
			return nil, nil
		}
		return v.R, v.S
	}
	return nil, nil
}

// VerifySM2 checks an SM2-with-SM3 signature over msg. Any malformed signature (raw not
// exactly 64 bytes, DER with trailing garbage, r or s outside [1, n−1]) and any mismatch
// returns an error wrapping ErrBadSignature; it never panics. Safe for concurrent use.
func VerifySM2(pub *SM2PublicKey, msg, sig []byte, opts SM2SignOptions) (err error) {
	if pub == nil {
		return fmt.Errorf("sm2 verify: nil key: %w", ErrKeyFormat)
	}
	if opts.Encoding != SM2SigDER && opts.Encoding != SM2SigRaw {
		return fmt.Errorf("sm2 signature encoding %d: %w", opts.Encoding, ErrInput)
	}
	if len(opts.UID) >= 8192 {
		return fmt.Errorf("sm2 verify: uid of %d bytes too long: %w", len(opts.UID), ErrInput)
	}
	r, s := decodeSM2Sig(sig, opts.Encoding)
	if r == nil {
		return fmt.Errorf("sm2 verify: malformed signature (%d bytes): %w", len(sig), ErrBadSignature)
	}
	n := sm2.P256Sm2().Params().N
	if r.Sign() <= 0 || s.Sign() <= 0 || r.Cmp(n) >= 0 || s.Cmp(n) >= 0 {
		return fmt.Errorf("sm2 verify: r or s out of range: %w", ErrBadSignature)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sm2 verify: backend panic: %v: %w", p, ErrBadSignature)
		}
	}()
	// Sm2Verify compares big integers; the result (one bit) is all that leaves it.
	if !sm2.Sm2Verify(pub.k, msg, opts.uid(), r, s) {
		return fmt.Errorf("sm2 verify: %w", ErrBadSignature)
	}
	return nil
}

// SM2SigToRaw converts a DER signature to the 64-byte r‖s form; ErrBadSignature if
// malformed.
func SM2SigToRaw(der []byte) ([]byte, error) {
	r, s := decodeSM2Sig(der, SM2SigDER)
	if r == nil || r.Sign() <= 0 || s.Sign() <= 0 || r.BitLen() > 256 || s.BitLen() > 256 {
		return nil, fmt.Errorf("sm2 DER signature: %w", ErrBadSignature)
	}
	return encodeSM2Sig(r, s, SM2SigRaw)
}

// SM2SigToDER converts a 64-byte r‖s signature to DER; ErrBadSignature if not 64 bytes.
func SM2SigToDER(raw []byte) ([]byte, error) {
	r, s := decodeSM2Sig(raw, SM2SigRaw)
	if r == nil {
		return nil, fmt.Errorf("sm2 raw signature: %d bytes, want 64: %w", len(raw), ErrBadSignature)
	}
	return encodeSM2Sig(r, s, SM2SigDER)
}

// SM2ZA returns ZA = SM3(ENTL‖ID‖a‖b‖Gx‖Gy‖xA‖yA) for pub and uid (empty = default ID),
// gm-crypto.md §4.3 step 1; exposed for interop debugging.
func SM2ZA(pub *SM2PublicKey, uid []byte) ([]byte, error) {
	if len(uid) == 0 {
		uid = []byte(DefaultSM2UID)
	}
	return sm2.ZA(pub.k, uid)
}
