package unionpay

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/tongdao/tongdao/adapters/sign"
)

// errFormat is an answer or notification that cannot be read (unionpay.md §2).
var errFormat = errors.New("unionpay: malformed message")

// encodeForm writes the request body: each value form-encoded exactly once, percent
// escapes in upper-case hex (unionpay.md §2), blank values left out (the SDKs drop them
// before signing, §5.1).
func encodeForm(p sign.Params) []byte {
	var b strings.Builder
	for _, kv := range p {
		if kv.Value == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv.Key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv.Value))
	}
	return []byte(b.String())
}

// parseLine reads a synchronous answer (unionpay.md §2): one un-encoded `k=v&k=v` line
// where the first '=' of a pair ends the key, and a '{' or '[' in a value opens a region
// closed by the matching '}' or ']' (depth not counted, as the SDK does) inside which '&'
// does not split. An empty key, a pair without '=', an unclosed region or a repeated key
// is errFormat. Values are not URL-decoded.
func parseLine(s string) (map[string]string, error) {
	out := make(map[string]string, 24)
	if s == "" {
		return nil, fmt.Errorf("empty answer: %w", errFormat)
	}
	start, eq := 0, -1
	var closer byte
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			c := s[i]
			switch {
			case eq < 0:
				if c == '=' {
					eq = i
				} else if c == '&' {
					return nil, fmt.Errorf("a pair without '=' at byte %d: %w", start, errFormat)
				}
				continue
			case closer != 0:
				if c == closer {
					closer = 0
				}
				continue
			case c == '{':
				closer = '}'
				continue
			case c == '[':
				closer = ']'
				continue
			case c != '&':
				continue
			}
		}
		if eq < 0 {
			return nil, fmt.Errorf("a pair without '=' at byte %d: %w", start, errFormat)
		}
		if closer != 0 {
			return nil, fmt.Errorf("field %q: unclosed bracket: %w", s[start:eq], errFormat)
		}
		k := s[start:eq]
		if k == "" {
			return nil, fmt.Errorf("empty key at byte %d: %w", start, errFormat)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("field %q sent twice: %w", k, errFormat)
		}
		out[k] = s[eq+1 : i]
		start, eq = i+1, -1
	}
	return out, nil
}

// parseBraced reads a `{k=v&k=v}` value (tokenPayData, reserved, customerInfo content).
func parseBraced(field, s string) (map[string]string, error) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("field %s: want {k=v&...}: %w", field, errFormat)
	}
	if len(s) == 2 {
		return map[string]string{}, nil
	}
	m, err := parseLine(s[1 : len(s)-1])
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", field, err)
	}
	return m, nil
}

// braced writes `{k=v&k=v}` in the given order, blank values left out. Values must not
// hold '&', '{' or '}' (the receiver splits on them); a caller passes only identifiers,
// codes and base64.
func braced(kv ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte('&')
		}
		b.WriteString(kv[i])
		b.WriteByte('=')
		b.WriteString(kv[i+1])
	}
	b.WriteByte('}')
	return b.String()
}

// customerInfo builds the customerInfo field (unionpay.md §6): base64 of
// `{plain...&encryptedInfo=<enc(secret...)>}`. plain holds certifTp, certifId,
// customerNm, smsCode; secret holds phoneNo, cvn2, expired (YYMM) and is encrypted as one
// `k=v&k=v` string with the encryption certificate, or sent in the plain part when enc is
// nil (merchants without the encryption permission).
func customerInfo(enc *encCert, plain, secret []string) (string, error) {
	parts := append([]string(nil), plain...)
	var sec strings.Builder
	for i := 0; i+1 < len(secret); i += 2 {
		if secret[i+1] == "" {
			continue
		}
		if enc == nil {
			parts = append(parts, secret[i], secret[i+1])
			continue
		}
		if sec.Len() > 0 {
			sec.WriteByte('&')
		}
		sec.WriteString(secret[i] + "=" + secret[i+1])
	}
	if sec.Len() > 0 {
		ct, err := enc.encrypt([]byte(sec.String()))
		if err != nil {
			return "", err
		}
		parts = append(parts, "encryptedInfo", ct)
	}
	return base64.StdEncoding.EncodeToString([]byte(braced(parts...))), nil
}
