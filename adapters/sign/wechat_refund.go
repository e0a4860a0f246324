package sign

import (
	"crypto/aes"
	"crypto/md5"
	"encoding/base64"
	"fmt"
)

// weChatRefundKey derives the req_info AES-256 key: the 32 ASCII bytes of lower-case
// hex MD5(API key) (wechat-v2.md §10).
func weChatRefundKey(apiKey string) [32]byte {
	sum := md5.Sum([]byte(apiKey))
	var k [32]byte
	appendHex(k[:0], sum[:], hexLowerDigits)
	return k
}

// DecryptWeChatRefundInfo decrypts the req_info of a WeChat Pay v2 refund notification
// (wechat-v2.md §10): base64 → AES-256-ECB (key = lower-hex MD5 of the API key) → strict
// PKCS#7. It returns the plaintext XML (root <root>). Bad base64, a length that is not a
// positive multiple of 16, or bad padding (a wrong API key, almost always) is ErrDecrypt.
func DecryptWeChatRefundInfo(reqInfo, apiKey string) ([]byte, error) {
	ct, ok := decodeBase64Loose([]byte(reqInfo))
	if !ok {
		return nil, fmt.Errorf("wechat req_info: not base64: %w", ErrDecrypt)
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("wechat req_info: %d bytes, want a positive multiple of 16: %w", len(ct), ErrDecrypt)
	}
	key := weChatRefundKey(apiKey)
	b, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("wechat req_info: %v: %w", err, ErrDecrypt)
	}
	out := make([]byte, len(ct))
	for i := 0; i < len(ct); i += aes.BlockSize {
		b.Decrypt(out[i:i+aes.BlockSize], ct[i:i+aes.BlockSize])
	}
	return pkcs7Unpad(out, aes.BlockSize, "wechat req_info")
}

// EncryptWeChatRefundInfo is the inverse of DecryptWeChatRefundInfo, for the simulator:
// base64(AES-256-ECB-PKCS#7(plaintext)) with the key derived from apiKey. It is
// deterministic (ECB has no IV).
func EncryptWeChatRefundInfo(plaintext []byte, apiKey string) (string, error) {
	key := weChatRefundKey(apiKey)
	b, err := aes.NewCipher(key[:])
	if err != nil {
		return "", fmt.Errorf("wechat req_info: %v: %w", err, ErrEncrypt)
	}
	out := pkcs7Pad(plaintext, aes.BlockSize)
	for i := 0; i < len(out); i += aes.BlockSize {
		b.Encrypt(out[i:i+aes.BlockSize], out[i:i+aes.BlockSize])
	}
	return base64.StdEncoding.EncodeToString(out), nil
}
