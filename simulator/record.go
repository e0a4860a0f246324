package simulator

import (
	"bufio"
	"encoding/json"
	"io"
	"sync"
	"time"
	"unicode/utf8"
)

// Record kinds.
const (
	RecordCall     = "call"     // an inbound protocol request and the answer (or the fault instead of one)
	RecordCallback = "callback" // one callback attempt and the merchant's acknowledgement
	RecordPayer    = "payer"    // a payer action
	RecordFault    = "fault"    // a fault that acted outside a call (dropped/held callback, statement)
	RecordClock    = "clock"    // the virtual clock was moved through the control API
	RecordEvent    = "event"    // anything else a protocol or the engine notes
)

// Record is one entry of the simulator's transcript. Times are the simulator clock's (the
// virtual time in virtual mode). Bodies are kept as text; a body that is not valid UTF-8 is
// kept in BodyBase64 fields instead, so transcripts are byte-stable.
type Record struct {
	Seq        int64     `json:"seq"`
	Time       time.Time `json:"time"`
	Kind       string    `json:"kind"`
	Channel    string    `json:"channel,omitempty"`
	Op         string    `json:"op,omitempty"`
	Merchant   string    `json:"merchant,omitempty"`
	OutTradeNo string    `json:"out_trade_no,omitempty"`
	Method     string    `json:"method,omitempty"`
	URL        string    `json:"url,omitempty"` // path of a call; target of a callback
	Request    string    `json:"request,omitempty"`
	// RequestLen is the request body's full length in bytes when Request holds only its
	// first Config.MaxRecordBody bytes (0 when Request is whole).
	RequestLen int    `json:"request_len,omitempty"`
	Status     int    `json:"status,omitempty"`
	Response   string `json:"response,omitempty"`
	// ResponseLen is the response body's (or the merchant's answer's) full length when
	// Response holds only a prefix.
	ResponseLen int      `json:"response_len,omitempty"`
	Attempt     int      `json:"attempt,omitempty"` // callbacks: 1-based attempt number
	Acked       bool     `json:"acked,omitempty"`   // callbacks: the channel's ack rule held
	Faults      []string `json:"faults,omitempty"`  // fault plan kinds and ids that acted ("timeout_after:f2")
	Error       string   `json:"error,omitempty"`
	Note        string   `json:"note,omitempty"`
}

// RecordFilter selects records; empty fields match anything.
type RecordFilter struct {
	Channel    string
	OutTradeNo string
	Kind       string
	AfterSeq   int64 // only records with Seq > AfterSeq
}

func (f RecordFilter) match(r *Record) bool {
	return (f.Channel == "" || f.Channel == r.Channel) &&
		(f.OutTradeNo == "" || f.OutTradeNo == r.OutTradeNo) &&
		(f.Kind == "" || f.Kind == r.Kind) &&
		r.Seq > f.AfterSeq
}

// recorder is an append-only log with an optional bound: past max records the oldest are
// dropped (counted in dropped), so a long wall-clock run cannot grow without limit.
type recorder struct {
	mu      sync.Mutex
	seq     int64
	buf     []Record // ring when max > 0 and full
	start   int      // index of the oldest record in buf
	max     int
	dropped int64
}

func (r *recorder) add(rec Record) int64 {
	r.mu.Lock()
	r.seq++
	rec.Seq = r.seq
	if r.max > 0 && len(r.buf) >= r.max {
		r.buf[r.start] = rec
		r.start = (r.start + 1) % len(r.buf)
		r.dropped++
	} else {
		r.buf = append(r.buf, rec)
	}
	s := r.seq
	r.mu.Unlock()
	return s
}

// stats returns the number of records held and dropped so far.
func (r *recorder) stats() (held int, dropped int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.buf), r.dropped
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.seq, r.buf, r.start, r.dropped = 0, nil, 0, 0
	r.mu.Unlock()
}

// each calls fn for every record in order, under the lock.
func (r *recorder) each(fn func(*Record) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.buf)
	for i := 0; i < n; i++ {
		if !fn(&r.buf[(r.start+i)%n]) {
			return
		}
	}
}

func (r *recorder) filter(f RecordFilter) []Record {
	var out []Record
	r.each(func(rec *Record) bool {
		if f.match(rec) {
			out = append(out, *rec)
		}
		return true
	})
	return out
}

// writeJSONL writes the matching records as JSON lines: the transcript format, byte-stable
// for a seed and a sequential scenario.
func (r *recorder) writeJSONL(w io.Writer, f RecordFilter) error {
	recs := r.filter(f) // copied first: a slow reader must not hold up recording
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// clipBody returns the first max bytes of b as recordable text (cut back to a whole UTF-8
// character) and len(b), or all of b and 0 when it fits (max < 0: never cut). A record
// holds at most max bytes per body however large the body was: the transcript's memory
// is bounded by MaxRecords × the bodies' caps, not by what clients and merchants send.
func clipBody(b []byte, max int) (string, int) {
	if max < 0 || len(b) <= max {
		return bodyText(b), 0
	}
	c := b[:max]
	for i := 0; i < utf8.UTFMax && len(c) > 0 && !utf8.Valid(c); i++ {
		c = c[:len(c)-1]
	}
	if !utf8.Valid(c) {
		c = b[:max]
	}
	return bodyText(c), len(b)
}

// bodyText returns b as recordable text: itself if valid UTF-8, else a base64 marker.
func bodyText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return "base64:" + base64Std(b)
}
