package card

import (
	"strings"
	"unicode/utf8"
)

// Mask returns pan with every character but the first 6 and the last 4 replaced by '*'
// ("621626*********0018"), the only form in which tongdao shows a card number. Input of
// 10 characters or fewer would reveal everything, so it is masked whole. The length is
// preserved so that masks of different cards can still be told apart by length.
func Mask(pan string) string {
	n := len(pan)
	if n <= 10 {
		return strings.Repeat("*", n)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(pan[:6])
	for i := 6; i < n-4; i++ {
		b.WriteByte('*')
	}
	b.WriteString(pan[n-4:])
	return b.String()
}

// MaskPhone returns an 11-digit mobile number as first 3 + last 4 ("135****5506"); other
// input is masked whole.
func MaskPhone(phone string) string {
	if len(phone) != 11 {
		return strings.Repeat("*", len(phone))
	}
	return phone[:3] + "****" + phone[7:]
}

// MaskID returns an ID number as first 1 + last 1 ("3****************6"); input of 4
// characters or fewer is masked whole.
func MaskID(id string) string {
	if len(id) <= 4 {
		return strings.Repeat("*", len(id))
	}
	return id[:1] + strings.Repeat("*", len(id)-2) + id[len(id)-1:]
}

// truncate shortens s for an error message about a non-secret value.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func validText(s string) bool { return utf8.ValidString(s) && !strings.ContainsAny(s, "\n\r") }
