package natspub_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tongdao/tongdao/core/channel"
	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/notify/natspub"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

// EnvNATS names the server the tests publish to; default nats://127.0.0.1:4222.
const EnvNATS = "TONGDAO_TEST_NATS_URL"

var t0 = time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)

// connect returns a connection to the test server and a fresh stream name and subject prefix
// (deleted when the test ends), or skips the test when no server is reachable.
func connect(t *testing.T) (*nats.Conn, string, string) {
	t.Helper()
	url := os.Getenv(EnvNATS)
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	host := strings.TrimPrefix(url, "nats://")
	if c, err := net.DialTimeout("tcp", host, time.Second); err != nil {
		t.Skipf("NATS tests skipped: no server at %s (%v); start one with `nats-server -js` or set %s", url, err, EnvNATS)
	} else {
		_ = c.Close()
	}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	stream, prefix := "TDTEST_"+suffix, "tdtest"+suffix
	t.Cleanup(func() {
		if js, err := jetstream.New(nc); err == nil {
			_ = js.DeleteStream(context.Background(), stream)
		}
		nc.Close()
	})
	return nc, stream, prefix
}

func paidPayment(t *testing.T, db *store.DB, id, mid string) *order.Payment {
	t.Helper()
	ctx := context.Background()
	p := &order.Payment{ID: id, MerchantID: mid, OrderNo: "O" + id, Channel: "alipay", Account: "ali1", ChannelOrderNo: "C" + id,
		Method: channel.MethodQR, Amount: money.Fen(12345), Subject: "s", CreatedAt: t0}
	if _, err := db.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	p, _, err := db.TransitionPayment(ctx, id, 1, order.Transition{To: order.Succeeded, Cause: order.CauseChannel, At: t0, ChannelTxnID: "T" + id})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPublisher_PublishesEachEventOnceToItsSubject(t *testing.T) {
	storetest.ForEach(t, os.Getenv(storetest.EnvPG), func(t *testing.T, dsn string) {
		nc, stream, prefix := connect(t)
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		db.SetOutboxConsumers("ledger", "webhook", natspub.Consumer)
		paidPayment(t, db, "pay_1", "M1")
		paidPayment(t, db, "pay_2", "M2")
		clk := clock.NewVirtual(t0.Add(time.Hour))
		p, err := natspub.New(ctx, natspub.Config{Outbox: db, Orders: db, Conn: nc, Stream: stream, SubjectPrefix: prefix, Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		// Events of one payment go out in order: created first, then succeeded.
		for i := 0; i < 4; i++ {
			if _, err := p.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		js, _ := jetstream.New(nc)
		s, err := js.Stream(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		info, _ := s.Info(ctx)
		if info.State.Msgs != 4 {
			t.Fatalf("stream holds %d messages, want 4", info.State.Msgs)
		}
		subjects := map[string]bool{}
		for seq := uint64(1); seq <= 4; seq++ {
			m, err := s.GetMsg(ctx, seq)
			if err != nil {
				t.Fatal(err)
			}
			subjects[m.Subject] = true
			var env struct {
				ID, Type string
				Data     struct {
					Amount     int64  `json:"amount"`
					AmountYuan string `json:"amount_yuan"`
				}
			}
			if err := json.Unmarshal(m.Data, &env); err != nil {
				t.Fatal(err)
			}
			if m.Header.Get(jetstream.MsgIDHeader) != env.ID || m.Header.Get(notify.HeaderEventType) != env.Type || env.Data.Amount != 12345 || env.Data.AmountYuan != "123.45" {
				t.Errorf("message %d: %s %v %s", seq, m.Subject, m.Header, m.Data)
			}
			if !strings.HasSuffix(m.Subject, "."+env.Type) {
				t.Errorf("subject %s does not end in the type %s", m.Subject, env.Type)
			}
		}
		for _, want := range []string{prefix + ".M1.payment.created", prefix + ".M1.payment.succeeded", prefix + ".M2.payment.succeeded"} {
			if !subjects[want] {
				t.Errorf("no message on %s (got %v)", want, subjects)
			}
		}
		// A redelivery publishes the same message id: the stream keeps one copy.
		evs, _ := db.History(ctx, "pay_1")
		if _, err := notify.Redeliver(ctx, db, natspub.Consumer, evs[1].ID, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if n, err := p.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("RunOnce after redeliver = %d, %v", n, err)
		}
		info, _ = s.Info(ctx)
		st, _ := p.Stats(ctx)
		if info.State.Msgs != 4 || st.Published != 4 || st.Duplicates != 1 || st.Pending != 0 {
			t.Errorf("after redelivery: %d messages, stats %+v", info.State.Msgs, st)
		}
		// A second Publisher on the same stream finds it.
		if _, err := natspub.New(ctx, natspub.Config{Outbox: db, Orders: db, Conn: nc, Stream: stream, SubjectPrefix: prefix}); err != nil {
			t.Errorf("second publisher: %v", err)
		}
	})
}

func TestPublisher_MerchantIDThatIsNoSubjectTokenIsDeadLettered(t *testing.T) {
	nc, stream, prefix := connect(t)
	ctx := context.Background()
	db := storetest.Open(t, storetest.SQLiteDSN(t))
	db.SetOutboxConsumers(natspub.Consumer)
	paidPayment(t, db, "pay_1", "M.1")
	p, err := natspub.New(ctx, natspub.Config{Outbox: db, Orders: db, Conn: nc, Stream: stream, SubjectPrefix: prefix, Clock: clock.NewVirtual(t0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	es, _ := db.OutboxEntries(ctx, store.OutboxFilter{Consumer: natspub.Consumer, State: "dead"})
	if len(es) != 1 || !strings.Contains(es[0].LastErr, `merchant id "M.1" cannot be a subject token`) {
		t.Errorf("dead letters %+v", es)
	}
}

func TestNew_ValidatesConfigAndStream(t *testing.T) {
	nc, stream, prefix := connect(t)
	ctx := context.Background()
	db := storetest.Open(t, storetest.SQLiteDSN(t))
	tests := []struct {
		name string
		cfg  natspub.Config
		want string
	}{
		{"no conn", natspub.Config{Outbox: db, Orders: db}, "Conn is required"},
		{"bad stream name", natspub.Config{Outbox: db, Orders: db, Conn: nc, Stream: "A.B"}, "Stream"},
		{"bad prefix", natspub.Config{Outbox: db, Orders: db, Conn: nc, Stream: stream, SubjectPrefix: "a.*"}, "SubjectPrefix"},
		{"lease too short", natspub.Config{Outbox: db, Orders: db, Conn: nc, Stream: stream, Batch: 10, Timeout: time.Second, Lease: 5 * time.Second}, "Lease"},
	}
	for _, tc := range tests {
		if _, err := natspub.New(ctx, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// The stream exists with other subjects: refuse rather than publish into nothing.
	if _, err := natspub.New(ctx, natspub.Config{Outbox: db, Orders: db, Conn: nc, Stream: stream, SubjectPrefix: prefix}); err != nil {
		t.Fatal(err)
	}
	_, err := natspub.New(ctx, natspub.Config{Outbox: db, Orders: db, Conn: nc, Stream: stream, SubjectPrefix: prefix + "x"})
	if err == nil || !strings.Contains(err.Error(), "events would not be stored") {
		t.Errorf("mismatched stream: %v", err)
	}
}
