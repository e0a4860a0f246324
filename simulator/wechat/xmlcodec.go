package wechat

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/tongdao/tongdao/adapters/sign"
)

// DefaultMaxBody is the largest request body the server reads, in bytes. WeChat v2
// requests are flat and small (the longest field, detail, is a few KB); anything larger
// is refused as malformed instead of being buffered.
const DefaultMaxBody = 64 << 10

// maxFields bounds the number of children of <xml> a request may carry.
const maxFields = 200

// Decode errors. They are classified by the request pipeline into WeChat's
// return_code=FAIL messages (§2, §7).
var (
	errEmptyBody  = errors.New("wechat xml: empty body")
	errTooLarge   = errors.New("wechat xml: body too large")
	errNotUTF8    = errors.New("wechat xml: not UTF-8 or has 4-byte characters")
	errXMLFormat  = errors.New("wechat xml: malformed")
	errDTDPresent = errors.New("wechat xml: DOCTYPE or entity declarations are refused")
)

// decodeXML parses a WeChat v2 request body: one root element <xml> whose children are
// flat string fields, each value plain text or CDATA (§2). The signature covers the text
// content, so values are returned exactly as the parser yields them, untrimmed.
//
// It never expands entities beyond XML's five predefined ones and numeric references,
// and refuses any DOCTYPE or other directive outright (XXE, §2). Nested elements,
// duplicate field names, a root other than <xml>, a non-UTF-8 encoding declaration,
// invalid UTF-8 and 4-byte UTF-8 characters (§2: WeChat accepts only 1–3 byte
// characters) are all errors. The result is in document order.
//
// Well-formed flat requests — what every SDK sends — take scanFlatXML, a single pass that
// never allocates per field; anything it does not recognise goes to decodeXMLStrict
// (encoding/xml), which is therefore the one place that decides every error.
func decodeXML(body []byte) (sign.Params, error) {
	if p, ok := scanFlatXML(body); ok {
		return p, nil
	}
	return decodeXMLStrict(body)
}

// decodeXMLStrict is decodeXML on encoding/xml in strict mode: slower, and the reference
// the fast scanner is fuzzed against (FuzzScanFlatXMLMatchesStrict).
func decodeXMLStrict(body []byte) (sign.Params, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errEmptyBody
	}
	if !utf8.Valid(body) {
		return nil, errNotUTF8
	}
	// encoding/xml rejects a non-UTF-8 declaration itself; check it first so that it is
	// reported as an encoding error, not a format error.
	if t := bytes.TrimLeft(body, " \t\r\n"); bytes.HasPrefix(t, []byte("<?xml")) {
		if end := bytes.Index(t, []byte("?>")); end > 0 && !utf8Decl(t[len("<?xml"):end]) {
			return nil, errNotUTF8
		}
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	// A nil CharsetReader makes any encoding other than UTF-8 an error.
	d.CharsetReader = nil
	var (
		params   sign.Params
		depth    int
		rootSeen bool
		field    string
		value    strings.Builder
	)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errXMLFormat, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, errDTDPresent
		case xml.ProcInst:
			if t.Target == "xml" && !utf8Decl(t.Inst) {
				return nil, errNotUTF8
			}
		case xml.StartElement:
			depth++
			switch depth {
			case 1:
				if rootSeen || t.Name.Local != "xml" || t.Name.Space != "" {
					return nil, fmt.Errorf("%w: root element %q, want <xml>", errXMLFormat, t.Name.Local)
				}
				rootSeen = true
			case 2:
				if len(params) >= maxFields {
					return nil, fmt.Errorf("%w: more than %d fields", errXMLFormat, maxFields)
				}
				field = t.Name.Local
				if t.Name.Space != "" {
					field = t.Name.Space + ":" + field
				}
				value.Reset()
			default:
				return nil, fmt.Errorf("%w: nested element <%s> in <%s>", errXMLFormat, t.Name.Local, field)
			}
		case xml.EndElement:
			// RawToken does not check that end tags match; do it here.
			name := t.Name.Local
			if t.Name.Space != "" {
				name = t.Name.Space + ":" + name
			}
			if (depth == 2 && name != field) || (depth == 1 && name != "xml") {
				return nil, fmt.Errorf("%w: </%s> closes the wrong element", errXMLFormat, name)
			}
			if depth == 2 {
				if _, dup := params.Get(field); dup {
					return nil, fmt.Errorf("%w: field %s repeated", errXMLFormat, field)
				}
				params = append(params, sign.Param{Key: field, Value: value.String()})
			}
			depth--
		case xml.CharData:
			switch depth {
			case 2:
				value.Write(t)
			case 0, 1:
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, fmt.Errorf("%w: text outside a field", errXMLFormat)
				}
			}
		}
	}
	if !rootSeen || depth != 0 {
		return nil, fmt.Errorf("%w: no complete <xml> root", errXMLFormat)
	}
	for _, p := range params {
		if has4ByteRune(p.Value) {
			return nil, fmt.Errorf("field %s: %w", p.Key, errNotUTF8)
		}
	}
	return params, nil
}

// utf8Decl reports whether an <?xml ...?> declaration names no encoding or UTF-8.
func utf8Decl(inst []byte) bool {
	s := strings.ToLower(string(inst))
	i := strings.Index(s, "encoding")
	if i < 0 {
		return true
	}
	rest := strings.TrimLeft(s[i+len("encoding"):], " \t\r\n=")
	rest = strings.Trim(rest, "\"' ")
	return strings.HasPrefix(rest, "utf-8") || strings.HasPrefix(rest, "utf8")
}

func has4ByteRune(s string) bool {
	for _, r := range s {
		if utf8.RuneLen(r) == 4 {
			return true
		}
	}
	return false
}

// bareField reports whether key is written without CDATA, as WeChat does for integer
// amounts and counts (§2: a real notification has <total_fee>1</total_fee> next to CDATA
// fields). A switch, not a map: it runs for every field of every answer.
func bareField(key string) bool {
	switch key {
	case "total_fee", "cash_fee", "refund_fee", "coupon_fee",
		"settlement_total_fee", "settlement_refund_fee", "cash_refund_fee",
		"coupon_refund_fee", "coupon_count", "coupon_refund_count",
		"refund_count", "total_refund_count":
		return true
	}
	return false
}

// isBare reports whether key is written without CDATA: the bare amount fields and their
// per-refund $n variants (refund_fee_0, settlement_refund_fee_1, …).
func isBare(key string) bool {
	if bareField(key) {
		return true
	}
	if i := strings.LastIndexByte(key, '_'); i > 0 && i < len(key)-1 && allDigits(key[i+1:]) {
		return bareField(key[:i])
	}
	return false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendXML appends params as a WeChat XML document to dst: <xml>, one child per pair
// in the given order, string values in CDATA and integer amounts bare (§2). Empty values
// are skipped (§2: empty and missing are alike). The output never contains the
// substrings "<html" or "<HTML" even when a value does, because gopay refuses such
// bodies (§2, §13): a CDATA section is split before the 'h', which leaves the text
// content, and so the signature, unchanged.
func appendXML(dst []byte, params sign.Params) []byte {
	dst = append(dst, "<xml>"...)
	for _, p := range params {
		if p.Value == "" {
			continue
		}
		dst = append(dst, '<')
		dst = append(dst, p.Key...)
		dst = append(dst, '>')
		if isBare(p.Key) && allDigits(p.Value) {
			dst = append(dst, p.Value...)
		} else {
			dst = appendCDATA(dst, p.Value)
		}
		dst = append(dst, "</"...)
		dst = append(dst, p.Key...)
		dst = append(dst, '>')
	}
	return append(dst, "</xml>"...)
}

// appendCDATA writes v as one or more adjacent CDATA sections whose concatenated text is
// exactly v: "]]>" and "<h"/"<H" are split across sections.
func appendCDATA(dst []byte, v string) []byte {
	dst = append(dst, "<![CDATA["...)
	start := 0 // v[start:i] is pending plain text, appended in one copy
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != ']' && c != '<' {
			continue
		}
		switch {
		case c == ']' && strings.HasPrefix(v[i:], "]]>"):
			dst = append(dst, v[start:i]...)
			dst = append(dst, "]]]]><![CDATA[>"...)
			i += 2
			start = i + 1
		case c == '<' && i+1 < len(v) && (v[i+1] == 'h' || v[i+1] == 'H'):
			dst = append(dst, v[start:i]...)
			dst = append(dst, "<]]><![CDATA["...)
			start = i + 1
		}
	}
	dst = append(dst, v[start:]...)
	return append(dst, "]]>"...)
}

// encodeXML returns params as a WeChat XML document (see appendXML).
func encodeXML(params sign.Params) []byte {
	n := 16
	for _, p := range params {
		n += 2*len(p.Key) + len(p.Value) + 17
	}
	return appendXML(make([]byte, 0, n), params)
}
