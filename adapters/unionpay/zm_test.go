package unionpay

import (
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestZM_GoldenFile reads testdata/zm_2015.txt: a consume and a refund in the 2015 layout
// (607 characters, CRLF; the consume carries the sample file's amounts: 4768.00 with fee
// 28.61 and settlement 4739.39), a blank line, and a 700-character line of a newer layout
// ending in LF.
func TestZM_GoldenFile(t *testing.T) {
	f, err := os.Open("testdata/zm_2015.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z := newZMReader(f)
	var got []zmRecord
	for {
		r, err := z.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	want := []zmRecord{
		{TradeCode: "S56", TraceNo: "051737", TraceTime: "0906104722", Card: "622609******0048", Amount: 476800,
			QueryID: "201509061047221956208", OrderID: "20150906104638", PayCardType: "01", Fee: -2861, Settle: 473939,
			PayType: "0002", TxnType: "01", TxnSubType: "01", BizType: "000201", MerID: "802310048993424", Net: 473939,
			ReqReserved: "cmVxUmVzZXJ2ZWQ="},
		{TradeCode: "S30", TraceNo: "061122", TraceTime: "0906114201", Card: "622609******0048", Amount: 100000,
			QueryID: "201509061142011956999", OrderID: "20150906114130", PayCardType: "01", OrigTraceNo: "051737",
			OrigTime: "0906104722", Fee: 600, Settle: -99400, PayType: "0002", TxnType: "04", TxnSubType: "00",
			BizType: "000201", OrigQryID: "201509061047221956208", MerID: "802310048993424", Net: -99400,
			OrigOrderID: "20150906104638"},
		{TradeCode: "S22", TraceNo: "000001", TraceTime: "0101000000", Card: "621626*********0018", Amount: 1,
			QueryID: "240101000000123456789", OrderID: "N1", Settle: 1, TxnType: "01", TxnSubType: "01",
			BizType: "000902", MerID: "777290058110048", Net: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d:\n got %+v\nwant %+v", i+1, got[i], want[i])
		}
	}
}

func TestZM_BadLinesNameTheField(t *testing.T) {
	good := zmTestLine(1)
	tests := []struct {
		name, line, field string
	}{
		{"short", good[:400], "length"},
		{"amount", good[:66] + "00000000X000" + good[78:], "txnAmt"},
		{"fee sign", good[:166] + "X" + good[167:], "fee"},
		{"zero without sign", good[:180] + " 000000000001" + good[193:], "settleAmt"},
		{"no txnType", good[:215] + "  " + good[217:], "txnType"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z := newZMReader(strings.NewReader(tc.line + "\r\n" + good + "\r\n"))
			_, err := z.next()
			var ze *zmError
			if !errors.As(err, &ze) || ze.field != tc.field || ze.line != 1 {
				t.Fatalf("err %v, want a zmError on line 1 naming %s", err, tc.field)
			}
			if strings.Contains(err.Error(), "6216") {
				t.Errorf("error carries the card: %v", err)
			}
			if r, err := z.next(); err != nil || r.QueryID == "" {
				t.Errorf("the reader did not continue: %v", err)
			}
		})
	}
}

// zmTestLine writes record i in the 2015 layout for tests and benchmarks.
func zmTestLine(i int) string {
	b := []byte(strings.Repeat(" ", 607))
	put := func(off int, s string) { copy(b[off:], s) }
	n := func(v, w int) string {
		s := strings.Repeat("0", w) + itoa(v)
		return s[len(s)-w:]
	}
	put(0, "S22")
	put(28, n(i%1000000, 6))
	put(35, "0603100000")
	put(46, "621626*********0018")
	put(66, n(1000+i%997, 12))
	put(87, "240603100000"+n(i, 9))
	put(112, "T"+n(i, 12))
	put(145, "01")
	put(166, "D"+n(6, 12))
	put(180, "C"+n(994+i%997, 12))
	put(215, "01")
	put(218, "01")
	put(221, "000902")
	put(293, "777290058110048")
	put(374, "C"+n(994+i%997, 12))
	return string(b)
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var d [20]byte
	i := len(d)
	for v > 0 {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return string(d[i:])
}

// zmGen is an io.Reader producing n records by cycling over a block of 1024 distinct
// generated lines, without holding the file: the parser's memory, not the input's, is
// what a run over 1M records measures, and generating costs only a copy.
type zmGen struct {
	block []byte
	off   int
	left  int // bytes still to produce
}

var zmBlock = func() []byte {
	var b []byte
	for i := 0; i < 1024; i++ {
		b = append(b, zmTestLine(i)...)
		b = append(b, '\r', '\n')
	}
	return b
}()

func newZMGen(n int) *zmGen { return &zmGen{block: zmBlock, left: n * 609} }

func (g *zmGen) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	total := 0
	for len(p) > 0 && g.left > 0 {
		k := copy(p, g.block[g.off:])
		if k > g.left {
			k = g.left
		}
		p, g.off, g.left, total = p[k:], g.off+k, g.left-k, total+k
		if g.off == len(g.block) {
			g.off = 0
		}
	}
	return total, nil
}

// TestZM_FlatMemoryOver1MRecords streams a million records and samples the live heap: it
// must not grow with the file (the records are not kept).
func TestZM_FlatMemoryOver1MRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("1M records")
	}
	z := newZMReader(newZMGen(1_000_000))
	var ms runtime.MemStats
	var first, peak uint64
	count := 0
	for {
		_, err := z.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		count++
		if count%250_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if first == 0 {
				first = ms.HeapAlloc
			}
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if count != 1_000_000 {
		t.Fatalf("%d records", count)
	}
	t.Logf("live heap after GC every 250,000 records: first %d B, largest %d B", first, peak)
	if peak > first+4<<20 {
		t.Errorf("live heap grew from %d to %d bytes over 1M records", first, peak)
	}
}
