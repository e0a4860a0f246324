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
// is errFormat. Values are not URL-decoded. The result is sorted by key and shares the
// memory of s.
func parseLine(s string) (sign.Params, error) {
	if s == "" {
		return nil, fmt.Errorf("empty answer: %w", errFormat)
	}
	out := make(sign.Params, 0, 32)
	sc := scanner{s: s, amp: -1, brace: -1, square: -1}
	start := 0
	for start <= len(s) {
		eq := -1
		for i := start; i < len(s); i++ {
			if c := s[i]; c == '=' {
				eq = i
				break
			} else if c == '&' {
				break
			}
		}
		if eq < 0 {
			return nil, fmt.Errorf("a pair without '=' at byte %d: %w", start, errFormat)
		}
		if eq == start {
			return nil, fmt.Errorf("empty key at byte %d: %w", start, errFormat)
		}
		end, err := sc.valueEnd(eq + 1)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", s[start:eq], err)
		}
		out = append(out, sign.Param{Key: s[start:eq], Value: s[eq+1 : end]})
		start = end + 1
	}
	return sortUnique(out)
}

// scanner finds value ends in one answer. It remembers the next '&', '{' and '[' at or
// after the scan position and looks each up again only once passed, so a whole answer
// is scanned in linear time with IndexByte (the 1.3 KB PEM of signPubKeyCert is crossed
// in one call), whatever the values hold.
type scanner struct {
	s                  string
	amp, brace, square int // next index of each at or after the last lookup; len(s) = none; -1 = not looked up
}

func (c *scanner) next(pos *int, from int, b byte) int {
	if *pos < from {
		if i := strings.IndexByte(c.s[from:], b); i >= 0 {
			*pos = from + i
		} else {
			*pos = len(c.s)
		}
	}
	return *pos
}

// valueEnd returns where the value starting at v ends: the next '&' outside a '{...}' or
// '[...]' region, or the end of s.
func (c *scanner) valueEnd(v int) (int, error) {
	i := v
	for {
		amp := c.next(&c.amp, i, '&')
		o, closer := c.next(&c.brace, i, '{'), byte('}')
		if sq := c.next(&c.square, i, '['); sq < o {
			o, closer = sq, ']'
		}
		if amp < o {
			return amp, nil
		}
		if o == len(c.s) {
			return len(c.s), nil
		}
		e := strings.IndexByte(c.s[o+1:], closer)
		if e < 0 {
			return 0, fmt.Errorf("unclosed bracket: %w", errFormat)
		}
		i = o + 1 + e + 1
	}
}

// sortUnique sorts fields by key (only when needed: answers usually arrive sorted) and
// refuses a key sent twice, which would make "the" value of a field ambiguous after
// verification.
func sortUnique(p sign.Params) (sign.Params, error) {
	if !p.IsSorted() {
		p.Sort()
	}
	for i := 1; i < len(p); i++ {
		if p[i].Key == p[i-1].Key {
			return nil, fmt.Errorf("field %q sent twice: %w", p[i].Key, errFormat)
		}
	}
	return p, nil
}

// parseBraced reads a `{k=v&k=v}` value (tokenPayData, reserved, customerInfo content).
func parseBraced(field, s string) (map[string]string, error) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("field %s: want {k=v&...}: %w", field, errFormat)
	}
	if len(s) == 2 {
		return map[string]string{}, nil
	}
	p, err := parseLine(s[1 : len(s)-1])
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", field, err)
	}
	m := make(map[string]string, len(p))
	for _, kv := range p {
		m[kv.Key] = kv.Value
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
