package ledger

import (
	"crypto/sha256"
	"sort"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/internal/chain"
)

// hashVersion prefixes every hashed message so a future format cannot collide with this one.
const hashVersion = "tongdao-ledger-entry-v1"

// zeroHash is the PrevHash of the first entry.
var zeroHash = chain.Zero()

// ZeroHash returns the PrevHash of the first entry (32 zero bytes).
func ZeroHash() []byte { return chain.Zero() }

// enc is the length-prefixed encoder shared with the other hash-chained logs (core/audit):
// every field is unambiguous, so two different entries never encode to the same bytes.
type enc = chain.Enc

func encDate(e *enc, d clock.Date) {
	if d == (clock.Date{}) {
		e.Str("")
		return
	}
	e.Str(d.String())
}

// EntryHash computes the chain hash of e: SHA-256 over a version tag, e.PrevHash and every
// field of e except Hash itself. Verify recomputes it; a change to any stored field of an entry
// or its lines changes it.
func EntryHash(e *Entry) []byte {
	x := enc{B: make([]byte, 0, 256)}
	x.Str(hashVersion)
	x.Bytes(e.PrevHash)
	x.I64(e.Seq)
	x.Str(e.Key)
	x.Str(string(e.Kind))
	encDate(&x, e.Day)
	encDate(&x, e.LateFor)
	x.I64(e.PostedAt.UnixNano())
	x.I64(e.Ref)
	x.Str(string(e.Voucher.Kind))
	x.Str(e.Voucher.ID)
	x.I64(e.Voucher.Amount.Minor())
	x.Str(string(e.Voucher.Amount.Currency()))
	x.Str(e.Memo)
	x.Bytes(e.Fingerprint)
	x.I64(int64(len(e.Lines)))
	for _, l := range e.Lines {
		x.I64(int64(l.Account))
		x.Str(string(l.Side))
		x.I64(int64(l.Effect))
		x.I64(l.Amount.Minor())
		x.Str(string(l.Amount.Currency()))
	}
	s := sha256.Sum256(x.B)
	return s[:]
}

// fingerprint hashes a request as the caller gave it (before the ledger fills in the day or
// builds hold lines), so a retry can be recognised as the same request.
func fingerprint(kind Kind, key string, v Voucher, ref int64, day, late clock.Date, memo string, lines []Line) []byte {
	x := enc{B: make([]byte, 0, 192)}
	x.Str("tongdao-ledger-request-v1")
	x.Str(string(kind))
	x.Str(key)
	x.Str(string(v.Kind))
	x.Str(v.ID)
	x.I64(v.Amount.Minor())
	x.Str(string(v.Amount.Currency()))
	x.I64(ref)
	encDate(&x, day)
	encDate(&x, late)
	x.Str(memo)
	x.I64(int64(len(lines)))
	for _, l := range lines {
		x.I64(int64(l.Account))
		x.Str(string(l.Side))
		x.I64(int64(l.Effect))
		x.I64(l.Amount.Minor())
		x.Str(string(l.Amount.Currency()))
	}
	s := sha256.Sum256(x.B)
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
//
// A seal made since the ledger seals what the day close concluded (version 2) also covers
// the digest of the day's closing rows (Rows, see RowsDigest), the head of the change log of
// control data (ControlSeq, ControlHash; see Change) and the day of the previous seal
// (PrevDay), so a closing row edited, a control change rewritten or a seal deleted in
// between breaks a signed or exported seal. Seals made before (version 1, upgraded
// databases) have none of these, and Verify says so.
type Seal struct {
	Day         clock.Date `json:"day"`
	HeadSeq     int64      `json:"head_seq"`
	HeadHash    []byte     `json:"head_hash"`
	ClosedAt    time.Time  `json:"closed_at"`
	PrevDay     clock.Date `json:"prev_day,omitempty"`
	Rows        []byte     `json:"rows_digest,omitempty"`
	ControlSeq  int64      `json:"control_seq,omitempty"`
	ControlHash []byte     `json:"control_hash,omitempty"`
	KeyID       string     `json:"key_id,omitempty"`
	Signature   []byte     `json:"signature,omitempty"`
}

// Version is 2 for a seal that covers its day's closing rows and the control log, 1 for one
// made before (it has no rows digest).
func (s Seal) Version() int {
	if len(s.Rows) == 0 {
		return 1
	}
	return 2
}

// SealMessage returns the bytes a Signer signs for s. Version 2: a version tag, the day, the
// previous seal's day, the head sequence and hash, the closing rows' digest, the control
// log's head and the close time. Version 1 (seals made before rows were sealed): the tag,
// the day, the head and the close time.
func SealMessage(s Seal) []byte {
	x := enc{}
	if s.Version() == 1 {
		x.Str("tongdao-ledger-seal-v1")
		encDate(&x, s.Day)
		x.I64(s.HeadSeq)
		x.Bytes(s.HeadHash)
		x.I64(s.ClosedAt.UnixNano())
		return x.B
	}
	x.Str("tongdao-ledger-seal-v2")
	encDate(&x, s.Day)
	encDate(&x, s.PrevDay)
	x.I64(s.HeadSeq)
	x.Bytes(s.HeadHash)
	x.Bytes(s.Rows)
	x.I64(s.ControlSeq)
	x.Bytes(s.ControlHash)
	x.I64(s.ClosedAt.UnixNano())
	return x.B
}

// RowsDigest returns SHA-256 over the rows of day's close — every account's opening,
// movement and closing counters, in account order — as CloseDay seals them in Seal.Rows.
// Rows whose counters are all zero are left out, as CloseDay leaves them out.
func RowsDigest(day clock.Date, rows []DayBalance) []byte {
	sorted := append([]DayBalance(nil), rows...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Account < sorted[j].Account })
	x := enc{B: make([]byte, 0, 64+len(rows)*40)}
	x.Str("tongdao-ledger-close-rows-v1")
	encDate(&x, day)
	n := 0
	for _, r := range sorted {
		if r.Opening != (Counters{}) || r.Movement != (Counters{}) || r.Closing != (Counters{}) {
			n++
		}
	}
	x.I64(int64(n))
	for _, r := range sorted {
		if r.Opening == (Counters{}) && r.Movement == (Counters{}) && r.Closing == (Counters{}) {
			continue
		}
		x.I64(int64(r.Account))
		for _, c := range []Counters{r.Opening, r.Movement, r.Closing} {
			x.I64(c.DebitPosted)
			x.I64(c.CreditPosted)
			x.I64(c.DebitPending)
			x.I64(c.CreditPending)
		}
	}
	s := sha256.Sum256(x.B)
	return s[:]
}
