package sign

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"os"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRSAPrivateKey_AllEncodingsGiveSameKey(t *testing.T) {
	ref, err := ParseRSAPrivateKey(readTestdata(t, "rsa_pkcs1.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pkcs8 := readTestdata(t, "rsa_pkcs8.pem")
	b64 := readTestdata(t, "rsa_pkcs8.b64")
	der, _ := decodeBase64Loose(b64)
	wrapped := []byte(strings.Join(chunk(string(b64), 64), "\n"))
	for name, in := range map[string][]byte{"pkcs8 pem": pkcs8, "bare base64": b64, "der": der, "wrapped base64": wrapped} {
		k, err := ParseRSAPrivateKey(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !k.Equal(ref) {
			t.Fatalf("%s: different key", name)
		}
	}
}

func chunk(s string, n int) []string {
	var out []string
	for len(s) > n {
		out, s = append(out, s[:n]), s[n:]
	}
	return append(out, s)
}

func TestParseRSAKeys_ErrorsSayWhatWasWrong(t *testing.T) {
	tests := []struct {
		name    string
		parse   func([]byte) error
		in      []byte
		wantErr error
		wantMsg string
	}{
		{"empty private", privParse, nil, ErrKeyFormat, "empty"},
		{"EC private key", privParse, readTestdata(t, "p256.pem"), ErrKeyFormat, "want RSA"},
		{"SM2 private key", privParse, readTestdata(t, "sm2.pem"), ErrKeyFormat, "want RSA"},
		{"certificate as private key", privParse, readTestdata(t, "up_sign.pem"), ErrKeyFormat, "CERTIFICATE"},
		{"encrypted private key", privParse, readTestdata(t, "sm2_enc.pem"), ErrPassword, "encrypted"},
		{"garbage private", privParse, []byte("not a key at all!"), ErrKeyFormat, "PKCS#1"},
		{"SM2 public key", pubParse, readTestdata(t, "sm2pub.pem"), ErrKeyFormat, "want RSA"},
		{"private key as public", pubParse, readTestdata(t, "rsa_pkcs1.pem"), ErrKeyFormat, "PEM type"},
		{"garbage public", pubParse, []byte("AAAA"), ErrKeyFormat, "not SPKI"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(tt.in)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func privParse(b []byte) error { _, err := ParseRSAPrivateKey(b); return err }
func pubParse(b []byte) error  { _, err := ParseRSAPublicKey(b); return err }

func rsaTestKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := ParseRSAPrivateKey(readTestdata(t, "rsa_pkcs1.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// RSA2 vector generated with `openssl dgst -sha256 -sign` (testdata/README.md).
func TestRSA2_MatchesOpenSSLVector(t *testing.T) {
	priv := rsaTestKey(t)
	msg := readTestdata(t, "rsa2_msg.txt")
	want := strings.TrimSpace(string(readTestdata(t, "rsa2_msg.sig.b64")))
	got, err := SignRSA2Base64(priv, msg)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("RSA2 signature differs from openssl's:\ngot  %s\nwant %s", got, want)
	}
	for _, name := range []string{"rsa_pub.pem", "rsa_pub.b64", "up_sign.pem"} {
		pub, err := ParseRSAPublicKey(readTestdata(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := VerifyRSA2Base64(pub, msg, want); err != nil {
			t.Fatalf("%s: verify: %v", name, err)
		}
		if err := VerifyRSA2Base64(pub, append(bytes.Clone(msg), ' '), want); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("%s: changed message: %v", name, err)
		}
	}
	if err := VerifyRSA2Base64(&priv.PublicKey, msg, "%%%"); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("non-base64 signature: %v", err)
	}
	if err := VerifyRSA2(&priv.PublicKey, msg, nil); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("empty signature: %v", err)
	}
}
