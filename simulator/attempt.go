package simulator

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// One callback attempt, from message to record: a job's steps are built (Callback.Build),
// sent (Server.deliver) and recorded, by sendJob's rules (dispatch.go).

// step is one attempt of a job: built, sent, then recorded.
type step struct {
	a     Attempt
	p     FaultPlan // the fault plan behind an extra attempt (forged, tampered, duplicate)
	rec   Record
	msg   Message
	built bool // build ran (ok: it succeeded)
	ok    bool
	err   error // delivery error, logged when recorded
}

// job is what one timer firing of a delivery sends: its steps in order (a forged or
// tampered attempt right before the genuine one), then after with whether the last step
// counts as acknowledged.
type job struct {
	d     *delivery
	steps []*step
	after func(d *delivery, acked bool)
}

// initRecord starts the step's record: what the attempt is, before any message.
func (d *delivery) initRecord(st *step) {
	st.a.Time = d.e.s.clk.Now()
	st.rec = Record{Kind: RecordCallback, Channel: d.e.name, Op: d.cb.Kind, Merchant: d.cb.Merchant,
		OutTradeNo: d.cb.OutTradeNo, URL: d.cb.URL, Attempt: st.a.N}
	if st.p.Kind != "" {
		st.rec.Faults = []string{faultTag(st.p)}
	}
	if st.a.Tamper != "" {
		st.rec.Note = "tampered " + st.a.Tamper + ": correctly signed, content changed; its acknowledgement does not count"
	}
}

// build makes the step's message and its record's request part.
func (d *delivery) build(st *step) {
	s := d.e.s
	st.built = true
	d.initRecord(st)
	msg, err := d.cb.Build(st.a)
	if err != nil {
		st.rec.Error = "build: " + err.Error()
		s.log.Error("callback not built", "channel", d.e.name, "kind", d.cb.Kind, "out_trade_no", d.cb.OutTradeNo, "err", err)
		return
	}
	st.ok, st.msg = true, msg
	st.rec.Method = d.cb.Method
	if st.rec.Method == "" {
		st.rec.Method = http.MethodPost
	}
	// Protocols that re-send one signed body (WeChat) get its text converted once.
	if len(msg.Body) > 0 && len(msg.Body) == len(d.lastBody) && &msg.Body[0] == &d.lastBody[0] {
		st.rec.Request, st.rec.RequestLen = d.lastText, d.lastLen
	} else {
		st.rec.Request, st.rec.RequestLen = clipBody(msg.Body, s.cfg.MaxRecordBody)
		d.lastBody, d.lastText, d.lastLen = msg.Body, st.rec.Request, st.rec.RequestLen
	}
}

// send delivers a built step and fills in the merchant's answer. A delivery's steps never
// run concurrently (one job per delivery at a time), so its caches need no lock.
func (d *delivery) send(st *step) {
	if !st.ok {
		return
	}
	s := d.e.s
	msg := st.msg
	var (
		ar  *attemptReq
		req *http.Request
		rb  *reqBody
		hdr http.Header
	)
	if s.cbNetwork {
		// net/http may still be writing a body after RoundTrip returns: never share one.
		req, rb, hdr = new(http.Request), new(reqBody), d.header(msg)
	} else {
		// In-process, requests come from a pool: RoundTrip's contract lets a caller reuse
		// a request once the response body is closed, and a pooled one is still in the
		// cache, unlike one kept per delivery (100k in flight). After a transport error it
		// is dropped (the transport may still hold it).
		ar = attemptPool.Get().(*attemptReq)
		req, rb = &ar.req, &ar.rb
		if msg.Header == nil {
			clear(ar.hdr)
			if msg.ContentType != "" {
				ar.ct[0] = msg.ContentType
				ar.hdr["Content-Type"] = ar.ct[:]
			}
			hdr = ar.hdr
		} else {
			hdr = d.header(msg)
		}
	}
	rb.Reset(msg.Body)
	*req = http.Request{Method: st.rec.Method, URL: d.target, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: hdr, Body: rb, ContentLength: int64(len(msg.Body)), Host: d.host}
	bp := ackPool.Get().(*[]byte)
	defer ackPool.Put(bp)
	status, body, err := s.deliver(req, d.cb.Timeout, (*bp)[:0])
	*bp = body[:0]
	if ar != nil && err == nil {
		*req = http.Request{} // drop references to the delivery's URL and body
		rb.Reset(nil)
		attemptPool.Put(ar)
	}
	st.rec.Status = status
	if d.lastRLen == 0 && string(body) == d.lastResp {
		st.rec.Response = d.lastResp
	} else {
		st.rec.Response, st.rec.ResponseLen = clipBody(body, s.cfg.MaxRecordBody)
		d.lastResp, d.lastRLen = st.rec.Response, st.rec.ResponseLen
	}
	if err != nil {
		st.err = err
		st.rec.Error = err.Error()
		return
	}
	st.rec.Acked = d.cb.Acked(status, body)
}

// record writes a sent (or skipped) step to the transcript and reports whether it counts
// as the merchant's acknowledgement: extra attempts never do.
func (d *delivery) record(st *step) bool {
	s := d.e.s
	s.record(st.rec)
	if st.err != nil {
		s.log.Warn("callback delivery failed", "channel", d.e.name, "kind", d.cb.Kind, "merchant", d.cb.Merchant,
			"out_trade_no", d.cb.OutTradeNo, "url", d.cb.URL, "attempt", st.a.N, "err", st.err)
	}
	a := st.a
	return st.rec.Acked && !a.Forged && !a.Duplicate && a.Tamper == ""
}

// finish records the job's steps in order and runs its follow-up.
func (j *job) finish() {
	acked := false
	for _, st := range j.steps {
		acked = j.d.record(st)
	}
	if j.after != nil {
		j.after(j.d, acked)
	}
	j.d.e.s.notify.jobDone()
}

// header returns the request header of an attempt carrying msg: Content-Type plus
// msg.Header, kept per delivery while msg brings no headers of its own.
func (d *delivery) header(msg Message) http.Header {
	if msg.Header != nil || d.hdr == nil || d.hdrCT != msg.ContentType {
		d.hdr = make(http.Header, len(msg.Header)+1)
		for k, v := range msg.Header {
			d.hdr[k] = v
		}
		if msg.ContentType != "" {
			d.hdr["Content-Type"] = []string{msg.ContentType}
		}
		d.hdrCT = msg.ContentType
	}
	return d.hdr
}

// attemptReq is a reusable in-process callback request (see attemptPool).
type attemptReq struct {
	req http.Request
	rb  reqBody
	hdr http.Header
	ct  [1]string
}

// attemptPool recycles in-process callback requests across deliveries.
var attemptPool = sync.Pool{New: func() any { return &attemptReq{hdr: make(http.Header, 1)} }}

// reqBody is a reusable callback request body.
type reqBody struct{ bytes.Reader }

// Close implements io.Closer; the bytes stay with the delivery.
func (*reqBody) Close() error { return nil }

// ackPool recycles the buffers acknowledgements are read into.
var ackPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxAckBody caps how much of a merchant's acknowledgement is read.
const maxAckBody = 64 << 10

// deliver sends one message with the callback transport. It does not follow redirects.
// Over the network (an *http.Transport) the attempt is bounded by timeout (wall time); an
// in-process transport answers synchronously and is not given a deadline.
func (s *Server) deliver(req *http.Request, timeout time.Duration, buf []byte) (int, []byte, error) {
	if _, network := s.cbTransport.(*http.Transport); network {
		if timeout <= 0 {
			timeout = s.cfg.CallbackTimeout
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		req = req.WithContext(ctx)
	}
	resp, err := s.cbTransport.RoundTrip(req)
	if err != nil {
		return 0, buf, fmt.Errorf("callback delivery: %w", err)
	}
	defer resp.Body.Close()
	for len(buf) < maxAckBody {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := resp.Body.Read(buf[len(buf):min(cap(buf), maxAckBody)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return resp.StatusCode, buf, fmt.Errorf("callback answer: %w", err)
		}
	}
	return resp.StatusCode, buf, nil
}
