package notify_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/core/store/storetest"
)

var pgBase = os.Getenv(storetest.EnvPG)

func TestNotifier_DeliversSignedPayloadAndSkipsWhatIsNotSent(t *testing.T) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		db := storetest.Open(t, dsn)
		clk := clock.NewVirtual(t0.Add(time.Hour))
		m1 := newMerchant(t, clk, "sec1", nil)
		override := newMerchant(t, clk, "sec1", nil)
		payment(t, db, "pay_1", "M1", 100)
		p2 := payment(t, db, "pay_2", "M2", 200) // M2 has no webhook URL
		payment(t, db, "pay_3", "M3", 300)       // M3 is unknown
		refund(t, db, p2, "ref_2", 50)
		// A payment-level NotifyURL overrides the merchant's.
		p4 := payment(t, db, "pay_4", "M1", 400)
		_ = p4
		dir := notify.StaticDirectory{"M1": {URL: m1.srv.URL + "/hook?token=secret-token", Secret: "sec1"}, "M2": {Secret: "sec2"}}
		n := newNotifier(t, db, clk, dir, nil)
		if got := drain(t, n); got != 2 {
			t.Fatalf("delivered %d, want 2 (pay_1 and pay_4 succeeded)", got)
		}
		got := m1.received()
		if len(got) != 2 {
			t.Fatalf("merchant got %+v", got)
		}
		for _, r := range got {
			if r.Type != "payment.succeeded" || r.Verified != nil || r.State != "succeeded" || !strings.HasPrefix(r.ID, "evt_") {
				t.Errorf("received %+v", r)
			}
		}
		if len(override.received()) != 0 {
			t.Error("override merchant got something")
		}
		st, err := n.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// 4 created (not sent), 4 succeeded (2 sent, M2's and M3's skipped), refund created,
		// refund succeeded and payment.partially_refunded of M2 skipped.
		if st.Delivered != 2 || st.Skipped != 9 || st.Failed != 0 || st.Pending != 0 || st.Lag != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestNotifier_PaymentNotifyURLOverridesMerchantURL(t *testing.T) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		db := storetest.Open(t, dsn)
		clk := clock.NewVirtual(t0.Add(time.Hour))
		def := newMerchant(t, clk, "sec1", nil)
		own := newMerchant(t, clk, "sec1", nil)
		ctx := context.Background()
		p := payment(t, db, "pay_1", "M1", 100)
		_ = p
		// NotifyURL is set at creation; make a second payment that carries one.
		q := &order.Payment{ID: "pay_2", MerchantID: "M1", OrderNo: "O2", Channel: "wechat", Account: "wx1", ChannelOrderNo: "C2",
			Method: "qr", Amount: p.Amount, Subject: "s", NotifyURL: own.srv.URL, CreatedAt: t0}
		if _, err := db.CreatePayment(ctx, q); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.TransitionPayment(ctx, "pay_2", 1, order.Transition{To: order.Succeeded, Cause: order.CauseChannel, At: t0}); err != nil {
			t.Fatal(err)
		}
		n := newNotifier(t, db, clk, notify.StaticDirectory{"M1": {URL: def.srv.URL, Secret: "sec1"}}, nil)
		drain(t, n)
		if d, o := def.received(), own.received(); len(d) != 1 || d[0].PaymentID != "pay_1" || len(o) != 1 || o[0].PaymentID != "pay_2" || o[0].Verified != nil {
			t.Errorf("default got %+v, own URL got %+v", d, o)
		}
	})
}

func TestNotifier_RetryThenSuccess(t *testing.T) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		db := storetest.Open(t, dsn)
		clk := clock.NewVirtual(t0.Add(time.Hour))
		m := newMerchant(t, clk, "sec", func(_ received, nth int) int {
			return map[bool]int{true: 500, false: 204}[nth <= 2]
		})
		payment(t, db, "pay_1", "M1", 100)
		n := newNotifier(t, db, clk, notify.StaticDirectory{"M1": {URL: m.srv.URL, Secret: "sec"}}, nil)
		id := eventOf(t, db, "pay_1", "payment.succeeded")
		steps := []struct {
			advance   time.Duration
			delivered int
			tries     int
			state     string
			attempts  int
		}{
			{0, 0, 1, "pending", 1},                // first try: 500
			{14 * time.Second, 0, 1, "pending", 1}, // not due before 15 s
			{time.Second, 0, 2, "pending", 2},      // second try at +15 s: 500
			{59 * time.Second, 0, 2, "pending", 2}, // next after 1 min
			{time.Second, 1, 3, "done", 2},         // third try: 204
		}
		for i, s := range steps {
			clk.Advance(s.advance)
			if got := drain(t, n); got != s.delivered {
				t.Fatalf("step %d: delivered %d, want %d", i, got, s.delivered)
			}
			if got := len(m.received()); got != s.tries {
				t.Fatalf("step %d: merchant saw %d tries, want %d", i, got, s.tries)
			}
			if en := entry(t, db, id); en.State != s.state || en.Attempts != s.attempts {
				t.Fatalf("step %d: entry %s attempts %d, want %s %d", i, en.State, en.Attempts, s.state, s.attempts)
			}
		}
		if en := entry(t, db, id); en.LastErr != "HTTP 500: ok" {
			t.Errorf("last error %q", en.LastErr)
		}
		for _, r := range m.received() {
			if r.ID != id {
				t.Errorf("a retry carries event id %s, want %s", r.ID, id)
			}
		}
		st, _ := n.Stats(context.Background())
		if st.Delivered != 1 || st.Failed != 2 || st.DeadLettered != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestNotifier_RetryUntilDeadLetter(t *testing.T) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		db := storetest.Open(t, dsn)
		clk := clock.NewVirtual(t0.Add(time.Hour))
		var up atomic.Bool
		m := newMerchant(t, clk, "sec", func(received, int) int { return map[bool]int{true: 200, false: 503}[up.Load()] })
		p := payment(t, db, "pay_1", "M1", 100)
		n := newNotifier(t, db, clk, notify.StaticDirectory{"M1": {URL: m.srv.URL, Secret: "sec"}}, func(c *notify.Config) {
			c.Schedule = []time.Duration{time.Second, 2 * time.Second}
		})
		id := eventOf(t, db, "pay_1", "payment.succeeded")
		for _, adv := range []time.Duration{0, time.Second, 2 * time.Second} {
			clk.Advance(adv)
			drain(t, n)
		}
		en := entry(t, db, id)
		if en.State != "dead" || en.Attempts != 3 || en.LastErr != "HTTP 503: ok" || len(m.received()) != 3 {
			t.Fatalf("entry %+v after %d tries", en, len(m.received()))
		}
		st, _ := n.Stats(context.Background())
		if st.Failed != 2 || st.DeadLettered != 1 || st.Dead != 1 || st.Pending != 0 {
			t.Errorf("stats %+v", st)
		}
		clk.Advance(24 * time.Hour)
		drain(t, n)
		if len(m.received()) != 3 {
			t.Error("a dead letter was tried again by itself")
		}
		// The dead letter no longer holds back the payment's later events.
		up.Store(true)
		refund(t, db, p, "ref_1", 100)
		drain(t, n)
		if got := m.received(); len(got) != 5 || got[3].Type != "refund.succeeded" || got[4].Type != "payment.refunded" {
			t.Errorf("after the dead letter: %+v", got)
		}
	})
}

func TestNotifier_InOrderPerPaymentWhenFirstTryFails(t *testing.T) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		db := storetest.Open(t, dsn)
		clk := clock.NewVirtual(t0.Add(time.Hour))
		m := newMerchant(t, clk, "sec", func(r received, nth int) int {
			if r.Type == "payment.succeeded" && r.PaymentID == "pay_a" && nth == 1 {
				return 500
			}
			return 200
		})
		a := payment(t, db, "pay_a", "M1", 100)
		refund(t, db, a, "ref_a", 30)
		payment(t, db, "pay_b", "M1", 100)
		n := newNotifier(t, db, clk, notify.StaticDirectory{"M1": {URL: m.srv.URL, Secret: "sec"}}, nil)
		drain(t, n)
		var types []string
		for _, r := range m.received() {
			if r.PaymentID == "pay_a" {
				types = append(types, r.Type)
			}
		}
		if strings.Join(types, ",") != "payment.succeeded" {
			t.Fatalf("pay_a's later events went out before its first was delivered: %v", types)
		}
		if got := m.received(); len(got) != 2 || (got[0].PaymentID != "pay_b" && got[1].PaymentID != "pay_b") {
			t.Fatalf("another payment was held back: %+v", got)
		}
		clk.Advance(15 * time.Second)
		drain(t, n)
		types = nil
		for _, r := range m.received() {
			if r.PaymentID == "pay_a" {
				types = append(types, r.Type+"/"+map[bool]string{true: "ok", false: "fail"}[r.Status == 200])
			}
		}
		want := "payment.succeeded/fail,payment.succeeded/ok,refund.succeeded/ok,payment.partially_refunded/ok"
		if strings.Join(types, ",") != want {
			t.Errorf("pay_a's webhooks: %v\nwant %s", types, want)
		}
	})
}

func TestNotifier_TimeoutOnClockIsRetried(t *testing.T) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		db := storetest.Open(t, dsn)
		clk := clock.NewVirtual(t0.Add(time.Hour))
		m := newMerchant(t, clk, "sec", nil)
		m.hang = make(chan struct{})
		m.arrive = make(chan received, 1)
		payment(t, db, "pay_1", "M1", 100)
		n := newNotifier(t, db, clk, notify.StaticDirectory{"M1": {URL: m.srv.URL, Secret: "sec"}}, nil)
		type res struct {
			n   int
			err error
		}
		done := make(chan res, 1)
		go func() { d, err := n.RunOnce(context.Background()); done <- res{d, err} }()
		recv(t, m.arrive, "the request") // in flight, its timeout armed
		clk.Advance(notify.DefaultTimeout)
		r := <-done
		if r.err != nil || r.n != 0 {
			t.Fatalf("RunOnce = %d, %v", r.n, r.err)
		}
		en := entry(t, db, eventOf(t, db, "pay_1", "payment.succeeded"))
		if en.State != "pending" || en.Attempts != 1 || en.LastErr != "no answer within 10s" || !en.NextAt.Equal(clk.Now().Add(15*time.Second)) {
			t.Errorf("entry %+v", en)
		}
		close(m.hang)
	})
}

// TestNotifier_HangingMerchantDoesNotDelayAnother: merchant A never answers; with a per-host
// limit of 1, A holds one worker and B's webhook goes out meanwhile.
func TestNotifier_HangingMerchantDoesNotDelayAnother(t *testing.T) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		db := storetest.Open(t, dsn)
		clk := clock.NewVirtual(t0.Add(time.Hour))
		a := newMerchant(t, clk, "secA", nil)
		a.hang = make(chan struct{})
		release := sync.OnceFunc(func() { close(a.hang) })
		t.Cleanup(release)
		a.arrive = make(chan received, 10)
		b := newMerchant(t, clk, "secB", nil)
		b.arrive = make(chan received, 10)
		for _, id := range []string{"pay_a1", "pay_a2", "pay_a3", "pay_a4"} {
			payment(t, db, id, "MA", 100)
		}
		payment(t, db, "pay_b1", "MB", 100)
		dir := notify.StaticDirectory{"MA": {URL: a.srv.URL, Secret: "secA"}, "MB": {URL: b.srv.URL, Secret: "secB"}}
		n := newNotifier(t, db, clk, dir, func(c *notify.Config) { c.Workers, c.PerHost, c.Timeout = 2, 1, time.Hour })
		ctx, cancel := context.WithCancel(context.Background())
		runDone := make(chan error, 1)
		go func() { runDone <- n.Run(ctx) }()
		first := recv(t, a.arrive, "A's first request")
		got := recv(t, b.arrive, "B's webhook while A hangs")
		if got.PaymentID != "pay_b1" || got.Verified != nil {
			t.Errorf("B got %+v", got)
		}
		select {
		case r := <-a.arrive:
			t.Errorf("A got a second concurrent request (%s) past its per-host limit of 1", r.PaymentID)
		default:
		}
		release()
		cancel()
		if err := <-runDone; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v", err)
		}
		// What A's busy host put back comes due after HostBusyDelay, one at a time.
		for i := 0; i < 4 && len(a.received()) < 4; i++ {
			clk.Advance(notify.DefaultHostBusyDelay)
			drain(t, n)
		}
		if got := a.received(); len(got) != 4 || got[0].ID != first.ID {
			t.Errorf("A got %+v", got)
		}
		if got := entry(t, db, eventOf(t, db, "pay_a4", "payment.succeeded")); got.Attempts != 0 || got.State != "done" {
			t.Errorf("a delivery put back for a busy host counted an attempt: %+v", got)
		}
	})
}

// TestNotifier_TwoNotifiersNeverDeliverOneEventTwice: two notifiers on their own connections
// to one database (as two gateway processes) deliver 60 payments' events; the merchant counts
// each event id once.
func TestNotifier_TwoNotifiersNeverDeliverOneEventTwice(t *testing.T) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		db1, db2 := storetest.Open(t, dsn), storetest.Open(t, dsn)
		clk := clock.NewVirtual(t0.Add(time.Hour))
		m := newMerchant(t, clk, "sec", nil)
		const payments = 60
		for i := 0; i < payments; i++ {
			payment(t, db1, "pay_"+string(rune('A'+i/26))+string(rune('a'+i%26)), "M1", 100)
		}
		dir := notify.StaticDirectory{"M1": {URL: m.srv.URL, Secret: "sec"}}
		var wg sync.WaitGroup
		totals := make([]int, 2)
		for i, db := range []*store.DB{db1, db2} {
			n := newNotifier(t, db, clk, dir, func(c *notify.Config) { c.Workers, c.PerHost = 4, 4 })
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					d, err := n.RunOnce(context.Background())
					if err != nil {
						t.Error(err)
						return
					}
					if d == 0 {
						if st, _ := n.Stats(context.Background()); st.Pending == 0 {
							return
						}
						continue // the other notifier holds the rest
					}
					totals[i] += d
				}
			}()
		}
		wg.Wait()
		seen := map[string]int{}
		for _, r := range m.received() {
			seen[r.ID]++
		}
		if len(seen) != payments || totals[0]+totals[1] != payments {
			t.Errorf("%d events delivered (%v per notifier), want %d", len(seen), totals, payments)
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("event %s delivered %d times", id, k)
			}
		}
		t.Logf("per notifier: %v", totals)
	})
}

func TestNotifier_RedeliverSendsTheSameEventAgain(t *testing.T) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		clk := clock.NewVirtual(t0.Add(time.Hour))
		m := newMerchant(t, clk, "sec", nil)
		payment(t, db, "pay_1", "M1", 100)
		n := newNotifier(t, db, clk, notify.StaticDirectory{"M1": {URL: m.srv.URL, Secret: "sec"}}, nil)
		id := eventOf(t, db, "pay_1", "payment.succeeded")
		if _, err := n.Redeliver(ctx, id); !errors.Is(err, notify.ErrNotRedeliverable) {
			t.Errorf("redeliver of a pending delivery: %v", err)
		}
		drain(t, n)
		ev, err := n.Redeliver(ctx, id)
		if err != nil || ev.ID != id {
			t.Fatalf("redeliver: %v %v", ev, err)
		}
		drain(t, n)
		got := m.received()
		if len(got) != 2 || got[0].ID != id || got[1].ID != id || got[1].Verified != nil {
			t.Errorf("merchant got %+v", got)
		}
		if _, err := n.Redeliver(ctx, "evt_unknown"); !errors.Is(err, order.ErrNotFound) {
			t.Errorf("unknown event: %v", err)
		}
		// The package function serves the CLI: by id, for any consumer.
		if _, err := notify.Redeliver(ctx, db, "ledger", id, clk.Now()); !errors.Is(err, notify.ErrNotRedeliverable) {
			t.Errorf("ledger delivery still pending: %v", err)
		}
	})
}

func TestNotifier_MisconfiguredMerchantIsRetriedNotSentUnsigned(t *testing.T) {
	storetest.ForEach(t, pgBase, func(t *testing.T, dsn string) {
		db := storetest.Open(t, dsn)
		clk := clock.NewVirtual(t0.Add(time.Hour))
		m := newMerchant(t, clk, "", nil)
		payment(t, db, "pay_1", "M1", 100)
		payment(t, db, "pay_2", "M2", 100)
		dir := notify.StaticDirectory{"M1": {URL: m.srv.URL}, "M2": {URL: "ftp://example.com/x", Secret: "s"}}
		n := newNotifier(t, db, clk, dir, nil)
		drain(t, n)
		if len(m.received()) != 0 {
			t.Fatal("sent without a secret")
		}
		tests := []struct{ pay, want string }{
			{"pay_1", "merchant M1 has no webhook secret"},
			{"pay_2", "webhook URL of merchant M2 is not an absolute http(s) URL"},
		}
		for _, tc := range tests {
			en := entry(t, db, eventOf(t, db, tc.pay, "payment.succeeded"))
			if en.State != "pending" || en.Attempts != 1 || !strings.Contains(en.LastErr, tc.want) {
				t.Errorf("%s: %+v", tc.pay, en)
			}
		}
	})
}

func TestNew_ValidatesConfig(t *testing.T) {
	db := storetest.Open(t, storetest.SQLiteDSN(t))
	dir := notify.StaticDirectory{}
	tests := []struct {
		name string
		cfg  notify.Config
		want string // substring of the error, "" = valid
	}{
		{"minimal", notify.Config{Outbox: db, Orders: db, Directory: dir}, ""},
		{"no outbox", notify.Config{Orders: db, Directory: dir}, "Outbox is required"},
		{"no orders", notify.Config{Outbox: db, Directory: dir}, "Orders is required"},
		{"no directory", notify.Config{Outbox: db, Orders: db}, "Directory is required"},
		{"bad type", notify.Config{Outbox: db, Orders: db, Directory: dir, Types: []string{"order.paid"}}, `"order.paid"`},
		{"negative timeout", notify.Config{Outbox: db, Orders: db, Directory: dir, Timeout: -1}, "Timeout"},
		{"zero in schedule", notify.Config{Outbox: db, Orders: db, Directory: dir, Schedule: []time.Duration{time.Second, 0}}, "Schedule[1]"},
		{"per host above workers", notify.Config{Outbox: db, Orders: db, Directory: dir, Workers: 2, PerHost: 3}, "PerHost 3 exceeds Workers 2"},
		{"lease not above timeout", notify.Config{Outbox: db, Orders: db, Directory: dir, Timeout: time.Minute, Lease: time.Minute}, "Lease"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := notify.New(tc.cfg)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error mentioning %q, got %v", tc.want, err)
			}
		})
	}
}

func TestNotifier_TypesSelectWhatIsSent(t *testing.T) {
	db := storetest.Open(t, storetest.SQLiteDSN(t))
	clk := clock.NewVirtual(t0.Add(time.Hour))
	m := newMerchant(t, clk, "sec", nil)
	payment(t, db, "pay_1", "M1", 100)
	n := newNotifier(t, db, clk, notify.StaticDirectory{"M1": {URL: m.srv.URL, Secret: "sec"}}, func(c *notify.Config) { c.Types = []string{"*"} })
	drain(t, n)
	if got := m.received(); len(got) != 2 || got[0].Type != "payment.created" || got[1].Type != "payment.succeeded" {
		t.Errorf(`Types ["*"]: %+v`, got)
	}
}

// TestNotifier_LogsAndErrorsCarryNoSecrets: neither the signing secret nor a token in the
// webhook URL reaches the logs or the stored last error, on success or on failure.
func TestNotifier_LogsAndErrorsCarryNoSecrets(t *testing.T) {
	db := storetest.Open(t, storetest.SQLiteDSN(t))
	clk := clock.NewVirtual(t0.Add(time.Hour))
	ok := newMerchant(t, clk, "whsec_TOPSECRET", nil)
	down := httptest.NewServer(nil)
	downURL := down.URL
	down.Close() // connection refused from now on
	payment(t, db, "pay_1", "M1", 100)
	payment(t, db, "pay_2", "M2", 100)
	var logs bytes.Buffer
	dir := notify.StaticDirectory{
		"M1": {URL: ok.srv.URL + "/hook?token=TOKEN123", Secret: "whsec_TOPSECRET"},
		"M2": {URL: downURL + "/hook?token=TOKEN456", Secret: "whsec_TOPSECRET"},
	}
	n := newNotifier(t, db, clk, dir, func(c *notify.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	drain(t, n)
	en := entry(t, db, eventOf(t, db, "pay_2", "payment.succeeded"))
	if en.State != "pending" || en.LastErr == "" {
		t.Fatalf("the refused delivery: %+v", en)
	}
	for _, secret := range []string{"TOPSECRET", "TOKEN123", "TOKEN456"} {
		if strings.Contains(logs.String(), secret) || strings.Contains(en.LastErr, secret) {
			t.Errorf("%s leaked:\nlogs: %s\nlast error: %s", secret, logs.String(), en.LastErr)
		}
	}
	if !strings.Contains(logs.String(), "webhook: delivered") || !strings.Contains(logs.String(), "will retry") {
		t.Errorf("logs say too little: %s", logs.String())
	}
}

// plainOutbox hides core/store's optional capabilities (BatchCompleter, Releaser,
// RedeliverStore): a Notifier works on the bare order.Outbox.
type plainOutbox struct{ order.Outbox }

func TestNotifier_WorksOnABareOutbox(t *testing.T) {
	db := storetest.Open(t, storetest.SQLiteDSN(t))
	clk := clock.NewVirtual(t0.Add(time.Hour))
	m := newMerchant(t, clk, "sec", nil)
	payment(t, db, "pay_1", "M1", 100)
	payment(t, db, "pay_2", "M2", 100) // no URL: skipped
	dir := notify.DirectoryFunc(func(id string) (notify.Endpoint, bool) {
		return notify.Endpoint{URL: m.srv.URL, Secret: "sec"}, id == "M1"
	})
	n, err := notify.New(notify.Config{Outbox: plainOutbox{db}, Orders: db, Clock: clk, Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(t, n); got != 1 {
		t.Fatalf("delivered %d", got)
	}
	st, _ := n.Stats(context.Background())
	if st.Delivered != 1 || st.Skipped != 3 || st.Pending != 0 {
		t.Errorf("stats %+v", st)
	}
	if _, err := n.Redeliver(context.Background(), eventOf(t, db, "pay_1", "payment.succeeded")); err == nil || !strings.Contains(err.Error(), "cannot look events up") {
		t.Errorf("redeliver on a bare outbox: %v", err)
	}
}
