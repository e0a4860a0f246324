package wechat

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// errReqInfo is the cause when req_info cannot be decrypted.
var errReqInfo = errors.New("wechat: req_info does not decrypt")

// reqInfoCipher returns the AES-256 block for refund notifications: the key is the
// lower-case hex MD5 of the API key, its 32 ASCII bytes used directly (wechat-v2.md §10).
//
// This is a private copy: adapters/sign does not provide AES-256-ECB yet.
func reqInfoCipher(apiKey string) cipher.Block {
	sum := md5.Sum([]byte(apiKey))
	var k [32]byte
	hex.Encode(k[:], sum[:])
	b, err := aes.NewCipher(k[:])
	if err != nil {
		panic("wechat: aes.NewCipher with a 32-byte key: " + err.Error()) // unreachable
	}
	return b
}

// decryptReqInfo base64-decodes req_info and decrypts it with AES-256-ECB and strict
// PKCS#7 padding (§10). Errors wrap errReqInfo and never carry plaintext.
func decryptReqInfo(block cipher.Block, reqInfo string) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(reqInfo)
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %v", errReqInfo, err)
	}
	bs := block.BlockSize()
	if len(ct) == 0 || len(ct)%bs != 0 {
		return nil, fmt.Errorf("%w: length %d is not a positive multiple of %d", errReqInfo, len(ct), bs)
	}
	pt := make([]byte, len(ct))
	for i := 0; i < len(ct); i += bs {
		block.Decrypt(pt[i:i+bs], ct[i:i+bs]) // ECB: each block on its own (§10)
	}
	n := int(pt[len(pt)-1])
	good := subtle.ConstantTimeLessOrEq(1, n) & subtle.ConstantTimeLessOrEq(n, bs)
	for i := 1; i <= bs; i++ {
		inPad := subtle.ConstantTimeLessOrEq(i, n)
		good &= subtle.ConstantTimeByteEq(pt[len(pt)-i], byte(n)) | (1 - inPad)
	}
	if good != 1 {
		clear(pt)
		return nil, fmt.Errorf("%w: bad padding", errReqInfo)
	}
	return pt[:len(pt)-n], nil
}
