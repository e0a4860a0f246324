package order

import (
	"regexp"
	"testing"
)

func TestNewID(t *testing.T) {
	shape := regexp.MustCompile(`^pay_[0-9a-f]{24}$`)
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 10000; i++ {
		id := NewID("pay_")
		if !shape.MatchString(id) {
			t.Fatalf("id %q: want pay_ and 24 hex digits", id)
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
		// The first 12 digits are the millisecond: never smaller than the previous id's.
		if prev != "" && id[4:16] < prev[4:16] {
			t.Fatalf("id %q sorts before the earlier %q", id, prev)
		}
		prev = id
	}
}
