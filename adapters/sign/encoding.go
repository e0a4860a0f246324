package sign

import (
	"bytes"
	"encoding/base64"
)

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func isBase64Text(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' ||
			c == '+' || c == '/' || c == '=' || c == '\r' || c == '\n' || c == ' ' || c == '\t') {
			return false
		}
	}
	return true
}

// decodeBase64Loose decodes standard base64 that may be wrapped over lines (key tools
// emit bare base64, sometimes with line breaks, alipay.md §4). ok is false when b is not
// base64 text.
func decodeBase64Loose(b []byte) ([]byte, bool) {
	if !isBase64Text(b) {
		return nil, false
	}
	clean := bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, b)
	out, err := base64.StdEncoding.DecodeString(string(clean))
	if err != nil {
		out, err = base64.RawStdEncoding.DecodeString(string(clean))
		if err != nil {
			return nil, false
		}
	}
	return out, true
}

// trimText trims surrounding white space only from textual input (PEM, base64, hex);
// binary DER is returned as is, since its first or last byte may be 0x09–0x20.
func trimText(b []byte) []byte {
	for _, c := range b {
		if c >= 0x7f || c < 0x20 && c != '\r' && c != '\n' && c != '\t' {
			return b
		}
	}
	return bytes.TrimSpace(b)
}
