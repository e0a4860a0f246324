package sign

import (
	"bytes"
	"encoding/asn1"
	"encoding/binary"
	"encoding/pem"
	"fmt"
)

// CFCA ".sm2" key files (gm-crypto.md §4.2): UnionPay GM signing keys are delivered in
// this format instead of PKCS#12.
var (
	oidCFCASM2Data = asn1.ObjectIdentifier{1, 2, 156, 10197, 6, 1, 4, 2, 1}
	oidSM4         = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 104}
	oidSM4CBC      = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 104, 2}
)

type cfcaKeyFile struct {
	Version int `asn1:"default:1"`
	Key     cfcaKeyData
	Cert    cfcaCertData
}

type cfcaKeyData struct {
	ContentType      asn1.ObjectIdentifier
	Algorithm        asn1.ObjectIdentifier
	EncryptedContent []byte
}

type cfcaCertData struct {
	ContentType asn1.ObjectIdentifier
	Content     []byte
}

// sm3KDF is the GM/T 0003 KDF with SM3: SM3(z‖ct) for ct = 1, 2, … (32-bit big endian),
// concatenated and truncated to n bytes.
func sm3KDF(z []byte, n int) []byte {
	out := make([]byte, 0, n+SM3Size)
	var ct [4]byte
	for i := uint32(1); len(out) < n; i++ {
		binary.BigEndian.PutUint32(ct[:], i)
		h := NewSM3()
		h.Write(z)
		h.Write(ct[:])
		out = h.Sum(out)
	}
	return out[:n]
}

// cfcaCipherParams derives the SM4-CBC IV (first 16 bytes) and key (last 16) from the
// password: KDF-SM3(password, 32).
func cfcaCipherParams(password []byte) (iv, key []byte) {
	m := sm3KDF(password, 32)
	return m[:16], m[16:]
}

// ParseCFCASM2 reads a CFCA ".sm2" key file (base64 text as delivered, PEM "CFCA KEY",
// or DER) and returns the SM2 private key and its certificate. The key is SM4-CBC
// encrypted with material derived from password; a wrong password is ErrPassword, a
// key that does not match the certificate ErrKeyFormat.
func ParseCFCASM2(data, password []byte) (*SM2PrivateKey, *SM2Certificate, error) {
	if len(password) == 0 {
		return nil, nil, fmt.Errorf("cfca sm2 file: no password given: %w", ErrPassword)
	}
	data = trimText(data)
	der := data
	if block, _ := pem.Decode(data); block != nil {
		der = block.Bytes
	} else if b, ok := decodeBase64Loose(data); ok {
		der = b
	}
	var f cfcaKeyFile
	rest, err := asn1.Unmarshal(der, &f)
	if err != nil || len(rest) != 0 {
		return nil, nil, fmt.Errorf("cfca sm2 file: not the CFCA SM2 structure: %w", ErrKeyFormat)
	}
	if !f.Key.ContentType.Equal(oidCFCASM2Data) || !f.Cert.ContentType.Equal(oidCFCASM2Data) {
		return nil, nil, fmt.Errorf("cfca sm2 file: content type is not sm2Data: %w", ErrKeyFormat)
	}
	if !f.Key.Algorithm.Equal(oidSM4) && !f.Key.Algorithm.Equal(oidSM4CBC) {
		return nil, nil, fmt.Errorf("cfca sm2 file: key cipher %v, want SM4: %w", f.Key.Algorithm, ErrKeyFormat)
	}
	iv, key := cfcaCipherParams(password)
	d, err := SM4CBCDecrypt(key, iv, f.Key.EncryptedContent)
	if err != nil {
		return nil, nil, fmt.Errorf("cfca sm2 file: key does not decrypt (wrong password?): %w", ErrPassword)
	}
	priv, err := NewSM2PrivateKey(d)
	clear(d)
	if err != nil {
		return nil, nil, fmt.Errorf("cfca sm2 file: %w", err)
	}
	cert, err := ParseSM2Certificate(f.Cert.Content)
	if err != nil {
		return nil, nil, fmt.Errorf("cfca sm2 file: %w", err)
	}
	if !cert.PublicKey.Equal(priv.Public()) {
		return nil, nil, fmt.Errorf("cfca sm2 file: private key does not match the certificate: %w", ErrKeyFormat)
	}
	return priv, cert, nil
}

// MarshalCFCASM2 writes priv and cert as a CFCA ".sm2" file (DER; base64-encode it for
// the usual text form), the key SM4-CBC encrypted under password. The simulator uses it
// to hand UnionPay-GM-style key files to tests.
func MarshalCFCASM2(priv *SM2PrivateKey, cert *SM2Certificate, password []byte) ([]byte, error) {
	if len(password) == 0 {
		return nil, fmt.Errorf("cfca sm2 file: empty password: %w", ErrInput)
	}
	if priv == nil || cert == nil || !cert.PublicKey.Equal(priv.Public()) {
		return nil, fmt.Errorf("cfca sm2 file: key and certificate must match: %w", ErrInput)
	}
	iv, key := cfcaCipherParams(password)
	enc, err := SM4CBCEncrypt(key, iv, priv.Bytes())
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(cfcaKeyFile{
		Version: 1,
		Key:     cfcaKeyData{ContentType: oidCFCASM2Data, Algorithm: oidSM4, EncryptedContent: enc},
		Cert:    cfcaCertData{ContentType: oidCFCASM2Data, Content: bytes.Clone(cert.Raw)},
	})
}
