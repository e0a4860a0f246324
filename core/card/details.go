package card

import (
	"fmt"
	"log/slog"
)

// Details are the card elements a payer gives to bind a card or receive a payout: what
// travels, encrypted, to the bank. They are never stored as such: Keyring.Protect turns
// them into a Stored record, which has no place for CVN2 or expiry.
//
// Details never print or log their content: String, GoString, Format (every verb,
// including %+v and %#v), slog's LogValue and MarshalJSON show the masked PAN only.
type Details struct {
	PAN        string // 13 to 19 digits
	HolderName string
	IDType     string // "01" = resident ID card
	IDNo       string
	Phone      string // bank-reserved mobile, 11 digits
	CVN2       string // credit cards only; never stored
	Expiry     string // credit cards only, YYMM; never stored
}

// String returns "card 621626*********0018" (the masked PAN only).
func (d Details) String() string { return "card " + Mask(d.PAN) }

// GoString is String, so %#v does not reveal the fields.
func (d Details) GoString() string { return d.String() }

// Format makes every fmt verb print String.
func (d Details) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(d.String())) }

// LogValue makes slog log the masked PAN only.
func (d Details) LogValue() slog.Value {
	return slog.GroupValue(slog.String("pan", Mask(d.PAN)))
}

// MarshalJSON writes {"pan_masked":"..."}: Details are not meant to be serialised, and if
// they are by mistake nothing sensitive leaks.
func (d Details) MarshalJSON() ([]byte, error) {
	return []byte(`{"pan_masked":"` + Mask(d.PAN) + `"}`), nil
}

// Stored is a card as tongdao keeps it at rest: the PAN, phone and ID number sealed, a
// fingerprint of the PAN for look-ups, and what may be shown in clear (masked PAN, issuer,
// type). It has no field for CVN2 or expiry, so they cannot be stored by mistake. The
// holder's name is not sealed here because it is shown to the holder; store it per the
// application's own policy.
type Stored struct {
	PAN            Sealed      `json:"pan"`
	Phone          Sealed      `json:"phone,omitempty"`
	IDNo           Sealed      `json:"id_no,omitempty"`
	PANFingerprint Fingerprint `json:"pan_fingerprint"`
	PANMasked      string      `json:"pan_masked"`          // first 6 + last 4
	BankCode       string      `json:"bank_code,omitempty"` // from the BIN table; "" if unknown
	Type           string      `json:"card_type,omitempty"` // "DC", "CC" or "" if unknown
}

// Protect validates d.PAN (digits, length; Luhn too unless lenient) and seals the PAN,
// phone and ID number (the latter two when present), fingerprints the PAN and looks its
// issuer up in the built-in BIN table. CVN2 and Expiry are dropped. Errors name the field.
func (k *Keyring) Protect(d Details, lenient bool) (Stored, error) {
	check := CheckPAN
	if lenient {
		check = CheckPANFormat
	}
	if err := check(d.PAN); err != nil {
		return Stored{}, err
	}
	var st Stored
	var err error
	if st.PAN, err = k.Seal(FieldPAN, d.PAN); err != nil {
		return Stored{}, err
	}
	if d.Phone != "" {
		if st.Phone, err = k.Seal(FieldPhone, d.Phone); err != nil {
			return Stored{}, err
		}
	}
	if d.IDNo != "" {
		if st.IDNo, err = k.Seal(FieldIDNo, d.IDNo); err != nil {
			return Stored{}, err
		}
	}
	st.PANFingerprint = k.Fingerprint(FieldPAN, d.PAN)
	st.PANMasked = Mask(d.PAN)
	if b, ok := LookupBIN(d.PAN); ok {
		st.BankCode, st.Type = b.BankCode, b.Type.Code()
	}
	return st, nil
}
