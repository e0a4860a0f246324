package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
)

// A small in-memory channel and simulator that follow the contract, with switches that
// break one rule each, to prove the suite notices.

type bugs struct {
	timeoutIsFailed  bool // report a lost response as a failure
	acceptForged     bool // skip notification signature checks
	refundTwice      bool // a retried refund number refunds again
	statementByStart bool // put payments in the statement of the day they were created
}

type fakeOrder struct {
	no        string
	amount    int64
	created   time.Time
	paidAt    time.Time
	status    channel.Status
	txn       string
	notifyURL string
	refunds   []fakeRefund
}

type fakeRefund struct {
	no     string
	amount int64
	at     time.Time
}

type fakeWorld struct {
	mu     sync.Mutex
	clk    *clock.Virtual
	orders map[string]*fakeOrder
	faults map[string]*Fault
	nextID int
	bugs   bugs
	client *http.Client
}

func newFakeWorld(b bugs) *fakeWorld {
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, clock.Beijing())
	return &fakeWorld{clk: clock.NewVirtual(start), orders: map[string]*fakeOrder{}, faults: map[string]*Fault{}, bugs: b, client: &http.Client{Timeout: 5 * time.Second}}
}

// takeFault consumes a matching plan.
func (w *fakeWorld) takeFault(op Op, orderNo string) *Fault {
	for id, f := range w.faults {
		if f.Op == op && f.OrderNo == orderNo && f.Count > 0 {
			f.Count--
			cp := *f
			if f.Count == 0 {
				delete(w.faults, id)
			}
			return &cp
		}
	}
	return nil
}

func (w *fakeWorld) peekFault(op Op, orderNo string, kind FaultKind) *Fault {
	for _, f := range w.faults {
		if f.Op == op && f.OrderNo == orderNo && f.Kind == kind {
			return f
		}
	}
	return nil
}

// --- Simulator side ---

func (w *fakeWorld) PayerPay(_ context.Context, _ string, no string) error {
	w.mu.Lock()
	o := w.orders[no]
	if o == nil || o.status != channel.StatusPending {
		w.mu.Unlock()
		return fmt.Errorf("order %s cannot be paid", no)
	}
	o.status, o.paidAt, o.txn = channel.StatusSucceeded, w.clk.Now(), "TXN"+no
	body, _ := json.Marshal(fakeNote{Order: no, Amount: o.amount, Txn: o.txn, PaidAt: o.paidAt, Sig: "good:" + no})
	forged, _ := json.Marshal(fakeNote{Order: no, Amount: o.amount, Txn: o.txn, PaidAt: o.paidAt, Sig: "bad"})
	copies, delay := 1, time.Duration(0)
	if f := w.peekFault(OpNotify, no, FaultDuplicateCallbacks); f != nil {
		copies += f.Count
	}
	if w.peekFault(OpNotify, no, FaultReorderCallbacks) != nil {
		delay = time.Minute
	}
	sendForged := w.peekFault(OpNotify, no, FaultForgedCallback) != nil
	tampered, _ := json.Marshal(fakeNote{Order: no, Amount: o.amount + 100, Txn: o.txn, PaidAt: o.paidAt, Sig: "good:" + no})
	sendTampered := w.peekFault(OpNotify, no, FaultTamperedCallback) != nil
	url := o.notifyURL
	w.mu.Unlock()
	for i := 0; i < copies; i++ {
		w.deliver(url, body, delay+time.Duration(i)*time.Second, 0)
	}
	if sendForged {
		w.clk.AfterFunc(delay, func() { w.post(url, forged) })
	}
	if sendTampered {
		w.clk.AfterFunc(delay, func() { w.post(url, tampered) })
	}
	return nil
}

var fakeSchedule = []time.Duration{15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute, 10 * time.Minute}

func (w *fakeWorld) deliver(url string, body []byte, after time.Duration, attempt int) {
	w.clk.AfterFunc(after, func() {
		if !w.post(url, body) && attempt < len(fakeSchedule) {
			w.deliver(url, body, fakeSchedule[attempt], attempt+1)
		}
	})
}

func (w *fakeWorld) post(url string, body []byte) bool {
	resp, err := w.client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode == 200 && string(b) == "OK"
}

func (w *fakeWorld) Now(context.Context) (time.Time, error) { return w.clk.Now(), nil }
func (w *fakeWorld) Advance(_ context.Context, d time.Duration) error {
	w.clk.Advance(d)
	return nil
}
func (w *fakeWorld) SetTime(_ context.Context, t time.Time) error { return w.clk.Set(t) }
func (w *fakeWorld) AddFault(_ context.Context, f Fault) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nextID++
	id := fmt.Sprint(w.nextID)
	w.faults[id] = &f
	return id, nil
}
func (w *fakeWorld) RemoveFault(_ context.Context, id string) error {
	w.mu.Lock()
	delete(w.faults, id)
	w.mu.Unlock()
	return nil
}

func (w *fakeWorld) records(day clock.Date, byStart bool) []Record {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Record
	for _, o := range w.orders {
		if o.paidAt.IsZero() {
			continue
		}
		at := o.paidAt
		if byStart {
			at = o.created
		}
		if clock.AccountingDay(at, 0) == day {
			out = append(out, Record{Type: channel.RecordPayment, OrderNo: o.no, Amount: money.Fen(o.amount)})
		}
		for _, r := range o.refunds {
			if clock.AccountingDay(r.at, 0) == day {
				out = append(out, Record{Type: channel.RecordRefund, OrderNo: o.no, RefundNo: r.no, Amount: money.Fen(r.amount)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func (w *fakeWorld) Records(_ context.Context, _ string, day clock.Date) ([]Record, error) {
	return w.records(day, false), nil
}

// --- Channel side ---

type fakeChannel struct{ w *fakeWorld }

type fakeNote struct {
	Order  string
	Amount int64
	Txn    string
	PaidAt time.Time
	Sig    string
}

func (c *fakeChannel) Name() string { return "fake" }
func (c *fakeChannel) Info() channel.Info {
	return channel.Info{
		OrderNo: channel.NumberRule{MaxLen: 32}, RefundNo: channel.NumberRule{MaxLen: 32},
		Notify: channel.NotifyPolicy{Ack: channel.Response{StatusCode: 200, ContentType: "text/plain", Body: []byte("OK")}, Retries: fakeSchedule},
	}
}
func (c *fakeChannel) Methods() []channel.Method {
	return []channel.Method{channel.MethodQR}
}

func (c *fakeChannel) err(op string, kind channel.Kind, code string) error {
	return &channel.Error{Channel: "fake", Op: op, Kind: kind, Code: code, Retryable: kind == channel.KindUnknown && op == "query"}
}

// fault applies a consumed plan: before returns an error to give instead of processing;
// after reports whether to lose the response.
func (c *fakeChannel) business(op string, f *Fault) error {
	if f == nil || f.Kind != FaultBusinessCode {
		return nil
	}
	switch f.Code {
	case CodeSystemError:
		return c.err(op, channel.KindUnknown, "SYSTEMERROR")
	case CodeOrderPaid:
		return c.err(op, channel.KindAlreadyDone, "ORDERPAID")
	case CodeNotFound:
		return c.err(op, channel.KindNotFound, "ORDERNOTEXIST")
	}
	return nil
}

func (c *fakeChannel) lost(op string, f *Fault) error {
	if f != nil && f.Kind == FaultTimeoutAfter {
		if c.w.bugs.timeoutIsFailed {
			return c.err(op, channel.KindDeclined, "TIMEOUT")
		}
		return &channel.Error{Channel: "fake", Op: op, Kind: channel.KindUnknown, Err: errors.New("i/o timeout")}
	}
	return nil
}

func (c *fakeChannel) result(o *fakeOrder) *channel.PaymentResult {
	return &channel.PaymentResult{Status: o.status, OrderNo: o.no, ChannelTxnID: o.txn, Amount: money.Fen(o.amount), PaidAt: o.paidAt,
		Action: &channel.PayAction{Kind: channel.ActionQRCode, QRCode: "fake://" + o.no}}
}

func (c *fakeChannel) Pay(_ context.Context, r *channel.PayRequest) (*channel.PaymentResult, error) {
	if err := r.Validate("fake"); err != nil {
		return nil, err
	}
	if !channel.Supports(c, r.Method) {
		return nil, channel.Unsupported("fake", "pay", r.Method)
	}
	w := c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.takeFault(OpPay, r.OrderNo)
	if err := c.business("pay", f); err != nil {
		return nil, err
	}
	o := w.orders[r.OrderNo]
	if o == nil {
		o = &fakeOrder{no: r.OrderNo, amount: r.Amount.Minor(), created: w.clk.Now(), status: channel.StatusPending, notifyURL: r.NotifyURL}
		w.orders[r.OrderNo] = o
	} else if o.status != channel.StatusPending {
		return nil, c.err("pay", channel.KindAlreadyDone, "ORDERPAID")
	}
	if err := c.lost("pay", f); err != nil {
		return nil, err
	}
	return c.result(o), nil
}

func (c *fakeChannel) Query(_ context.Context, r *channel.QueryRequest) (*channel.PaymentResult, error) {
	w := c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := c.business("query", w.takeFault(OpQuery, r.OrderNo)); err != nil {
		return nil, err
	}
	o := w.orders[r.OrderNo]
	if o == nil {
		return nil, c.err("query", channel.KindNotFound, "ORDERNOTEXIST")
	}
	res := c.result(o)
	if len(o.refunds) > 0 {
		res.Status = channel.StatusRefunded
	}
	return res, nil
}

func (c *fakeChannel) Close(_ context.Context, r *channel.CloseRequest) (*channel.CloseResult, error) {
	w := c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := c.business("close", w.takeFault(OpClose, r.OrderNo)); err != nil {
		return nil, err
	}
	o := w.orders[r.OrderNo]
	switch {
	case o == nil:
		return nil, c.err("close", channel.KindNotFound, "ORDERNOTEXIST")
	case o.status.Paid():
		return nil, c.err("close", channel.KindAlreadyDone, "ORDERPAID")
	}
	outcome := channel.CloseClosed
	if o.status == channel.StatusClosed {
		outcome = channel.CloseAlreadyClosed
	}
	o.status = channel.StatusClosed
	return &channel.CloseResult{Outcome: outcome, Status: channel.StatusClosed, OrderNo: o.no, ChannelTxnID: o.txn}, nil
}

func (c *fakeChannel) Refund(_ context.Context, r *channel.RefundRequest) (*channel.RefundResult, error) {
	if err := r.Validate("fake"); err != nil {
		return nil, err
	}
	w := c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.takeFault(OpRefund, r.OrderNo)
	o := w.orders[r.OrderNo]
	if o == nil || !o.status.Paid() {
		return nil, c.err("refund", channel.KindNotFound, "ORDERNOTEXIST")
	}
	var done int64
	for _, x := range o.refunds {
		if x.no == r.RefundNo && !w.bugs.refundTwice {
			return &channel.RefundResult{Status: channel.StatusProcessing, RefundNo: x.no, OrderNo: o.no, Amount: money.Fen(x.amount)}, nil
		}
		done += x.amount
	}
	if done+r.Amount.Minor() > o.amount {
		return nil, c.err("refund", channel.KindInvalidRequest, "REFUND_FEE_INVALID")
	}
	o.refunds = append(o.refunds, fakeRefund{no: r.RefundNo, amount: r.Amount.Minor(), at: w.clk.Now()})
	if err := c.lost("refund", f); err != nil {
		return nil, err
	}
	return &channel.RefundResult{Status: channel.StatusProcessing, RefundNo: r.RefundNo, OrderNo: o.no, Amount: r.Amount}, nil
}

func (c *fakeChannel) QueryRefund(_ context.Context, r *channel.RefundQueryRequest) (*channel.RefundResult, error) {
	w := c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, o := range w.orders {
		for _, x := range o.refunds {
			if x.no == r.RefundNo {
				return &channel.RefundResult{Status: channel.StatusSucceeded, RefundNo: x.no, OrderNo: o.no, Amount: money.Fen(x.amount), CompletedAt: x.at}, nil
			}
		}
	}
	return nil, c.err("query refund", channel.KindNotFound, "REFUNDNOTEXIST")
}

func (c *fakeChannel) ParseNotification(_ context.Context, _ http.Header, body []byte) (*channel.Notification, error) {
	var n fakeNote
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, c.err("notification", channel.KindInvalidRequest, "BAD_BODY")
	}
	if n.Sig != "good:"+n.Order && !c.w.bugs.acceptForged {
		return nil, c.err("notification", channel.KindSignature, "BAD_SIGN")
	}
	ack := channel.Response{StatusCode: 200, ContentType: "text/plain", Body: []byte("OK")}
	return &channel.Notification{Channel: "fake", Type: channel.NotifyPayment, Ack: ack, Nack: channel.Response{StatusCode: 500},
		Payment: &channel.PaymentResult{Status: channel.StatusSucceeded, OrderNo: n.Order, ChannelTxnID: n.Txn, Amount: money.Fen(n.Amount), PaidAt: n.PaidAt}}, nil
}

type sliceReader struct {
	recs []channel.StatementRecord
	i    int
}

func (r *sliceReader) Next(rec *channel.StatementRecord) error {
	if r.i >= len(r.recs) {
		return io.EOF
	}
	*rec = r.recs[r.i]
	r.i++
	return nil
}
func (r *sliceReader) Totals() *channel.StatementTotals { return nil }
func (r *sliceReader) Close() error                     { return nil }

func (c *fakeChannel) DownloadStatement(_ context.Context, r *channel.StatementRequest) (channel.StatementReader, error) {
	var recs []channel.StatementRecord
	for _, x := range c.w.records(r.Date, c.w.bugs.statementByStart) {
		recs = append(recs, channel.StatementRecord{Channel: "fake", Type: x.Type, OrderNo: x.OrderNo, RefundNo: x.RefundNo, Amount: x.Amount, SettlementDate: r.Date})
	}
	return &sliceReader{recs: recs}, nil
}
