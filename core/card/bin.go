package card

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Type is a card's kind as a BIN table or a bank reports it.
type Type uint8

const (
	// TypeUnknown means the BIN is not in the table.
	TypeUnknown Type = iota
	// Debit is a debit card (借记卡), bank code "DC".
	Debit
	// Credit is a credit card (贷记卡), bank code "CC".
	Credit
)

// Code returns the two-letter code Chinese banks use: "DC", "CC", or "" when unknown.
func (t Type) Code() string {
	switch t {
	case Debit:
		return "DC"
	case Credit:
		return "CC"
	}
	return ""
}

// String returns "debit", "credit" or "unknown".
func (t Type) String() string {
	switch t {
	case Debit:
		return "debit"
	case Credit:
		return "credit"
	}
	return "unknown"
}

// ParseType reads "DC" or "CC" (as in bank answers and the BIN table).
func ParseType(code string) (Type, error) {
	switch code {
	case "DC":
		return Debit, nil
	case "CC":
		return Credit, nil
	}
	return TypeUnknown, fmt.Errorf("card type %q: want DC or CC: %w", truncate(code, 8), ErrInvalid)
}

// BIN is one row of a BIN table: card numbers of Length digits starting with Prefix are
// issued by BankCode (a short code such as "ICBC", "CMB") as Type.
type BIN struct {
	Prefix   string // 6 to 8 digits
	BankCode string // upper-case letters and digits, e.g. "ICBC"
	BankName string // the issuer's Chinese name, e.g. "中国工商银行"
	Type     Type
	Length   int // card number length in digits, 13 to 19
}

// BINSource names where the built-in table comes from. The data file (bins.csv in this
// package) repeats it in its header.
const BINSource = "github.com/hexindai/bcbc data/bin.csv + data/name.csv at commit de631827ffe8db2792d140f3476b02498fc1244f (MIT License), subset: 15 major banks, DC/CC"

//go:embed bins.csv
var binsCSV []byte

// defaultTable is parsed once, on first use, and never changed afterwards.
var defaultTable = sync.OnceValues(func() (*BINTable, error) { return ParseBINTable(bytes.NewReader(binsCSV)) })

// DefaultBINs returns the built-in table (see BINSource), parsed once on first use. It is
// immutable and safe for concurrent use. It panics only if the embedded file is broken,
// which the package tests rule out.
func DefaultBINs() *BINTable {
	t, err := defaultTable()
	if err != nil {
		panic("card: embedded bins.csv: " + err.Error())
	}
	return t
}

// LookupBIN looks pan up in the built-in table; see BINTable.Lookup.
func LookupBIN(pan string) (BIN, bool) { return DefaultBINs().Lookup(pan) }

// BINTable maps card number prefixes to issuers. It is immutable once built and safe for
// concurrent use.
type BINTable struct {
	rows []BIN
	// by6 maps the numeric value of a 6-digit prefix to the rows starting with it (rows
	// with 7- or 8-digit prefixes first, so the first match is the longest): one map
	// probe and a scan of a handful of rows per look-up.
	by6  map[uint32][]int32
	seen map[string]bool // prefix + "/" + length, while parsing
}

// Len returns the number of rows.
func (t *BINTable) Len() int { return len(t.rows) }

// Rows returns a copy of the rows in file order.
func (t *BINTable) Rows() []BIN { return append([]BIN(nil), t.rows...) }

// Lookup returns the row whose prefix is the longest one (8, 7, then 6 digits) that starts
// pan and whose card length equals len(pan). pan must be 13 to 19 ASCII digits; anything
// else is simply not found. It never allocates.
func (t *BINTable) Lookup(pan string) (BIN, bool) {
	n := len(pan)
	if n < MinPANLength || n > MaxPANLength {
		return BIN{}, false
	}
	var v uint32
	for i := 0; i < 6; i++ {
		c := pan[i]
		if c < '0' || c > '9' {
			return BIN{}, false
		}
		v = v*10 + uint32(c-'0')
	}
	for _, i := range t.by6[v] {
		r := &t.rows[i]
		if r.Length == n && pan[:len(r.Prefix)] == r.Prefix {
			return *r, true
		}
	}
	return BIN{}, false
}

// ParseBINTable reads a table in the format of bins.csv: UTF-8 lines, '#' comment lines
// and blank lines ignored, a header line "bin,bank_code,bank_name,type,length", then one
// row per line with those five comma-separated fields (no quoting): 6 to 8 digits, a bank
// code of 2 to 16 upper-case letters or digits, a non-empty name without commas, DC or CC,
// and a card length of 13 to 19 that is longer than the prefix. A (prefix, length) pair
// may appear only once. Errors name the line and the field.
func ParseBINTable(r io.Reader) (*BINTable, error) {
	t := &BINTable{by6: make(map[uint32][]int32), seen: make(map[string]bool)}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	line, header := 0, false
	for sc.Scan() {
		line++
		s := strings.TrimRight(sc.Text(), "\r")
		if s == "" || s[0] == '#' {
			continue
		}
		if !header {
			if s != "bin,bank_code,bank_name,type,length" {
				return nil, fmt.Errorf("bin table line %d: want the header bin,bank_code,bank_name,type,length: %w", line, ErrInvalid)
			}
			header = true
			continue
		}
		row, err := parseBINRow(s)
		if err != nil {
			return nil, fmt.Errorf("bin table line %d: %w", line, err)
		}
		k := row.Prefix + "/" + strconv.Itoa(row.Length)
		if t.seen[k] {
			return nil, fmt.Errorf("bin table line %d: field bin: prefix %s for length %d listed twice: %w", line, row.Prefix, row.Length, ErrInvalid)
		}
		if len(t.rows) >= 1<<20 {
			return nil, fmt.Errorf("bin table line %d: more than %d rows: %w", line, 1<<20, ErrInvalid)
		}
		t.seen[k] = true
		t.rows = append(t.rows, row)
	}
	t.seen = nil
	for i, r := range t.rows {
		v, _ := strconv.ParseUint(r.Prefix[:6], 10, 32)
		t.by6[uint32(v)] = append(t.by6[uint32(v)], int32(i))
	}
	for _, list := range t.by6 { // longest prefix first, then file order
		sort.SliceStable(list, func(a, b int) bool { return len(t.rows[list[a]].Prefix) > len(t.rows[list[b]].Prefix) })
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bin table line %d: %v: %w", line+1, err, ErrInvalid)
	}
	if !header {
		return nil, fmt.Errorf("bin table: no header line: %w", ErrInvalid)
	}
	return t, nil
}

func parseBINRow(s string) (BIN, error) {
	f := strings.Split(s, ",")
	if len(f) != 5 {
		return BIN{}, fmt.Errorf("%d fields, want 5: %w", len(f), ErrInvalid)
	}
	var b BIN
	if len(f[0]) < 6 || len(f[0]) > 8 || !allDigits(f[0]) {
		return BIN{}, fmt.Errorf("field bin: want 6 to 8 digits: %w", ErrInvalid)
	}
	b.Prefix = f[0]
	if len(f[1]) < 2 || len(f[1]) > 16 || !upperAlnum(f[1]) {
		return BIN{}, fmt.Errorf("field bank_code: want 2 to 16 upper-case letters or digits: %w", ErrInvalid)
	}
	b.BankCode = f[1]
	if f[2] == "" || strings.TrimSpace(f[2]) != f[2] || !validText(f[2]) {
		return BIN{}, fmt.Errorf("field bank_name: want a non-empty UTF-8 name without outer spaces: %w", ErrInvalid)
	}
	b.BankName = f[2]
	typ, err := ParseType(f[3])
	if err != nil {
		return BIN{}, fmt.Errorf("field type: %w", err)
	}
	b.Type = typ
	n, err := strconv.Atoi(f[4])
	if err != nil || n < MinPANLength || n > MaxPANLength || n <= len(b.Prefix) || f[4] != strconv.Itoa(n) {
		return BIN{}, fmt.Errorf("field length: want %d to %d: %w", MinPANLength, MaxPANLength, ErrInvalid)
	}
	b.Length = n
	return b, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func upperAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
