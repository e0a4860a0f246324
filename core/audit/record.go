package audit

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongdao/tongdao/core/internal/chain"
)

// hashVersion starts every hashed record, so a future format cannot collide with this one.
const hashVersion = "tongdao-audit-record-v1"

// MaxField bounds the length in bytes of each text field of a Record.
const MaxField = 256

// Record is one audited action. Seq, PrevHash and Hash are set by the log when it appends.
type Record struct {
	Seq      int64     `json:"seq"`       // position in the log, from 1, gapless
	At       time.Time `json:"at"`        // when it happened (UTC, nanoseconds kept)
	Actor    string    `json:"actor"`     // who: a user id, "merchant:ID", or "anonymous" when unknown
	Action   string    `json:"action"`    // what, e.g. "balance.query", "balance.token"
	Account  string    `json:"account"`   // which account ("" if none)
	IP       string    `json:"ip"`        // from where: the client's IP address ("" if unknown)
	Result   string    `json:"result"`    // result code: "ok" or why it was refused, e.g. "rate_limited"
	PrevHash []byte    `json:"prev_hash"` // Hash of record Seq-1 (32 zero bytes for the first)
	Hash     []byte    `json:"hash"`      // see Hash
}

// Head is the end of the log: the last record's Seq and Hash (0 and 32 zero bytes when
// empty). A head exported and kept elsewhere is an anchor for Verify.
type Head struct {
	Seq  int64  `json:"seq"`
	Hash []byte `json:"hash"`
}

// Errors of the log and its store.
var (
	// ErrInvalid is wrapped by Append's error for a record it refuses (nothing is written).
	ErrInvalid = errors.New("audit: invalid record")
	// ErrHeadMoved is returned by Store.AppendAudit when the stored head is not the one
	// the records were chained after (another writer appended); nothing was written.
	ErrHeadMoved = errors.New("audit: head moved")
	// ErrNoHead is returned by Store.AuditHead when the head row is missing.
	ErrNoHead = errors.New("audit: head missing")
	// ErrClosed is returned by Append after Close.
	ErrClosed = errors.New("audit: log closed")
)

// Hash computes the chain hash of r: SHA-256 over a version tag, r.PrevHash and every
// other field of r except Hash itself, each length-prefixed (core/internal/chain).
func Hash(r *Record) []byte {
	x := chain.Enc{B: make([]byte, 0, 160)}
	x.Str(hashVersion)
	x.Bytes(r.PrevHash)
	x.I64(r.Seq)
	x.I64(r.At.UnixNano())
	x.Str(r.Actor)
	x.Str(r.Action)
	x.Str(r.Account)
	x.Str(r.IP)
	x.Str(r.Result)
	return x.Sum()
}

// validate refuses a record the log must not store: a missing actor, action, result or
// time, text that is not UTF-8, has control characters or is longer than MaxField.
func (r *Record) validate() error {
	if r.At.IsZero() {
		return fmt.Errorf("%w: at is zero", ErrInvalid)
	}
	for _, f := range []struct{ name, v string }{{"actor", r.Actor}, {"action", r.Action}, {"result", r.Result}} {
		if f.v == "" {
			return fmt.Errorf("%w: %s is empty", ErrInvalid, f.name)
		}
	}
	for _, f := range []struct{ name, v string }{{"actor", r.Actor}, {"action", r.Action}, {"account", r.Account}, {"ip", r.IP}, {"result", r.Result}} {
		if len(f.v) > MaxField {
			return fmt.Errorf("%w: %s is %d bytes, at most %d", ErrInvalid, f.name, len(f.v), MaxField)
		}
		if !utf8.ValidString(f.v) || strings.IndexFunc(f.v, func(c rune) bool { return c < 0x20 || c == 0x7f }) >= 0 {
			return fmt.Errorf("%w: %s has invalid UTF-8 or control characters", ErrInvalid, f.name)
		}
	}
	return nil
}

// String is one line for people: "#SEQ TIME ACTOR ACTION ACCOUNT from IP: RESULT".
func (r *Record) String() string {
	return fmt.Sprintf("#%d %s %s %s %s from %s: %s", r.Seq, r.At.UTC().Format(time.RFC3339Nano), r.Actor, r.Action, orDash(r.Account), orDash(r.IP), r.Result)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Zero returns the PrevHash of the first record: 32 zero bytes.
func Zero() []byte { return chain.Zero() }
