package sign

import (
	"crypto/subtle"
	"fmt"
)

// pkcs7Pad returns a new slice holding src followed by 1..bs bytes of PKCS#7 padding
// (a full block when src is already aligned).
func pkcs7Pad(src []byte, bs int) []byte {
	n := bs - len(src)%bs
	out := make([]byte, len(src)+n)
	copy(out, src)
	for i := len(src); i < len(out); i++ {
		out[i] = byte(n)
	}
	return out
}

// pkcs7Unpad strips strict PKCS#7 padding: the last byte must be 1..bs and all pad bytes
// equal to it. The check does not branch on the pad bytes' values. On failure the buffer
// is wiped so no partial plaintext leaks to a careless caller.
func pkcs7Unpad(b []byte, bs int, what string) ([]byte, error) {
	if len(b) == 0 || len(b)%bs != 0 {
		return nil, fmt.Errorf("%s padding: length %d: %w", what, len(b), ErrDecrypt)
	}
	n := int(b[len(b)-1])
	good := subtle.ConstantTimeLessOrEq(1, n) & subtle.ConstantTimeLessOrEq(n, bs)
	for i := 1; i <= bs; i++ {
		// Only the last n bytes must equal n; earlier bytes are ignored.
		inPad := subtle.ConstantTimeLessOrEq(i, n)
		eq := subtle.ConstantTimeByteEq(b[len(b)-i], byte(n))
		good &= eq | (1 - inPad)
	}
	if good != 1 {
		clear(b)
		return nil, fmt.Errorf("%s padding: %w", what, ErrDecrypt)
	}
	return b[:len(b)-n], nil
}
