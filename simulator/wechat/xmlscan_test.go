package wechat

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tongdao/tongdao/adapters/sign"
)

// decodeClass names which of decodeXML's error classes err is, for comparing decoders.
func decodeClass(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, errEmptyBody):
		return "empty"
	case errors.Is(err, errNotUTF8):
		return "utf8"
	case errors.Is(err, errDTDPresent):
		return "dtd"
	default:
		return "format"
	}
}

func TestScanFlatXML_TakesPlainRequestsAndLeavesTheRestToTheStrictDecoder(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		fast bool
		want sign.Params // nil: compare with decodeXMLStrict only
	}{
		{"cdata and bare", "<xml><a><![CDATA[1]]></a><b>2</b></xml>", true, sign.Params{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}},
		{"whitespace around", " \n<xml>\n\t<a>x y</a>\r\n</xml>\n", true, sign.Params{{Key: "a", Value: "x y"}}},
		{"empty field", "<xml><a></a><b><![CDATA[]]></b></xml>", true, sign.Params{{Key: "a", Value: ""}, {Key: "b", Value: ""}}},
		{"split cdata as appendCDATA writes it", "<xml><a><![CDATA[x]]]]><![CDATA[>y<]]><![CDATA[html]]></a></xml>", true, sign.Params{{Key: "a", Value: "x]]>y<html"}}},
		{"text around cdata kept", "<xml><a> <![CDATA[&<]]> </a></xml>", true, sign.Params{{Key: "a", Value: " &< "}}},
		{"chinese", "<xml><body>测试商品</body></xml>", true, sign.Params{{Key: "body", Value: "测试商品"}}},
		{"declaration", `<?xml version="1.0" encoding="UTF-8"?><xml><a>1</a></xml>`, false, nil},
		{"entity", "<xml><a>&amp;</a></xml>", false, nil},
		{"carriage return in value", "<xml><a>x\r\ny</a></xml>", false, nil},
		{"doctype", "<!DOCTYPE x><xml><a>1</a></xml>", false, nil},
		{"comment", "<xml><!-- c --><a>1</a></xml>", false, nil},
		{"attribute", `<xml><a k="v">1</a></xml>`, false, nil},
		{"self-closing", "<xml><a/></xml>", false, nil},
		{"nested", "<xml><a><b>1</b></a></xml>", false, nil},
		{"repeated", "<xml><a>1</a><a>2</a></xml>", false, nil},
		{"wrong end tag", "<xml><a>1</b></xml>", false, nil},
		{"namespace", "<xml><x:a>1</x:a></xml>", false, nil},
		{"unescaped ]]>", "<xml><a>x]]>y</a></xml>", false, nil},
		{"4-byte character", "<xml><a>😀</a></xml>", false, nil},
		{"U+FFFF", "<xml><a>\uffff</a></xml>", false, nil},
		{"control character", "<xml><a>\x01</a></xml>", false, nil},
		{"text after root", "<xml><a>1</a></xml>x", false, nil},
		{"text in root", "<xml>x<a>1</a></xml>", false, nil},
		{"unterminated", "<xml><a>1</a>", false, nil},
		{"other root", "<xmlx><a>1</a></xmlx>", false, nil},
		{"empty", "", false, nil},
		{"invalid utf-8", "<xml><a>\xff</a></xml>", false, nil},
		{"too many fields for the fast path", "<xml>" + manyFields(maxFastFields+1) + "</xml>", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := scanFlatXML([]byte(tc.body))
			if ok != tc.fast {
				t.Fatalf("fast path taken = %v, want %v", ok, tc.fast)
			}
			strict, serr := decodeXMLStrict([]byte(tc.body))
			if ok {
				if serr != nil {
					t.Fatalf("fast path accepted what the strict decoder refuses: %v", serr)
				}
				assertSameParams(t, got, strict)
				if tc.want != nil {
					assertSameParams(t, got, tc.want)
				}
			}
			all, err := decodeXML([]byte(tc.body))
			if decodeClass(err) != decodeClass(serr) {
				t.Fatalf("decodeXML error %v, strict decoder %v", err, serr)
			}
			if err == nil {
				assertSameParams(t, all, strict)
			}
		})
	}
}

func manyFields(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("<f")
		b.WriteString(strings.Repeat("x", i))
		b.WriteString(">1</f")
		b.WriteString(strings.Repeat("x", i))
		b.WriteString(">")
	}
	return b.String()
}

func assertSameParams(t *testing.T, got, want sign.Params) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("fields %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("field %d: %q, want %q", i, got[i], want[i])
		}
	}
}

// FuzzScanFlatXMLMatchesStrict checks that whatever the fast scanner accepts, the strict
// encoding/xml decoder accepts with the same fields in the same order, and that
// decodeXML classifies every input as the strict decoder does.
func FuzzScanFlatXMLMatchesStrict(f *testing.F) {
	for _, s := range []string{
		"<xml><a><![CDATA[1]]></a><b>2</b></xml>", " <xml>\n<a>x</a>\n</xml> ",
		"<xml><a><![CDATA[x]]]]><![CDATA[>]]>y</a></xml>", "<xml><a>]]></a></xml>",
		"<xml><a>&lt;</a></xml>", "<xml><a>\r</a></xml>", "<xml><a><b/></a></xml>",
		"<xml><a>1</a><a>2</a></xml>", "<xml><a>\uffff</a></xml>", "<xml></xml>",
		"<xml><xml></xml></xml>", "<xml><a1_>v</a1_></xml>", "<xml><_>v</_></xml>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		strict, serr := decodeXMLStrict(body)
		if got, ok := scanFlatXML(body); ok {
			if serr != nil {
				t.Fatalf("fast scanner accepted %q, strict decoder: %v", body, serr)
			}
			assertSameParams(t, got, strict)
		}
		all, err := decodeXML(body)
		if decodeClass(err) != decodeClass(serr) {
			t.Fatalf("%q: decodeXML %v, strict %v", body, err, serr)
		}
		if err == nil {
			assertSameParams(t, all, strict)
		}
	})
}

func TestAppendCDATA_SplitsTerminatorsAndHTMLOnly(t *testing.T) {
	for in, want := range map[string]string{
		"":             "<![CDATA[]]>",
		"plain 中文":     "<![CDATA[plain 中文]]>",
		"a]]>b":        "<![CDATA[a]]]]><![CDATA[>b]]>",
		"<html><H1>":   "<![CDATA[<]]><![CDATA[html><]]><![CDATA[H1>]]>",
		"]]]>x<y]":     "<![CDATA[]]]]]><![CDATA[>x<y]]]>",
		"end]]>":       "<![CDATA[end]]]]><![CDATA[>]]>",
		"<h":           "<![CDATA[<]]><![CDATA[h]]>",
		"x<":           "<![CDATA[x<]]>",
		"a]]>]]><hb<H": "<![CDATA[a]]]]><![CDATA[>]]]]><![CDATA[><]]><![CDATA[hb<]]><![CDATA[H]]>",
	} {
		if got := string(appendCDATA(nil, in)); got != want {
			t.Errorf("appendCDATA(%q) = %q, want %q", in, got, want)
		}
		p, err := decodeXML([]byte("<xml><a>" + string(appendCDATA(nil, in)) + "</a></xml>"))
		if err != nil || p.Value("a") != in {
			t.Errorf("appendCDATA(%q) decodes to %q, %v", in, p.Value("a"), err)
		}
	}
}

// TestScanFlatXML_RandomDocumentsMatchStrict builds 20,000 near-WeChat documents from
// pieces that are valid, borderline and invalid, and checks the fast path against the
// strict decoder on each (a deterministic complement to the fuzz target).
func TestScanFlatXML_RandomDocumentsMatchStrict(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	names := []string{"a", "b", "appid", "x1", "_", "xml", "a:b", "1a", "a-b", "A"}
	texts := []string{"", "1", " ", "中文", "x y", "&amp;", "&#65;", "&bad;", "\r\n", "\t\n", "]]>", "]]", "]>", ">",
		"\x01", "\uffff", "😀", "<", "<![CDATA[v]]>", "<![CDATA[<&]]>", "<![CDATA[]]>", "<![CDATA[\r]]>", "<!-- c -->", "<b/>"}
	gaps := []string{"", " ", "\n", "\r\n", "x", "<!--c-->"}
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	fast := 0
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		if r.IntN(10) == 0 {
			b.WriteString(`<?xml version="1.0"?>`)
		}
		b.WriteString(pick(gaps[:3]))
		b.WriteString("<xml>")
		for f := r.IntN(6); f > 0; f-- {
			b.WriteString(pick(gaps))
			n := pick(names)
			b.WriteString("<" + n + ">")
			for p := r.IntN(3); p >= 0; p-- {
				b.WriteString(pick(texts))
			}
			if r.IntN(20) == 0 {
				n = pick(names)
			}
			b.WriteString("</" + n + ">")
		}
		b.WriteString(pick(gaps[:3]))
		if r.IntN(15) != 0 {
			b.WriteString("</xml>")
		}
		b.WriteString(pick(gaps[:3]))
		body := []byte(b.String())
		strict, serr := decodeXMLStrict(body)
		if got, ok := scanFlatXML(body); ok {
			fast++
			if serr != nil {
				t.Fatalf("fast scanner accepted %q, strict decoder: %v", body, serr)
			}
			assertSameParams(t, got, strict)
		}
		all, err := decodeXML(body)
		if decodeClass(err) != decodeClass(serr) {
			t.Fatalf("%q: decodeXML %v, strict %v", body, err, serr)
		}
		if err == nil {
			assertSameParams(t, all, strict)
		}
	}
	t.Logf("%d of 20000 documents took the fast path", fast)
	if fast < 1000 {
		t.Fatalf("only %d of 20000 documents took the fast path: the generator is too hostile to test it", fast)
	}
}
