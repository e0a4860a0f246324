package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tongdao/tongdao/core/clock"
	"github.com/tongdao/tongdao/core/gateway"
	"github.com/tongdao/tongdao/core/ledger"
	"github.com/tongdao/tongdao/core/money"
	"github.com/tongdao/tongdao/core/notify"
	"github.com/tongdao/tongdao/core/order"
	"github.com/tongdao/tongdao/core/posting"
	"github.com/tongdao/tongdao/core/store"
	"github.com/tongdao/tongdao/simulator"
	simwechat "github.com/tongdao/tongdao/simulator/wechat"
)

// The crash test re-runs this test binary as `tongdao gateway serve` (the child), so the
// process it kills is the real command.
func TestMain(m *testing.M) {
	if args := os.Getenv("TONGDAO_CRASH_CHILD"); args != "" {
		os.Exit(run(context.Background(), splitArgs(args), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func splitArgs(s string) []string {
	var out []string
	cur := ""
	for _, r := range s {
		if r == '\x1f' {
			out = append(out, cur)
			cur = ""
			continue
		}
		cur += string(r)
	}
	return append(out, cur)
}

// TestCrash_SIGKILLDuringLoadLosesNothing kills `tongdao gateway serve` with SIGKILL at
// random moments while merchants create payments and the simulator's payer pays them, 50
// times (5 with -short or under the race detector; `make test` runs it both ways),
// restarting it each time on the same SQLite file. Afterwards a fresh
// instance finishes the work, and: every payment the API acknowledged is stored; every paid
// one ends succeeded with exactly one success event; the ledger holds each exactly once (the
// merchant's payable equals the sum of succeeded payments and `ledger verify` with the
// orders as vouchers is clean); every webhook is delivered.
func TestCrash_SIGKILLDuringLoadLosesNothing(t *testing.T) {
	kills := 50
	if testing.Short() || raceEnabled {
		kills = 5
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "crash.db")
	proto, err := simwechat.New(simwechat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// The simulator runs on the wall clock so its callbacks go out on their own.
	sim := simulator.Start(t, simulator.Config{Protocols: []simulator.Protocol{proto}, Seed: 3, Clock: clock.Real()})
	var hookMu sync.Mutex
	hooks := map[string]int{}
	hookSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hookMu.Lock()
		hooks[r.Header.Get("Tongdao-Event-Id")]++
		hookMu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hookSrv.Close()
	port := freePort(t)
	demo := simwechat.DemoMerchant()
	cfgPath := filepath.Join(dir, "gateway.yaml")
	cfg := fmt.Sprintf(`public_url: http://127.0.0.1:%d
merchants:
  - {id: M1, hmac_secret: %s, rate_per_second: 100000, burst: 100000, webhook_url: %q, webhook_secret: %s}
accounts:
  - {id: wx1, channel: wechat, base_url: %q, app_id: %s, mch_id: %q, key: %s, fee_rate: "0.006"}
routes:
  - {merchant: "*", method: qr, account: wx1}
`, port, demoSecret, hookSrv.URL, demoHookSecret, sim.URL, demo.AppIDs[0], demo.MchID, demo.Key)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cl := &gateway.Client{BaseURL: base, MerchantID: "M1", Secret: demoSecret, HTTP: &http.Client{Timeout: 5 * time.Second}}
	start := func() *exec.Cmd {
		args := []string{"gateway", "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--metrics-addr", "", "--db", "sqlite:" + dbPath,
			"--config", cfgPath, "--work-interval", "50ms", "--log-level", "error"}
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), "TONGDAO_CRASH_CHILD="+joinArgs(args))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if resp, err := http.Get(base + "/v1/openapi.json"); err == nil {
				resp.Body.Close()
				return cmd
			}
			time.Sleep(10 * time.Millisecond) // waiting for a child process to listen: wall time is the point
		}
		_ = cmd.Process.Kill()
		t.Fatal("the gateway did not start")
		return nil
	}

	var acked sync.Map // order_no -> channel order no, for every 201
	var ackCount atomic.Int64
	var seq atomic.Int64
	rng := rand.New(rand.NewPCG(7, 7))
	for k := 0; k < kills; k++ {
		cmd := start()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					no := fmt.Sprintf("CR%06d", seq.Add(1))
					p, err := cl.CreatePayment(context.Background(), &gateway.CreatePaymentRequest{OrderNo: no, Amount: 100 + seq.Load()%500,
						Method: "qr", Subject: "crash", ClientIP: "127.0.0.1"}, "")
					if err != nil {
						continue // not acknowledged: the gateway may or may not have it
					}
					acked.Store(no, p.ChannelOrderNo)
					ackCount.Add(1)
					_, _ = sim.Pay(context.Background(), simulator.PayerAction{Channel: "wechat", OutTradeNo: p.ChannelOrderNo})
				}
			}()
		}
		// Let this life acknowledge something (a race-built child on a busy machine starts
		// slowly), then kill it at a random moment of the load: wall time is the point.
		before := ackCount.Load()
		for deadline := time.Now().Add(5 * time.Second); ackCount.Load() == before && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		cancel()
		wg.Wait()
	}
	// One more life, long enough for the channel's retried callbacks and the query-back to land.
	cmd := start()
	time.Sleep(2 * time.Second)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()

	// A fresh instance finishes everything in process, with the clock far enough ahead that
	// every lease a killed process held has expired.
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	file, err := loadGatewayFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	vclk := clock.NewVirtual(time.Now().Add(time.Hour))
	gcfg, err := file.build(db, vclk, nil, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(gcfg)
	if err != nil {
		t.Fatal(err)
	}
	work, err := newCoreWork(db, gw, vclk, nil, map[string]decimal.Decimal{"wx1": decimal.RequireFromString("0.006")},
		notify.StaticDirectory{"M1": {URL: hookSrv.URL, Secret: demoHookSecret}}, hookSrv.Client())
	if err != nil {
		t.Fatal(err)
	}
	defer work.close()
	for i := 0; i < 5; i++ {
		if err := work.once(ctx); err != nil {
			t.Fatal(err)
		}
		vclk.Advance(time.Hour)
	}

	n, paidSum := 0, int64(0)
	acked.Range(func(k, v any) bool {
		n++
		p, err := db.PaymentByOrderNo(ctx, "M1", k.(string))
		if err != nil {
			t.Errorf("acknowledged payment %s is missing: %v", k, err)
			return true
		}
		h, _ := db.History(ctx, p.ID)
		succ := 0
		for _, e := range h {
			if e.Type == "payment.succeeded" {
				succ++
			}
		}
		if p.State != order.Succeeded || succ != 1 {
			t.Errorf("%s (paid by the payer): %s with %d success events", k, p.State, succ)
		}
		return true
	})
	// Every succeeded payment, acknowledged or not, is in the ledger exactly once.
	counts, _ := db.CountPayments(ctx)
	rows, err := db.SQL().QueryContext(ctx, `SELECT COALESCE(SUM(amount), 0) FROM payments WHERE state = 'succeeded'`)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		_ = rows.Scan(&paidSum)
	}
	rows.Close()
	var posted int64
	if acct, err := work.ledger.FindAccount(ctx, posting.PayableSpec("M1", money.CNY).Code, ledger.OwnerMerchant, "M1", money.CNY); err == nil {
		bal, _ := work.ledger.Balance(ctx, acct.ID)
		posted = bal.Posted.Minor()
	} else if !errors.Is(err, ledger.ErrNotFound) {
		t.Fatal(err)
	}
	if posted != paidSum {
		t.Errorf("merchant payable %d fen, succeeded payments %d fen", posted, paidSum)
	}
	rep, err := work.ledger.Verify(ctx, ledger.VerifyOptions{Vouchers: posting.Vouchers{Orders: db}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("ledger verify found problems: %+v", rep.Checks)
	}
	for _, c := range []string{"ledger", "webhook"} {
		st, _ := db.OutboxStats(ctx, c)
		if st.Pending != 0 || st.Dead != 0 {
			t.Errorf("outbox %s: %d pending, %d dead after the restart finished", c, st.Pending, st.Dead)
		}
	}
	hookMu.Lock()
	delivered := len(hooks)
	hookMu.Unlock()
	t.Logf("%d kills; %d payments acknowledged (%v by state); %d fen posted; %d webhook events delivered", kills, n, counts, paidSum, delivered)
	if n == 0 {
		t.Fatal("no payment was acknowledged: the test proved nothing")
	}
}

func joinArgs(a []string) string {
	s := ""
	for i, x := range a {
		if i > 0 {
			s += "\x1f"
		}
		s += x
	}
	return s
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
