package card

import (
	"bytes"
	"strings"
	"testing"
)

func FuzzParseBINTable(f *testing.F) {
	f.Add([]byte(binsCSV[:600]))
	f.Add([]byte("bin,bank_code,bank_name,type,length\n621626,AAA,甲,DC,16\n"))
	f.Add([]byte("bin,bank_code,bank_name,type,length\n621626,AAA,甲,DC,16\n621626,AAA,甲,DC,16\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := ParseBINTable(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, r := range tab.Rows() {
			pan := r.Prefix + strings.Repeat("0", r.Length-len(r.Prefix))
			got, ok := tab.Lookup(pan)
			if !ok || len(got.Prefix) < len(r.Prefix) || !strings.HasPrefix(pan, got.Prefix) {
				t.Fatalf("row %+v not found by its own prefix: %+v %v", r, got, ok)
			}
		}
	})
}

func FuzzParseSealed(f *testing.F) {
	k := newTestKeyring(f, "k1", map[string][]byte{"k1": testKey1})
	s, _ := k.Seal(FieldPAN, "6216261000000000018")
	f.Add(s.String())
	f.Add("v1:k1:AAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		v, err := ParseSealed(text)
		if err != nil {
			return
		}
		if v.String() != text {
			t.Fatalf("round trip %q -> %q", text, v.String())
		}
		// Opening arbitrary input must fail cleanly (or succeed only on the genuine seed).
		if pt, err := k.Open(FieldPAN, v); err == nil && pt != "6216261000000000018" {
			t.Fatalf("forged value opened: %q", pt)
		}
	})
}

func FuzzLuhnAndLookup(f *testing.F) {
	f.Add("6216261000000000018")
	f.Add("")
	f.Add("62220201111222200001")
	f.Fuzz(func(t *testing.T, pan string) {
		ok := Luhn(pan)
		if ok && CheckPANFormat(pan) == nil && CheckPAN(pan) != nil {
			t.Fatal("CheckPAN rejects a well-formed Luhn-valid number")
		}
		if b, found := LookupBIN(pan); found && (!strings.HasPrefix(pan, b.Prefix) || b.Length != len(pan)) {
			t.Fatalf("lookup %+v", b)
		}
		if m := Mask(pan); len(m) != len(pan) {
			t.Fatal("mask changed the length")
		}
	})
}
