package sign

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// TextEncoding selects how binary ciphertexts and signatures travel as text; channels
// differ and it is configuration, never guessed (gm-crypto.md §3.3, bank-direct.md §5.4).
type TextEncoding int

const (
	// TextBase64 is standard base64 with padding (the default).
	TextBase64 TextEncoding = iota
	// TextHexLower is lower-case hex.
	TextHexLower
	// TextHexUpper is upper-case hex.
	TextHexUpper
)

// EncodeText encodes b in the given text encoding.
func EncodeText(b []byte, enc TextEncoding) (string, error) {
	switch enc {
	case TextBase64:
		return base64.StdEncoding.EncodeToString(b), nil
	case TextHexLower:
		return hex.EncodeToString(b), nil
	case TextHexUpper:
		return string(appendHex(make([]byte, 0, 2*len(b)), b, hexUpperDigits)), nil
	}
	return "", fmt.Errorf("text encoding %d: %w", enc, ErrInput)
}

// DecodeText decodes s from the given text encoding. Base64 tolerates line breaks;
// hex accepts either case for both hex settings. Malformed text is ErrInput.
func DecodeText(s string, enc TextEncoding) ([]byte, error) {
	switch enc {
	case TextBase64:
		b, ok := decodeBase64Loose([]byte(s))
		if !ok {
			return nil, fmt.Errorf("text: not base64: %w", ErrInput)
		}
		return b, nil
	case TextHexLower, TextHexUpper:
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("text: not hex: %w", ErrInput)
		}
		return b, nil
	}
	return nil, fmt.Errorf("text encoding %d: %w", enc, ErrInput)
}
