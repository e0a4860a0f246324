package unionpay

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"
	"time"
	"unsafe"

	"github.com/tongdao/tongdao/adapters/sign"
)

// backURLKeys returns the names of the query-string parameters of backUrl: UnionPay posts
// them back as extra form fields that are not signed, and they must be removed before
// verification (unionpay.md §3 backUrl, §8).
func backURLKeys(backURL string) ([]string, error) {
	u, err := url.Parse(backURL)
	if err != nil {
		return nil, fmt.Errorf("unionpay: field BackURL: %v", err)
	}
	var keys []string
	for k := range u.Query() {
		keys = append(keys, k)
	}
	return keys, nil
}

// decodeNotification reads a back (or front) notification: a URL-encoded form whose
// fields, less those from backUrl's query string, are verified before anything is read
// (unionpay.md §8). A field sent twice, an empty name or a bad escape is errFormat.
func (t *trust) decodeNotification(body []byte, strip []string, now time.Time) (*verified, error) {
	// Unescape every name and value into one buffer, then make one string of it: the
	// fields are substrings of that string (two allocations for the whole form).
	// cached: the form-encoded signPubKeyCert seen last and its decoded text. The
	// certificate is most of a notification (1.3 KB, dozens of escapes) and the same in
	// every one until UnionPay rotates it: an equal encoded value is not decoded (nor
	// copied, nor allocated for) again.
	cached := t.lastPEM.Load()
	size := len(body)
	if cached != nil && size > len(cached.encoded) {
		size -= len(cached.encoded) // append grows buf if the certificate differs
	}
	buf := make([]byte, 0, size)
	var pemValue string
	pemSpan := -1
	type span struct{ k0, k1, v0, v1 int }
	var spanBuf [48]span // a notification has about 25 fields: no allocation for them
	spans := spanBuf[:0]
	for i, n := 0, len(body); i < n; {
		// One pass per pair: the name up to '=' (or '&'), then the value up to '&', each
		// unescaped as it is copied; runs without escapes are copied in bulk.
		var sp span
		var ok bool
		j := i
		for j < n && body[j] != '=' && body[j] != '&' {
			j++
		}
		sp.k0 = len(buf)
		if buf, ok = appendUnescaped(buf, body[i:j]); !ok {
			return nil, fmt.Errorf("notification: bad escape: %w", errFormat)
		}
		sp.k1 = len(buf)
		if j < n && body[j] == '=' {
			j++
		}
		vs := j
		ve := vs + bytes.IndexByte(body[vs:], '&')
		if ve < vs {
			ve = n
		}
		v := body[vs:ve]
		i = ve + 1
		if sp.k0 == sp.k1 {
			if len(v) == 0 && vs == ve && (vs == 0 || body[vs-1] != '=') {
				continue // an empty pair ("&&")
			}
			return nil, fmt.Errorf("notification: empty field name: %w", errFormat)
		}
		sp.v0 = len(buf)
		if pemSpan < 0 && string(buf[sp.k0:sp.k1]) == "signPubKeyCert" {
			pemSpan = len(spans)
			if cached != nil && string(v) == cached.encoded {
				pemValue = cached.decoded
				sp.v1 = sp.v0
				spans = append(spans, sp)
				continue
			}
			if buf, ok = appendUnescaped(buf, v); !ok {
				return nil, fmt.Errorf("notification: bad escape: %w", errFormat)
			}
			pemValue = string(buf[sp.v0:])
			t.lastPEM.Store(&formPEM{encoded: string(v), decoded: pemValue})
		} else if buf, ok = appendUnescaped(buf, v); !ok {
			return nil, fmt.Errorf("notification: bad escape: %w", errFormat)
		}
		sp.v1 = len(buf)
		spans = append(spans, sp)
	}
	// buf is never written again: the string shares its memory instead of copying 3 KB.
	s := unsafe.String(unsafe.SliceData(buf), len(buf))
	p := make(sign.Params, 0, len(spans))
	for i, sp := range spans {
		if k := s[sp.k0:sp.k1]; !slices.Contains(strip, k) {
			val := s[sp.v0:sp.v1]
			if i == pemSpan {
				val = pemValue
			}
			p = append(p, sign.Param{Key: k, Value: val})
		}
	}
	p, err := sortUnique(p)
	if err != nil {
		return nil, err
	}
	return t.verify(p, now)
}

// formPEM is a form-encoded signPubKeyCert and its decoded text.
type formPEM struct{ encoded, decoded string }

// appendUnescaped appends the form-decoded b ('+' is a space, %XX a byte); false on a
// malformed escape. Runs without escapes are copied in bulk.
func appendUnescaped(dst, b []byte) ([]byte, bool) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '%')
		run := b
		if i >= 0 {
			run = b[:i]
		}
		if bytes.IndexByte(run, '+') < 0 {
			dst = append(dst, run...)
		} else {
			for _, c := range run {
				if c == '+' {
					c = ' '
				}
				dst = append(dst, c)
			}
		}
		if i < 0 {
			break
		}
		if i+2 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) {
			return dst, false
		}
		dst = append(dst, unhex(b[i+1])<<4|unhex(b[i+2]))
		b = b[i+3:]
	}
	return dst, true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
