// Package chain holds what tongdao's hash-chained logs share: an unambiguous length-prefixed
// encoding of a record's fields for hashing, and the 32-byte zero hash that the first record
// of a chain links to. The ledger's journal and change log (core/ledger) and the audit log
// (core/audit) hash their records with it, so a record's hash is SHA-256 over
// Enc-encoded fields, always starting with a version tag and the previous record's hash.
package chain

import (
	"crypto/sha256"
	"encoding/binary"
)

// Size is the length of a chain hash (SHA-256).
const Size = sha256.Size

var zero = make([]byte, Size)

// Zero returns the hash the first record of a chain links to: 32 zero bytes (a fresh copy).
func Zero() []byte { return append([]byte(nil), zero...) }

// Enc is a tiny length-prefixed encoder: strings and byte slices carry their length as a
// uvarint, integers are varints, so two different field lists never encode to the same
// bytes. B is the encoding so far.
type Enc struct{ B []byte }

// Str appends s with its length.
func (e *Enc) Str(s string) {
	e.B = binary.AppendUvarint(e.B, uint64(len(s)))
	e.B = append(e.B, s...)
}

// Bytes appends p with its length.
func (e *Enc) Bytes(p []byte) {
	e.B = binary.AppendUvarint(e.B, uint64(len(p)))
	e.B = append(e.B, p...)
}

// I64 appends v as a varint.
func (e *Enc) I64(v int64) { e.B = binary.AppendVarint(e.B, v) }

// Sum returns SHA-256 of what was encoded.
func (e *Enc) Sum() []byte {
	s := sha256.Sum256(e.B)
	return s[:]
}
