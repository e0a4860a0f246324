package wechat

import (
	"bytes"
	"unicode/utf8"

	"github.com/tongdao/tongdao/adapters/sign"
)

// maxFastFields is the most fields scanFlatXML handles; longer requests take the strict
// decoder (which allows maxFields).
const maxFastFields = 64

var (
	xmlOpen    = []byte("<xml>")
	xmlClose   = []byte("</xml>")
	cdataOpen  = []byte("<![CDATA[")
	cdataClose = []byte("]]>")
)

// fieldSpan locates one field of a scanned request: its name at body[k0:k1] and its value
// at body[v0:v1], or in joined when the value came in more than one piece.
type fieldSpan struct {
	k0, k1, v0, v1 int
	joined         []byte
	multi          bool
}

// scanFlatXML decodes the plain shape of a WeChat v2 request (§2) without encoding/xml:
// optional whitespace, <xml>, then fields <name>value</name> separated by whitespace,
// </xml>, optional whitespace. A value is any mix of plain text and CDATA sections.
//
// It accepts only input on which encoding/xml's strict decoder gives the same fields,
// and reports false for everything else — a declaration, comment, DOCTYPE, attribute,
// entity or character reference, carriage return (which XML normalises), self-closing
// or nested element, repeated field, a name outside [A-Za-z_][A-Za-z0-9_]*, a character
// XML or WeChat forbids (controls, U+FFFE/U+FFFF, 4-byte UTF-8), "]]>" in text, more
// than maxFastFields fields — so that decodeXMLStrict decides those, errors included.
// All values share one string made from body; keep a value only as a clone.
func scanFlatXML(body []byte) (sign.Params, bool) {
	if !utf8.Valid(body) {
		return nil, false
	}
	i := skipXMLSpace(body, 0)
	if !bytes.HasPrefix(body[i:], xmlOpen) {
		return nil, false
	}
	i += len(xmlOpen)
	var spans [maxFastFields]fieldSpan
	n := 0
	for {
		i = skipXMLSpace(body, i)
		if i+1 >= len(body) || body[i] != '<' {
			return nil, false
		}
		if body[i+1] == '/' {
			if !bytes.HasPrefix(body[i:], xmlClose) {
				return nil, false
			}
			i += len(xmlClose)
			break
		}
		if n == maxFastFields {
			return nil, false
		}
		f := &spans[n]
		f.k0 = i + 1
		f.k1 = scanXMLName(body, f.k0)
		if f.k1 == f.k0 || f.k1 >= len(body) || body[f.k1] != '>' {
			return nil, false
		}
		name := body[f.k0:f.k1]
		for j := 0; j < n; j++ {
			if bytes.Equal(body[spans[j].k0:spans[j].k1], name) {
				return nil, false // repeated field: the strict decoder reports it
			}
		}
		i = f.k1 + 1
		f.v0, f.v1 = i, i
		pieces := 0
		for {
			if i >= len(body) {
				return nil, false
			}
			var p0, p1 int
			if body[i] == '<' {
				if !bytes.HasPrefix(body[i:], cdataOpen) {
					break
				}
				p0 = i + len(cdataOpen)
				j := bytes.Index(body[p0:], cdataClose)
				if j < 0 {
					return nil, false
				}
				p1 = p0 + j
				if !plainXMLText(body[p0:p1], true) {
					return nil, false
				}
				i = p1 + len(cdataClose)
			} else {
				j := bytes.IndexByte(body[i:], '<')
				if j < 0 {
					return nil, false
				}
				p0, p1 = i, i+j
				if !plainXMLText(body[p0:p1], false) {
					return nil, false
				}
				i = p1
			}
			switch pieces {
			case 0:
				f.v0, f.v1 = p0, p1
			case 1:
				f.multi = true
				f.joined = append(append([]byte(nil), body[f.v0:f.v1]...), body[p0:p1]...)
			default:
				f.joined = append(f.joined, body[p0:p1]...)
			}
			pieces++
		}
		// body[i] == '<' and not CDATA: the end tag, exactly </name>.
		end := i + 2 + len(name)
		if end >= len(body) || body[i+1] != '/' || !bytes.Equal(body[i+2:end], name) || body[end] != '>' {
			return nil, false
		}
		i = end + 1
		n++
	}
	if skipXMLSpace(body, i) != len(body) {
		return nil, false
	}
	s := string(body)
	params := make(sign.Params, n)
	for j := range params {
		f := &spans[j]
		params[j].Key = s[f.k0:f.k1]
		if f.multi {
			params[j].Value = string(f.joined)
		} else {
			params[j].Value = s[f.v0:f.v1]
		}
	}
	return params, true
}

// skipXMLSpace returns the index of the first byte at or after i that is not XML white
// space.
func skipXMLSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanXMLName returns the end of the name [A-Za-z_][A-Za-z0-9_]* starting at i (i itself
// when there is none).
func scanXMLName(b []byte, i int) int {
	j := i
	for j < len(b) {
		c := b[j]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || (j > i && c >= '0' && c <= '9') {
			j++
			continue
		}
		break
	}
	return j
}

// plainXMLText reports whether t (valid UTF-8) is text that encoding/xml returns
// unchanged: no carriage return, control character, U+FFFE/U+FFFF or 4-byte character,
// and outside CDATA no '&' (a reference) and no "]]>".
func plainXMLText(t []byte, cdata bool) bool {
	for k := 0; k < len(t); k++ {
		c := t[k]
		switch {
		case c < 0x20:
			if c != '\t' && c != '\n' {
				return false
			}
		case c == '&':
			if !cdata {
				return false
			}
		case c == ']':
			if !cdata && k+2 < len(t) && t[k+1] == ']' && t[k+2] == '>' {
				return false
			}
		case c >= 0xF0:
			return false
		case c == 0xEF:
			if k+2 < len(t) && t[k+1] == 0xBF && (t[k+2] == 0xBE || t[k+2] == 0xBF) {
				return false
			}
		}
	}
	return true
}
