package sign

import (
	"errors"
	"testing"
)

func TestParsePKCS12_WeChatStyleFile(t *testing.T) {
	p12 := readTestdata(t, "apiclient_cert.p12")
	c, err := ParsePKCS12(p12, "10000100")
	if err != nil {
		t.Fatal(err)
	}
	k, err := c.RSAKey()
	if err != nil || !k.Equal(rsaTestKey(t)) {
		t.Fatalf("key: %v", err)
	}
	if CertID(c.Certificate) != "68759663125" || len(c.CACerts) != 1 {
		t.Fatalf("cert %s, %d CA certs", CertID(c.Certificate), len(c.CACerts))
	}
	tc, err := LoadTLSCertificatePKCS12(p12, "10000100")
	if err != nil || len(tc.Certificate) != 2 || tc.Leaf == nil {
		t.Fatalf("tls: %d certs, %v", len(tc.Certificate), err)
	}
	tests := []struct {
		name     string
		data     []byte
		password string
		wantErr  error
	}{
		{"wrong password", p12, "10000101", ErrPassword},
		{"no password", p12, "", ErrPassword},
		{"not pkcs12", []byte("hello"), "x", ErrKeyFormat},
		{"truncated", p12[:100], "10000100", ErrKeyFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParsePKCS12(tt.data, tt.password); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestLoadTLSCertificate_PEM(t *testing.T) {
	tc, err := LoadTLSCertificate(readTestdata(t, "up_sign.pem"), readTestdata(t, "rsa_pkcs1.pem"))
	if err != nil || tc.Leaf == nil || CertID(tc.Leaf) != "68759663125" {
		t.Fatalf("pem pair: %v", err)
	}
	if _, err := LoadTLSCertificate(readTestdata(t, "up_sign.pem"), readTestdata(t, "sm2.pem")); !errors.Is(err, ErrKeyFormat) {
		t.Fatalf("mismatched key: %v", err)
	}
	if _, err := LoadTLSCertificate([]byte("nope"), readTestdata(t, "rsa_pkcs1.pem")); !errors.Is(err, ErrCertificate) {
		t.Fatalf("bad cert: %v", err)
	}
}
