package wechat

import (
	"testing"

	"github.com/beevik/etree"

	"github.com/tongdao/tongdao/adapters/sign"
)

func TestDecodeFlat_Accepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want sign.Params // sorted
	}{
		{"cdata and bare", "<xml><b><![CDATA[x y]]></b><a>1</a></xml>", sign.Params{{Key: "a", Value: "1"}, {Key: "b", Value: "x y"}}},
		{"declaration bom whitespace", "\uFEFF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xml>\n  <a>1</a>\n</xml>\n", sign.Params{{Key: "a", Value: "1"}}},
		{"empty and self-closed", "<xml><a></a><b/><c><![CDATA[]]></c></xml>", sign.Params{{Key: "a"}, {Key: "b"}, {Key: "c"}}},
		{"references", "<xml><a>&lt;&amp;&gt;&quot;&apos;&#20013;&#x6587;</a></xml>", sign.Params{{Key: "a", Value: `<&>"'中文`}}},
		{"mixed text and cdata", "<xml><a> x<![CDATA[<y>]]>z </a></xml>", sign.Params{{Key: "a", Value: " x<y>z "}}},
		{"cdata keeps ampersand", "<xml><a><![CDATA[a&b]]></a></xml>", sign.Params{{Key: "a", Value: "a&b"}}},
		{"crlf normalised", "<xml><a>1\r\n2\r3</a></xml>", sign.Params{{Key: "a", Value: "1\n2\n3"}}},
		{"value whitespace kept", "<xml><a> 1 </a></xml>", sign.Params{{Key: "a", Value: " 1 "}}},
		{"space before >", "<xml ><a >1</a ></xml >", sign.Params{{Key: "a", Value: "1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeFlat([]byte(tc.in), "xml")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
			}
		})
	}
}

func TestDecodeFlat_Refuses(t *testing.T) {
	for name, in := range map[string]string{
		"doctype":            `<!DOCTYPE xml [<!ENTITY e "x">]><xml><a>&e;</a></xml>`,
		"custom entity":      `<xml><a>&e;</a></xml>`,
		"external entity":    `<!DOCTYPE xml SYSTEM "http://evil/x.dtd"><xml></xml>`,
		"nested":             `<xml><a><b>1</b></a></xml>`,
		"attribute":          `<xml><a x="1">1</a></xml>`,
		"duplicate":          `<xml><a>1</a><a>2</a></xml>`,
		"wrong root":         `<root><a>1</a></root>`,
		"unclosed":           `<xml><a>1</a>`,
		"mismatched":         `<xml><a>1</b></xml>`,
		"trailing":           `<xml></xml><xml></xml>`,
		"text at top":        `<xml>hello<a>1</a></xml>`,
		"comment":            `<xml><!-- c --><a>1</a></xml>`,
		"processing instr":   `<xml><?pi x?><a>1</a></xml>`,
		"control character":  "<xml><a>\x01</a></xml>",
		"invalid utf8":       "<xml><a>\xff</a></xml>",
		"bad char ref":       `<xml><a>&#0;</a></xml>`,
		"unterminated ref":   `<xml><a>&amp</a></xml>`,
		"unterminated cdata": `<xml><a><![CDATA[x</a></xml>`,
		"empty":              ``,
		"bad name":           `<xml><1a>1</1a></xml>`,
	} {
		t.Run(name, func(t *testing.T) {
			if p, err := decodeFlat([]byte(in), "xml"); err == nil {
				t.Fatalf("accepted: %q", p)
			}
		})
	}
}

// FuzzDecodeFlat checks the hand-written decoder against etree: whatever decodeFlat
// accepts, etree must parse to the same fields and values.
func FuzzDecodeFlat(f *testing.F) {
	for _, s := range []string{
		"<xml><a>1</a></xml>", "<xml><b><![CDATA[x]]></b><a>&amp;</a></xml>", "<xml><a> x<![CDATA[y]]>z </a></xml>",
		"<xml><a>1\r\n2</a></xml>", "<?xml version=\"1.0\"?><xml><a/></xml>", "<xml><a>&#x4e2d;</a></xml>",
	} {
		f.Add([]byte(s))
	}
	f.Add([]byte(goldenF(f, "notify_payment.xml")))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeFlat(data, "xml")
		if err != nil {
			return
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(data); err != nil {
			t.Fatalf("decodeFlat accepted what etree refuses (%v): %q", err, data)
		}
		root := doc.Root()
		if root == nil || root.Tag != "xml" {
			t.Fatalf("etree root %v", root)
		}
		kids := root.ChildElements()
		if len(kids) != len(got) {
			t.Fatalf("etree %d fields, decodeFlat %d: %q", len(kids), len(got), data)
		}
		for _, k := range kids {
			if v := lookup(got, k.Tag); v != k.Text() {
				t.Fatalf("field %s: decodeFlat %q, etree %q (input %q)", k.Tag, v, k.Text(), data)
			}
		}
	})
}

func goldenF(f *testing.F, name string) string { return golden(f, name) }
