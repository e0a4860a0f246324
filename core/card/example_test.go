package card_test

import (
	"bytes"
	"fmt"

	"github.com/tongdao/tongdao/core/card"
)

func Example() {
	pan := "6216261000000000018"
	fmt.Println(card.CheckPAN(pan) == nil, card.Mask(pan))
	if b, ok := card.LookupBIN(pan); ok {
		fmt.Println(b.BankCode, b.Type.Code(), b.Length)
	}

	ring, err := card.NewKeyring(card.KeyringConfig{
		Keys:           map[string][]byte{"2025-01": bytes.Repeat([]byte{1}, 16)}, // from your secret store
		Active:         "2025-01",
		FingerprintKey: bytes.Repeat([]byte{2}, 32),
	})
	if err != nil {
		panic(err)
	}
	st, err := ring.Protect(card.Details{PAN: pan, Phone: "13552535506", CVN2: "123"}, false)
	if err != nil {
		panic(err)
	}
	fmt.Println(st.PANMasked, st.PAN.KeyID)
	back, _ := ring.Open(card.FieldPAN, st.PAN)
	fmt.Println(back == pan, st.PANFingerprint.Equal(ring.Fingerprint(card.FieldPAN, pan)))
	// Output:
	// true 621626*********0018
	// SPABANK DC 19
	// 621626*********0018 2025-01
	// true true
}
