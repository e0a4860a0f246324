package wechat

import (
	"fmt"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/tongdao/tongdao/adapters/sign"
)

// encodeXML writes params as a WeChat v2 request body: root <xml>, one child per
// non-empty field in params' order, every value in CDATA (as gopay sends, wechat-v2.md §2;
// etree splits a value containing "]]>" across two sections). Empty values are omitted,
// as they are left out of the signature (§3.1).
func encodeXML(params sign.Params) ([]byte, error) {
	doc := etree.NewDocument()
	root := doc.CreateElement("xml")
	for _, kv := range params {
		if kv.Value == "" {
			continue
		}
		root.CreateElement(kv.Key).CreateCData(kv.Value)
	}
	return doc.WriteToBytes()
}

// checkValue rejects what WeChat v2 cannot carry or sign reliably: invalid UTF-8,
// 4-byte characters (emoji; §2 says only 1–3 byte UTF-8 is accepted) and control
// characters other than tab and LF (an XML parser would rewrite CR, breaking the
// signature; the others are not XML).
func checkValue(field, v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	for _, r := range v {
		switch {
		case r > 0xFFFF:
			return fmt.Errorf("%s contains %q, a 4-byte UTF-8 character WeChat v2 does not accept", field, r)
		case r < 0x20 && r != '\t' && r != '\n':
			return fmt.Errorf("%s contains control character %#x", field, r)
		case r == 0xFFFE || r == 0xFFFF:
			return fmt.Errorf("%s contains non-character %#x", field, r)
		}
	}
	return nil
}
