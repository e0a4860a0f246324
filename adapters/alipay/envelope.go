package alipay

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// errorResponseNode is the node some gateway failures use instead of the method's own
// (alipay.md §6).
const errorResponseNode = "error_response"

// nodeName returns the response node of method: dots become underscores, plus
// "_response" (alipay.md §6).
func nodeName(method string) string {
	b := make([]byte, 0, len(method)+len("_response"))
	for i := 0; i < len(method); i++ {
		c := method[i]
		if c == '.' {
			c = '_'
		}
		b = append(b, c)
	}
	return string(append(b, "_response"...))
}

// envelope is a sync response cut into its parts. node holds the exact bytes of the
// node's JSON object as received — the bytes Alipay signed (alipay.md §6).
type envelope struct {
	name   string // the method node's name or errorResponseNode
	node   []byte
	sign   string // base64, JSON escapes removed
	certSN string // alipay_cert_sn, certificate mode only
}

var (
	errMalformed = errors.New("malformed response")
	errNoNode    = errors.New("response node missing")
	errDupNode   = errors.New("response member occurs twice")
)

// extractResponse cuts the response body into an envelope without re-serialising
// anything. It walks the top-level object with a scanner that respects JSON strings and
// escapes, so a node name inside a string value cannot be mistaken for the node, and it
// refuses a body where the node, error_response, sign or alipay_cert_sn appears twice
// (the Java SDK's defence against an injected second node, alipay.md §6). Whitespace
// around tokens is allowed; the node value must be an object.
func extractResponse(body []byte, name string) (envelope, error) {
	var env envelope
	s := scanner{b: body}
	s.ws()
	if !s.eat('{') {
		return env, fmt.Errorf("%w: body is not a JSON object", errMalformed)
	}
	var seenNode, seenErr, seenSign, seenSN bool
	var errNode []byte
	s.ws()
	if s.eat('}') {
		return env, errNoNode
	}
	for {
		s.ws()
		key, err := s.key()
		if err != nil {
			return env, err
		}
		var which int // 0 other, 1 node, 2 error_response, 3 sign, 4 alipay_cert_sn
		switch {
		case string(key) == name:
			which = 1
		case string(key) == errorResponseNode:
			which = 2
		case string(key) == "sign":
			which = 3
		case string(key) == "alipay_cert_sn":
			which = 4
		}
		s.ws()
		if !s.eat(':') {
			return env, fmt.Errorf("%w: missing ':' after %q", errMalformed, string(key))
		}
		s.ws()
		start := s.i
		if err := s.value(); err != nil {
			return env, err
		}
		val := body[start:s.i:s.i]
		switch which {
		case 1:
			if seenNode {
				return env, fmt.Errorf("%w: %q", errDupNode, name)
			}
			seenNode = true
			env.node = val
		case 2:
			if seenErr {
				return env, fmt.Errorf("%w: %q", errDupNode, errorResponseNode)
			}
			seenErr = true
			errNode = val
		case 3:
			if seenSign {
				return env, fmt.Errorf("%w: \"sign\"", errDupNode)
			}
			seenSign = true
			if env.sign, err = jsonString(val); err != nil {
				return env, fmt.Errorf("%w: sign: %v", errMalformed, err)
			}
		case 4:
			if seenSN {
				return env, fmt.Errorf("%w: \"alipay_cert_sn\"", errDupNode)
			}
			seenSN = true
			if env.certSN, err = jsonString(val); err != nil {
				return env, fmt.Errorf("%w: alipay_cert_sn: %v", errMalformed, err)
			}
		}
		s.ws()
		if s.eat(',') {
			continue
		}
		if s.eat('}') {
			break
		}
		return env, fmt.Errorf("%w: expected ',' or '}' at byte %d", errMalformed, s.i)
	}
	s.ws()
	if s.i != len(body) {
		return env, fmt.Errorf("%w: data after the top-level object", errMalformed)
	}
	switch {
	case seenNode && seenErr:
		return env, fmt.Errorf("%w: both %q and %q present", errMalformed, name, errorResponseNode)
	case seenNode:
		env.name = name
	case seenErr:
		env.name, env.node = errorResponseNode, errNode
	default:
		return env, errNoNode
	}
	if len(env.node) == 0 || env.node[0] != '{' {
		return env, fmt.Errorf("%w: %s is not an object", errMalformed, env.name)
	}
	return env, nil
}

// jsonString decodes a JSON string token; the fast path avoids encoding/json when the
// token has no escapes (base64 signatures and SNs normally have none).
func jsonString(tok []byte) (string, error) {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return "", errors.New("not a string")
	}
	inner := tok[1 : len(tok)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), nil
	}
	var s string
	// A copy, so that tok (often a stack buffer) does not escape through the decoder.
	if err := json.Unmarshal(bytes.Clone(tok), &s); err != nil {
		return "", err
	}
	return s, nil
}

// scanner walks JSON text without building values.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// key reads an object member name without its quotes; names with escapes are decoded
// (allocating), others are returned as a sub-slice of the body.
func (s *scanner) key() ([]byte, error) {
	start := s.i
	if err := s.str(); err != nil {
		return nil, err
	}
	raw := s.b[start+1 : s.i-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw, nil
	}
	k, err := jsonString(s.b[start:s.i])
	if err != nil {
		return nil, fmt.Errorf("%w: member name: %v", errMalformed, err)
	}
	return []byte(k), nil
}

// str skips a string token starting at s.i.
func (s *scanner) str() error {
	if !s.eat('"') {
		return fmt.Errorf("%w: expected a string at byte %d", errMalformed, s.i)
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return nil
		case c == '\\':
			s.i += 2
		case c < 0x20:
			return fmt.Errorf("%w: control character in string at byte %d", errMalformed, s.i)
		default:
			s.i++
		}
	}
	return fmt.Errorf("%w: unterminated string", errMalformed)
}

// value skips one JSON value: objects and arrays by bracket balance (strings skipped
// whole, so braces inside them do not count), scalars up to the next delimiter. Full
// validation of the node happens later in encoding/json; this only has to find the
// exact end of the value.
func (s *scanner) value() error {
	if s.i >= len(s.b) {
		return fmt.Errorf("%w: value expected at end of body", errMalformed)
	}
	switch s.b[s.i] {
	case '"':
		return s.str()
	case '{', '[':
		var stack [64]byte
		depth := 0
		for s.i < len(s.b) {
			switch c := s.b[s.i]; c {
			case '"':
				if err := s.str(); err != nil {
					return err
				}
				continue
			case '{', '[':
				if depth == len(stack) {
					return fmt.Errorf("%w: nesting deeper than %d", errMalformed, len(stack))
				}
				stack[depth] = c
				depth++
			case '}', ']':
				want := byte('{')
				if c == ']' {
					want = '['
				}
				if depth == 0 || stack[depth-1] != want {
					return fmt.Errorf("%w: unbalanced %q at byte %d", errMalformed, c, s.i)
				}
				depth--
				if depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return fmt.Errorf("%w: unterminated object", errMalformed)
	default:
		start := s.i
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				goto done
			}
			s.i++
		}
	done:
		switch string(s.b[start:s.i]) {
		case "true", "false", "null":
			return nil
		}
		if s.i == start {
			return fmt.Errorf("%w: value expected at byte %d", errMalformed, s.i)
		}
		for _, c := range s.b[start:s.i] {
			if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
				return fmt.Errorf("%w: bad literal at byte %d", errMalformed, start)
			}
		}
		return nil
	}
}

var errBadSig = errors.New("response signature does not verify")

// verifyNode checks env.sign (SHA256withRSA, alipay.md §6) over the node's exact bytes.
// Like the Java SDK it retries once with "\/" unescaped to "/", for gateways that
// escaped slashes after signing.
func verifyNode(pub *rsa.PublicKey, env envelope) error {
	if env.sign == "" {
		return fmt.Errorf("%w: sign missing", errBadSig)
	}
	var buf [512]byte
	sig, ok := decodeSig(buf[:], env.sign)
	if !ok {
		return fmt.Errorf("%w: sign is not base64", errBadSig)
	}
	h := sha256.Sum256(env.node)
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig) == nil {
		return nil
	}
	if bytes.Contains(env.node, []byte(`\/`)) {
		h = sha256.Sum256(bytes.ReplaceAll(env.node, []byte(`\/`), []byte("/")))
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig) == nil {
			return nil
		}
	}
	return errBadSig
}

// decodeSig decodes a standard base64 signature into buf when it fits (no allocation
// for RSA keys up to 4096 bits).
func decodeSig(buf []byte, s string) ([]byte, bool) {
	enc := base64.StdEncoding
	if enc.DecodedLen(len(s)) > len(buf) {
		buf = make([]byte, enc.DecodedLen(len(s)))
	}
	var src []byte
	var stack [1024]byte
	if len(s) <= len(stack) {
		src = append(stack[:0], s...)
	} else {
		src = []byte(s)
	}
	n, err := enc.Decode(buf, src)
	if err != nil {
		return nil, false
	}
	return buf[:n], true
}
