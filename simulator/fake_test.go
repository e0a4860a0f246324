package simulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/simulator"
)

// fakeProto is a minimal channel used to exercise the engine: JSON requests at /fake/pay
// and /fake/query, payer actions, callbacks with a short schedule, statements.
type fakeProto struct {
	e        *simulator.Engine
	schedule []time.Duration // nil = fakeSchedule
	mu       sync.Mutex
	orders   map[string]*fakeOrder
	merch    map[string]string // id -> key
}

type fakeOrder struct {
	merchant, outTradeNo, notifyURL, state, txnID string
	amount                                        money.Amount
	paidAt                                        time.Time
}

var fakeSchedule = []time.Duration{15 * time.Second, 15 * time.Second, 30 * time.Second}

func newFake() *fakeProto { return &fakeProto{} }

func (p *fakeProto) sched() []time.Duration {
	if p.schedule != nil {
		return p.schedule
	}
	return fakeSchedule
}

func (p *fakeProto) Name() string { return "fake" }

func (p *fakeProto) Register(e *simulator.Engine) error {
	p.e = e
	p.Reset()
	if err := e.Handle(simulator.Route{Path: "/fake/pay", Op: "pay"}, p.pay); err != nil {
		return err
	}
	return e.Handle(simulator.Route{Path: "/fake/query", Op: "query"}, p.query)
}

func (p *fakeProto) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.orders = make(map[string]*fakeOrder)
	p.merch = map[string]string{"M1": "demo-key"}
}

func (p *fakeProto) AddMerchant(raw json.RawMessage) (string, error) {
	var m struct {
		Channel string `json:"channel"`
		ID      string `json:"id"`
		Key     string `json:"key"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", &simulator.FieldError{Field: "body", Reason: err.Error()}
	}
	if m.ID == "" {
		return "", &simulator.FieldError{Field: "id", Reason: "required"}
	}
	p.mu.Lock()
	p.merch[m.ID] = m.Key
	p.mu.Unlock()
	return m.ID, nil
}

func (p *fakeProto) Merchants() []any {
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

func reply(v map[string]string, corrupt bool) *simulator.Reply {
	if corrupt {
		v["sign"] = "BAD"
	} else {
		v["sign"] = "good"
	}
	b, _ := json.Marshal(v)
	return &simulator.Reply{ContentType: "application/json", Body: b}
}

func (p *fakeProto) pay(c *simulator.Call) *simulator.Reply {
	var in struct {
		Merchant   string `json:"merchant"`
		OutTradeNo string `json:"out_trade_no"`
		Amount     int64  `json:"amount"`
		NotifyURL  string `json:"notify_url"`
	}
	if c.BodyTooLarge() {
		return reply(map[string]string{"code": "TOO_LARGE"}, false)
	}
	if err := json.Unmarshal(c.Body, &in); err != nil || in.OutTradeNo == "" {
		return reply(map[string]string{"code": "PARAM_ERROR"}, false)
	}
	if c.Identify("pay", in.Merchant, in.OutTradeNo) {
		return nil
	}
	bf, hasBF := c.BusinessFault()
	if hasBF && !bf.Process {
		return reply(map[string]string{"code": bf.Code}, c.CorruptSignature())
	}
	p.mu.Lock()
	if _, ok := p.orders[in.OutTradeNo]; ok {
		p.mu.Unlock()
		return reply(map[string]string{"code": "DUPLICATE"}, c.CorruptSignature())
	}
	o := &fakeOrder{merchant: in.Merchant, outTradeNo: in.OutTradeNo, notifyURL: in.NotifyURL, state: "NOTPAY",
		amount: money.Fen(in.Amount), txnID: "T" + p.e.Rand().Digits(8)}
	p.orders[in.OutTradeNo] = o
	p.mu.Unlock()
	if hasBF {
		return reply(map[string]string{"code": bf.Code}, c.CorruptSignature())
	}
	return reply(map[string]string{"code": "OK", "txn": o.txnID}, c.CorruptSignature())
}

func (p *fakeProto) query(c *simulator.Call) *simulator.Reply {
	var in struct {
		Merchant   string `json:"merchant"`
		OutTradeNo string `json:"out_trade_no"`
	}
	if err := json.Unmarshal(c.Body, &in); err != nil {
		return reply(map[string]string{"code": "PARAM_ERROR"}, false)
	}
	if c.Identify("query", in.Merchant, in.OutTradeNo) {
		return nil
	}
	p.mu.Lock()
	o, ok := p.orders[in.OutTradeNo]
	state := ""
	if ok {
		state = o.state
	}
	p.mu.Unlock()
	if !ok {
		return reply(map[string]string{"code": "NOT_FOUND"}, c.CorruptSignature())
	}
	return reply(map[string]string{"code": "OK", "state": state}, c.CorruptSignature())
}

// Pay implements simulator.Payer.
func (p *fakeProto) Pay(_ context.Context, a simulator.PayerAction) (simulator.PayerResult, error) {
	p.mu.Lock()
	o, ok := p.orders[a.OutTradeNo]
	if !ok {
		p.mu.Unlock()
		return simulator.PayerResult{}, fmt.Errorf("order %q: %w", a.OutTradeNo, simulator.ErrNotFound)
	}
	if o.state != "NOTPAY" {
		p.mu.Unlock()
		return simulator.PayerResult{}, fmt.Errorf("order %q is %s: %w", a.OutTradeNo, o.state, simulator.ErrConflict)
	}
	o.state, o.paidAt = "SUCCESS", a.Time
	oc := *o
	p.mu.Unlock()
	if oc.notifyURL != "" {
		if _, err := p.e.Notify(p.callback(oc, "payment")); err != nil {
			return simulator.PayerResult{}, err
		}
	}
	amt := oc.amount
	return simulator.PayerResult{State: "SUCCESS", ChannelTxnID: oc.txnID, Amount: &amt}, nil
}

func (p *fakeProto) callback(o fakeOrder, kind string) simulator.Callback {
	return simulator.Callback{
		Kind: kind, Merchant: o.merchant, OutTradeNo: o.outTradeNo, URL: o.notifyURL, Schedule: p.sched(),
		Build: func(a simulator.Attempt) (simulator.Message, error) {
			sig := "good"
			if a.Forged {
				sig = "forged"
			}
			b := fmt.Sprintf(`{"kind":%q,"out_trade_no":%q,"txn":%q,"time":%q,"sign":%q,"nonce":%q}`,
				kind, a.TamperedOrder(o.outTradeNo), o.txnID, a.Time.Format(time.RFC3339), sig, p.e.Rand().Alnum(8))
			return simulator.Message{ContentType: "application/json", Body: []byte(b)}, nil
		},
		Acked: func(status int, body []byte) bool { return status == 200 && strings.TrimSpace(string(body)) == "OK" },
	}
}

// Cancel implements simulator.Payer.
func (p *fakeProto) Cancel(_ context.Context, a simulator.PayerAction) (simulator.PayerResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o, ok := p.orders[a.OutTradeNo]
	if !ok {
		return simulator.PayerResult{}, fmt.Errorf("order %q: %w", a.OutTradeNo, simulator.ErrNotFound)
	}
	if o.state != "NOTPAY" {
		return simulator.PayerResult{}, fmt.Errorf("order %q is %s: %w", a.OutTradeNo, o.state, simulator.ErrConflict)
	}
	o.state = "CLOSED"
	return simulator.PayerResult{State: "CLOSED"}, nil
}

func (p *fakeProto) StatementSpec() simulator.StatementSpec {
	return simulator.StatementSpec{Cutoff: 0, ReadyAfter: 9 * time.Hour}
}

func (p *fakeProto) StatementRecords(_ context.Context, q simulator.StatementQuery) ([]simulator.StatementRecord, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []simulator.StatementRecord
	for _, o := range p.orders {
		if o.state != "SUCCESS" || p.e.AccountingDay(o.paidAt) != q.Day || (q.Merchant != "" && q.Merchant != o.merchant) {
			continue
		}
		out = append(out, simulator.StatementRecord{Merchant: o.merchant, Kind: "payment", OutTradeNo: o.outTradeNo,
			ChannelTxnID: o.txnID, Amount: o.amount, Fee: money.Fen(0), Time: o.paidAt, Status: "SUCCESS", SettleDate: q.Day})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].OutTradeNo < out[j].OutTradeNo
	})
	return out, nil
}

func (p *fakeProto) RenderStatement(_ context.Context, _ simulator.StatementQuery, recs []simulator.StatementRecord, w io.Writer) (string, error) {
	for _, r := range recs {
		if _, err := fmt.Fprintf(w, "%s,%s,%s\n", r.OutTradeNo, r.ChannelTxnID, r.Amount.Decimal()); err != nil {
			return "", err
		}
	}
	return "text/csv", nil
}

// merchantSink is an in-process merchant notify endpoint answering from a script.
type merchantSink struct {
	mu     sync.Mutex
	bodies []string
	ack    func(n int) string // answer to the n-th (1-based) callback
}

func (m *merchantSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.bodies = append(m.bodies, string(b))
	n := len(m.bodies)
	m.mu.Unlock()
	ans := "OK"
	if m.ack != nil {
		ans = m.ack(n)
	}
	_, _ = io.WriteString(w, ans)
}

func (m *merchantSink) got() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.bodies...)
}
