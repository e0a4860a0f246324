package simulator

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// A client announcing a large Content-Length but sending little must not make the server
// allocate what it announced: memory follows the bytes that arrived.
func TestReadAll_DoesNotAllocateContentLengthUpFront(t *testing.T) {
	tests := []struct {
		name    string
		body    []byte
		claimed int64
		maxCap  int
	}{
		{"claims 1 MiB, sends 10 bytes", []byte("0123456789"), 1 << 20, 32 << 10},
		{"claims 100 MiB, sends 1 byte at a time", bytes.Repeat([]byte("a"), 700), 100 << 20, 32 << 10},
		{"no Content-Length", []byte("abc"), -1, 512},
		{"exact small body", []byte("hello"), 5, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := readAll(iotest.OneByteReader(bytes.NewReader(tt.body)), tt.claimed)
			if err != nil || !bytes.Equal(b, tt.body) {
				t.Fatalf("got %q, %v", b, err)
			}
			if cap(b) > tt.maxCap {
				t.Errorf("buffer capacity %d, want at most %d", cap(b), tt.maxCap)
			}
		})
	}
	big := bytes.Repeat([]byte("z"), 300<<10)
	if b, err := readAll(bytes.NewReader(big), int64(len(big))); err != nil || !bytes.Equal(b, big) {
		t.Errorf("300 KiB body: %d bytes, %v", len(b), err)
	}
	if _, err := readAll(iotest.ErrReader(io.ErrUnexpectedEOF), 10); err != io.ErrUnexpectedEOF {
		t.Errorf("error not passed on: %v", err)
	}
}
