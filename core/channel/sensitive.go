package channel

import (
	"encoding/json"
	"log/slog"
	"strings"
)

// Card holds the cardholder data a binding or payout needs. It never prints, logs or
// marshals its contents: String, GoString, LogValue and MarshalJSON all give the masked
// form, so a Card that reaches a log or an error message leaks nothing. Adapters read the
// fields directly and encrypt them on the wire.
type Card struct {
	Number     string // PAN, digits only
	HolderName string // the cardholder's name as the bank has it
	IDType     string // "01" = PRC resident ID card
	IDNumber   string // the cardholder's ID document number
	Mobile     string // the bank-reserved mobile number
	CVN2       string // credit cards only
	Expiry     string // credit cards only, YYMM
}

// Masked returns "622609******0048"-style masking of the number (first 6 + last 4) and
// nothing else of the card.
func (c Card) Masked() string { return MaskPAN(c.Number) }

// String returns the masked form.
func (c Card) String() string { return "card " + c.Masked() }

// GoString returns the masked form, so %#v does not print the fields.
func (c Card) GoString() string { return "channel.Card{" + c.Masked() + "}" }

// LogValue makes slog print only the masked number.
func (c Card) LogValue() slog.Value { return slog.StringValue(c.Masked()) }

// MarshalJSON writes {"masked":"622609******0048"}; the other fields are never written.
func (c Card) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Masked string `json:"masked"`
	}{c.Masked()})
}

// MaskPAN keeps the first 6 and last 4 characters of a card number and replaces the rest
// with '*'. Numbers shorter than 11 characters are masked entirely but for the last 4 (or
// entirely when shorter than 5), so the mask never reveals more than 10 digits.
func MaskPAN(pan string) string {
	n := len(pan)
	switch {
	case n == 0:
		return ""
	case n < 5:
		return strings.Repeat("*", n)
	case n < 11:
		return strings.Repeat("*", n-4) + pan[n-4:]
	}
	return pan[:6] + strings.Repeat("*", n-10) + pan[n-4:]
}

// RedactPANs returns b with every run of 13 to 19 ASCII digits that passes the Luhn check
// masked as MaskPAN does. Adapters use it as a last line of defence on raw responses kept
// in Error.Raw; it is not a substitute for never putting card data there.
func RedactPANs(b []byte) []byte {
	var out []byte
	i := 0
	for i < len(b) {
		if b[i] < '0' || b[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if n := j - i; n >= 13 && n <= 19 && luhn(b[i:j]) {
			if out == nil {
				out = append([]byte(nil), b...)
			}
			copy(out[i:j], MaskPAN(string(b[i:j])))
		}
		i = j
	}
	if out == nil {
		return b
	}
	return out
}

func luhn(d []byte) bool {
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}
