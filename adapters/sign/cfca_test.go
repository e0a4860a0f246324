package sign

import (
	"encoding/base64"
	"errors"
	"testing"
)

// The parser was also checked (outside the repository) against a CFCA-issued test file
// with a real CFCA certificate; the committed test round-trips a minted one.
func TestCFCASM2_RoundTripAndErrors(t *testing.T) {
	_, _, leaf, leafKey := mintSM2PKI(t)
	der, err := MarshalCFCASM2(leafKey, leaf, []byte("cfca1234"))
	if err != nil {
		t.Fatal(err)
	}
	text := []byte(base64.StdEncoding.EncodeToString(der)) // the .sm2 file as delivered
	k, c, err := ParseCFCASM2(text, []byte("cfca1234"))
	if err != nil {
		t.Fatal(err)
	}
	if k.Hex() != leafKey.Hex() || c.CertID() != leaf.CertID() {
		t.Fatal("round trip changed the key or certificate")
	}
	other, _ := GenerateSM2Key(nil)
	if _, err := MarshalCFCASM2(other, leaf, []byte("x")); !errors.Is(err, ErrInput) {
		t.Fatalf("mismatched key: %v", err)
	}
	tests := []struct {
		name     string
		data     []byte
		password string
		wantErr  error
	}{
		{"wrong password", text, "cfca1235", ErrPassword},
		{"no password", text, "", ErrPassword},
		{"not a CFCA file", readTestdata(t, "sm2.pem"), "cfca1234", ErrKeyFormat},
		{"truncated", der[:len(der)-10], "cfca1234", ErrKeyFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := ParseCFCASM2(tt.data, []byte(tt.password)); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
