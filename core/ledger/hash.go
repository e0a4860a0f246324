package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/tongdao/tongdao/core/clock"
)

// hashVersion prefixes every hashed message so a future format cannot collide with this one.
const hashVersion = "tongdao-ledger-entry-v1"

// zeroHash is the PrevHash of the first entry.
var zeroHash = make([]byte, sha256.Size)

// ZeroHash returns the PrevHash of the first entry (32 zero bytes).
func ZeroHash() []byte { return append([]byte(nil), zeroHash...) }

// enc is a tiny length-prefixed encoder: every field is unambiguous, so two different entries
// never encode to the same bytes.
type enc struct{ b []byte }

func (e *enc) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}
func (e *enc) bytes(p []byte) {
	e.b = binary.AppendUvarint(e.b, uint64(len(p)))
	e.b = append(e.b, p...)
}
func (e *enc) i64(v int64) { e.b = binary.AppendVarint(e.b, v) }

func (e *enc) date(d clock.Date) {
	if d == (clock.Date{}) {
		e.str("")
		return
	}
	e.str(d.String())
}

// EntryHash computes the chain hash of e: SHA-256 over a version tag, e.PrevHash and every
// field of e except Hash itself. Verify recomputes it; a change to any stored field of an entry
// or its lines changes it.
func EntryHash(e *Entry) []byte {
	x := enc{b: make([]byte, 0, 256)}
	x.str(hashVersion)
	x.bytes(e.PrevHash)
	x.i64(e.Seq)
	x.str(e.Key)
	x.str(string(e.Kind))
	x.date(e.Day)
	x.date(e.LateFor)
	x.i64(e.PostedAt.UnixNano())
	x.i64(e.Ref)
	x.str(string(e.Voucher.Kind))
	x.str(e.Voucher.ID)
	x.i64(e.Voucher.Amount.Minor())
	x.str(string(e.Voucher.Amount.Currency()))
	x.str(e.Memo)
	x.bytes(e.Fingerprint)
	x.i64(int64(len(e.Lines)))
	for _, l := range e.Lines {
		x.i64(int64(l.Account))
		x.str(string(l.Side))
		x.i64(int64(l.Effect))
		x.i64(l.Amount.Minor())
		x.str(string(l.Amount.Currency()))
	}
	s := sha256.Sum256(x.b)
	return s[:]
}

// fingerprint hashes a request as the caller gave it (before the ledger fills in the day or
// builds hold lines), so a retry can be recognised as the same request.
func fingerprint(kind Kind, key string, v Voucher, ref int64, day, late clock.Date, memo string, lines []Line) []byte {
	x := enc{b: make([]byte, 0, 192)}
	x.str("tongdao-ledger-request-v1")
	x.str(string(kind))
	x.str(key)
	x.str(string(v.Kind))
	x.str(v.ID)
	x.i64(v.Amount.Minor())
	x.str(string(v.Amount.Currency()))
	x.i64(ref)
	x.date(day)
	x.date(late)
	x.str(memo)
	x.i64(int64(len(lines)))
	for _, l := range lines {
		x.i64(int64(l.Account))
		x.str(string(l.Side))
		x.i64(int64(l.Effect))
		x.i64(l.Amount.Minor())
		x.str(string(l.Amount.Currency()))
	}
	s := sha256.Sum256(x.b)
	return s[:]
}

// Signer signs sealed chain heads. The ledger cannot import adapters/sign (core never imports
// adapters, DESIGN.md "Layout"), so cmd/ wires an SM2 signer in through this interface; tests
// use an ed25519 one.
type Signer interface {
	// KeyID names the key, so a verifier can pick the right public key.
	KeyID() string
	// Sign returns a signature over msg.
	Sign(msg []byte) ([]byte, error)
}

// Verifier checks signatures made by a Signer.
type Verifier interface {
	// Verify returns nil if sig is a valid signature over msg by the key named keyID.
	Verify(keyID string, msg, sig []byte) error
}

// Seal is a sealed chain head: at the close of Day the journal ended at HeadSeq with hash
// HeadHash. Exported seals kept elsewhere let Verify prove that the journal was not rewritten.
type Seal struct {
	Day       clock.Date `json:"day"`
	HeadSeq   int64      `json:"head_seq"`
	HeadHash  []byte     `json:"head_hash"`
	ClosedAt  time.Time  `json:"closed_at"`
	KeyID     string     `json:"key_id,omitempty"`
	Signature []byte     `json:"signature,omitempty"`
}

// SealMessage returns the bytes a Signer signs for s: a version tag, the day, the head
// sequence and hash, and the close time.
func SealMessage(s Seal) []byte {
	x := enc{}
	x.str("tongdao-ledger-seal-v1")
	x.date(s.Day)
	x.i64(s.HeadSeq)
	x.bytes(s.HeadHash)
	x.i64(s.ClosedAt.UnixNano())
	return x.b
}
