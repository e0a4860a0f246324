package scenarios_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/scenarios"
	"github.com/tongdao/tongdao/simulator"
)

// A toy channel for the runner's own tests: a JSON protocol served by the real simulator
// engine (toyProto) and a fake adapter for it (toyChannel), so the runner is tested
// without depending on any real channel's details.

type toyOrder struct {
	merchant, no, notify, state, txn string
	amount, refunded                 int64
	paidAt                           time.Time
}

type toyRefund struct {
	merchant, no, order, notify string
	amount                      int64
	at                          time.Time
}

type toyProto struct {
	e       *simulator.Engine
	mu      sync.Mutex
	orders  map[string]*toyOrder
	refunds map[string]*toyRefund
	merch   map[string]string // id -> key
	order   []string          // refund numbers in creation order
}

func newToyProtocols() ([]simulator.Protocol, error) { return []simulator.Protocol{&toyProto{}}, nil }

func (p *toyProto) Name() string { return "toy" }

func (p *toyProto) Register(e *simulator.Engine) error {
	p.e = e
	p.Reset()
	for _, op := range []string{"pay", "query", "close", "refund", "refundquery", "bill"} {
		if err := e.Handle(simulator.Route{Path: "/toy/" + op, Op: op}, p.handle); err != nil {
			return err
		}
	}
	return nil
}

func (p *toyProto) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.orders, p.refunds, p.order = map[string]*toyOrder{}, map[string]*toyRefund{}, nil
	p.merch = map[string]string{"T100": "demo-key"}
}

func (p *toyProto) AddMerchant(raw json.RawMessage) (string, error) {
	var m struct {
		Channel string `json:"channel"`
		ID      string `json:"id"`
		Key     string `json:"key"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return "", &simulator.FieldError{Field: "body", Reason: err.Error()}
	}
	if m.ID == "" || m.Key == "" {
		return "", &simulator.FieldError{Field: "id", Reason: "id and key are required"}
	}
	p.mu.Lock()
	p.merch[m.ID] = m.Key
	p.mu.Unlock()
	return m.ID, nil
}

func (p *toyProto) Merchants() []any {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make([]string, 0, len(p.merch))
	for id := range p.merch {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]string{"id": id, "key": p.merch[id]}
	}
	return out
}

type toyReq struct {
	Merchant string `json:"merchant"`
	Order    string `json:"order"`
	Refund   string `json:"refund"`
	Amount   int64  `json:"amount"`
	Notify   string `json:"notify"`
	Day      string `json:"day"`
}

func toyReply(v any) *simulator.Reply {
	b, _ := json.Marshal(v)
	return &simulator.Reply{ContentType: "application/json", Body: b}
}

func (p *toyProto) handle(c *simulator.Call) *simulator.Reply {
	var in toyReq
	if err := json.Unmarshal(c.Body, &in); err != nil {
		return toyReply(map[string]string{"code": "BAD_REQUEST"})
	}
	op := c.Route.Op
	if c.Identify(op, in.Merchant, in.Order) {
		return nil
	}
	if bf, ok := c.BusinessFault(); ok {
		return toyReply(map[string]string{"code": bf.Code})
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.orders[in.Order]
	switch op {
	case "pay":
		if o == nil {
			o = &toyOrder{merchant: in.Merchant, no: in.Order, notify: in.Notify, state: "PENDING", amount: in.Amount,
				txn: "TX" + p.e.Rand().Digits(6)}
			p.orders[in.Order] = o
		}
		return toyReply(map[string]any{"code": "OK", "state": o.state, "amount": o.amount})
	case "query":
		if o == nil {
			return toyReply(map[string]string{"code": "NOT_FOUND"})
		}
		return toyReply(map[string]any{"code": "OK", "state": o.state, "amount": o.amount, "refunded": o.refunded, "txn": o.txn})
	case "close":
		if o == nil {
			return toyReply(map[string]string{"code": "NOT_FOUND"})
		}
		if o.state == "SUCCEEDED" || o.state == "REFUNDED" {
			return toyReply(map[string]string{"code": "ALREADY_PAID"})
		}
		o.state = "CLOSED"
		return toyReply(map[string]any{"code": "OK", "state": o.state, "amount": o.amount})
	case "refund":
		if o == nil || (o.state != "SUCCEEDED" && o.state != "REFUNDED") {
			return toyReply(map[string]string{"code": "NOT_PAID"})
		}
		if r, ok := p.refunds[in.Refund]; ok {
			return toyReply(map[string]any{"code": "OK", "state": "SUCCEEDED", "amount": r.amount})
		}
		if o.refunded+in.Amount > o.amount {
			return toyReply(map[string]string{"code": "TOO_MUCH"})
		}
		r := &toyRefund{merchant: in.Merchant, no: in.Refund, order: in.Order, notify: in.Notify, amount: in.Amount, at: c.Now()}
		p.refunds[in.Refund] = r
		p.order = append(p.order, in.Refund)
		o.refunded += in.Amount
		o.state = "REFUNDED"
		if r.notify != "" {
			_, _ = p.e.Notify(p.callback(r.merchant, r.order, r.notify, "refund", "SUCCEEDED"))
		}
		return toyReply(map[string]any{"code": "OK", "state": "SUCCEEDED", "amount": r.amount})
	case "refundquery":
		r, ok := p.refunds[in.Refund]
		if !ok {
			return toyReply(map[string]string{"code": "NOT_FOUND"})
		}
		return toyReply(map[string]any{"code": "OK", "state": "SUCCEEDED", "amount": r.amount})
	case "bill":
		day, err := clock.ParseDate(in.Day)
		if err != nil {
			return toyReply(map[string]string{"code": "BAD_REQUEST"})
		}
		p.mu.Unlock()
		recs, err := p.e.Statement(c.Context(), simulator.StatementQuery{Merchant: in.Merchant, Day: day})
		p.mu.Lock()
		var nr *simulator.NotReadyError
		if errors.As(err, &nr) {
			return toyReply(map[string]string{"code": "NOT_READY"})
		}
		if err != nil {
			return toyReply(map[string]string{"code": "SYSTEM_ERROR"})
		}
		return toyReply(map[string]any{"code": "OK", "records": recs})
	}
	return toyReply(map[string]string{"code": "BAD_REQUEST"})
}

// Pay implements simulator.Payer.
func (p *toyProto) Pay(_ context.Context, a simulator.PayerAction) (simulator.PayerResult, error) {
	p.mu.Lock()
	o, ok := p.orders[a.OutTradeNo]
	if !ok {
		p.mu.Unlock()
		return simulator.PayerResult{}, fmt.Errorf("order %q: %w", a.OutTradeNo, simulator.ErrNotFound)
	}
	if o.state != "PENDING" {
		p.mu.Unlock()
		return simulator.PayerResult{}, fmt.Errorf("order %q is %s: %w", a.OutTradeNo, o.state, simulator.ErrConflict)
	}
	o.state, o.paidAt = "SUCCEEDED", a.Time
	oc := *o
	p.mu.Unlock()
	if oc.notify != "" {
		if _, err := p.e.Notify(p.callback(oc.merchant, oc.no, oc.notify, "payment", "SUCCEEDED")); err != nil {
			return simulator.PayerResult{}, err
		}
	}
	return simulator.PayerResult{State: oc.state, ChannelTxnID: oc.txn}, nil
}

// Cancel implements simulator.Payer.
func (p *toyProto) Cancel(_ context.Context, a simulator.PayerAction) (simulator.PayerResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o, ok := p.orders[a.OutTradeNo]
	if !ok {
		return simulator.PayerResult{}, fmt.Errorf("order %q: %w", a.OutTradeNo, simulator.ErrNotFound)
	}
	if o.state != "PENDING" {
		return simulator.PayerResult{}, fmt.Errorf("order %q is %s: %w", a.OutTradeNo, o.state, simulator.ErrConflict)
	}
	o.state = "CLOSED"
	return simulator.PayerResult{State: o.state}, nil
}

func (p *toyProto) callback(merchant, order, url, kind, state string) simulator.Callback {
	key := p.merch[merchant]
	return simulator.Callback{Kind: kind, Merchant: merchant, OutTradeNo: order, URL: url,
		Schedule: []time.Duration{time.Minute, 5 * time.Minute},
		Build: func(a simulator.Attempt) (simulator.Message, error) {
			sig := key
			if a.Forged {
				sig = "forged"
			}
			b, _ := json.Marshal(map[string]string{"kind": kind, "order": order, "state": state, "sign": sig})
			return simulator.Message{ContentType: "application/json", Body: b}, nil
		},
		Acked: func(status int, body []byte) bool { return status == 200 && string(body) == "OK" },
	}
}

// StatementSpec implements simulator.StatementSource: natural days, ready at 01:00.
func (p *toyProto) StatementSpec() simulator.StatementSpec {
	return simulator.StatementSpec{Cutoff: clock.NaturalDay, ReadyAfter: time.Hour}
}

// StatementRecords implements simulator.StatementSource.
func (p *toyProto) StatementRecords(_ context.Context, q simulator.StatementQuery) ([]simulator.StatementRecord, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []simulator.StatementRecord
	nos := make([]string, 0, len(p.orders))
	for no := range p.orders {
		nos = append(nos, no)
	}
	sort.Strings(nos)
	for _, no := range nos {
		o := p.orders[no]
		if o.paidAt.IsZero() || clock.AccountingDay(o.paidAt, clock.NaturalDay) != q.Day {
			continue
		}
		out = append(out, simulator.StatementRecord{Merchant: o.merchant, Kind: "payment", OutTradeNo: o.no, Amount: money.Fen(o.amount), Time: o.paidAt, Status: "SUCCESS", SettleDate: q.Day})
	}
	for _, no := range p.order {
		r := p.refunds[no]
		if clock.AccountingDay(r.at, clock.NaturalDay) != q.Day {
			continue
		}
		out = append(out, simulator.StatementRecord{Merchant: r.merchant, Kind: "refund", OutTradeNo: r.order, OutRefundNo: r.no, Amount: money.Fen(r.amount), Time: r.at, Status: "SUCCESS", SettleDate: q.Day})
	}
	return out, nil
}

// toyChannel is the fake adapter of the toy protocol.
type toyChannel struct {
	base, merchant, key string
	hc                  *http.Client
}

func toyFactory(simURL string, m scenarios.MerchantConfig, hc *http.Client) (channel.Channel, error) {
	var doc struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	if err := json.Unmarshal(m.Config, &doc); err != nil {
		return nil, err
	}
	return &toyChannel{base: simURL, merchant: doc.ID, key: doc.Key, hc: hc}, nil
}

func (t *toyChannel) Name() string { return "toy" }
func (t *toyChannel) Info() channel.Info {
	return channel.Info{OrderNo: channel.NumberRule{MaxLen: 32}}
}
func (t *toyChannel) Methods() []channel.Method { return []channel.Method{channel.MethodQR} }

type toyAnswer struct {
	Code     string                      `json:"code"`
	State    string                      `json:"state"`
	Amount   int64                       `json:"amount"`
	Refunded int64                       `json:"refunded"`
	Txn      string                      `json:"txn"`
	Records  []simulator.StatementRecord `json:"records"`
}

func (t *toyChannel) call(ctx context.Context, op string, in toyReq) (*toyAnswer, error) {
	in.Merchant = t.merchant
	b, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/toy/"+op, bytes.NewReader(b))
	if err != nil {
		return nil, &channel.Error{Channel: "toy", Op: op, Kind: channel.KindInvalidRequest, Err: err}
	}
	resp, err := t.hc.Do(req)
	if err != nil {
		return nil, &channel.Error{Channel: "toy", Op: op, Kind: channel.KindUnknown, Code: "TRANSPORT", Err: err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var a toyAnswer
	if resp.StatusCode != 200 || json.Unmarshal(body, &a) != nil {
		return nil, &channel.Error{Channel: "toy", Op: op, Kind: channel.KindUnknown, Code: "BAD_RESPONSE", Retryable: true}
	}
	kinds := map[string]channel.Kind{"NOT_FOUND": channel.KindNotFound, "ALREADY_PAID": channel.KindAlreadyDone,
		"NOT_PAID": channel.KindDeclined, "TOO_MUCH": channel.KindInvalidRequest, "BAD_REQUEST": channel.KindInvalidRequest,
		"NOT_READY": channel.KindUnavailable, "SYSTEM_ERROR": channel.KindUnknown}
	if a.Code != "OK" {
		k, ok := kinds[a.Code]
		if !ok {
			k = channel.KindUnknown
		}
		return nil, &channel.Error{Channel: "toy", Op: op, Kind: k, Code: a.Code, Retryable: a.Code == "SYSTEM_ERROR" || a.Code == "NOT_READY"}
	}
	return &a, nil
}

var toyStates = map[string]channel.Status{"PENDING": channel.StatusPending, "SUCCEEDED": channel.StatusSucceeded,
	"CLOSED": channel.StatusClosed, "REFUNDED": channel.StatusRefunded}

func (t *toyChannel) payment(order string, a *toyAnswer, err error) (*channel.PaymentResult, error) {
	if err != nil {
		return nil, err
	}
	return &channel.PaymentResult{Status: toyStates[a.State], ChannelStatus: a.State, OrderNo: order, ChannelTxnID: a.Txn,
		Amount: money.Fen(a.Amount), RefundedAmount: money.Fen(a.Refunded)}, nil
}

func (t *toyChannel) Pay(ctx context.Context, r *channel.PayRequest) (*channel.PaymentResult, error) {
	a, err := t.call(ctx, "pay", toyReq{Order: r.OrderNo, Amount: r.Amount.Minor(), Notify: r.NotifyURL})
	return t.payment(r.OrderNo, a, err)
}

func (t *toyChannel) Query(ctx context.Context, r *channel.QueryRequest) (*channel.PaymentResult, error) {
	a, err := t.call(ctx, "query", toyReq{Order: r.OrderNo})
	return t.payment(r.OrderNo, a, err)
}

func (t *toyChannel) Close(ctx context.Context, r *channel.CloseRequest) (*channel.CloseResult, error) {
	a, err := t.call(ctx, "close", toyReq{Order: r.OrderNo})
	p, err := t.payment(r.OrderNo, a, err)
	if err != nil {
		return nil, err
	}
	return &channel.CloseResult{Outcome: channel.CloseClosed, Status: p.Status, ChannelStatus: p.ChannelStatus, OrderNo: r.OrderNo}, nil
}

func (t *toyChannel) Refund(ctx context.Context, r *channel.RefundRequest) (*channel.RefundResult, error) {
	a, err := t.call(ctx, "refund", toyReq{Order: r.OrderNo, Refund: r.RefundNo, Amount: r.Amount.Minor(), Notify: r.NotifyURL})
	if err != nil {
		return nil, err
	}
	return &channel.RefundResult{Status: toyStates[a.State], ChannelStatus: a.State, RefundNo: r.RefundNo, OrderNo: r.OrderNo, Amount: money.Fen(a.Amount)}, nil
}

func (t *toyChannel) QueryRefund(ctx context.Context, r *channel.RefundQueryRequest) (*channel.RefundResult, error) {
	a, err := t.call(ctx, "refundquery", toyReq{Order: r.OrderNo, Refund: r.RefundNo})
	if err != nil {
		return nil, err
	}
	return &channel.RefundResult{Status: toyStates[a.State], ChannelStatus: a.State, RefundNo: r.RefundNo, Amount: money.Fen(a.Amount)}, nil
}

func (t *toyChannel) ParseNotification(_ context.Context, _ http.Header, body []byte) (*channel.Notification, error) {
	var m map[string]string
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, &channel.Error{Channel: "toy", Op: "notification", Kind: channel.KindInvalidRequest, Err: err}
	}
	if m["sign"] != t.key {
		return nil, &channel.Error{Channel: "toy", Op: "notification", Kind: channel.KindSignature, Message: "bad sign"}
	}
	n := &channel.Notification{Channel: "toy", Type: channel.NotificationType(m["kind"]),
		Ack: channel.Response{StatusCode: 200, Body: []byte("OK")}, Nack: channel.Response{StatusCode: 500, Body: []byte("FAIL")}}
	if n.Type == channel.NotifyRefund {
		n.Refund = &channel.RefundResult{Status: toyStates[m["state"]], OrderNo: m["order"]}
	} else {
		n.Payment = &channel.PaymentResult{Status: toyStates[m["state"]], OrderNo: m["order"]}
	}
	return n, nil
}

func (t *toyChannel) DownloadStatement(ctx context.Context, r *channel.StatementRequest) (channel.StatementReader, error) {
	a, err := t.call(ctx, "bill", toyReq{Day: r.Date.String()})
	if err != nil {
		return nil, err
	}
	recs := make([]channel.StatementRecord, len(a.Records))
	for i, x := range a.Records {
		typ := channel.RecordPayment
		if x.Kind == "refund" {
			typ = channel.RecordRefund
		}
		recs[i] = channel.StatementRecord{Channel: "toy", Type: typ, OrderNo: x.OutTradeNo, RefundNo: x.OutRefundNo,
			Amount: x.Amount, Status: channel.StatusSucceeded, SettlementDate: x.SettleDate, Line: i + 1}
	}
	return &sliceReader{recs: recs}, nil
}

type sliceReader struct {
	recs []channel.StatementRecord
	i    int
}

func (s *sliceReader) Next(rec *channel.StatementRecord) error {
	if s.i >= len(s.recs) {
		return io.EOF
	}
	*rec = s.recs[s.i]
	s.i++
	return nil
}

func (s *sliceReader) Totals() *channel.StatementTotals { return nil }
func (s *sliceReader) Close() error                     { return nil }

func toyOptions() scenarios.Options {
	return scenarios.Options{
		Factories: map[string]scenarios.ChannelFactory{"toy": toyFactory},
		Protocols: newToyProtocols,
	}
}

// parseToy parses an inline scenario.
func parseToy(name, src string) (*scenarios.Scenario, error) {
	return scenarios.Parse(name, []byte(strings.TrimLeft(src, "\n")), scenarios.ParseOptions{Channels: []string{"toy"}})
}
