package audit_test

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/audit"
)

// TestHash_FormatIsPinned: a stored log is verified with this function for years; a change
// to the encoding would report every record as edited. Change hashVersion instead.
func TestHash_FormatIsPinned(t *testing.T) {
	r := &audit.Record{Seq: 1, At: time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC), Actor: "u-alice", Action: "balance.query",
		Account: "w-alice", IP: "192.0.2.1", Result: "ok", PrevHash: audit.Zero()}
	// Computed independently (Python: hashlib.sha256 over the uvarint-length-prefixed fields
	// and zigzag varints, as docs/BALANCE.md describes).
	const want = "ba1820f2f5fff3248e4aa0d1c4f1b4daa56ad645702f2b80f73d8f84d43e62cc"
	got := hex.EncodeToString(audit.Hash(r))
	if got != want {
		t.Fatalf("Hash = %s, want %s", got, want)
	}
	r.Result = "rate_limited"
	if hex.EncodeToString(audit.Hash(r)) == got {
		t.Fatal("the result is not hashed")
	}
}
