package sign

import (
	"crypto/md5"
	"crypto/sha256"
	"fmt"
)

// WeChatSignType names a WeChat Pay v2 signature algorithm, spelled as on the wire in
// the sign_type field (wechat-v2.md §3.1).
type WeChatSignType string

const (
	// WeChatMD5 is upper-hex MD5 of the canonical string + "&key=<API key>" (32 chars).
	// It is the default when sign_type is absent.
	WeChatMD5 WeChatSignType = "MD5"
	// WeChatHMACSHA256 is upper-hex HMAC-SHA256 (key = API key) over the same string,
	// which still ends with "&key=<API key>" (64 chars).
	WeChatHMACSHA256 WeChatSignType = "HMAC-SHA256"
)

// ParseWeChatSignType maps a sign_type value to a WeChatSignType; "" means MD5
// (wechat-v2.md §3.1). Any other spelling is ErrInput.
func ParseWeChatSignType(s string) (WeChatSignType, error) {
	switch s {
	case "", string(WeChatMD5):
		return WeChatMD5, nil
	case string(WeChatHMACSHA256):
		return WeChatHMACSHA256, nil
	}
	return "", fmt.Errorf("wechat sign_type %q: %w", s, ErrInput)
}

// WeChatSignTypeOf infers the algorithm of a received sign from its length (32 hex →
// MD5, 64 → HMAC-SHA256), for notifications that omit sign_type (wechat-v2.md §3.2).
func WeChatSignTypeOf(sign string) (WeChatSignType, error) {
	switch len(sign) {
	case 32:
		return WeChatMD5, nil
	case 64:
		return WeChatHMACSHA256, nil
	}
	return "", fmt.Errorf("wechat sign of length %d: %w", len(sign), ErrBadSignature)
}

// weChatStackBuf is the size of the on-stack buffer for the string to sign; longer
// strings spill to the heap.
const weChatStackBuf = 1024

// AppendWeChatSign appends the upper-case hex WeChat v2 signature of params to dst
// (wechat-v2.md §3.1): "sign" excluded, empty values skipped, "&key=<apiKey>" appended.
// The string to sign is built on the stack (up to 1 KiB), so the call allocates
// nothing when dst has room.
func AppendWeChatSign(dst []byte, params Params, apiKey string, t WeChatSignType) ([]byte, error) {
	var stack [weChatStackBuf]byte
	switch t {
	case WeChatMD5, "":
		sum := md5.Sum(appendWeChatMessage(stack[:0], params, apiKey))
		return appendHex(dst, sum[:], hexUpperDigits), nil
	case WeChatHMACSHA256:
		// HMAC (RFC 2104) over sha256.Sum256 with ipad‖msg built in one stack buffer:
		// crypto/hmac's interface calls would move the buffer to the heap. Checked
		// against the documentation vector and crypto/hmac in the tests.
		var k [sha256.BlockSize]byte
		if len(apiKey) > sha256.BlockSize {
			h := sha256.Sum256([]byte(apiKey))
			copy(k[:], h[:])
		} else {
			copy(k[:], apiKey)
		}
		buf := stack[:sha256.BlockSize]
		for i := range k {
			buf[i] = k[i] ^ 0x36
		}
		inner := sha256.Sum256(appendWeChatMessage(buf, params, apiKey))
		var outer [sha256.BlockSize + sha256.Size]byte
		for i := range k {
			outer[i] = k[i] ^ 0x5c
		}
		copy(outer[sha256.BlockSize:], inner[:])
		sum := sha256.Sum256(outer[:])
		return appendHex(dst, sum[:], hexUpperDigits), nil
	}
	return dst, fmt.Errorf("wechat sign_type %q: %w", string(t), ErrInput)
}

// appendWeChatMessage appends the string WeChat signs: canonical pairs + "&key=" + key.
func appendWeChatMessage(dst []byte, params Params, apiKey string) []byte {
	dst = AppendCanonical(dst, params, CanonicalOptions{Exclude: []string{"sign"}})
	dst = append(dst, "&key="...)
	return append(dst, apiKey...)
}

// WeChatSign returns the WeChat v2 signature of params (see AppendWeChatSign). An empty
// t means MD5.
func WeChatSign(params Params, apiKey string, t WeChatSignType) (string, error) {
	var out [64]byte
	b, err := AppendWeChatSign(out[:0], params, apiKey, t)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// WeChatVerify checks sign (as received, upper or lower case hex) against params in
// constant time. params may still contain "sign"; it is excluded. The error wraps
// ErrBadSignature on mismatch and ErrInput on an unknown t.
func WeChatVerify(params Params, apiKey string, t WeChatSignType, sign string) error {
	var want [64]byte
	exp, err := AppendWeChatSign(want[:0], params, apiKey, t)
	if err != nil {
		return err
	}
	if len(sign) != len(exp) {
		return fmt.Errorf("wechat sign: length %d, want %d: %w", len(sign), len(exp), ErrBadSignature)
	}
	var got [64]byte
	if !Equal(exp, upperASCII(got[:], sign)) {
		return fmt.Errorf("wechat sign: %w", ErrBadSignature)
	}
	return nil
}
