package card

import "testing"

var sinkBool bool

// BenchmarkLuhnAndBIN is the hot path of card validation: Luhn on a 19-digit PAN plus the
// BIN look-up (goal: ≤ 200 ns, 0 allocations; figures in docs/benchmarks/card.md).
func BenchmarkLuhnAndBIN(b *testing.B) {
	tab := DefaultBINs()
	pans := []string{"6216261000000000018", "6258100000000004", "6222020111122220000", "9999990000000000"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := pans[i&3]
		bin, ok := tab.Lookup(p)
		sinkBool = Luhn(p) && ok && bin.Length > 0
	}
}

func BenchmarkLuhn(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkBool = Luhn("6216261000000000018")
	}
}

func BenchmarkLookupBIN(b *testing.B) {
	tab := DefaultBINs()
	b.ReportAllocs()
	for b.Loop() {
		_, sinkBool = tab.Lookup("6216261000000000018")
	}
}

func BenchmarkSealOpenPAN(b *testing.B) {
	k := newTestKeyring(b, "k1", map[string][]byte{"k1": testKey1})
	b.ReportAllocs()
	for b.Loop() {
		s, err := k.Seal(FieldPAN, "6216261000000000018")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := k.Open(FieldPAN, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFingerprint(b *testing.B) {
	k := newTestKeyring(b, "k1", map[string][]byte{"k1": testKey1})
	b.ReportAllocs()
	for b.Loop() {
		_ = k.Fingerprint(FieldPAN, "6216261000000000018")
	}
}

func TestLuhnAndLookup_DoNotAllocate(t *testing.T) {
	tab := DefaultBINs()
	n := testing.AllocsPerRun(100, func() {
		_, ok := tab.Lookup("6216261000000000018")
		sinkBool = ok && Luhn("6216261000000000018")
	})
	if n != 0 {
		t.Fatalf("%v allocations per Luhn + lookup", n)
	}
}
