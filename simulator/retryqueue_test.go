package simulator

import "testing"

func TestRetryFIFO_KeepsOrderAcrossWrapAndGrowth(t *testing.T) {
	var f retryFIFO
	next, want := uint64(0), uint64(0)
	// Interleave pushes and pops so the ring wraps before and after each growth.
	for round := 0; round < 6; round++ {
		for i := 0; i < 50*(round+1); i++ {
			next++
			f.push(retryItem{seq: next})
		}
		for i := 0; i < 30*(round+1); i++ {
			want++
			if f.front().seq != want {
				t.Fatalf("round %d: front %d, want %d", round, f.front().seq, want)
			}
			if got := f.pop(); got.seq != want {
				t.Fatalf("round %d: popped %d, want %d", round, got.seq, want)
			}
		}
	}
	for f.n > 0 {
		want++
		if got := f.pop(); got.seq != want {
			t.Fatalf("drain: popped %d, want %d", got.seq, want)
		}
	}
	if want != next {
		t.Fatalf("popped %d items, pushed %d", want, next)
	}
	if len(f.items)&(len(f.items)-1) != 0 {
		t.Fatalf("ring size %d is not a power of two", len(f.items))
	}
}
