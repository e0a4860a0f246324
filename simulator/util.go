package simulator

import (
	"encoding/base64"
	"strings"
)

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// ownedIn returns s as a string that shares text's memory when text contains it, else a
// copy: either way it keeps nothing but text (which the caller holds) alive.
func ownedIn(s, text string) string {
	if s == "" {
		return ""
	}
	if i := strings.Index(text, s); i >= 0 {
		return text[i : i+len(s)]
	}
	return strings.Clone(s)
}
