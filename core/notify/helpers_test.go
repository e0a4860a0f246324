package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store"
)

var t0 = time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)

// received is one webhook request as the merchant saw it.
type received struct {
	ID, Type  string
	PaymentID string // data.id or data.payment_id
	State     string
	Verified  error
	Status    int
}

// merchant is an httptest server that records webhooks, verifies them, and answers with the
// status its answer func returns (nth try of this event id, 1-based).
type merchant struct {
	t      *testing.T
	srv    *httptest.Server
	secret string
	clk    clock.Clock
	answer func(r received, nth int) int
	hang   chan struct{} // when not nil, requests block until it is closed or they are cancelled
	arrive chan received // every arrival is also sent here when not nil (non-blocking)

	mu  sync.Mutex
	got []received
	per map[string]int
}

func newMerchant(t *testing.T, clk clock.Clock, secret string, answer func(received, int) int) *merchant {
	m := &merchant{t: t, secret: secret, clk: clk, answer: answer, per: map[string]int{}}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *merchant) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(400)
		return
	}
	var env struct {
		ID, Type string
		Data     struct {
			ID        string `json:"id"`
			PaymentID string `json:"payment_id"`
			State     string `json:"state"`
			Object    string `json:"object"`
		}
	}
	_ = json.Unmarshal(body, &env)
	env.Data.PaymentID = map[bool]string{true: env.Data.ID, false: env.Data.PaymentID}[env.Data.Object == "payment"]
	rec := received{ID: r.Header.Get(notify.HeaderEventID), Type: r.Header.Get(notify.HeaderEventType), PaymentID: env.Data.PaymentID, State: env.Data.State,
		Verified: notify.VerifyWebhook(m.secret, r.Header, body, m.clk.Now(), time.Minute)}
	if rec.ID != env.ID || rec.Type != env.Type {
		m.t.Errorf("headers %s/%s disagree with body %s/%s", rec.ID, rec.Type, env.ID, env.Type)
	}
	if m.arrive != nil {
		select {
		case m.arrive <- rec:
		default:
		}
	}
	if m.hang != nil {
		select {
		case <-m.hang:
		case <-r.Context().Done():
			return
		}
	}
	m.mu.Lock()
	m.per[rec.ID]++
	rec.Status = 200
	if m.answer != nil {
		rec.Status = m.answer(rec, m.per[rec.ID])
	}
	m.got = append(m.got, rec)
	m.mu.Unlock()
	w.WriteHeader(rec.Status)
	_, _ = io.WriteString(w, "ok")
}

func (m *merchant) received() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.got...)
}

// payment creates a payment of merchant mid and moves it to succeeded at t0.
func payment(t testing.TB, db *store.DB, id, mid string, fen int64) *order.Payment {
	t.Helper()
	ctx := context.Background()
	p := &order.Payment{ID: id, MerchantID: mid, OrderNo: "O" + id, Channel: "wechat", Account: "wx1",
		ChannelOrderNo: "C" + id, ChannelOrderTime: t0, Method: channel.MethodQR, Amount: money.Fen(fen),
		Subject: "s", ExpiresAt: t0.Add(2 * time.Hour), CreatedAt: t0}
	if _, err := db.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	p, _, err := db.TransitionPayment(ctx, id, p.Version, order.Transition{To: order.Succeeded, Cause: order.CauseChannel, At: t0,
		ChannelTxnID: "T" + id, PaidAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// refund refunds fen of payment p and confirms it.
func refund(t *testing.T, db *store.DB, p *order.Payment, id string, fen int64) {
	t.Helper()
	ctx := context.Background()
	r := &order.Refund{ID: id, PaymentID: p.ID, MerchantID: p.MerchantID, RefundNo: "R" + id, ChannelRefundNo: "C" + id,
		Amount: money.Fen(fen), Reason: "r", CreatedAt: t0.Add(time.Minute)}
	if _, err := db.CreateRefund(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := db.TransitionRefund(ctx, id, r.Version, order.Transition{To: order.Succeeded, Cause: order.CauseChannel, At: t0.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
}

func newNotifier(t *testing.T, db *store.DB, clk clock.Clock, dir notify.Directory, edit func(*notify.Config)) *notify.Notifier {
	t.Helper()
	cfg := notify.Config{Outbox: db, Orders: db, Directory: dir, Clock: clk}
	if edit != nil {
		edit(&cfg)
	}
	n, err := notify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// drain runs n until a round delivers nothing (retries due later stay pending).
func drain(t *testing.T, n *notify.Notifier) int {
	t.Helper()
	total := 0
	for i := 0; i < 100; i++ {
		d, err := n.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if d == 0 {
			return total
		}
		total += d
	}
	t.Fatal("drain: still delivering after 100 rounds")
	return total
}

func entry(t *testing.T, db *store.DB, eventID string) store.OutboxEntry {
	t.Helper()
	ev, err := db.EventByID(context.Background(), eventID)
	if err != nil {
		t.Fatal(err)
	}
	en, err := db.OutboxEntry(context.Background(), notify.Consumer, ev.Seq)
	if err != nil {
		t.Fatal(err)
	}
	return en
}

// eventOf returns the id of payment pid's event of type typ.
func eventOf(t *testing.T, db *store.DB, pid, typ string) string {
	t.Helper()
	evs, err := db.History(context.Background(), pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == typ {
			return e.ID
		}
	}
	t.Fatalf("payment %s has no %s event", pid, typ)
	return ""
}

// recv waits for a request to reach a merchant; the real-time bound only turns a hang into a
// failure with a message (nothing waits for it to pass).
func recv(t *testing.T, ch <-chan received, what string) received {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		t.Fatalf("%s never arrived", what)
		return received{}
	}
}
