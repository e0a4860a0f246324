package unionpay

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/core/clock"
)

const (
	version5_1  = "5.1.0"
	contentForm = "application/x-www-form-urlencoded;charset=UTF-8"
	contentText = "text/plain;charset=UTF-8"
	contentHTML = "text/html; charset=utf-8"
	wireTimeFmt = "20060102150405"
)

// request is one decoded request: the form's fields (each once), sorted.
type request struct {
	p sign.Params
}

func (r *request) str(k string) string { return r.p.Value(k) }

// errFormat is a request that cannot be read at all (respCode 10).
type errFormat struct{ msg string }

func (e *errFormat) Error() string { return e.msg }

// decodeForm reads a form-encoded request body (unionpay.md §2). A key sent twice, an
// empty key or a body that is not a form is a format error naming the problem.
func decodeForm(body []byte) (*request, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &errFormat{"报文格式错误: the body is not a form (" + err.Error() + ")"}
	}
	p := make(sign.Params, 0, len(v))
	for k, vs := range v {
		if k == "" {
			return nil, &errFormat{"报文格式错误: a field has an empty name"}
		}
		if len(vs) != 1 {
			return nil, &errFormat{fmt.Sprintf("报文格式错误: field %s sent %d times", k, len(vs))}
		}
		p = append(p, sign.Param{Key: k, Value: vs[0]})
	}
	p.Sort()
	return &request{p: p}, nil
}

// encodeLine writes an answer: `k=v&k=v`, keys sorted, values raw and un-encoded
// (unionpay.md §2: the SDKs parse the raw text). Empty values are left out.
func encodeLine(p sign.Params) []byte {
	p.Sort()
	var b strings.Builder
	for _, kv := range p {
		if kv.Value == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv.Key)
		b.WriteByte('=')
		b.WriteString(kv.Value)
	}
	return []byte(b.String())
}

// parseKV splits `k=v&k=v` with the SDK's rule (unionpay.md §2): the first '=' ends a
// key; '{' or '[' in a value opens a region closed by the matching '}' or ']' (depth not
// counted, as the SDK does) inside which '&' does not split. An empty key is an error.
func parseKV(s string) (map[string]string, error) {
	out := make(map[string]string)
	if s == "" {
		return out, nil
	}
	var key string
	inKey, start := true, 0
	var open, close byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inKey && c == '=':
			key, inKey, start = s[start:i], false, i+1
			if key == "" {
				return nil, errors.New("empty key")
			}
		case inKey && c == '&':
			return nil, fmt.Errorf("pair %q has no '='", s[start:i])
		case !inKey && open != 0:
			if c == close {
				open = 0
			}
		case !inKey && (c == '{' || c == '['):
			open, close = c, map[byte]byte{'{': '}', '[': ']'}[c]
		case !inKey && c == '&':
			out[key] = s[start:i]
			inKey, start = true, i+1
		}
	}
	if inKey {
		if start < len(s) {
			return nil, fmt.Errorf("pair %q has no '='", s[start:])
		}
		return nil, errors.New("trailing '&'")
	}
	if open != 0 {
		return nil, fmt.Errorf("field %s: unclosed %q", key, open)
	}
	out[key] = s[start:]
	return out, nil
}

// parseBraced reads a `{k=v&k=v}` value (tokenPayData, reserved, decoded customerInfo).
func parseBraced(field, s string) (map[string]string, error) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("%s: want {k=v&...}", field)
	}
	m, err := parseKV(s[1 : len(s)-1])
	if err != nil {
		return nil, fmt.Errorf("%s: %v", field, err)
	}
	return m, nil
}

// braced writes `{k=v&k=v}` with keys in the given order, empty values left out.
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

// decodeCustomerInfo reads customerInfo: base64 of `{k=v&...}` (unionpay.md §6).
func decodeCustomerInfo(s string) (map[string]string, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("customerInfo: not base64")
	}
	return parseBraced("customerInfo", string(raw))
}

// parseTxnTime reads txnTime (yyyyMMddHHmmss, Beijing time).
func parseTxnTime(s string) (time.Time, error) {
	if len(s) != 14 || !digits(s) {
		return time.Time{}, errors.New("want yyyyMMddHHmmss")
	}
	return time.ParseInLocation(wireTimeFmt, s, clock.Beijing())
}

func wireTime(t time.Time) string { return t.In(clock.Beijing()).Format(wireTimeFmt) }

// settleDateOf is the clearing date of t: days turn at 23:00 Beijing (unionpay.md §10,
// [D-1 23:00:00, D 23:00:00) -> D).
func settleDateOf(t time.Time) clock.Date { return clock.AccountingDay(t, clock.UnionPayCutoff) }

// mmdd renders a clearing date as settleDate (MMdd).
func mmdd(d clock.Date) string { return d.Compact()[4:] }

// mask keeps the first 6 and last 4 digits of a card number.
func mask(card string) string {
	if len(card) <= 10 {
		return strings.Repeat("*", len(card))
	}
	return card[:6] + strings.Repeat("*", len(card)-10) + card[len(card)-4:]
}
