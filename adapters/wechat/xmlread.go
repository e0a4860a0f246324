package wechat

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tongdao/tongdao/adapters/sign"
)

// errXML is the cause of every decoding failure of a response or notification body.
var errXML = errors.New("wechat: malformed XML")

// decodeFlat reads a WeChat v2 document: one root element named root whose children are
// flat string fields (wechat-v2.md §2). Values may be text, CDATA or a mix; the five
// predefined entities and numeric character references are decoded, every other entity
// is refused, and a DOCTYPE, processing instruction (other than a leading XML
// declaration), comment, attribute, nested element or repeated field is an error — so
// no entity is ever expanded and a signature always covers the one value we read.
// Line ends inside values are normalised to "\n" as every XML parser does.
//
// The result is sorted by key, so sign.AppendCanonical reads it in place. Keys and most
// values are substrings of one copy of body: a typical notification costs three
// allocations. This decoder exists instead of etree for the notification budget
// (≤ 60 allocations; etree needs ~200 for a notification) and is fuzzed against etree
// (FuzzDecodeFlat) so both agree on every document this one accepts.
func decodeFlat(body []byte, root string) (sign.Params, error) {
	if !utf8.Valid(body) {
		return nil, fmt.Errorf("%w: invalid UTF-8", errXML)
	}
	s := strings.TrimPrefix(string(body), "\uFEFF")
	p := &flatParser{s: s}
	if !p.skipProlog() {
		return nil, fmt.Errorf("%w: bad XML declaration", errXML)
	}
	if !p.consumeTag(root, false) {
		return nil, fmt.Errorf("%w: want root element <%s>", errXML, root)
	}
	params := make(sign.Params, 0, max(strings.Count(s, "</")-1, 0))
	for {
		p.skipSpace()
		if p.i >= len(s) {
			return nil, fmt.Errorf("%w: missing </%s>", errXML, root)
		}
		if strings.HasPrefix(s[p.i:], "</") {
			if !p.consumeTag(root, true) {
				return nil, fmt.Errorf("%w: unexpected end tag at byte %d", errXML, p.i)
			}
			break
		}
		kv, err := p.field()
		if err != nil {
			return nil, err
		}
		params = append(params, kv)
	}
	p.skipSpace()
	if p.i != len(s) {
		return nil, fmt.Errorf("%w: content after </%s> at byte %d", errXML, root, p.i)
	}
	params.Sort()
	for i := 1; i < len(params); i++ {
		if params[i].Key == params[i-1].Key {
			return nil, fmt.Errorf("%w: field %q repeated", errXML, params[i].Key)
		}
	}
	return params, nil
}

type flatParser struct {
	s string
	i int
}

func (p *flatParser) skipSpace() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// skipProlog skips white space and one XML declaration, which must not name a version
// other than 1.0 (as encoding/xml requires). It reports false for a bad declaration.
func (p *flatParser) skipProlog() bool {
	p.skipSpace()
	if strings.HasPrefix(p.s[p.i:], "<?xml") {
		end := strings.Index(p.s[p.i:], "?>")
		if end < 0 {
			return false
		}
		decl := p.s[p.i+5 : p.i+end]
		if decl != "" && !isSpace(decl[0]) {
			return false
		}
		if !declVersionOK(decl) {
			return false
		}
		p.i += end + 2
	}
	p.skipSpace()
	return true
}

// declVersionOK reports whether an XML declaration's pseudo-attributes are well formed
// and the version, if given, is 1.0.
func declVersionOK(decl string) bool {
	for {
		decl = strings.TrimLeft(decl, " \t\r\n")
		if decl == "" {
			return true
		}
		eq := strings.IndexByte(decl, '=')
		if eq <= 0 {
			return false
		}
		name := strings.TrimRight(decl[:eq], " \t\r\n")
		rest := strings.TrimLeft(decl[eq+1:], " \t\r\n")
		if rest == "" || rest[0] != '"' && rest[0] != '\'' {
			return false
		}
		end := strings.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return false
		}
		val := rest[1 : 1+end]
		switch name {
		case "version":
			if val != "1.0" {
				return false
			}
		case "encoding":
			if !strings.EqualFold(val, "utf-8") {
				return false
			}
		case "standalone":
		default:
			return false
		}
		decl = rest[2+end:]
	}
}

// consumeTag consumes "<name>" (or "</name>" when end), allowing white space before ">".
func (p *flatParser) consumeTag(name string, end bool) bool {
	prefix := "<"
	if end {
		prefix = "</"
	}
	rest := p.s[p.i:]
	if !strings.HasPrefix(rest, prefix) || !strings.HasPrefix(rest[len(prefix):], name) {
		return false
	}
	j := p.i + len(prefix) + len(name)
	for j < len(p.s) && isSpace(p.s[j]) {
		j++
	}
	if j >= len(p.s) || p.s[j] != '>' {
		return false
	}
	p.i = j + 1
	return true
}

// field reads one child element <name>value</name> or <name/>.
func (p *flatParser) field() (sign.Param, error) {
	s := p.s
	if s[p.i] != '<' {
		return sign.Param{}, fmt.Errorf("%w: text outside a field at byte %d", errXML, p.i)
	}
	start := p.i + 1
	j := start
	for j < len(s) && isNameByte(s[j], j == start) {
		j++
	}
	if j == start {
		return sign.Param{}, fmt.Errorf("%w: bad element name at byte %d", errXML, p.i)
	}
	name := s[start:j]
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	if strings.HasPrefix(s[j:], "/>") {
		p.i = j + 2
		return sign.Param{Key: name}, nil
	}
	if j >= len(s) || s[j] != '>' {
		return sign.Param{}, fmt.Errorf("%w: element <%s> has attributes or is cut off", errXML, name)
	}
	p.i = j + 1
	val, err := p.content(name)
	if err != nil {
		return sign.Param{}, err
	}
	if !p.consumeTag(name, true) {
		return sign.Param{}, fmt.Errorf("%w: <%s> not closed at byte %d", errXML, name, p.i)
	}
	return sign.Param{Key: name, Value: val}, nil
}

// content reads text and CDATA up to the next "</". The common case, one CDATA section
// or plain text without references or CRs, returns a substring without copying.
func (p *flatParser) content(name string) (string, error) {
	s := p.s
	var b []byte // non-nil once the value had to be rewritten
	first := ""
	parts := 0
	for {
		if p.i >= len(s) {
			return "", fmt.Errorf("%w: <%s> not closed", errXML, name)
		}
		var piece string
		var raw bool // piece needs reference decoding
		switch {
		case strings.HasPrefix(s[p.i:], "<![CDATA["):
			k := strings.Index(s[p.i+9:], "]]>")
			if k < 0 {
				return "", fmt.Errorf("%w: unterminated CDATA in <%s>", errXML, name)
			}
			piece = s[p.i+9 : p.i+9+k]
			p.i += 9 + k + 3
		case s[p.i] == '<':
			if strings.HasPrefix(s[p.i:], "</") {
				if parts == 0 {
					return "", nil
				}
				if b != nil {
					return string(b), nil
				}
				return first, nil
			}
			return "", fmt.Errorf("%w: <%s> is not a flat field (markup inside)", errXML, name)
		default:
			k := strings.IndexByte(s[p.i:], '<')
			if k < 0 {
				k = len(s) - p.i
			}
			piece = s[p.i : p.i+k]
			p.i += k
			raw = true
			if strings.Contains(piece, "]]>") {
				return "", fmt.Errorf("%w: \"]]>\" in text of <%s>", errXML, name)
			}
		}
		if err := checkChars(piece); err != nil {
			return "", fmt.Errorf("%w in <%s>", err, name)
		}
		simple := !strings.ContainsRune(piece, '\r') && (!raw || !strings.ContainsRune(piece, '&'))
		if parts == 0 && simple {
			first = piece
			parts = 1
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(first)+len(piece)), first...)
		}
		var err error
		if b, err = appendPiece(b, piece, raw); err != nil {
			return "", fmt.Errorf("%w in <%s>", err, name)
		}
		parts++
	}
}

// appendPiece appends piece with CR/CRLF normalised and, for text (raw), references decoded.
func appendPiece(b []byte, piece string, raw bool) ([]byte, error) {
	for i := 0; i < len(piece); i++ {
		c := piece[i]
		switch {
		case c == '\r':
			b = append(b, '\n')
			if i+1 < len(piece) && piece[i+1] == '\n' {
				i++
			}
		case c == '&' && raw:
			end := strings.IndexByte(piece[i:], ';')
			if end < 0 {
				return nil, fmt.Errorf("%w: unterminated reference", errXML)
			}
			r, err := decodeRef(piece[i+1 : i+end])
			if err != nil {
				return nil, err
			}
			b = utf8.AppendRune(b, r)
			i += end
		default:
			b = append(b, c)
		}
	}
	return b, nil
}

// decodeRef decodes the name of a reference (between '&' and ';'): only the predefined
// entities and numeric character references; anything else is an entity we refuse to
// expand (wechat-v2.md §2: no entity expansion, no DTD).
func decodeRef(name string) (rune, error) {
	switch name {
	case "lt":
		return '<', nil
	case "gt":
		return '>', nil
	case "amp":
		return '&', nil
	case "apos":
		return '\'', nil
	case "quot":
		return '"', nil
	}
	if len(name) > 1 && name[0] == '#' {
		var n uint64
		var err error
		if name[1] == 'x' {
			n, err = strconv.ParseUint(name[2:], 16, 32)
		} else {
			n, err = strconv.ParseUint(name[1:], 10, 32)
		}
		if err == nil && n <= utf8.MaxRune && isXMLChar(rune(n)) {
			return rune(n), nil
		}
		return 0, fmt.Errorf("%w: bad character reference &%s;", errXML, name)
	}
	return 0, fmt.Errorf("%w: entity &%s; is not expanded", errXML, name)
}

// checkChars rejects characters XML 1.0 forbids (C0 controls other than tab, LF, CR,
// U+FFFE, U+FFFF), as encoding/xml does.
func checkChars(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return fmt.Errorf("%w: control character %#x", errXML, c)
		}
		if c == 0xEF && i+2 < len(s) && s[i+1] == 0xBF && (s[i+2] == 0xBE || s[i+2] == 0xBF) {
			return fmt.Errorf("%w: non-character U+FFFE/U+FFFF", errXML)
		}
	}
	return nil
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isNameByte accepts the ASCII subset of XML names WeChat uses (letters, digits, '_',
// '-', '.'; a digit, '-' or '.' may not start a name).
func isNameByte(c byte, first bool) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_':
		return true
	case '0' <= c && c <= '9', c == '-', c == '.':
		return !first
	}
	return false
}

// lookup returns the value of key in sorted params.
func lookup(params sign.Params, key string) string {
	i, ok := slices.BinarySearchFunc(params, key, func(p sign.Param, k string) int { return strings.Compare(p.Key, k) })
	if ok {
		return params[i].Value
	}
	return ""
}

// looksLikeHTML reports whether a body is an HTML page rather than XML (gopay rejects
// bodies containing "<html" in either case, wechat-v2.md §2).
func looksLikeHTML(body []byte) bool {
	return bytes.Contains(body, []byte("<html")) || bytes.Contains(body, []byte("<HTML"))
}
