package sign

import (
	"crypto/cipher"
	"fmt"

	"github.com/tjfoc/gmsm/sm4"
)

// SM4KeySize and SM4BlockSize are the SM4 key and block sizes in bytes (gm-crypto.md §3).
const (
	SM4KeySize   = 16
	SM4BlockSize = 16
)

// newSM4 returns a fresh SM4 block for one call: tjfoc's cipher keeps scratch buffers and
// is not goroutine-safe (gm-crypto.md §8.2), so a block is never shared.
func newSM4(key []byte) (cipher.Block, error) {
	if len(key) != SM4KeySize {
		return nil, fmt.Errorf("sm4 key: %d bytes, want 16", len(key))
	}
	return sm4.NewCipher(key)
}

// SM4CBCEncrypt encrypts pt with SM4-CBC and PKCS#7 padding (always 1..16 bytes of
// padding, gm-crypto.md §3.2 SM4-4). key and iv must be 16 bytes. The IV is the caller's:
// no package state is read, so concurrent calls with distinct IVs are safe.
func SM4CBCEncrypt(key, iv, pt []byte) ([]byte, error) {
	b, err := newSM4(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEncrypt, err)
	}
	if len(iv) != SM4BlockSize {
		return nil, fmt.Errorf("sm4 iv: %d bytes, want 16: %w", len(iv), ErrEncrypt)
	}
	out := pkcs7Pad(pt, SM4BlockSize)
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, out)
	return out, nil
}

// SM4CBCDecrypt decrypts ct (SM4-CBC, strict PKCS#7). It fails with ErrDecrypt, and no
// plaintext, when ct is empty or not a multiple of 16, or the padding is malformed
// (tjfoc's Sm4Cbc would return nil, nil, gm-crypto.md §8.3).
func SM4CBCDecrypt(key, iv, ct []byte) ([]byte, error) {
	b, err := newSM4(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecrypt, err)
	}
	if len(iv) != SM4BlockSize {
		return nil, fmt.Errorf("sm4 iv: %d bytes, want 16: %w", len(iv), ErrDecrypt)
	}
	if len(ct) == 0 || len(ct)%SM4BlockSize != 0 {
		return nil, fmt.Errorf("sm4-cbc ciphertext: %d bytes, want a positive multiple of 16: %w", len(ct), ErrDecrypt)
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, ct)
	return pkcs7Unpad(out, SM4BlockSize, "sm4-cbc")
}

// SM4ECBEncrypt encrypts pt with SM4-ECB and PKCS#7 padding (Java
// "SM4/ECB/PKCS5Padding", gm-crypto.md §3.3). Identical plaintexts give identical
// ciphertexts; use CBC with a random IV unless a channel demands ECB.
func SM4ECBEncrypt(key, pt []byte) ([]byte, error) {
	b, err := newSM4(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEncrypt, err)
	}
	out := pkcs7Pad(pt, SM4BlockSize)
	for i := 0; i < len(out); i += SM4BlockSize {
		b.Encrypt(out[i:i+SM4BlockSize], out[i:i+SM4BlockSize])
	}
	return out, nil
}

// SM4ECBDecrypt decrypts ct (SM4-ECB, strict PKCS#7); errors as SM4CBCDecrypt.
func SM4ECBDecrypt(key, ct []byte) ([]byte, error) {
	b, err := newSM4(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecrypt, err)
	}
	if len(ct) == 0 || len(ct)%SM4BlockSize != 0 {
		return nil, fmt.Errorf("sm4-ecb ciphertext: %d bytes, want a positive multiple of 16: %w", len(ct), ErrDecrypt)
	}
	out := make([]byte, len(ct))
	for i := 0; i < len(ct); i += SM4BlockSize {
		b.Decrypt(out[i:i+SM4BlockSize], ct[i:i+SM4BlockSize])
	}
	return pkcs7Unpad(out, SM4BlockSize, "sm4-ecb")
}

// sm4Block encrypts one block; used by the 10^6-iteration vector test.
func sm4Block(key, block []byte) ([]byte, error) {
	b, err := newSM4(key)
	if err != nil {
		return nil, err
	}
	if len(block) != SM4BlockSize {
		return nil, fmt.Errorf("sm4 block: %d bytes", len(block))
	}
	out := make([]byte, SM4BlockSize)
	b.Encrypt(out, block)
	return out, nil
}
