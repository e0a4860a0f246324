package card

import (
	"errors"
	"strings"
	"testing"
)

func TestLookupBIN_MajorBanks(t *testing.T) {
	tests := []struct {
		pan, bank, name string
		typ             Type
		ok              bool
	}{
		{"6216261000000000018", "SPABANK", "平安银行", Debit, true},
		{"6258100000000004", "GDB", "广东发展银行", Credit, true},
		{"6222020111122220000", "ICBC", "中国工商银行", Debit, true},
		{"6214830000000008", "CMB", "招商银行", Debit, true},
		{"6225760000000001", "CMB", "招商银行", Credit, true},
		{"6228480000000000000", "ABC", "中国农业银行", Debit, true},
		{"6217000000000000000", "CCB", "中国建设银行", Debit, true},
		{"6222020111122220", "", "", TypeUnknown, false}, // ICBC 622202 is listed for 19 digits only
		{"9999990000000000", "", "", TypeUnknown, false},
		{"62220201111", "", "", TypeUnknown, false}, // too short
		{"6222X20111122220000", "", "", TypeUnknown, false},
	}
	for _, tc := range tests {
		b, ok := LookupBIN(tc.pan)
		if ok != tc.ok || b.BankCode != tc.bank || b.BankName != tc.name || b.Type != tc.typ {
			t.Errorf("LookupBIN(%s) = %+v, %v; want %s %s %v %v", Mask(tc.pan), b, ok, tc.bank, tc.name, tc.typ, tc.ok)
		}
		if ok && b.Length != len(tc.pan) {
			t.Errorf("LookupBIN(%s).Length = %d", Mask(tc.pan), b.Length)
		}
	}
}

func TestDefaultBINs_CoversFifteenBanksWithBothTypes(t *testing.T) {
	tab := DefaultBINs()
	if tab.Len() < 600 {
		t.Fatalf("built-in table has %d rows", tab.Len())
	}
	types := map[string]map[Type]bool{}
	for _, r := range tab.Rows() {
		if types[r.BankCode] == nil {
			types[r.BankCode] = map[Type]bool{}
		}
		types[r.BankCode][r.Type] = true
	}
	for _, bank := range []string{"ICBC", "ABC", "BOC", "CCB", "COMM", "PSBC", "CMB", "CITIC", "CEB", "HXBANK", "CMBC", "GDB", "SPABANK", "CIB", "SPDB"} {
		if !types[bank][Debit] || !types[bank][Credit] {
			t.Errorf("bank %s: debit %v credit %v", bank, types[bank][Debit], types[bank][Credit])
		}
	}
	if DefaultBINs() != tab {
		t.Fatal("DefaultBINs parsed twice")
	}
}

func TestLookup_LongestPrefixWins(t *testing.T) {
	tab, err := ParseBINTable(strings.NewReader("bin,bank_code,bank_name,type,length\n621626,AAA,甲,DC,16\n62162610,BBB,乙,CC,16\n"))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := tab.Lookup("6216261000000000"); b.BankCode != "BBB" {
		t.Errorf("8-digit prefix: got %s", b.BankCode)
	}
	if b, _ := tab.Lookup("6216269000000000"); b.BankCode != "AAA" {
		t.Errorf("6-digit prefix: got %s", b.BankCode)
	}
}

func TestParseBINTable_RejectsBadRows(t *testing.T) {
	const h = "bin,bank_code,bank_name,type,length\n"
	tests := []struct{ name, in, want string }{
		{"no header", "621626,AAA,甲,DC,16\n", "header"},
		{"empty", "", "no header"},
		{"fields", h + "621626,AAA,甲,DC\n", "line 2: 4 fields"},
		{"bin letters", h + "62162X,AAA,甲,DC,16\n", "field bin"},
		{"bin short", h + "62162,AAA,甲,DC,16\n", "field bin"},
		{"bank lower", h + "621626,aaa,甲,DC,16\n", "field bank_code"},
		{"name empty", h + "621626,AAA,,DC,16\n", "field bank_name"},
		{"type", h + "621626,AAA,甲,SCC,16\n", "field type"},
		{"length", h + "621626,AAA,甲,DC,20\n", "field length"},
		{"length plus", h + "621626,AAA,甲,DC,+16\n", "field length"},
		{"duplicate", h + "621626,AAA,甲,DC,16\n621626,BBB,乙,CC,16\n", "listed twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBINTable(strings.NewReader(tc.in))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
	// Comments, blank lines, CRLF and one prefix for two lengths are fine.
	tab, err := ParseBINTable(strings.NewReader("# c\r\n\r\n" + h + "621626,AAA,甲,DC,16\r\n621626,AAA,甲,DC,19\r\n"))
	if err != nil || tab.Len() != 2 {
		t.Fatalf("ParseBINTable = %v, %v", tab, err)
	}
}

func TestType_Codes(t *testing.T) {
	for _, typ := range []Type{Debit, Credit} {
		back, err := ParseType(typ.Code())
		if err != nil || back != typ {
			t.Errorf("ParseType(%q) = %v, %v", typ.Code(), back, err)
		}
	}
	if TypeUnknown.Code() != "" || TypeUnknown.String() != "unknown" || Debit.String() != "debit" {
		t.Error("Type strings")
	}
	if _, err := ParseType("dc"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseType(dc) = %v", err)
	}
}
