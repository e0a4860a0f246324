package card

import (
	"errors"
	"fmt"
)

// Errors returned by the validators, for errors.Is. The messages name the field, never
// its value.
var (
	// ErrInvalid marks input that breaks a format rule (digits, length, check digit).
	ErrInvalid = errors.New("card: invalid")
)

// PAN length limits (ISO/IEC 7812): 13 to 19 digits.
const (
	MinPANLength = 13
	MaxPANLength = 19
)

// Luhn reports whether s is a string of ASCII digits (at least two) whose Luhn checksum
// is 0 mod 10: double every second digit from the right, subtract 9 from results above
// 9, sum. It does not check the length of a PAN; see CheckPAN. It never allocates.
func Luhn(s string) bool {
	if len(s) < 2 {
		return false
	}
	sum := 0
	double := false
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// LuhnDigit returns the check digit that, appended to the digits of partial, makes a
// Luhn-valid number (for building test card numbers). partial must be 1 to 18 digits.
func LuhnDigit(partial string) (byte, error) {
	if len(partial) < 1 || len(partial) > MaxPANLength-1 {
		return 0, fmt.Errorf("card: partial number of %d digits, want 1 to %d: %w", len(partial), MaxPANLength-1, ErrInvalid)
	}
	sum := 0
	double := true // the check digit will take the rightmost position
	for i := len(partial) - 1; i >= 0; i-- {
		c := partial[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("card: partial number has a non-digit at position %d: %w", i+1, ErrInvalid)
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10), nil
}

// CheckPAN validates a card number: ASCII digits only, 13 to 19 of them, Luhn-valid. The
// error names the rule broken and never contains the number.
func CheckPAN(pan string) error {
	if err := checkDigits(pan); err != nil {
		return err
	}
	if !Luhn(pan) {
		return fmt.Errorf("card number: check digit (Luhn) wrong: %w", ErrInvalid)
	}
	return nil
}

// CheckPANFormat is CheckPAN without the Luhn rule, for channels whose test cards are not
// Luhn-valid (UnionPay's own test card is not).
func CheckPANFormat(pan string) error { return checkDigits(pan) }

func checkDigits(pan string) error {
	if len(pan) < MinPANLength || len(pan) > MaxPANLength {
		return fmt.Errorf("card number: %d characters, want %d to %d digits: %w", len(pan), MinPANLength, MaxPANLength, ErrInvalid)
	}
	for i := 0; i < len(pan); i++ {
		if pan[i] < '0' || pan[i] > '9' {
			return fmt.Errorf("card number: non-digit at position %d: %w", i+1, ErrInvalid)
		}
	}
	return nil
}
