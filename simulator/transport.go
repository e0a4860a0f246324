package simulator

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"sync"
)

// ErrConnectionClosed is what an in-process client sees when a fault plan withholds the
// response (timeout_before, timeout_after): like a server closing the socket.
var ErrConnectionClosed = errors.New("simulator: connection closed by server without a response")

// ErrConnectionReset is what an in-process client sees for a reset fault.
var ErrConnectionReset = errors.New("simulator: connection reset by peer")

// HandlerTransport returns an http.RoundTripper that serves every request with h in the
// calling goroutine, without a network: for adapters under test (point their http.Client at
// it) and for delivering callbacks to an in-process merchant (Config.CallbackTransport).
// Fault plans that drop the connection make RoundTrip return ErrConnectionClosed or
// ErrConnectionReset. The request's URL host is ignored.
func HandlerTransport(h http.Handler) http.RoundTripper { return handlerTransport{h} }

// Transport returns an in-process transport to s (HandlerTransport(s)).
func (s *Server) Transport() http.RoundTripper { return handlerTransport{s} }

type handlerTransport struct{ h http.Handler }

var memPool = sync.Pool{New: func() any { return new(memWriter) }}

func (t handlerTransport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	sreq := req.Clone(req.Context())
	sreq.RequestURI = req.URL.RequestURI()
	if sreq.Host == "" {
		sreq.Host = req.URL.Host
	}
	sreq.RemoteAddr = "192.0.2.1:40000"
	if sreq.Body == nil {
		sreq.Body = http.NoBody
	}
	w := memPool.Get().(*memWriter)
	w.reset()
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			err = ErrConnectionClosed
		}
		memPool.Put(w)
	}()
	t.h.ServeHTTP(w, sreq)
	if req.Body != nil {
		_ = req.Body.Close()
	}
	switch w.aborted {
	case 1:
		return nil, ErrConnectionClosed
	case 2:
		return nil, ErrConnectionReset
	}
	body := append([]byte(nil), w.buf.Bytes()...)
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          &bodyReader{Reader: bytes.NewReader(body)},
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

type bodyReader struct{ *bytes.Reader }

func (bodyReader) Close() error { return nil }

// memWriter is the in-process http.ResponseWriter.
type memWriter struct {
	header  http.Header
	status  int
	buf     bytes.Buffer
	aborted int // 1 closed, 2 reset
}

func (w *memWriter) reset() {
	w.header = make(http.Header)
	w.status = 0
	w.buf.Reset()
	w.aborted = 0
}

func (w *memWriter) Header() http.Header { return w.header }

func (w *memWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *memWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.buf.Write(b)
}

func (w *memWriter) abort(reset bool) {
	w.aborted = 1
	if reset {
		w.aborted = 2
	}
}
