package recon

import (
	"testing"
	"unsafe"
)

// The memory figures in the docs assume 40-byte rows and 8-byte slots.
func TestIndex_RowAndSlotSizes(t *testing.T) {
	if n := unsafe.Sizeof(row{}); n != 40 {
		t.Errorf("row is %d bytes, want 40", n)
	}
	if n := unsafe.Sizeof(slot{}); n != 8 {
		t.Errorf("slot is %d bytes, want 8", n)
	}
}
