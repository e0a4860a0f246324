package chain

import (
	"encoding/hex"
	"testing"
)

func TestEnc_LengthPrefixesMakeFieldListsUnambiguous(t *testing.T) {
	enc := func(f func(*Enc)) string {
		var e Enc
		f(&e)
		return hex.EncodeToString(e.B)
	}
	// "ab"+"c" and "a"+"bc" concatenate alike; encoded they differ.
	if a, b := enc(func(e *Enc) { e.Str("ab"); e.Str("c") }), enc(func(e *Enc) { e.Str("a"); e.Str("bc") }); a == b {
		t.Fatalf("ambiguous: %s", a)
	}
	for _, tc := range []struct {
		f    func(*Enc)
		want string
	}{
		{func(e *Enc) { e.Str("ab") }, "026162"},
		{func(e *Enc) { e.Bytes([]byte{0xff}) }, "01ff"},
		{func(e *Enc) { e.I64(-1) }, "01"},
		{func(e *Enc) { e.I64(300) }, "d804"},
		{func(e *Enc) { e.Str("") }, "00"},
	} {
		if got := enc(tc.f); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
	if z := Zero(); len(z) != Size || hex.EncodeToString(z) != "0000000000000000000000000000000000000000000000000000000000000000" {
		t.Fatalf("Zero() = %x", z)
	}
}
