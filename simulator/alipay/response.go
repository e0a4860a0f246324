package alipay

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/tongdao/tongdao/adapters/sign"
	"github.com/tongdao/tongdao/simulator"
)

// contentTypeJSON is what the simulator answers API calls with; neither Go SDK reads it
// (§2).
const contentTypeJSON = "application/json; charset=utf-8"

// fields are an answer's business fields; encodeNode writes them in alphabetical order
// after code, msg, sub_code and sub_msg (§6). Values are strings, or values whose JSON
// form is fixed (fundBill slices).
type fields map[string]any

// fundBill is one element of fund_bill_list in sync answers (§9.5: snake_case keys).
type fundBill struct {
	Amount      string `json:"amount"`
	FundChannel string `json:"fund_channel"`
}

// refundDetail is one element of refund_detail_item_list (§9.9).
type refundDetail struct {
	Amount      string `json:"amount"`
	FundChannel string `json:"fund_channel"`
}

// nodeName is the response node of method (§6): dots become underscores, plus
// "_response".
func nodeName(method string) string {
	return strings.ReplaceAll(method, ".", "_") + "_response"
}

// appendJSON appends v's compact JSON without HTML escaping (§6 Simulator recipe: the
// signed bytes must be exactly what is sent).
func appendJSON(buf *bytes.Buffer, v any) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // strings and fixed structs: never fails
	if b := buf.Bytes(); len(b) > 0 && b[len(b)-1] == '\n' {
		buf.Truncate(len(b) - 1)
	}
}

// encodeNode builds the node bytes N once: code, msg, [sub_code, sub_msg], then the
// business fields alphabetically; empty string fields are left out.
func encodeNode(code, subCode, subText string, f fields) []byte {
	var buf bytes.Buffer
	buf.WriteByte('{')
	put := func(k string, v any) {
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		appendJSON(&buf, k)
		buf.WriteByte(':')
		appendJSON(&buf, v)
	}
	put("code", code)
	put("msg", codeMsg[code])
	if subCode != "" {
		put("sub_code", subCode)
		put("sub_msg", subText)
	}
	keys := make([]string, 0, len(f))
	for k, v := range f {
		if s, ok := v.(string); ok && s == "" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		put(k, f[k])
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

// envelope wraps node bytes as §6 prescribes: {"<node>":N[,"alipay_cert_sn":"…"],"sign":"…"}
// with the signature over exactly N; key == nil gives the unsigned form. corrupt signs
// different bytes, so the signature is well-formed but does not verify.
func envelope(name string, node []byte, key *rsa.PrivateKey, certSN string, corrupt bool) []byte {
	var out bytes.Buffer
	out.Grow(len(node) + 420)
	out.WriteString(`{"`)
	out.WriteString(name)
	out.WriteString(`":`)
	out.Write(node)
	if key != nil {
		if certSN != "" {
			out.WriteString(`,"alipay_cert_sn":"`)
			out.WriteString(certSN)
			out.WriteByte('"')
		}
		msg := node
		if corrupt {
			msg = append(append([]byte(nil), node...), ' ')
		}
		sig, err := sign.SignRSA2Base64(key, msg)
		if err == nil {
			out.WriteString(`,"sign":"`)
			out.WriteString(sig)
			out.WriteByte('"')
		}
	}
	out.WriteByte('}')
	return out.Bytes()
}

// answer is one API answer before encoding.
type answer struct {
	method   string
	err      *apiErr
	code     string // success code ("10000" or "10003") when err == nil
	fields   fields
	signed   bool
	certMode bool
	node     string // override of the node name ("error_response")
}

// reply encodes a as the HTTP reply of call c (whose bad_signature plan corrupts it).
func (s *Server) reply(c *simulator.Call, a answer) *simulator.Reply {
	code, sub, text := a.code, "", ""
	if code == "" {
		code = codeSuccess
	}
	if a.err != nil {
		code, sub, text = a.err.code, a.err.sub, a.err.text
		if a.err.unsigned {
			a.signed = false
		}
	}
	name := a.node
	if name == "" {
		name = nodeName(a.method)
	}
	node := encodeNode(code, sub, text, a.fields)
	var key *rsa.PrivateKey
	var sn string
	if a.signed {
		key, sn = s.signer(a.certMode)
	}
	corrupt := c != nil && c.CorruptSignature()
	return &simulator.Reply{Status: http.StatusOK, ContentType: contentTypeJSON, Body: envelope(name, node, key, sn, corrupt)}
}
