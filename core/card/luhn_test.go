package card

import (
	"errors"
	"strings"
	"testing"
)

func TestLuhn_Vectors(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"79927398713", true},          // the classic example (ISO/IEC 7812 annex, Wikipedia)
		{"79927398710", false},         // same, wrong check digit
		{"4111111111111111", true},     // Visa test card
		{"6216261000000000018", true},  // UnionPay test card (bank-direct golden identity)
		{"6216261000000000026", true},  // simulator scenario cards
		{"6258100000000004", true},     // simulator credit card
		{"6221558812340000", false},    // UnionPay's own test card is not Luhn-valid
		{"6222020111122220000", false}, // sample number seen in public demo code
		{"6217002290013105146", false}, // ditto
		{"00", true},
		{"0", false}, // too short to carry a check digit
		{"", false},
		{"6216 2610 0000 0000 018", false}, // spaces are not digits
		{"621626100000000001a", false},
		{"١٢٣", false}, // non-ASCII digits
	}
	for _, tc := range tests {
		if got := Luhn(tc.in); got != tc.want {
			t.Errorf("Luhn(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestLuhnDigit_CompletesValidNumbers(t *testing.T) {
	tests := []struct{ partial, want string }{
		{"621626100000000001", "8"},
		{"7992739871", "3"},
		{"411111111111111", "1"},
		{"625810000000000", "4"},
	}
	for _, tc := range tests {
		d, err := LuhnDigit(tc.partial)
		if err != nil || string(d) != tc.want {
			t.Errorf("LuhnDigit(%q) = %q, %v; want %q", tc.partial, d, err, tc.want)
		}
		if !Luhn(tc.partial + string(d)) {
			t.Errorf("%q + check digit is not Luhn-valid", tc.partial)
		}
	}
	for _, bad := range []string{"", "12a", strings.Repeat("1", 19)} {
		if _, err := LuhnDigit(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("LuhnDigit(%q) error = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestCheckPAN_ErrorsNameTheRuleNotTheNumber(t *testing.T) {
	tests := []struct {
		name, pan, want string
		lenientOK       bool
	}{
		{"valid", "6216261000000000018", "", true},
		{"luhn", "6221558812340000", "Luhn", true},
		{"short", "621626100000", "12 characters", false},
		{"long", "62162610000000000180", "20 characters", false},
		{"letter", "62162610000000000X8", "position 18", false},
		{"space", "621626100000 000018", "position 13", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPAN(tc.pan)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckPAN: %v", err)
				}
			} else {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "card number") {
					t.Fatalf("CheckPAN error = %v, want ErrInvalid naming the field and %q", err, tc.want)
				}
				if len(tc.pan) > 10 && strings.Contains(err.Error(), tc.pan[:10]) {
					t.Fatalf("error reveals the number: %v", err)
				}
			}
			if err := CheckPANFormat(tc.pan); (err == nil) != tc.lenientOK {
				t.Fatalf("CheckPANFormat = %v, want ok=%v", err, tc.lenientOK)
			}
		})
	}
}

func TestMask_SixPlusFour(t *testing.T) {
	tests := []struct{ in, want string }{
		{"6216261000000000018", "621626*********0018"},
		{"6258100000000004", "625810******0004"},
		{"12345678901", "123456*8901"},
		{"1234567890", "**********"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := MaskPhone("13552535506"); got != "135****5506" {
		t.Errorf("MaskPhone = %q", got)
	}
	if got := MaskPhone("1355253"); got != "*******" {
		t.Errorf("MaskPhone(short) = %q", got)
	}
	if got := MaskID("341126197709218366"); got != "3****************6" {
		t.Errorf("MaskID = %q", got)
	}
}
