package sign

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// OpenSSL 3 interop (gm-crypto.md §5): keys, a DER signature with the default ID and an
// ASN.1 ciphertext, all made by the openssl commands in testdata/README.md.
func TestSM2_OpenSSLInterop(t *testing.T) {
	priv, err := ParseSM2PrivateKey(readTestdata(t, "sm2.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParseSM2PublicKey(readTestdata(t, "sm2pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(priv.Public()) {
		t.Fatal("public key from sm2pub.pem differs from the private key's")
	}
	msg := readTestdata(t, "sm2_msg.txt")
	if err := VerifySM2(pub, msg, readTestdata(t, "sm2_msg.sig.der"), SM2SignOptions{}); err != nil {
		t.Fatalf("openssl signature: %v", err)
	}
	pt, err := DecryptSM2(priv, readTestdata(t, "sm2_msg.ct.der"), SM2CipherOptions{Layout: SM2ASN1})
	if err != nil || string(pt) != string(msg) {
		t.Fatalf("openssl ciphertext: %q, %v", pt, err)
	}
	enc, err := ParseSM2PrivateKey(readTestdata(t, "sm2_enc.pem"), []byte("secret"))
	if err != nil || enc.Hex() != priv.Hex() {
		t.Fatalf("encrypted PKCS#8: %v", err)
	}
}

func TestSM2Keys_AllEncodingsRoundTrip(t *testing.T) {
	priv := sm2VecKey(t)
	pkcs8, err := priv.MarshalPKCS8PEM()
	if err != nil {
		t.Fatal(err)
	}
	der, _ := priv.MarshalPKCS8()
	privInputs := map[string][]byte{
		"pkcs8 pem":    pkcs8,
		"pkcs8 der":    der,
		"pkcs8 base64": []byte(base64.StdEncoding.EncodeToString(der)),
		"hex d":        []byte(strings.ToLower(sm2VecD)),
		"hex d upper":  []byte(sm2VecD),
	}
	for name, in := range privInputs {
		k, err := ParseSM2PrivateKey(in, nil)
		if err != nil || k.Hex() != strings.ToLower(sm2VecD) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	pubPEM, _ := priv.Public().MarshalPEM()
	spki, _ := priv.Public().MarshalPKIX()
	if len(spki) != 91 {
		t.Fatalf("SPKI is %d bytes, want 91", len(spki))
	}
	point := priv.Public().Bytes()
	pubInputs := map[string][]byte{
		"pem":         pubPEM,
		"spki der":    spki,
		"spki base64": []byte(base64.StdEncoding.EncodeToString(spki)),
		"hex 04XY":    []byte(sm2VecP),
		"hex XY":      []byte(sm2VecP[2:]),
		"raw 65":      point,
		"raw 64":      point[1:],
	}
	for name, in := range pubInputs {
		k, err := ParseSM2PublicKey(in)
		if err != nil || !k.Equal(priv.Public()) {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

func TestParseSM2Keys_ErrorsSayWhatWasWrong(t *testing.T) {
	offCurve := []byte(sm2VecP[:len(sm2VecP)-1] + "4")
	tests := []struct {
		name    string
		err     error
		wantErr error
		wantMsg string
	}{
		{"P-256 key", sm2PrivErr(readTestdata(t, "p256.pem"), nil), ErrKeyFormat, "curve P-256, want sm2p256v1"},
		{"RSA PKCS#8 key", sm2PrivErr(readTestdata(t, "rsa_pkcs8.pem"), nil), ErrKeyFormat, "RSA key, want SM2"},
		{"RSA PKCS#1 key", sm2PrivErr(readTestdata(t, "rsa_pkcs1.pem"), nil), ErrKeyFormat, "RSA key, want SM2"},
		{"encrypted without password", sm2PrivErr(readTestdata(t, "sm2_enc.pem"), nil), ErrPassword, "no password"},
		{"encrypted with wrong password", sm2PrivErr(readTestdata(t, "sm2_enc.pem"), []byte("wrong")), ErrPassword, "password"},
		{"certificate", sm2PrivErr(readTestdata(t, "up_sign.pem"), nil), ErrKeyFormat, "CERTIFICATE"},
		{"63 hex chars", sm2PrivErr([]byte(sm2VecD[1:]), nil), ErrKeyFormat, "hex"},
		{"d = 0", sm2PrivErr([]byte(strings.Repeat("0", 64)), nil), ErrKeyFormat, "out of range"},
		{"d = n-1", sm2PrivErr([]byte("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54122"), nil), ErrKeyFormat, "out of range"},
		{"empty", sm2PrivErr(nil, nil), ErrKeyFormat, "empty"},
		{"public point off curve", sm2PubErr(offCurve), ErrKeyFormat, "not on curve"},
		{"RSA public key", sm2PubErr(readTestdata(t, "rsa_pub.pem")), ErrKeyFormat, "RSA key, want SM2"},
		{"private PEM as public", sm2PubErr(readTestdata(t, "sm2.pem")), ErrKeyFormat, "PEM type"},
		{"33-byte compressed point", sm2PubErr(append([]byte{2}, make([]byte, 32)...)), ErrKeyFormat, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.wantErr) || !strings.Contains(tt.err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want %v containing %q", tt.err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func sm2PrivErr(b, pw []byte) error { _, err := ParseSM2PrivateKey(b, pw); return err }
func sm2PubErr(b []byte) error      { _, err := ParseSM2PublicKey(b); return err }

func TestGenerateSM2Key_SignsAndVerifies(t *testing.T) {
	k, err := GenerateSM2Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Hex()) != 64 || len(k.Bytes()) != 32 {
		t.Fatal("private key encodings must be fixed width")
	}
	sig, err := SignSM2(k, []byte("m"), SM2SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySM2(k.Public(), []byte("m"), sig, SM2SignOptions{}); err != nil {
		t.Fatal(err)
	}
}
