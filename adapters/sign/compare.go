package sign

import "crypto/subtle"

// Equal reports whether a and b are equal, in time independent of their contents (it
// depends only on the lengths). Every signature check in this package goes through it.
func Equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// EqualString is Equal for strings.
func EqualString(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

const hexUpperDigits = "0123456789ABCDEF"
const hexLowerDigits = "0123456789abcdef"

// appendHex appends the hex form of src using digits (upper or lower case table).
func appendHex(dst, src []byte, digits string) []byte {
	for _, b := range src {
		dst = append(dst, digits[b>>4], digits[b&0x0f])
	}
	return dst
}

// upperASCII copies s into dst with a–z mapped to A–Z; dst must be at least len(s).
func upperASCII(dst []byte, s string) []byte {
	dst = dst[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
