package simulator

import (
	"strings"
	"testing"
	"unsafe"
)

func TestOwnedIn_SharesTheTextOrCopies(t *testing.T) {
	text := "<xml><out_trade_no>N-1</out_trade_no></xml>"
	buf := strings.Clone("xxN-1yy") // a parse buffer the record must not keep
	s := buf[2:5]
	got := ownedIn(s, text)
	if got != "N-1" {
		t.Fatalf("ownedIn = %q", got)
	}
	if p := uintptr(unsafe.Pointer(unsafe.StringData(got))); p < uintptr(unsafe.Pointer(unsafe.StringData(text))) || p >= uintptr(unsafe.Pointer(unsafe.StringData(text)))+uintptr(len(text)) {
		t.Fatalf("ownedIn did not share the text's memory")
	}
	other := ownedIn(buf[0:2], text)
	if other != "xx" || unsafe.StringData(other) == unsafe.StringData(buf) {
		t.Fatalf("ownedIn(%q) = %q, want an owned copy", buf[0:2], other)
	}
	if ownedIn("", text) != "" {
		t.Fatal("empty name not empty")
	}
}
