package simulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/tongdao/tongdao/core/clock"
)

// maxControlBody caps control API request bodies.
const maxControlBody = 1 << 20

// controlHandler builds the control API router (JSON under /_sim/). Every error answer is
// {"error": "...", "field": "..."} with 400 for bad input (naming the field), 404 for
// unknown things, 409 for actions the state does not allow.
func (s *Server) controlHandler() http.Handler {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "", "no such control endpoint; see GET /_sim/")
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "", "method not allowed")
	})
	r.HandleFunc("/_sim/", s.ctlIndex).Methods(http.MethodGet)
	r.HandleFunc("/_sim", s.ctlIndex).Methods(http.MethodGet)
	r.HandleFunc("/_sim/reset", s.ctlReset).Methods(http.MethodPost)
	r.HandleFunc("/_sim/merchants", s.ctlMerchants).Methods(http.MethodGet)
	r.HandleFunc("/_sim/merchants", s.ctlAddMerchant).Methods(http.MethodPost)
	r.HandleFunc("/_sim/faults", s.ctlFaults).Methods(http.MethodGet)
	r.HandleFunc("/_sim/faults", s.ctlAddFault).Methods(http.MethodPost)
	r.HandleFunc("/_sim/faults/{id}", s.ctlDeleteFault).Methods(http.MethodDelete)
	r.HandleFunc("/_sim/payer/pay", s.ctlPayer("pay")).Methods(http.MethodPost)
	r.HandleFunc("/_sim/payer/cancel", s.ctlPayer("cancel")).Methods(http.MethodPost)
	r.HandleFunc("/_sim/clock", s.ctlClock).Methods(http.MethodGet)
	r.HandleFunc("/_sim/clock/advance", s.ctlAdvance).Methods(http.MethodPost)
	r.HandleFunc("/_sim/clock/set", s.ctlSet).Methods(http.MethodPost)
	r.HandleFunc("/_sim/records", s.ctlRecords).Methods(http.MethodGet)
	r.HandleFunc("/_sim/stats", s.ctlStats).Methods(http.MethodGet)
	r.HandleFunc("/_sim/statements/{channel}/{date}", s.ctlStatement).Methods(http.MethodGet)
	r.HandleFunc("/_sim/{channel}/{path:.+}", s.ctlProtocol).Methods(http.MethodGet, http.MethodPost)
	return r
}

type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"encoding the answer failed"}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeError(w http.ResponseWriter, status int, field, msg string) {
	writeJSON(w, status, apiError{Error: msg, Field: field})
}

// writeErr maps err to a status: *FieldError/ErrInvalid 400, ErrNotFound 404, ErrConflict
// 409, anything else 500.
func writeErr(w http.ResponseWriter, err error) {
	var fe *FieldError
	var nr *NotReadyError
	switch {
	case errors.As(err, &nr):
		writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error(), "ready_at": nr.ReadyAt.Format(time.RFC3339)})
	case errors.As(err, &fe):
		writeError(w, http.StatusBadRequest, fe.Field, err.Error())
	case errors.Is(err, ErrInvalid):
		writeError(w, http.StatusBadRequest, "", err.Error())
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "", err.Error())
	case errors.Is(err, ErrConflict):
		writeError(w, http.StatusConflict, "", err.Error())
	case errors.Is(err, ErrNotVirtual):
		writeError(w, http.StatusConflict, "", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "", err.Error())
	}
}

// readBody reads a control request body (empty is allowed and reads as "{}").
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
	if err != nil {
		return nil, fieldErr("body", "reading: %v", err)
	}
	if len(b) > maxControlBody {
		return nil, fieldErr("body", "larger than %d bytes", maxControlBody)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return []byte("{}"), nil
	}
	return b, nil
}

func (s *Server) ctlIndex(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"channels": s.Channels(),
		"endpoints": []string{
			"POST /_sim/reset {seed?, time?}", "GET /_sim/merchants", "POST /_sim/merchants",
			"GET /_sim/faults", "POST /_sim/faults", "DELETE /_sim/faults/{id}",
			"POST /_sim/payer/pay", "POST /_sim/payer/cancel",
			"GET /_sim/clock", "POST /_sim/clock/advance", "POST /_sim/clock/set",
			"GET /_sim/records?channel=&out_trade_no=&kind=&after=&format=jsonl",
			"GET /_sim/statements/{channel}/{yyyy-mm-dd}?merchant=&type=&format=raw",
			"GET /_sim/stats",
			"GET|POST /_sim/{channel}/{path} (protocol-specific, e.g. GET /_sim/bank/sms?merchant=&bind_no=)",
		},
	})
}

// ctlProtocol hands /_sim/{channel}/{path} to the protocol's Controller.
func (s *Server) ctlProtocol(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	ctl, ok := s.Protocol(vars["channel"]).(Controller)
	if !ok {
		writeError(w, http.StatusNotFound, "", "no such control endpoint; see GET /_sim/")
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	v, err := ctl.Control(r.Context(), r.Method, vars["path"], r.URL.Query(), body)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// DecodeReset parses an optional reset body {"seed": 7, "time": "2024-06-03T10:00:00+08:00"}
// (empty = a plain reset).
func DecodeReset(data []byte) (ResetOptions, error) {
	var in struct {
		Seed *uint64 `json:"seed"`
		Time *string `json:"time"`
	}
	if err := decodeStrict(data, &in); err != nil {
		return ResetOptions{}, err
	}
	o := ResetOptions{Seed: in.Seed}
	if in.Time != nil {
		t, err := time.Parse(time.RFC3339Nano, *in.Time)
		if err != nil {
			return ResetOptions{}, fieldErr("time", "want RFC 3339 like 2024-06-03T10:00:00+08:00")
		}
		o.Time = &t
	}
	return o, nil
}

func (s *Server) ctlReset(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r)
	var o ResetOptions
	if err == nil {
		o, err = DecodeReset(b)
	}
	if err == nil {
		err = s.ResetWith(o)
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"reset": true, "now": s.clk.Now().In(clock.Beijing()).Format(time.RFC3339), "seed": s.rand.Seed()})
}

// Merchants returns every channel's merchants, by channel name.
func (s *Server) Merchants() map[string][]any {
	out := make(map[string][]any, len(s.engines))
	for _, e := range s.engines {
		out[e.name] = e.proto.Merchants()
	}
	return out
}

func (s *Server) ctlMerchants(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"merchants": s.Merchants()})
}

// AddMerchant adds a merchant from one JSON object {"channel": "...", ...channel fields}
// and returns the channel and merchant id.
func (s *Server) AddMerchant(raw []byte) (channel, id string, err error) {
	var head map[string]json.RawMessage
	if err := json.Unmarshal(raw, &head); err != nil || head == nil {
		return "", "", fieldErr("body", "want a JSON object")
	}
	cr, ok := head["channel"]
	if !ok {
		return "", "", fieldErr("channel", "required")
	}
	if err := json.Unmarshal(cr, &channel); err != nil {
		return "", "", fieldErr("channel", "must be a string")
	}
	e, ok := s.byName[channel]
	if !ok {
		return "", "", fieldErr("channel", "unknown channel %q", channel)
	}
	id, err = e.proto.AddMerchant(json.RawMessage(raw))
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) || errors.Is(err, ErrInvalid) {
			return "", "", err
		}
		return "", "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return channel, id, nil
}

// LoadMerchants adds every merchant of a JSON array of merchant objects (the format of
// `sim serve --merchants FILE`). It stops at the first bad one, naming its index.
func (s *Server) LoadMerchants(data []byte) (int, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(data, &list); err != nil {
		return 0, fieldErr("merchants", "want a JSON array of merchant objects: %v", err)
	}
	for i, raw := range list {
		if _, _, err := s.AddMerchant(raw); err != nil {
			return i, fmt.Errorf("merchants[%d]: %w", i, err)
		}
	}
	return len(list), nil
}

func (s *Server) ctlAddMerchant(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	ch, id, err := s.AddMerchant(b)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"channel": ch, "id": id})
}

func (s *Server) ctlFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"faults": s.Faults()})
}

func (s *Server) ctlAddFault(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	p, err := DecodeFaultPlan(b)
	if err != nil {
		writeErr(w, err)
		return
	}
	if p.Channel != "" {
		if _, ok := s.byName[p.Channel]; !ok {
			writeErr(w, fieldErr("channel", "unknown channel %q", p.Channel))
			return
		}
	}
	id, err := s.AddFault(p)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

func (s *Server) ctlDeleteFault(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	if !s.RemoveFault(id) {
		writeError(w, http.StatusNotFound, "id", fmt.Sprintf("no fault plan %q", id))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"deleted": id})
}

// DecodePayerAction parses a payer control request
// {"channel","out_trade_no","merchant"?,"card"?,"options"?}, refusing unknown fields.
func DecodePayerAction(data []byte) (PayerAction, error) {
	var a PayerAction
	if err := decodeStrict(data, &a); err != nil {
		return PayerAction{}, err
	}
	switch {
	case a.Channel == "":
		return PayerAction{}, fieldErr("channel", "required")
	case a.OutTradeNo == "":
		return PayerAction{}, fieldErr("out_trade_no", "required")
	}
	return a, nil
}

func (s *Server) ctlPayer(op string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := readBody(r)
		if err != nil {
			writeErr(w, err)
			return
		}
		a, err := DecodePayerAction(b)
		if err != nil {
			writeErr(w, err)
			return
		}
		out, err := s.payer(r.Context(), a, op)
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

type clockView struct {
	Now              string `json:"now"`
	Mode             string `json:"mode"`
	PendingTimers    int    `json:"pending_timers"`
	PendingCallbacks int    `json:"pending_callbacks"`
	NextDue          string `json:"next_due,omitempty"`
}

func (s *Server) clockView() clockView {
	v := clockView{Now: s.clk.Now().In(clock.Beijing()).Format(time.RFC3339Nano), Mode: "wall", PendingCallbacks: s.notify.count()}
	if s.virt != nil {
		v.Mode = "virtual"
		v.PendingTimers = s.virt.Pending()
		if t, ok := s.virt.NextDue(); ok {
			v.NextDue = t.In(clock.Beijing()).Format(time.RFC3339Nano)
		}
	}
	return v
}

func (s *Server) ctlClock(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.clockView())
}

// DecodeAdvance parses {"duration":"90s"}.
func DecodeAdvance(data []byte) (time.Duration, error) {
	var in struct {
		Duration *Duration `json:"duration"`
	}
	if err := decodeStrict(data, &in); err != nil {
		return 0, err
	}
	if in.Duration == nil {
		return 0, fieldErr("duration", "required (e.g. \"90s\")")
	}
	if *in.Duration < 0 {
		return 0, fieldErr("duration", "must not be negative")
	}
	return time.Duration(*in.Duration), nil
}

// DecodeSetTime parses {"time":"2024-06-03T23:59:00+08:00"} (RFC 3339).
func DecodeSetTime(data []byte) (time.Time, error) {
	var in struct {
		Time *string `json:"time"`
	}
	if err := decodeStrict(data, &in); err != nil {
		return time.Time{}, err
	}
	if in.Time == nil {
		return time.Time{}, fieldErr("time", "required (RFC 3339)")
	}
	t, err := time.Parse(time.RFC3339Nano, *in.Time)
	if err != nil {
		return time.Time{}, fieldErr("time", "want RFC 3339 like 2024-06-03T23:59:00+08:00")
	}
	return t, nil
}

// clockBody reads and decodes the body of a clock request on a virtual clock. On any error
// it answers the request itself and reports false.
func clockBody[T any](s *Server, w http.ResponseWriter, r *http.Request, decode func([]byte) (T, error)) (T, bool) {
	var v T
	b, err := readBody(r)
	if err == nil {
		v, err = decode(b)
	}
	if err == nil && s.virt == nil {
		err = ErrNotVirtual
	}
	if err != nil {
		writeErr(w, err)
		return v, false
	}
	return v, true
}

func (s *Server) ctlAdvance(w http.ResponseWriter, r *http.Request) {
	d, ok := clockBody(s, w, r, DecodeAdvance)
	if !ok {
		return
	}
	if err := s.checkAdvance(d); err != nil {
		writeErr(w, err)
		return
	}
	s.record(Record{Kind: RecordClock, Note: "advance " + d.String()})
	if err := s.Advance(d); err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.clockView())
}

func (s *Server) ctlSet(w http.ResponseWriter, r *http.Request) {
	t, ok := clockBody(s, w, r, DecodeSetTime)
	if !ok {
		return
	}
	if t.Before(s.clk.Now()) {
		writeErr(w, fieldErr("time", "before the current time %s; the clock never moves backwards", s.clk.Now().In(clock.Beijing()).Format(time.RFC3339)))
		return
	}
	if err := checkTime(t); err != nil {
		writeErr(w, &FieldError{Field: "time", Reason: err.Error()})
		return
	}
	s.record(Record{Kind: RecordClock, Note: "set " + t.In(clock.Beijing()).Format(time.RFC3339Nano)})
	if err := s.SetTime(t); err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.clockView())
}

func (s *Server) ctlRecords(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := RecordFilter{Channel: q.Get("channel"), OutTradeNo: q.Get("out_trade_no"), Kind: q.Get("kind")}
	if a := q.Get("after"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 0 {
			writeErr(w, fieldErr("after", "want a record sequence number"))
			return
		}
		f.AfterSeq = n
	}
	switch q.Get("format") {
	case "jsonl":
		w.Header().Set("Content-Type", "application/x-ndjson")
		_ = s.WriteTranscript(w, f)
	case "", "json":
		recs := s.Records(f)
		if recs == nil {
			recs = []Record{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"records": recs})
	default:
		writeErr(w, fieldErr("format", "want json or jsonl"))
	}
}

// Stats is a snapshot of the simulator's bookkeeping, for GET /_sim/stats.
type Stats struct {
	Records          int   `json:"records"`           // records held in memory
	RecordsDropped   int64 `json:"records_dropped"`   // oldest records dropped past Config.MaxRecords
	PendingCallbacks int   `json:"pending_callbacks"` // callbacks waiting for an attempt
	Faults           int   `json:"faults"`            // active fault plans
	// CallbacksSending and CallbacksQueued are the callback attempts on the wire and
	// waiting for a free slot (Config.CallbackWorkers, CallbackHostLimit);
	// CallbacksQueuedMax is the most ever waiting at once.
	CallbacksSending   int `json:"callbacks_sending"`
	CallbacksQueued    int `json:"callbacks_queued"`
	CallbacksQueuedMax int `json:"callbacks_queued_max"`
	// CallbackLatenessMax is, on the wall clock, the longest an attempt started after its
	// due time, RetryLatenessMax the same over retries (0 on the virtual clock, where
	// attempts start when due by definition).
	CallbackLatenessMax Duration `json:"callback_lateness_max"`
	RetryLatenessMax    Duration `json:"retry_lateness_max"`
}

// Stats returns a snapshot of the simulator's bookkeeping.
func (s *Server) Stats() Stats {
	held, dropped := s.rec.stats()
	ds := s.disp.stats()
	if s.virt != nil {
		ds.maxLate, ds.maxRetryLate = 0, 0
	}
	return Stats{Records: held, RecordsDropped: dropped, PendingCallbacks: s.notify.count(), Faults: len(s.faults.list()),
		CallbacksSending: ds.running, CallbacksQueued: ds.queued, CallbacksQueuedMax: ds.maxQueue,
		CallbackLatenessMax: Duration(ds.maxLate), RetryLatenessMax: Duration(ds.maxRetryLate)}
}

func (s *Server) ctlStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

// StatementView is the control API's view of one statement.
type StatementView struct {
	Channel string            `json:"channel"`
	Day     clock.Date        `json:"day"`
	ReadyAt time.Time         `json:"ready_at"`
	Records []StatementRecord `json:"records"`
}

func (s *Server) ctlStatement(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	e, ok := s.byName[v["channel"]]
	if !ok {
		writeError(w, http.StatusNotFound, "channel", fmt.Sprintf("unknown channel %q", v["channel"]))
		return
	}
	day, err := clock.ParseDate(v["date"])
	if err != nil {
		writeErr(w, fieldErr("date", "want yyyy-mm-dd"))
		return
	}
	q := r.URL.Query()
	sq := StatementQuery{Merchant: q.Get("merchant"), Day: day, Type: q.Get("type")}
	format := q.Get("format")
	if format != "" && format != "json" && format != "raw" {
		writeErr(w, fieldErr("format", "want json or raw"))
		return
	}
	recs, err := e.Statement(r.Context(), sq)
	if err != nil {
		writeErr(w, err)
		return
	}
	if format == "raw" {
		rr, ok := e.proto.(StatementRenderer)
		if !ok {
			writeError(w, http.StatusNotFound, "format", "channel "+e.name+" cannot render its statement format")
			return
		}
		var buf bytes.Buffer
		ct, err := rr.RenderStatement(r.Context(), sq, recs, &buf)
		if err != nil {
			writeErr(w, err)
			return
		}
		writeReply(w, &Reply{ContentType: ct, Body: buf.Bytes()})
		return
	}
	if recs == nil {
		recs = []StatementRecord{}
	}
	writeJSON(w, http.StatusOK, StatementView{Channel: e.name, Day: day, ReadyAt: e.StatementReadyAt(day).In(clock.Beijing()), Records: recs})
}
