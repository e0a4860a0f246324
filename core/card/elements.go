package card

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The holder elements banks verify when binding a card (4 elements: card number, name,
// ID number, reserved mobile; credit cards add CVN2 and expiry). Every checker's error
// names the field and the rule, never the value.

// CheckIDNo validates an 18-character PRC resident ID number (GB 11643-1999): 6-digit area,
// birth date yyyyMMdd that is a real date not after now's date in Beijing (UTC+8), 3-digit
// sequence, and the ISO 7064 MOD 11-2 check character (digit or 'X'; 'x' accepted).
// Legacy 15-digit numbers are refused.
func CheckIDNo(id string, now time.Time) error {
	if len(id) != 18 {
		return fmt.Errorf("ID number: %d characters, want 18: %w", len(id), ErrInvalid)
	}
	for i := 0; i < 17; i++ {
		if id[i] < '0' || id[i] > '9' {
			return fmt.Errorf("ID number: non-digit at position %d: %w", i+1, ErrInvalid)
		}
	}
	y, m, d := atoi(id[6:10]), atoi(id[10:12]), atoi(id[12:14])
	birth := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if y < 1900 || m < 1 || m > 12 || d < 1 || birth.Day() != d || birth.Month() != time.Month(m) {
		return fmt.Errorf("ID number: birth date is not a real date: %w", ErrInvalid)
	}
	if id[6:14] > now.In(beijing).Format("20060102") {
		return fmt.Errorf("ID number: birth date is in the future: %w", ErrInvalid)
	}
	w := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(id[i]-'0') * w[i]
	}
	got := id[17]
	if got == 'x' {
		got = 'X'
	}
	if got != "10X98765432"[sum%11] {
		return fmt.Errorf("ID number: check character wrong: %w", ErrInvalid)
	}
	return nil
}

// beijing is UTC+8 without DST; a fixed zone keeps this package free of tzdata.
var beijing = time.FixedZone("CST", 8*3600)

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// CheckMobile validates a mainland mobile number: 11 digits, "1" then 3–9.
func CheckMobile(m string) error {
	if len(m) != 11 || m[0] != '1' || m[1] < '3' || m[1] > '9' || !allDigits(m) {
		return fmt.Errorf("mobile: want 11 digits starting 13 to 19: %w", ErrInvalid)
	}
	return nil
}

// CleanHolderName trims outer spaces and checks a holder name as banks record it: 1 to 30
// characters of CJK ideographs, '·' (U+00B7, used in minority names) or upper-case Latin
// letters and spaces. It returns the trimmed name.
func CleanHolderName(name string) (string, error) {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	if n < 1 || n > 30 {
		return "", fmt.Errorf("holder name: %d characters, want 1 to 30: %w", n, ErrInvalid)
	}
	for _, r := range name {
		switch {
		case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3400 && r <= 0x4DBF, r == '·', r >= 'A' && r <= 'Z', r == ' ':
		default:
			return "", fmt.Errorf("holder name: want CJK characters, '·' or upper-case letters: %w", ErrInvalid)
		}
	}
	return name, nil
}

// CheckCVN2 validates a card verification number: exactly 3 digits.
func CheckCVN2(cvn2 string) error {
	if len(cvn2) != 3 || !allDigits(cvn2) {
		return fmt.Errorf("CVN2: want 3 digits: %w", ErrInvalid)
	}
	return nil
}

// CheckExpiry validates an expiry date in YYMM (month 01–12) that is not before now's
// month in Beijing time.
func CheckExpiry(yymm string, now time.Time) error {
	if len(yymm) != 4 || !allDigits(yymm) {
		return fmt.Errorf("expiry: want YYMM: %w", ErrInvalid)
	}
	if m := atoi(yymm[2:]); m < 1 || m > 12 {
		return fmt.Errorf("expiry: month must be 01 to 12: %w", ErrInvalid)
	}
	if yymm < now.In(beijing).Format("0601") {
		return fmt.Errorf("expiry: card expired: %w", ErrInvalid)
	}
	return nil
}
