package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
)

// Problem kinds a Verify report names.
const (
	Edited    = "edited"    // a record's fields no longer hash to its stored hash
	Missing   = "missing"   // a sequence number is absent from the middle of the log
	Reordered = "reordered" // a record sits at another position than the one it was chained at
	Broken    = "broken"    // a record does not link to the hash of the record before it
	Truncated = "truncated" // the head says the log goes further than the last record
	Unheaded  = "unheaded"  // records after the head, or no head at all: written behind the log's back
	Anchor    = "anchor"    // a head exported earlier no longer matches the log
)

// Problem is one finding of Verify about the record at Seq.
type Problem struct {
	Seq     int64  `json:"seq"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

func (p Problem) String() string { return fmt.Sprintf("record %d: %s: %s", p.Seq, p.Kind, p.Message) }

// Report is the outcome of Verify.
type Report struct {
	Records  int64     `json:"records"`  // records read
	Last     Head      `json:"last"`     // the last record read
	Head     Head      `json:"head"`     // the stored head (anchor)
	Problems []Problem `json:"problems"` // in Seq order
}

// OK reports whether the log verified without problems.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// First returns the problem at the lowest Seq: the first record that cannot be trusted.
func (r *Report) First() (Problem, bool) {
	if len(r.Problems) == 0 {
		return Problem{}, false
	}
	return r.Problems[0], true
}

// VerifyOptions are extra evidence for Verify.
type VerifyOptions struct {
	// Anchors are heads exported earlier (Store.AuditHead at the time) and kept out of the
	// database's reach; the record at each anchor's Seq must still have its Hash.
	Anchors []Head
}

// suspect is a record whose link to its predecessor failed; Verify names it at the end,
// once every record's hash is known.
type suspect struct {
	rec     *Record
	edited  bool
	prevSeq int64 // the predecessor it should link to
}

// Verify reads the whole log in order and checks that the sequence is gapless, that every
// record hashes to its stored hash and links to its predecessor's, that the stored head
// is the last record, and that every anchor still matches. It names each problem by record;
// Report.First is the first record that cannot be trusted. It returns an error only when
// the log cannot be read.
func Verify(ctx context.Context, st Store, opts VerifyOptions) (*Report, error) {
	rp := &Report{}
	anchors := map[int64][]byte{}
	for _, a := range opts.Anchors {
		anchors[a.Seq] = a.Hash
	}
	// bySeq remembers every stored hash (8-byte prefix; enough to name a record) so a record
	// that links to the wrong one can be named.
	byHash := map[[8]byte]int64{}
	var suspects []suspect
	last, lastHash := int64(0), Zero()
	head, herr := st.AuditScan(ctx, func(r *Record) error {
		rp.Records++
		if r.Seq > last+1 {
			from, to := last+1, r.Seq-1
			msg := fmt.Sprintf("record %d is missing (deleted)", from)
			if to > from {
				msg = fmt.Sprintf("records %d–%d are missing (deleted)", from, to)
			}
			rp.add(from, Missing, "%s; record %d follows record %d", msg, r.Seq, last)
		}
		edited := !bytes.Equal(Hash(r), r.Hash)
		if r.Seq == last+1 && !bytes.Equal(r.PrevHash, lastHash) || edited {
			suspects = append(suspects, suspect{rec: r, edited: edited, prevSeq: r.Seq - 1})
		}
		if len(r.Hash) >= 8 {
			byHash[[8]byte(r.Hash[:8])] = r.Seq
		}
		if want, ok := anchors[r.Seq]; ok {
			if !bytes.Equal(want, r.Hash) {
				rp.add(r.Seq, Anchor, "the exported head says hash %x, the log has %x: rewritten since the head was exported", short(want), short(r.Hash))
			}
			delete(anchors, r.Seq)
		}
		last, lastHash = r.Seq, r.Hash
		return nil
	})
	if herr != nil && !errors.Is(herr, ErrNoHead) {
		return nil, herr
	}
	rp.Head = head
	rp.Last = Head{Seq: last, Hash: lastHash}
	for _, s := range suspects {
		rp.name(s, byHash)
	}
	switch {
	case errors.Is(herr, ErrNoHead):
		rp.add(last+1, Unheaded, "the head row is missing: deleted behind the log's back")
	case head.Seq > last:
		rp.add(last+1, Truncated, "the head says the log ends at record %d, the last record is %d: the tail was cut off", head.Seq, last)
	case head.Seq < last:
		what := fmt.Sprintf("records %d–%d follow", head.Seq+1, last)
		if last == head.Seq+1 {
			what = fmt.Sprintf("record %d follows", last)
		}
		rp.add(head.Seq+1, Unheaded, "%s the head (record %d): written behind the log's back", what, head.Seq)
	case !bytes.Equal(head.Hash, lastHash):
		rp.add(last, Truncated, "the head's hash %x is not record %d's hash %x: the tail was replaced", short(head.Hash), last, short(lastHash))
	}
	for seq, h := range anchors {
		if seq > last {
			rp.add(seq, Anchor, "an exported head names record %d (hash %x), the log ends at %d: the tail was cut off", seq, short(h), last)
		} else if seq > 0 {
			rp.add(seq, Anchor, "an exported head names record %d, which is missing", seq)
		}
	}
	sort.SliceStable(rp.Problems, func(i, j int) bool { return rp.Problems[i].Seq < rp.Problems[j].Seq })
	return rp, nil
}

// name classifies a record that does not hash to its stored hash or does not link to its
// predecessor.
func (rp *Report) name(s suspect, byHash map[[8]byte]int64) {
	r := s.rec
	var linked int64 = -1 // the record r's PrevHash names, if any
	if bytes.Equal(r.PrevHash, Zero()) {
		linked = 0
	} else if len(r.PrevHash) >= 8 {
		if seq, ok := byHash[[8]byte(r.PrevHash[:8])]; ok {
			linked = seq
		}
	}
	if s.edited && linked >= 0 && linked != s.prevSeq {
		// Was it chained at the position its PrevHash names? Then it was moved, not edited.
		moved := *r
		moved.Seq = linked + 1
		if bytes.Equal(Hash(&moved), r.Hash) {
			rp.add(r.Seq, Reordered, "this is record %d moved here (it links to record %d): rows reordered", linked+1, linked)
			return
		}
	}
	if s.edited {
		rp.add(r.Seq, Edited, "its fields hash to %x, the stored hash is %x: the record was edited", short(Hash(r)), short(r.Hash))
		return
	}
	switch {
	case linked >= 0 && linked != s.prevSeq:
		rp.add(r.Seq, Reordered, "it links to record %d, not to record %d: rows reordered", linked, s.prevSeq)
	default:
		// The predecessor's stored hash is not what r was chained after: the predecessor was
		// rewritten together with its hash.
		rp.add(s.prevSeq, Broken, "its stored hash is not the prev_hash %x that record %d was chained after: record %d was rewritten (hash recomputed)", short(r.PrevHash), r.Seq, s.prevSeq)
	}
}

func (rp *Report) add(seq int64, kind, format string, args ...any) {
	rp.Problems = append(rp.Problems, Problem{Seq: seq, Kind: kind, Message: fmt.Sprintf(format, args...)})
}

func short(b []byte) []byte {
	if len(b) > 6 {
		return b[:6]
	}
	return b
}
